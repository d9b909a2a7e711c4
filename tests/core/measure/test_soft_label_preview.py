"""Soft-label preview: a weighted teacher's logits for one test image, any temperature."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.core.models.weights import save_checkpoint
from workbench.core.models import build_model
from workbench.core.presets.model import ModelPreset
from workbench.core.config.section import Section
from workbench.core.measure.soft_label_preview import TeacherPreview, can_preview, softmax_at

ARGS = {"channels": [4], "convs_per_block": 1, "batch_norm": False, "hidden": 0}
DATA = Section({"dataset": "synthetic", "root": None, "download": False, "seed": 0})


def _teacher(weights) -> ModelPreset:
    return ModelPreset("t", "", "cnn", Section(ARGS), weights, None, "test")


def test_softmax_at_flattens_with_temperature():
    logits = np.array([4.0, 1.0, 0.0])
    sharp, soft = softmax_at(logits, 1.0), softmax_at(logits, 10.0)
    assert np.isclose(sharp.sum(), 1.0) and np.isclose(soft.sum(), 1.0)
    assert soft.max() < sharp.max()
    assert np.argmax(soft) == np.argmax(sharp) == 0
    assert np.all(np.isfinite(softmax_at(np.array([1000.0, -1000.0]), 0.5)))


def test_teacher_preview_samples_wrap_and_match_the_model(tmp_path):
    torch.manual_seed(0)
    model = build_model("cnn", ARGS, (1, 28, 28), 10)
    save_checkpoint(tmp_path / "t.pt", model, {})
    preview = TeacherPreview(_teacher(tmp_path / "t.pt"), DATA)
    sample = preview.sample(preview.count + 3)
    assert sample.index == 3
    assert sample.image.shape == (28, 28) and sample.image.dtype == np.uint8
    assert sample.logits.shape == (10,) and len(sample.classes) == 10
    again = preview.sample(3)
    assert np.allclose(sample.logits, again.logits)


def test_a_teacher_without_weights_cannot_be_previewed():
    assert not can_preview(_teacher(None))
    with pytest.raises(ValueError):
        TeacherPreview(_teacher(None), DATA)
