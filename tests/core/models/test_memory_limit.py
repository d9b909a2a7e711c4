"""Models are sized on the meta device first; one that would not fit is refused, not built."""
from __future__ import annotations

import pytest
from torch import nn

from workbench.core.errors import PresetError
from workbench.core.models import MODELS, build_model, count_parameters
from workbench.core.models import build as build_module
from workbench.core.models.build import (MAX_PARAMETER_BYTES, check_models_fit, memory_problem,
                                         parameter_bytes)

HUGE_MLP = {"hidden": [65536, 65536, 65536], "dropout": 0.0}
HUGE_MLP_PARAMETERS = (784 * 65536 + 65536) + 2 * (65536 * 65536 + 65536) + (65536 * 10 + 10)


@pytest.mark.parametrize("architecture", MODELS.names())
def test_the_estimate_matches_the_real_model(architecture: str) -> None:
    defaults = {param.name: param.default for param in MODELS.get(architecture).params}
    count, size = parameter_bytes(architecture, defaults, (1, 28, 28), 10)
    model = build_model(architecture, defaults, (1, 28, 28), 10)
    assert count == count_parameters(model)
    tensors = [*model.parameters(), *model.buffers()]
    assert size == sum(tensor.numel() * tensor.element_size() for tensor in tensors)


def test_a_huge_mlp_is_refused_with_its_size_and_the_limit() -> None:
    count, size = parameter_bytes("mlp", HUGE_MLP, (1, 28, 28), 10)
    assert count == HUGE_MLP_PARAMETERS and size == 4 * HUGE_MLP_PARAMETERS
    reason = memory_problem("mlp", HUGE_MLP, (1, 28, 28), 10)
    assert reason is not None
    assert f"{HUGE_MLP_PARAMETERS:,} parameters (32.2 GiB)" in reason
    assert "more than the limit of 2.0 GiB of parameters" in reason


def test_build_model_refuses_before_allocating() -> None:
    with pytest.raises(PresetError) as raised:
        build_model("mlp", HUGE_MLP, (1, 28, 28), 10)  # would need 32 GiB if it were built
    [problem] = raised.value.problems
    assert problem.path == "args" and "parameters" in problem.message


def test_the_available_memory_is_the_other_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    count, size = parameter_bytes("mlp", {"hidden": [512]}, (1, 28, 28), 10)
    assert size < MAX_PARAMETER_BYTES

    class Scarce:
        available = 3 * size  # training needs 4 copies

    monkeypatch.setattr(build_module.psutil, "virtual_memory", lambda: Scarce())
    reason = memory_problem("mlp", {"hidden": [512]}, (1, 28, 28), 10)
    assert reason is not None and "memory available now" in reason and "4x" in reason
    with pytest.raises(PresetError):
        build_model("mlp", {"hidden": [512]}, (1, 28, 28), 10)


def test_sizes_past_what_torch_can_hold_are_a_message() -> None:
    blocks = {"width": 1024, "blocks": [1] * 64}  # channels 1024 * 2**63 in the last stage
    reason = memory_problem("resnet", blocks, (1, 28, 28), 10)
    assert reason is not None and "resnet" in reason and "smaller" in reason


def test_check_models_fit_names_each_role_too_big() -> None:
    small = ("mlp", {"hidden": [8]})
    with pytest.raises(PresetError) as raised:
        check_models_fit({"teacher": ("mlp", HUGE_MLP), "student": small}, (1, 28, 28), 10,
                         "mine.yaml")
    assert raised.value.source == "mine.yaml"
    assert [problem.path for problem in raised.value.problems] == ["teacher.args"]
    check_models_fit({"student": small}, (1, 28, 28), 10, "mine.yaml")  # fits: no error


def test_a_normal_model_is_built_on_the_cpu_not_the_meta_device() -> None:
    model = build_model("cnn", {"channels": [4], "hidden": 0}, (1, 28, 28), 10)
    assert isinstance(model, nn.Module)
    assert all(parameter.device.type == "cpu" for parameter in model.parameters())
