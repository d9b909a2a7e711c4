"""prepare() with user data: own val split, per-channel normalisation, feature vectors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset, normalize
from workbench.core.data.prepare import dataset_summary, prepare
from workbench.core.data.registry import load_named
from tests.core.user_files import write_image_folder, write_npz

CPU = torch.device("cpu")


def data(**values: object) -> Section:
    return Section({"val_size": 2, "labeled": None, "train_limit": None, **values})


def test_a_val_folder_is_the_validation_split_whatever_val_size_says(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "d", per_class=5, split="train")
    write_image_folder(tmp_path / "d", per_class=2, split="val", seed=1)
    write_image_folder(tmp_path / "d", per_class=1, split="test", seed=2)
    dataset = load_named("image-folder", root=str(tmp_path / "d"))
    prepared = prepare(dataset, data(val_size=5000), seed=0, device=CPU)
    assert prepared.val_rows.tolist() == list(range(15, 21))
    assert prepared.val_labels.tolist() == [0, 1, 2, 0, 1, 2]
    assert prepared.train_rows.tolist() == list(range(15))
    limited = prepare(dataset, data(train_limit=4), seed=0, device=CPU)
    assert limited.inputs.shape[0] == 10 and limited.val_rows.tolist() == list(range(4, 10))
    assert torch.equal(limited.val_inputs, prepared.val_inputs)  # val kept whole


def test_fixed_numbers_of_the_bundled_datasets_do_not_move() -> None:
    pixels = torch.arange(256, dtype=torch.uint8).view(4, 1, 8, 8)
    legacy = ImageDataset("fashion-mnist", tuple("abcdefghij"), pixels, torch.zeros(4).long(),
                          pixels, torch.zeros(4).long(), source="x")
    assert torch.equal(normalize(pixels, legacy), (pixels.float() / 255.0 - 0.2860) / 0.3530)
    assert torch.equal(normalize(pixels, "mnist"), (pixels.float() / 255.0 - 0.1307) / 0.3081)


def test_feature_vectors_are_standardised_per_feature_and_summarised(tmp_path: Path) -> None:
    written = write_npz(tmp_path / "b.npz")
    dataset = load_named("arrays", root=str(tmp_path / "b.npz"))
    prepared = prepare(dataset, data(val_size=10), seed=0, device=CPU)
    expected = (written["x_test"] - written["x_train"].mean(axis=0)) / \
        written["x_train"].std(axis=0)
    np.testing.assert_allclose(prepared.test_inputs.numpy(), expected, rtol=1e-4, atol=1e-5)
    summary = dataset_summary(prepared)
    assert summary["classes"] == ["low", "mid", "high"] and summary["input_shape"] == [4]
    assert (summary["train"], summary["val"], summary["test"]) == (80, 10, 30)
    assert summary["normalization"]["mean"] == pytest.approx(
        written["x_train"].mean(axis=0).tolist(), rel=1e-5)
