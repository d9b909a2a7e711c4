"""Structured pruning surgery: a smaller model of the same architecture, kept weights copied.

Works on the plain sequential architectures (``mlp``, ``cnn``): every hidden Linear
and every Conv2d is a *producer* whose output units (hidden units, channels) can be
removed; the output layer is never pruned. Removing unit j of a producer removes row
j of its weight and bias, entry j of the BatchNorm after it, and the matching input
columns of the next producer (after a Flatten, a whole channel's block of H*W columns).
Hand-written rather than torch-pruning's dependency graph: for these two layouts the
graph is a chain, and the copy is fifteen lines that keep the model a plain nn.Sequential
of the registered architecture, so it saves and loads as an ordinary checkpoint.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

PRUNABLE = ("mlp", "cnn")
_PRODUCERS = (nn.Linear, nn.Conv2d)


def kept_width(width: int, fraction: float) -> int:
    """Units left when ``fraction`` of ``width`` is removed (at least one)."""
    return max(1, round(width * (1.0 - fraction)))


def pruned_args(architecture: str, args: Mapping[str, Any], fraction: float) -> dict[str, Any]:
    """The architecture args with ``fraction`` of every hidden width / channel count removed."""
    new = dict(args)
    if architecture == "mlp":
        new["hidden"] = [kept_width(width, fraction) for width in args["hidden"]]
    elif architecture == "cnn":
        new["channels"] = [kept_width(width, fraction) for width in args["channels"]]
        if args.get("hidden"):
            new["hidden"] = kept_width(args["hidden"], fraction)
    else:
        raise ValueError(f"structured pruning supports {', '.join(PRUNABLE)}, "
                         f"not '{architecture}'")
    return new


def producers(model: nn.Sequential) -> list[int]:
    """Positions of the prunable layers: every Linear/Conv2d but the output layer."""
    found = [index for index, layer in enumerate(model) if isinstance(layer, _PRODUCERS)]
    return found[:-1]


def importance(model: nn.Sequential, index: int) -> torch.Tensor:
    """Per-unit importance of producer ``index``: |BN scale| when a BatchNorm follows
    (Liu et al. 2017, network slimming), else the L1 norm of the unit's incoming weights."""
    following = model[index + 1] if index + 1 < len(model) else None
    if isinstance(following, nn.BatchNorm2d) and following.affine:
        return following.weight.detach().abs()
    weight = model[index].weight.detach()
    return weight.abs().reshape(weight.shape[0], -1).sum(1)


def kept_units(model: nn.Sequential, widths: Sequence[int]) -> list[torch.Tensor]:
    """For each producer, the sorted indices of its ``widths[i]`` most important units."""
    positions = producers(model)
    if len(positions) != len(widths):
        raise ValueError(f"{len(widths)} widths for {len(positions)} prunable layers")
    kept = []
    for index, width in zip(positions, widths):
        scores = importance(model, index)
        kept.append(scores.topk(min(width, scores.numel())).indices.sort().values)
    return kept


def shrink(model: nn.Sequential, smaller: nn.Sequential, kept: Sequence[torch.Tensor]) -> None:
    """Copy into ``smaller`` (same layout, the kept widths) the weights of ``kept`` units."""
    keep_by_index = dict(zip(producers(model), kept))
    inputs: torch.Tensor | None = None  # kept outputs of the previous producer
    previous_conv = False
    with torch.no_grad():
        for index, (old, new) in enumerate(zip(model, smaller, strict=True)):
            if type(old) is not type(new):
                raise ValueError(f"layer {index}: {type(old).__name__} vs {type(new).__name__}")
            if isinstance(old, _PRODUCERS):
                weight = old.weight
                if inputs is not None:
                    columns = inputs
                    if isinstance(old, nn.Linear) and previous_conv:  # after a Flatten
                        area = old.in_features // model_width(model, index)
                        columns = (inputs[:, None] * area + torch.arange(area)).reshape(-1)
                    weight = weight[:, columns.to(weight.device)]
                rows = keep_by_index.get(index)
                new.weight.copy_(weight if rows is None else weight[rows.to(weight.device)])
                if old.bias is not None:
                    new.bias.copy_(old.bias if rows is None else old.bias[rows.to(old.bias.device)])
                inputs, previous_conv = rows, isinstance(old, nn.Conv2d)
            elif isinstance(old, nn.BatchNorm2d) and inputs is not None:
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(new, name).copy_(getattr(old, name)[inputs.to(old.weight.device)])
                new.num_batches_tracked.copy_(old.num_batches_tracked)


def model_width(model: nn.Sequential, before: int) -> int:
    """Output channels of the last Conv2d before position ``before``."""
    return next(layer.out_channels for layer in reversed(list(model)[:before])
                if isinstance(layer, nn.Conv2d))


def masked_twin(model: nn.Sequential, kept: Sequence[torch.Tensor]) -> nn.Sequential:
    """A copy of ``model`` with every removed unit zeroed (weights, bias, BN scale and shift):
    in eval mode it computes what the shrunk model computes, with every weight still there."""
    twin = copy.deepcopy(model)
    with torch.no_grad():
        for index, rows in zip(producers(twin), kept):
            layer = twin[index]
            removed = torch.ones(layer.weight.shape[0], dtype=torch.bool)
            removed[rows] = False
            layer.weight[removed] = 0.0
            if layer.bias is not None:
                layer.bias[removed] = 0.0
            following = twin[index + 1]
            if isinstance(following, nn.BatchNorm2d):
                following.weight[removed] = 0.0
                following.bias[removed] = 0.0
    return twin


def prunable_widths(architecture: str, args: Mapping[str, Any]) -> list[int]:
    """The width of every producer of a model built from ``args``, in layer order."""
    if architecture == "mlp":
        return list(args["hidden"])
    widths = [width for width in args["channels"] for _ in range(args.get("convs_per_block", 2))]
    return widths + ([args["hidden"]] if args.get("hidden") else [])
