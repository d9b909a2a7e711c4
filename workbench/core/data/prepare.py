"""Turn a dataset and a preset's data section into the tensors the engine trains on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from workbench.core.data.dataset import ImageDataset, normalization_of, normalize
from workbench.core.data.registry import DATASETS
from workbench.core.data.batches import UNLABELED
from workbench.core.data.streaming import StreamedImages, train_inputs  # beyond memory
from workbench.core.errors import DataError, PresetError, Problem
from workbench.core.config.section import Section


@dataclass(frozen=True)
class PreparedData:
    """Normalized tensors on the training device.

    ``inputs``/``labels`` hold every usable training image (the official train
    split, possibly limited); ``train_rows``/``val_rows`` index into them. Labels
    of unlabeled (transfer-set) rows are -1 in ``labels``; ``true_labels`` keeps them.
    """

    dataset: ImageDataset
    inputs: torch.Tensor
    labels: torch.Tensor
    true_labels: torch.Tensor
    train_rows: torch.Tensor
    labeled_rows: torch.Tensor
    val_rows: torch.Tensor
    test_inputs: torch.Tensor
    test_labels: torch.Tensor

    @property
    def val_inputs(self) -> torch.Tensor:
        return self.inputs[self.val_rows]

    @property
    def val_labels(self) -> torch.Tensor:
        return self.true_labels[self.val_rows]


def load_dataset(data: Section) -> ImageDataset:
    """The dataset ``data`` names, read by its loader with the whole validated section."""
    return DATASETS.get(data.dataset).factory(data)


def _training_rows(dataset: ImageDataset, limit: int | None
                   ) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(inputs, labels, rows of the dataset's own val split at the end): the training
    rows, the first ``limit`` of them when limited; an own val split is kept whole."""
    images, labels, own_val = dataset.train_images, dataset.train_labels, dataset.val_count
    if limit is None:
        return images, labels, own_val
    if not own_val:
        return images[:limit], labels[:limit], 0
    total = images.shape[0]
    rows = torch.cat([torch.arange(min(limit, total - own_val)),
                      torch.arange(total - own_val, total)])
    return images[rows], labels[rows], own_val


def prepare(dataset: ImageDataset, data: Section, seed: int,
            device: torch.device) -> PreparedData:
    """Split train into train/val by ``seed`` (unless the dataset has its own val split)
    and keep labels for ``data.labeled`` images."""
    if dataset.test_images.shape[0] == 0:  # accuracy would be 0/0: NaN in every report
        raise DataError(f"dataset '{dataset.name}' ({dataset.source}) has no test images: "
                        "accuracy cannot be measured; add test images to it")
    images, labels, own_val = _training_rows(dataset, data.train_limit)
    count = images.shape[0] - own_val  # the rows train and val are drawn from
    carved = 0 if own_val else data.val_size
    problems = []
    if carved >= count:
        problems.append(Problem("data.val_size", f"must be smaller than the {count} training "
                                "images available"))
    elif data.labeled is not None and data.labeled > count - carved:
        problems.append(Problem("data.labeled", f"must be at most {count - carved} "
                                f"(training images left after data.val_size={carved})"))
    if problems:
        raise PresetError("data", problems)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    val_rows, train_rows = order[:carved], order[carved:]
    if own_val:  # the dataset's own val split (a val/ folder): its rows follow the training rows
        val_rows = torch.arange(count, count + own_val)
    labeled_rows = train_rows if data.labeled is None else train_rows[:data.labeled]
    masked = torch.full_like(labels, UNLABELED)
    masked[labeled_rows] = labels[labeled_rows]
    masked[val_rows] = labels[val_rows]

    def move(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(device)

    return PreparedData(dataset, train_inputs(dataset, images, data, device), move(masked),
                        move(labels), move(train_rows.sort().values),
                        move(labeled_rows.sort().values), move(val_rows.sort().values),
                        move(normalize(dataset.test_images, dataset)),
                        move(dataset.test_labels))


def dataset_summary(data: PreparedData) -> dict[str, Any]:
    """The run summary's ``dataset`` block: what was trained on, in numbers people can check
    (split sizes, class names, input shape, the normalisation used, loading notes)."""
    dataset = data.dataset
    mean, std = normalization_of(dataset, 2)
    return {"name": dataset.name, "source": dataset.source,
            "train": int(data.train_rows.shape[0]), "val": int(data.val_rows.shape[0]),
            "labeled": int(data.labeled_rows.shape[0]), "test": int(data.test_inputs.shape[0]),
            "classes": list(dataset.classes), "input_shape": list(dataset.input_shape),
            "normalization": {"mean": mean.flatten().tolist(), "std": std.flatten().tolist()},
            "notes": list(dataset.notes),
            "streamed": isinstance(data.inputs, StreamedImages)}  # beyond memory_limit_mb
