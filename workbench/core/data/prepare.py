"""Turn a dataset and a preset's data section into the tensors the engine trains on."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from workbench.core.data.dataset import ImageDataset, normalize
from workbench.core.data.registry import DATASETS
from workbench.core.data.batches import UNLABELED
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
    root = Path(data.root).expanduser() if data.root else None
    return DATASETS.get(data.dataset).factory(root, data.seed, data.download)


def prepare(dataset: ImageDataset, data: Section, seed: int,
            device: torch.device) -> PreparedData:
    """Split train into train/val by ``seed`` and keep labels for ``data.labeled`` images."""
    if dataset.test_images.shape[0] == 0:  # accuracy would be 0/0: NaN in every report
        raise DataError(f"dataset '{dataset.name}' ({dataset.source}) has no test images: "
                        "accuracy cannot be measured; add test images to it")
    images, labels = dataset.train_images, dataset.train_labels
    if data.train_limit is not None:
        images, labels = images[:data.train_limit], labels[:data.train_limit]
    count = images.shape[0]
    problems = []
    if data.val_size >= count:
        problems.append(Problem("data.val_size", f"must be smaller than the {count} training "
                                "images available"))
    elif data.labeled is not None and data.labeled > count - data.val_size:
        problems.append(Problem("data.labeled", f"must be at most {count - data.val_size} "
                                f"(training images left after data.val_size={data.val_size})"))
    if problems:
        raise PresetError("data", problems)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    val_rows, train_rows = order[:data.val_size], order[data.val_size:]
    labeled_rows = train_rows if data.labeled is None else train_rows[:data.labeled]
    masked = torch.full_like(labels, UNLABELED)
    masked[labeled_rows] = labels[labeled_rows]
    masked[val_rows] = labels[val_rows]

    def move(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(device)

    return PreparedData(dataset, move(normalize(images, dataset.name)), move(masked),
                        move(labels), move(train_rows.sort().values),
                        move(labeled_rows.sort().values), move(val_rows.sort().values),
                        move(normalize(dataset.test_images, dataset.name)),
                        move(dataset.test_labels))
