"""The teacher pass through onnxruntime, where it is installed and the pass is big enough.

On this project's 2-core AVX2 machine onnxruntime's CPU kernels ran the bundled CNN
teacher 1.6-1.8x faster than torch's best pass (batch norms folded, channels_last;
``benchmarks/teacher_pass.py``), at 1 and at 2 threads. So a torch teacher is exported
to ONNX in memory (the TorchScript-based exporter: ~0.3 s, where the dynamo one takes
~4-6 s) and run in an onnxruntime session, shard by shard, on the pass's thread count.

Its logits are the same bits for any thread count and shard size (a cache file never
depends on how busy the machine was) and differ from torch's in the last bits (about
7e-6 on logits up to 30 for the bundled teacher; same top class). The cache key names
the path, so files of the two never mix.

Used only when it pays: a pass of at least ``MIN_PASS_GFLOP`` (the export and session
cost ~0.3-0.5 s), a plain module (a TorchScript teacher runs as saved, an ONNX teacher
is already onnxruntime) without forward hooks (they would not see the pass), on the CPU.
Anything the exporter cannot take falls back to torch.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.core.errors import Problem

INSTALL_HINT = 'pip install "distill-workbench[onnxruntime]"'
MIN_PASS_GFLOP = 50.0  # ~1 s of the torch pass on one core: below it the export does not pay
OrtRunner = Callable[[torch.Tensor], torch.Tensor]


def onnxruntime_ready() -> bool:
    """Both halves installed: onnx (the exporter writes it) and onnxruntime (runs it)."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def teacher_pass_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Before the run: ``data.teacher_pass: onnxruntime`` needs it installed."""
    if data.get("teacher_pass") != "onnxruntime" or onnxruntime_ready():
        return []
    return [Problem("data.teacher_pass", "onnxruntime is not installed (with onnx, which "
                    f"exports the teacher to it): {INSTALL_HINT}, or use auto / torch")]


def worth_onnxruntime(model: nn.Module, device: torch.device, pass_flop: float) -> bool:
    """Whether the ``auto`` pass takes onnxruntime for ``model`` (see the module docstring)."""
    return (device.type == "cpu" and _trainable_module(model) and not _hooked(model)
            and pass_flop >= MIN_PASS_GFLOP * 1e9 and onnxruntime_ready())


def onnx_bytes(model: nn.Module, input_shape: tuple[int, ...]) -> bytes | None:
    """``model`` in eval mode as an ONNX graph with a dynamic batch; None if it cannot be."""
    training = model.training
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (torch.zeros(1, *input_shape),), buffer,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                              dynamo=False, external_data=False)
    except Exception:  # noqa: BLE001 - any exporter failure: the torch pass runs instead
        return None
    finally:
        model.train(training)
    return buffer.getvalue()


def ort_runner(graph: bytes, threads: int) -> OrtRunner:
    """A callable chunk -> float32 logits, on ``threads`` intra-op threads."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def run(chunk: torch.Tensor) -> torch.Tensor:
        array = np.ascontiguousarray(chunk.detach().cpu().numpy(), dtype=np.float32)
        (logits,) = session.run(None, {"input": array})
        return torch.from_numpy(logits)

    return run


def _trainable_module(model: nn.Module) -> bool:
    """A module of our own architectures: not TorchScript, and not a file teacher that
    has no parameters of its own (an ONNX teacher already runs in onnxruntime)."""
    return (not isinstance(model, torch.jit.ScriptModule)
            and any(True for _ in model.parameters()))


def _hooked(model: nn.Module) -> bool:
    return any(module._forward_hooks or module._forward_pre_hooks
               for module in model.modules())
