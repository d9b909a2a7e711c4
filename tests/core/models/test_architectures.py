"""Every registered architecture builds from its declared defaults and classifies."""
from __future__ import annotations

import pytest
import torch

from workbench.core.models import MODELS, build_model, count_parameters


@pytest.mark.parametrize("architecture", MODELS.names())
def test_builds_from_declared_defaults(architecture: str) -> None:
    defaults = {param.name: param.default for param in MODELS.get(architecture).params}
    for param in MODELS.get(architecture).params:
        assert param.check(param.default) is None, f"{architecture}.{param.name} default"
    model = build_model(architecture, defaults, (1, 28, 28), 10)
    model.eval()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert count_parameters(model) > 0


def test_mlp_sizes() -> None:
    model = build_model("mlp", {"hidden": [64]}, (1, 28, 28), 10)
    assert count_parameters(model) == 784 * 64 + 64 + 64 * 10 + 10
    linear = build_model("mlp", {"hidden": []}, (1, 28, 28), 10)
    assert count_parameters(linear) == 784 * 10 + 10


def test_cnn_adapts_to_input_shape_and_classes() -> None:
    model = build_model("cnn", {"channels": [4, 8], "hidden": 0}, (3, 32, 32), 7)
    model.eval()
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 7)
