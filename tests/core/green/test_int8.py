"""A QAT student really is int8, stores as int8, and reloads to the same outputs."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from torch import nn

from workbench.core.measure.size import parameter_count
from workbench.core.models import build_model
from workbench.core.models.int8 import (convert_int8, fusable_runs, int8_weights, is_int8,
                                        plain_state, prepare_qat)
from workbench.core.models.saved import load_checkpoint
from workbench.core.models.weights import save_checkpoint

SHAPE = (1, 28, 28)


def trained_int8(architecture: str, args: dict) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    model = build_model(architecture, args, SHAPE, 10)
    prepared = prepare_qat(model)
    prepared.train()
    for _ in range(3):  # observers see data: real scales, not the initial 1.0
        prepared(torch.randn(32, *SHAPE)).sum().backward()
    return model, convert_int8(prepared)


def saved_bytes(state: dict) -> int:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.tell()


@pytest.mark.parametrize("architecture, args", [("mlp", {"hidden": [256]}),
                                                ("cnn", {"channels": [16, 32], "hidden": 64})])
def test_the_converted_student_holds_int8_weights(architecture: str, args: dict) -> None:
    float_model, model = trained_int8(architecture, args)
    weights = int8_weights(model)
    layers = sum(isinstance(m, (nn.Linear, nn.Conv2d)) for m in float_model.modules())
    assert len(weights) == layers  # every Linear and Conv2d, the output layer too
    assert all(weight.dtype == torch.qint8 for weight in weights)
    assert is_int8(model) and not is_int8(float_model)
    stored = plain_state(model)
    assert any(value.dtype == torch.int8 for value in stored.values())
    assert not any(value.is_floating_point() and value.numel() > 1000 for value in stored.values())


def test_packed_int8_weights_count_as_parameters() -> None:
    float_model, model = trained_int8("mlp", {"hidden": [256]})
    assert parameter_count(model) == parameter_count(float_model) == 784 * 256 + 256 + 2570
    assert parameter_count(model, trainable_only=True) == 0


def test_int8_storage_is_at_least_3_5_times_smaller() -> None:
    float_model, model = trained_int8("mlp", {"hidden": [256]})
    assert saved_bytes(float_model.state_dict()) >= 3.5 * saved_bytes(plain_state(model))


def test_fusion_finds_conv_bn_relu_and_linear_relu() -> None:
    model = build_model("cnn", {"channels": [4], "convs_per_block": 2, "hidden": 8}, SHAPE, 10)
    assert fusable_runs(model) == [["0", "1", "2"], ["3", "4", "5"], ["8", "9"]]


def test_an_int8_checkpoint_reloads_with_weights_only_to_the_same_outputs(
        tmp_path: Path) -> None:
    _, model = trained_int8("cnn", {"channels": [8, 16], "hidden": 32})
    path = tmp_path / "student-qat.pt"
    save_checkpoint(path, model, {"architecture": "cnn",
                                  "args": {"channels": [8, 16], "hidden": 32},
                                  "input_shape": list(SHAPE), "classes": list("0123456789"),
                                  "quantization": "qat-int8"})
    torch.load(path, weights_only=True)  # plain tensors only
    loaded = load_checkpoint(path).model
    inputs = torch.randn(4, *SHAPE)
    assert is_int8(loaded)
    assert torch.equal(loaded(inputs), model(inputs))


def test_the_float_model_is_left_untouched_by_prepare() -> None:
    model = build_model("mlp", {"hidden": [16]}, SHAPE, 10)
    before = {key: value.clone() for key, value in model.state_dict().items()}
    prepare_qat(model)
    assert all(isinstance(layer, (nn.Flatten, nn.Linear, nn.ReLU)) for layer in model)
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())


def test_a_resnet_is_refused() -> None:
    model = build_model("resnet", {"width": 4, "blocks": [1]}, SHAPE, 10)
    with pytest.raises(ValueError, match="sequential"):
        prepare_qat(model)
