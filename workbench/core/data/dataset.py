"""An image classification dataset held in memory, as loaded from its source."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class ImageDataset:
    """Raw images (uint8, N x C x H x W) and labels, with the official test split.

    Args:
        name: registry name (``fashion-mnist``...).
        classes: human-readable class names, index = label.
        source: where it was read from, for run metadata.
    """

    name: str
    classes: tuple[str, ...]
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str
    _fingerprint: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_images.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def fingerprint(self) -> str:
        """sha256 of the images and labels: keys caches of teacher outputs."""
        if not self._fingerprint:
            digest = hashlib.sha256(self.name.encode())
            for tensor in (self.train_images, self.train_labels, self.test_images,
                           self.test_labels):
                digest.update(tensor.contiguous().numpy().tobytes())
            self._fingerprint.append(digest.hexdigest())
        return self._fingerprint[0]


NORMALIZATION = {"fashion-mnist": (0.2860, 0.3530), "mnist": (0.1307, 0.3081)}


def normalize(images: torch.Tensor, dataset_name: str) -> torch.Tensor:
    """uint8 images -> float, standardised with the dataset's fixed mean and std."""
    mean, std = NORMALIZATION.get(dataset_name, (0.2, 0.3))
    return (images.float() / 255.0 - mean) / std
