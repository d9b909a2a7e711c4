"""Small real teachers written to files the way users make them: torch.onnx.export and
torch.jit.trace, from the workbench's own architectures with seeded random weights."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from workbench.core.models import build_model

SMALL_CNN = {"channels": [4], "convs_per_block": 1, "hidden": 16}


def small_model(input_shape: tuple[int, ...], classes: int, seed: int = 5) -> nn.Module:
    """A tiny CNN (MLP for feature vectors) with non-trivial batch-norm statistics."""
    torch.manual_seed(seed)
    if len(input_shape) == 1:
        return build_model("mlp", {"hidden": [16]}, input_shape, classes).eval()
    model = build_model("cnn", SMALL_CNN, input_shape, classes)
    with torch.no_grad():
        model[1].running_mean.uniform_(-0.5, 0.5)
        model[1].running_var.uniform_(0.5, 2.0)
    return model.eval()


def require_onnx_tools() -> None:
    """Skip where the ONNX extras are not installed (the Qt-free CI installs only [test])."""
    for module in ("onnx", "onnxscript", "onnxruntime"):
        pytest.importorskip(module, reason="ONNX teachers need the [onnx] and [onnxruntime] "
                            "extras (both in [dev])")


def write_onnx(model: nn.Module, input_shape: tuple[int, ...], path: Path,
               dynamic_batch: bool = True) -> Path:
    """One self-contained .onnx file (weights inside), batch dynamic or fixed at 1."""
    require_onnx_tools()
    shapes = ({0: torch.export.Dim("batch", min=1)},) if dynamic_batch else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, *input_shape),), str(path),
                          input_names=["input"], output_names=["logits"],
                          dynamic_shapes=shapes, dynamo=True, external_data=False)
    return path


def write_torchscript(model: nn.Module, input_shape: tuple[int, ...], path: Path) -> Path:
    """A traced TorchScript file without our export's meta (as most users' files are)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(model, torch.zeros(2, *input_shape)), str(path))
    return path
