"""Size of a model: parameters, serialized bytes, FLOPs per sample, forward-pass memory.

FLOPs come from torch's own counter; memory is counted from the tensors a forward
pass keeps alive, so every figure is reproducible.
"""
from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from workbench.core.measure.memory import forward_peak_bytes
from workbench.core.models.int8 import int8_parameter_count


def parameter_count(model: nn.Module, trainable_only: bool = False) -> int:
    """Parameters; an int8 model's packed weights count too (they are not trainable)."""
    listed = sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    return listed if trainable_only else listed + int8_parameter_count(model)


def serialized_size(model: nn.Module) -> int:
    """Bytes of the state dict as ``torch.save`` writes it (what a checkpoint costs on disk)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell()


def file_size(path: str | Path) -> int:
    """Bytes of a file on disk (an exported model, a checkpoint)."""
    return Path(path).stat().st_size


def sample_input(input_shape: tuple[int, ...], batch_size: int = 1) -> torch.Tensor:
    """A fixed-seed random batch, so FLOPs and memory are the same on every call."""
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch_size, *input_shape, generator=generator)


@torch.inference_mode()
def flops_per_sample(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """FLOPs of one batch-1 forward pass, by ``torch.utils.flop_counter.FlopCounterMode``.

    A multiply-add counts as 2 FLOPs (MACs = FLOPs / 2). Operators the counter has
    no formula for (quantized kernels, element-wise ops) count as 0.
    """
    model = model.eval()
    with FlopCounterMode(display=False) as counter:
        model(sample_input(input_shape))
    return int(counter.get_total_flops())


@torch.inference_mode()
def peak_memory(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 1) -> int:
    """Peak bytes of inference: weights + input + the activations alive at once.

    Counted from tensor storages, not the allocator, so it does not depend on the
    machine's allocator or on what else the process holds.
    """
    model = model.eval()
    return forward_peak_bytes(model, sample_input(input_shape, batch_size))

