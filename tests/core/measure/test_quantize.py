"""Dynamic int8 quantization as a comparison row: what it changes, and what it cannot."""
from __future__ import annotations

import torch
from torch import nn

from workbench.core.measure.size import serialized_size
from workbench.core.models import build_model
from workbench.core.measure.quantize import int8_figures, predict_cpu, quantize_dynamic_int8

SHAPE = (1, 28, 28)
SETTINGS = {"latency_repeats": 3, "warmup": 1, "throughput_batch": 8, "threads": 1}


def mlp(hidden: int = 64) -> nn.Module:
    torch.manual_seed(0)
    return build_model("mlp", {"hidden": [hidden]}, SHAPE, 10).eval()


def conv_only() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 10, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()


def test_linear_layers_become_int8_and_the_original_is_untouched() -> None:
    model = mlp()
    quantized = quantize_dynamic_int8(model)
    assert quantized.changed and "2 nn.Linear" in (quantized.note or "")
    assert isinstance(model[1], nn.Linear)  # a copy was quantized
    assert not any(isinstance(module, nn.Linear) for module in quantized.model.modules())
    assert serialized_size(quantized.model) < 0.4 * serialized_size(model)


def test_int8_predictions_mostly_agree_with_the_float_model() -> None:
    model, inputs = mlp(), torch.randn(256, *SHAPE)
    agreement = (predict_cpu(model, inputs) == predict_cpu(quantize_dynamic_int8(model).model,
                                                           inputs)).float().mean()
    assert agreement > 0.9


def test_a_model_without_linear_layers_is_left_alone_and_says_so() -> None:
    quantized = quantize_dynamic_int8(conv_only())
    assert not quantized.changed and "changes nothing" in (quantized.note or "")


def test_int8_row_is_tested_on_the_cpu_and_keeps_params_and_flops() -> None:
    model = mlp(16)
    inputs = torch.randn(64, *SHAPE)
    labels = predict_cpu(model, inputs)  # the float model is "100% accurate"
    float_row = {"params": 12_730, "flops": 25_408, "accuracy": 1.0, "best_val_acc": 0.5}
    row = int8_figures(model, float_row, inputs, labels, SHAPE, SETTINGS, labels)
    assert row["quantized"] is True and row["params"] == 12_730 and row["flops"] == 25_408
    assert 0.8 <= row["accuracy"] <= 1.0 and row["agreement"] == row["accuracy"]
    assert row["size_bytes"] < serialized_size(model) and row["latency_ms"] > 0


def test_unchanged_model_repeats_the_float_row_with_a_note() -> None:
    float_row = {"params": 100, "accuracy": 0.5, "latency_ms": 1.0, "best_val_acc": 0.4}
    row = int8_figures(conv_only(), float_row, torch.randn(4, *SHAPE),
                       torch.zeros(4, dtype=torch.long), SHAPE, SETTINGS)
    assert row["quantized"] is False and "changes nothing" in row["note"]
    assert row["accuracy"] == 0.5 and row["latency_ms"] == 1.0 and "best_val_acc" not in row


def test_a_run_reports_a_student_int8_row(tiny_run) -> None:
    models = tiny_run.result.summary["models"]
    row, student = models["student-int8"], models["student"]
    assert row["quantized"] is True and row["params"] == student["params"]
    assert row["size_bytes"] < student["size_bytes"]
    assert abs(row["accuracy"] - student["accuracy"]) < 0.1
    for figures in models.values():
        for key in ("latency_p99_ms", "flops", "trainable_params", "peak_memory_bytes"):
            assert figures[key] is not None, key
