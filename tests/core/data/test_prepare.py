"""Splits: validation carved by seed, labels kept for data.labeled images only."""
from __future__ import annotations

import pytest
import torch

from workbench.core.data.dataset import ImageDataset
from workbench.core.data.prepare import PreparedData, prepare
from workbench.core.distill.losses import UNLABELED
from workbench.core.errors import DataError, PresetError
from workbench.core.presets import load_experiment
from workbench.core.config.section import Section

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def dataset() -> ImageDataset:
    generator = torch.Generator().manual_seed(0)
    return ImageDataset(
        "fashion-mnist", tuple(str(label) for label in range(10)),
        torch.randint(0, 256, (300, 1, 28, 28), dtype=torch.uint8, generator=generator),
        torch.arange(300) % 10,
        torch.randint(0, 256, (40, 1, 28, 28), dtype=torch.uint8, generator=generator),
        torch.arange(40) % 10, source="test")


def data(*overrides: str) -> Section:
    return load_experiment("synthetic-quick", overrides=list(overrides)).data


def split(dataset: ImageDataset, seed: int, *overrides: str) -> PreparedData:
    return prepare(dataset, data("data.val_size=60", *overrides), seed, CPU)


def test_validation_rows_are_disjoint_from_training_rows(dataset: ImageDataset) -> None:
    prepared = split(dataset, 0)
    train, val = set(prepared.train_rows.tolist()), set(prepared.val_rows.tolist())
    assert len(val) == 60 and len(train) == 240
    assert train.isdisjoint(val)
    assert train | val == set(range(300))
    assert torch.equal(prepared.val_labels, dataset.train_labels[prepared.val_rows])
    assert prepared.inputs.dtype == torch.float32
    assert prepared.inputs.shape == (300, 1, 28, 28)
    assert prepared.test_inputs.shape == (40, 1, 28, 28)


def test_the_split_is_deterministic_per_seed(dataset: ImageDataset) -> None:
    first, again, other = split(dataset, 7), split(dataset, 7), split(dataset, 8)
    assert torch.equal(first.val_rows, again.val_rows)
    assert torch.equal(first.train_rows, again.train_rows)
    assert not torch.equal(first.val_rows, other.val_rows)


def test_validation_is_not_simply_the_first_rows(dataset: ImageDataset) -> None:
    assert split(dataset, 0).val_rows.tolist() != list(range(60))


def test_labeled_keeps_exactly_n_labels(dataset: ImageDataset) -> None:
    prepared = split(dataset, 0, "data.labeled=25")
    train_labels = prepared.labels[prepared.train_rows]
    assert int((train_labels != UNLABELED).sum()) == 25
    assert int((train_labels == UNLABELED).sum()) == 240 - 25
    assert prepared.labeled_rows.shape == (25,)
    assert set(prepared.labeled_rows.tolist()) <= set(prepared.train_rows.tolist())
    labeled = prepared.labeled_rows
    assert torch.equal(prepared.labels[labeled], dataset.train_labels[labeled])
    # validation keeps its labels, and the true labels are kept for every row
    assert bool((prepared.labels[prepared.val_rows] != UNLABELED).all())
    assert torch.equal(prepared.true_labels, dataset.train_labels)


def test_without_labeled_every_training_row_keeps_its_label(dataset: ImageDataset) -> None:
    prepared = split(dataset, 0)
    assert bool((prepared.labels != UNLABELED).all())
    assert torch.equal(prepared.labeled_rows, prepared.train_rows)


def test_train_limit_uses_the_first_rows(dataset: ImageDataset) -> None:
    prepared = split(dataset, 0, "data.train_limit=100", "data.val_size=20")
    assert prepared.inputs.shape[0] == 100
    assert int(prepared.train_rows.max()) < 100 and int(prepared.val_rows.max()) < 100
    assert len(prepared.train_rows) == 80


def test_too_many_labeled_names_the_field(dataset: ImageDataset) -> None:
    with pytest.raises(PresetError) as raised:
        split(dataset, 0, "data.labeled=241")
    [problem] = raised.value.problems
    assert problem.path == "data.labeled"
    assert "240" in problem.message
    split(dataset, 0, "data.labeled=240")  # exactly all of them is fine


def test_too_large_val_size_names_the_field(dataset: ImageDataset) -> None:
    with pytest.raises(PresetError) as raised:
        prepare(dataset, data("data.val_size=300"), 0, CPU)
    [problem] = raised.value.problems
    assert problem.path == "data.val_size"
    assert "300" in problem.message


def test_a_dataset_without_test_images_is_refused_before_any_run(dataset: ImageDataset) -> None:
    """Accuracy over 0 images would be NaN in every figure and table."""
    empty = ImageDataset(dataset.name, dataset.classes, dataset.train_images,
                         dataset.train_labels, dataset.test_images[:0], dataset.test_labels[:0],
                         source="/data/empty-test")
    with pytest.raises(DataError) as raised:
        split(empty, 0)
    assert "no test images" in str(raised.value) and "/data/empty-test" in str(raised.value)
