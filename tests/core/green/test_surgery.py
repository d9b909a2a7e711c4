"""Structured pruning: smaller layers, the same outputs as the masked twin, best units kept."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from workbench.core.green.prune import prune_once, round_fractions, round_phases
from workbench.core.green.surgery import (kept_units, masked_twin, prunable_widths, pruned_args,
                                          shrink)
from workbench.core.models import build_model

SHAPE = (1, 28, 28)
CASES = [("mlp", {"hidden": [64, 32], "dropout": 0.0}),
         ("cnn", {"channels": [8, 16], "convs_per_block": 2, "batch_norm": True, "hidden": 32,
                  "dropout": 0.0}),
         ("cnn", {"channels": [8, 16], "convs_per_block": 1, "batch_norm": False, "hidden": 0,
                  "dropout": 0.1})]


def trained_like(architecture: str, args: dict) -> nn.Sequential:
    """A model whose BatchNorms have non-trivial statistics, in eval mode."""
    torch.manual_seed(1)
    model = build_model(architecture, args, SHAPE, 10)
    for layer in model:
        if isinstance(layer, nn.BatchNorm2d):
            layer.weight.data.uniform_(0.1, 2.0)
            layer.bias.data.normal_()
            layer.running_mean.normal_()
            layer.running_var.uniform_(0.5, 2.0)
    return model.eval()


def params(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


@pytest.mark.parametrize("architecture, args", CASES)
def test_the_pruned_model_computes_what_its_masked_twin_computes(architecture: str,
                                                                 args: dict) -> None:
    model = trained_like(architecture, args)
    new_args = pruned_args(architecture, args, 0.5)
    kept = kept_units(model, prunable_widths(architecture, new_args))
    smaller = build_model(architecture, new_args, SHAPE, 10).eval()
    shrink(model, smaller, kept)
    twin = masked_twin(model, kept).eval()
    inputs = torch.randn(6, *SHAPE)
    assert params(smaller) < params(model) == params(twin)
    assert torch.allclose(smaller(inputs), twin(inputs), atol=1e-5)
    assert not torch.allclose(model(inputs), twin(inputs), atol=1e-3)  # pruning did something


def test_half_the_units_go_and_the_parameters_fall_with_them() -> None:
    args = {"hidden": [100, 40], "dropout": 0.0}
    assert pruned_args("mlp", args, 0.5)["hidden"] == [50, 20]
    assert pruned_args("mlp", args, 0.75)["hidden"] == [25, 10]
    model = build_model("mlp", args, SHAPE, 10)
    pruned = prune_once(model, "mlp", args, 0.5, SHAPE, 10)
    expected = (784 * 50 + 50) + (50 * 20 + 20) + (20 * 10 + 10)
    assert params(pruned.model) == expected
    assert [layer.out_features for layer in pruned.model if isinstance(layer, nn.Linear)] == \
        [50, 20, 10]


def test_cnn_channels_and_dense_units_shrink() -> None:
    args = {"channels": [8, 16], "convs_per_block": 2, "batch_norm": True, "hidden": 32,
            "dropout": 0.0}
    pruned = prune_once(trained_like("cnn", args), "cnn", args, 0.5, SHAPE, 10)
    assert pruned.args["channels"] == [4, 8] and pruned.args["hidden"] == 16
    convs = [layer.out_channels for layer in pruned.model if isinstance(layer, nn.Conv2d)]
    assert convs == [4, 4, 8, 8]


def test_the_least_important_units_are_removed() -> None:
    model = build_model("mlp", {"hidden": [4]}, SHAPE, 10)
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([1.0, 5.0, 0.1, 3.0]).unsqueeze(1).expand(4, 784))
    assert kept_units(model, [2])[0].tolist() == [1, 3]


def test_bn_scale_ranks_channels_when_a_batchnorm_follows() -> None:
    model = build_model("cnn", {"channels": [4], "convs_per_block": 1, "hidden": 0}, SHAPE, 10)
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([0.1, -2.0, 0.5, 1.0]))
    assert kept_units(model, [2])[0].tolist() == [1, 3]


def test_rounds_remove_an_equal_share_each_and_end_on_student_pruned() -> None:
    assert round_fractions(0.6, 3) == pytest.approx([0.2, 0.4, 0.6])
    assert round_phases(3) == ["student-pruned-1", "student-pruned-2", "student-pruned"]
    assert round_phases(1) == ["student-pruned"]
