"""Refuse, before a run starts, models and settings the dataset's inputs cannot feed.

A CNN or ResNet needs images (C x H x W); a CSV or an ``.npz`` of vectors gives
feature vectors (F,). Images can also be too small for a CNN's pooling. Each model
is built on the ``meta`` device (nothing allocated) and given a meta batch: what fails
there would fail in the first step, after the teacher had trained. Augmentation
(``teacher_train.augment``, ``distill.views``) mirrors and shifts images: on feature
vectors it would silently permute features, so it is refused too.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import torch

from workbench.core.data.dataset import ImageDataset
from workbench.core.engine.teaching import run_models
from workbench.core.errors import PresetError, Problem
from workbench.core.models.registry import MODELS
from workbench.core.presets.experiment import ExperimentPreset


def describe_inputs(dataset: ImageDataset) -> str:
    """'dataset 'csv' (path) gives feature vectors of shape (4,)' / '... images 3x32x32'."""
    shape = dataset.input_shape
    what = (f"feature vectors of shape ({shape[0]},)" if dataset.is_features
            else "images " + "x".join(str(side) for side in shape))
    return f"dataset '{dataset.name}' ({dataset.source}) gives {what}"


def input_problems(preset: ExperimentPreset, dataset: ImageDataset) -> list[Problem]:
    """Every model that cannot take the dataset's inputs, and every image-only setting
    used with feature vectors; one Problem each, naming the field and both shapes."""
    problems = []
    for role, model in run_models(preset):
        if model.black_box:
            continue  # files: their input shape is the teacher fit check's business
        reason = forward_problem(model.architecture, model.args, dataset)
        if reason:
            problems.append(Problem(f"{role}.architecture", reason))
    if dataset.is_features:
        trains_teacher = any(model.weights is None and not model.black_box
                             for model in preset.teachers)
        if trains_teacher and preset.teacher_train.augment != "none":
            problems.append(Problem("teacher_train.augment", f"'{preset.teacher_train.augment}'"
                                    f" mirrors images, but {describe_inputs(dataset)}; set "
                                    "teacher_train.augment: none"))
        views = int(preset.distill.get("views", 1) or 1)
        if views > 1:
            problems.append(Problem("distill.views", f"{views} views are flipped and shifted "
                                    f"images, but {describe_inputs(dataset)}; set "
                                    "distill.views: 1"))
    return problems


def check_inputs_fit(preset: ExperimentPreset, dataset: ImageDataset) -> None:
    """Raise PresetError (exit 2 before the run) listing every ``input_problems``."""
    problems = input_problems(preset, dataset)
    if problems:
        raise PresetError(preset.source, problems)


def forward_problem(architecture: str, args: Mapping[str, Any],
                    dataset: ImageDataset) -> str | None:
    """Why a model of ``architecture`` cannot run on the dataset's inputs, or None."""
    if architecture not in MODELS:
        return None  # reported by the preset's validation
    shape = dataset.input_shape
    try:
        with torch.device("meta"), warnings.catch_warnings():  # allocates nothing
            warnings.simplefilter("ignore")  # "zero-element tensors": the failure reported below
            model = MODELS.get(architecture).factory(input_shape=shape,
                                                     num_classes=dataset.num_classes,
                                                     **dict(args))
            model(torch.empty(2, *shape))
    except (RuntimeError, ValueError, TypeError, IndexError) as error:
        if dataset.is_features:
            return (f"a '{architecture}' takes images (channels x height x width), but "
                    f"{describe_inputs(dataset)}; use an 'mlp' for feature vectors")
        reason = (str(error).splitlines() or [type(error).__name__])[0][:120]
        return (f"a '{architecture}' with these args cannot take the inputs: "
                f"{describe_inputs(dataset)} ({reason}); use larger images "
                "(data.image_size) or fewer pooling blocks")
    return None
