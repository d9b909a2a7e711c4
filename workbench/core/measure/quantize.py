"""Dynamic int8 quantization of a model, as one more row of the comparison.

``torch.ao.quantization.quantize_dynamic`` stores the weights of ``nn.Linear``
layers as int8 and quantizes their inputs on the fly; other layers stay float.
It shows what quantization adds on top of distillation, at no training cost.
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from workbench.core.measure.figures import model_figures

INT8_SUFFIX = "-int8"
METHOD = "dynamic int8 (torch.ao quantize_dynamic on nn.Linear)"


@dataclass(frozen=True)
class Quantized:
    """A quantized CPU copy of a model; ``changed`` is False when nothing was quantized."""

    model: nn.Module
    changed: bool
    note: str | None = None


def quantize_dynamic_int8(model: nn.Module) -> Quantized:
    """A CPU copy of ``model``, its ``nn.Linear`` layers in dynamic int8 (original untouched)."""
    float_copy = copy.deepcopy(model).cpu().eval()
    linear_layers = sum(isinstance(module, nn.Linear) for module in float_copy.modules())
    if not linear_layers:
        return Quantized(float_copy, False, "no nn.Linear layers: dynamic int8 quantization "
                         "changes nothing for this model")
    if torch.backends.quantized.engine == "none":
        return Quantized(float_copy, False, "this CPU/torch build has no quantized engine: "
                         "dynamic int8 quantization is not available")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao is deprecated in favour of torchao
            quantized = torch.ao.quantization.quantize_dynamic(float_copy, {nn.Linear},
                                                               dtype=torch.qint8)
    except (AttributeError, RuntimeError) as error:
        return Quantized(float_copy, False, f"dynamic int8 quantization failed: {error}")
    return Quantized(quantized, True, f"{linear_layers} nn.Linear layer(s) quantized to int8")


@torch.inference_mode()
def predict_cpu(model: nn.Module, inputs: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Class predictions of ``model`` on the CPU, batched to bound memory."""
    model.eval()
    chunks = [model(chunk.cpu()).argmax(1) for chunk in inputs.split(batch_size)]
    return torch.cat(chunks) if chunks else torch.zeros(0, dtype=torch.long)


def int8_figures(model: nn.Module, float_figures: Mapping[str, Any], test_inputs: torch.Tensor,
                 test_labels: torch.Tensor, input_shape: tuple[int, ...],
                 settings: Mapping[str, Any],
                 teacher_predictions: torch.Tensor | None = None) -> dict[str, Any]:
    """The comparison row of ``model`` quantized to dynamic int8, tested on the CPU.

    Params and FLOPs are the float model's: quantization changes neither the
    number of weights nor of multiply-adds (torch's counter skips int8 kernels).
    When nothing can be quantized, the float row is repeated with a note.
    """
    quantized = quantize_dynamic_int8(model)
    if not quantized.changed:
        keep = {key: float_figures.get(key) for key in float_figures
                if key not in ("best_val_acc", "best_epoch", "last_val_acc")}
        return {**keep, "quantized": False, "quantization": METHOD, "note": quantized.note}
    predictions = predict_cpu(quantized.model, test_inputs)
    labels = test_labels.cpu()
    accuracy = (predictions == labels).float().mean().item() if len(labels) else None
    entry = model_figures(quantized.model, accuracy, input_shape, settings)
    entry.update(params=float_figures.get("params"), flops=float_figures.get("flops"),
                 quantized=True, quantization=METHOD, note=quantized.note)
    if teacher_predictions is not None:
        entry["agreement"] = (predictions == teacher_predictions.cpu()).float().mean().item()
    return entry
