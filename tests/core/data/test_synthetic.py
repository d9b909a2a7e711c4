"""The procedural dataset: no files, same images for the same seed."""
from __future__ import annotations

import pytest
import torch

from workbench.core.data import ImageDataset, synthetic
from workbench.core.data.registry import load_named
from workbench.core.data.synthetic import CLASSES, make_synthetic


def test_same_seed_gives_identical_images() -> None:
    first, second = make_synthetic(3, 60, 20), make_synthetic(3, 60, 20)
    assert torch.equal(first.train_images, second.train_images)
    assert torch.equal(first.train_labels, second.train_labels)
    assert torch.equal(first.test_images, second.test_images)
    assert first.fingerprint == second.fingerprint


def test_different_seed_gives_different_images() -> None:
    first, second = make_synthetic(3, 60, 20), make_synthetic(4, 60, 20)
    assert not torch.equal(first.train_images, second.train_images)
    assert first.fingerprint != second.fingerprint


def test_shapes_classes_and_labels() -> None:
    dataset = make_synthetic(0, 300, 40)
    assert dataset.num_classes == 10 == len(CLASSES)
    assert dataset.train_images.shape == (300, 1, 28, 28)
    assert dataset.test_images.shape == (40, 1, 28, 28)
    assert dataset.train_images.dtype == torch.uint8
    assert dataset.input_shape == (1, 28, 28)
    assert dataset.train_labels.shape == (300,)
    assert set(dataset.train_labels.tolist()) == set(range(10))
    assert int(dataset.test_labels.min()) >= 0 and int(dataset.test_labels.max()) <= 9


def test_classes_are_drawn_differently() -> None:
    """Mean images of two classes differ: the labels carry information."""
    dataset = make_synthetic(0, 400, 10)
    images, labels = dataset.train_images.float(), dataset.train_labels
    horizontal = images[labels == 0].mean(0)
    vertical = images[labels == 1].mean(0)
    assert (horizontal - vertical).abs().mean() > 5.0


def test_registered_loader_passes_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def small(seed: int) -> ImageDataset:
        calls.append(seed)
        return make_synthetic(seed, 30, 10)

    monkeypatch.setattr(synthetic, "make_synthetic", small)
    dataset = load_named("synthetic", seed=5)
    assert calls == [5]
    assert dataset.name == "synthetic"
    assert torch.equal(dataset.train_images, make_synthetic(5, 30, 10).train_images)
