"""What the run context needs for views and assistants, kept out of context.py.

Views: a run with ``distill.views: N > 1`` draws its fixed views once (from the
training seed); every train set the context hands out then ranges over (image,
view) pairs, and a fit keeps the steps per epoch of the images alone.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch

from workbench.core.data.batches import TrainSet, natural_steps
from workbench.core.data.prepare import PreparedData
from workbench.core.data.views import ViewPlan, ViewTrainSet, make_views, needs_images
from workbench.core.errors import PresetError, Problem
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.model import ModelPreset

ASSISTANT_PREFIX = "assistant-"


def run_views(preset: ExperimentPreset, data: PreparedData,
              device: torch.device) -> ViewPlan | None:
    """The run's fixed views, or None with ``distill.views: 1`` (the images as they are)."""
    count = int(preset.distill.get("views", 1) or 1)
    if count <= 1:
        return None
    problem = needs_images(data.dataset.input_shape)
    if problem is not None:
        raise PresetError(preset.source, [Problem("distill.views", problem)])
    return make_views(count, int(data.inputs.shape[0]), preset.train.seed, device)


def with_views(views: ViewPlan | None, inputs: torch.Tensor, labels: torch.Tensor,
               rows: torch.Tensor, extras: Mapping[str, torch.Tensor]) -> TrainSet:
    """A TrainSet of ``rows``; over every view of them when the run has views.

    Extras with one row per image (a method's own per-image values) are repeated for
    every view; extras with one row per view (teacher targets) are kept as they are.
    """
    if views is None:
        return TrainSet(inputs, labels, rows, dict(extras))
    images = int(inputs.shape[0])
    per_view = {name: tensor.repeat(views.count, *([1] * (tensor.dim() - 1)))
                if tensor.shape[0] == images else tensor for name, tensor in extras.items()}
    return ViewTrainSet(inputs, labels, rows, per_view, plan=views)


def view_steps(train_set: TrainSet, batch_size: int) -> int | None:
    """Steps per epoch of a views train set: those of its images, not of every view."""
    if isinstance(train_set, ViewTrainSet):
        return natural_steps(train_set.images, batch_size)
    return None


def stage_preset(preset: ExperimentPreset, name: str) -> ModelPreset:
    """``assistant-k`` -> the k-th assistant's preset; any other student-side model -> student."""
    if name.startswith(ASSISTANT_PREFIX):
        suffix = name[len(ASSISTANT_PREFIX):]
        if suffix.isdigit() and 1 <= int(suffix) <= len(preset.assistants):
            return preset.assistants[int(suffix) - 1]
    return preset.student


def run_models(preset: ExperimentPreset) -> list[tuple[str, ModelPreset]]:
    """Every model a run builds, by the name its problems are reported under."""
    teachers = preset.teachers
    named = [("teacher" if len(teachers) == 1 else f"teacher[{index}]", model)
             for index, model in enumerate(teachers)]
    named.append(("student", preset.student))
    named += [(f"distill.assistants[{index}]", model)
              for index, model in enumerate(preset.assistants)]
    return named
