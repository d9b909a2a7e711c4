"""A classification dataset held in memory, as loaded from its source: images or vectors."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class ImageDataset:
    """Raw inputs and labels, with the test split.

    Inputs are images (uint8 N x C x H x W, or float32 already on their own scale) or
    feature vectors (float32 N x F: tabular data).

    Args:
        name: registry name (``fashion-mnist``...).
        classes: human-readable class names, index = label.
        source: where it was read from, for run metadata.
        mean / std: normalisation per channel (images; uint8 on the [0, 1] scale) or per
            feature (vectors), from the training split; empty: the fixed table by name.
        notes: what people should know about the loading (files skipped), reported by runs.
        val_count: the last ``val_count`` rows of the train tensors are the dataset's own
            validation split (a ``val/`` folder); 0: carved from train by ``data.val_size``.
    """

    name: str
    classes: tuple[str, ...]
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    notes: tuple[str, ...] = ()
    val_count: int = 0  # the last val_count training rows are the dataset's own val split
    _fingerprint: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape: (C, H, W) for images, (F,) for feature vectors."""
        return tuple(self.train_images.shape[1:])

    @property
    def is_features(self) -> bool:
        """Whether the inputs are feature vectors (N x F), not images."""
        return self.train_images.dim() == 2

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
FALLBACK = (0.2, 0.3)  # datasets without their own numbers (the synthetic shapes)


def scaled(inputs: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float on [0, 1]; float inputs as they are."""
    return inputs.float() / 255.0 if inputs.dtype == torch.uint8 else inputs.float()


def normalization_of(dataset: ImageDataset | str, rank: int = 4
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std) shaped to broadcast over a batch of ``rank`` dimensions."""
    if isinstance(dataset, ImageDataset) and dataset.mean:
        mean = torch.tensor(dataset.mean, dtype=torch.float32)
        std = torch.tensor(dataset.std, dtype=torch.float32)
    else:
        name = dataset if isinstance(dataset, str) else dataset.name
        pair = NORMALIZATION.get(name, FALLBACK)
        mean, std = torch.tensor([pair[0]]), torch.tensor([pair[1]])
    shape = (1, -1) + (1,) * max(rank - 2, 0)  # channels (or features) on dimension 1
    return mean.view(shape), std.view(shape)


def normalize(images: torch.Tensor, dataset: ImageDataset | str) -> torch.Tensor:
    """Raw inputs -> float, standardised with the dataset's mean and std.

    ``dataset`` by name: the fixed table (Fashion-MNIST and MNIST keep their published
    numbers, so existing results do not move); as an ImageDataset: its own numbers.
    """
    mean, std = normalization_of(dataset, images.dim())
    return (scaled(images) - mean) / std


def channel_statistics(inputs: torch.Tensor, chunk: int = 4096
                       ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and std per channel (N x C x H x W) or per feature (N x F) of ``inputs`` scaled
    as ``normalize`` scales them; a constant channel gets std 1 (no division by zero).

    Summed in float64 a chunk at a time, so a large uint8 set is never copied whole."""
    dims = [0] + list(range(2, inputs.dim()))
    total = squares = torch.zeros(inputs.shape[1], dtype=torch.float64)
    for start in range(0, inputs.shape[0], chunk):
        part = scaled(inputs[start:start + chunk]).double()
        total = total + part.sum(dim=dims)
        squares = squares + (part * part).sum(dim=dims)
    count = max(inputs.numel() // max(inputs.shape[1], 1), 1)
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(0).sqrt()
    std = torch.where(std > 1e-6, std, torch.ones_like(std))
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)
