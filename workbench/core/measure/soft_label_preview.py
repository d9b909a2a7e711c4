"""Soft-label preview: a teacher's class probabilities for one test image at any temperature.

The expensive part (loading the dataset and the teacher, one forward pass) is
done once per sample; a new temperature only needs ``softmax_at`` on the cached
logits, which is plain numpy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from workbench.core.measure.machine import torch_threads
from workbench.core.data.dataset import normalize
from workbench.core.data.prepare import load_dataset
from workbench.core.measure.teacher_probe import teacher_module
from workbench.core.presets.model import ModelPreset
from workbench.core.config.section import Section


@dataclass(frozen=True)
class PreviewSample:
    """One test image with the teacher's logits for it."""

    index: int
    image: np.ndarray | None  # H x W (grayscale) or C x H x W (colour) uint8; None: vectors
    label: int
    classes: tuple[str, ...]
    logits: np.ndarray  # (num_classes,), float64

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.logits))


def shown_image(raw: torch.Tensor) -> np.ndarray | None:
    """What the preview draws: H x W for one channel, C x H x W for colour (uint8; float
    images stretched to 0..255), None for feature vectors (nothing to draw)."""
    if raw.dim() != 3:
        return None
    if raw.dtype != torch.uint8:
        low, high = float(raw.min()), float(raw.max())
        raw = ((raw - low) * (255.0 / (high - low) if high > low else 0.0)).round()
        raw = raw.clamp(0, 255).to(torch.uint8)
    return (raw[0] if raw.shape[0] == 1 else raw).numpy().copy()


def softmax_at(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(logits / T)``, numerically stable."""
    scaled = np.asarray(logits, dtype=np.float64) / float(temperature)
    scaled -= scaled.max()
    weights = np.exp(scaled)
    return weights / weights.sum()


def can_preview(teacher: ModelPreset) -> bool:
    """Only a teacher with weights has soft labels worth showing before a run."""
    return teacher.weights is not None and teacher.architecture != "outputs"


class TeacherPreview:
    """A trained teacher and its dataset's test split, loaded once.

    Args:
        teacher: a model preset with weights.
        data: the experiment's data section (which dataset, where).
        threads: torch threads for this work; 1 keeps a GUI thread from starting
            an OpenMP pool that would fight the training thread for cores.
    """

    def __init__(self, teacher: ModelPreset, data: Section, threads: int = 1) -> None:
        if teacher.weights is None:
            raise ValueError("the teacher has no weights to preview")
        self.threads = threads
        with torch_threads(threads):
            self.dataset = load_dataset(data)
            model = teacher_module(teacher, self.dataset.input_shape,  # ONNX, TorchScript too
                                   self.dataset.num_classes)
        if model is None:
            raise ValueError("recorded outputs have no model to preview")
        self.model = model.eval()

    @property
    def count(self) -> int:
        return int(self.dataset.test_images.shape[0])

    def hard_index(self, start: int, pool: int = 256) -> int:
        """The test image, of ``pool`` from ``start`` on, that the teacher is least sure of
        (highest entropy at T = 1): where soft labels carry the most."""
        indices = [(start + offset) % self.count for offset in range(min(pool, self.count))]
        raw = self.dataset.test_images[indices]
        with torch_threads(self.threads), torch.inference_mode():
            probabilities = torch.softmax(self.model(normalize(raw, self.dataset)).double(),
                                          dim=1)
        entropy = -(probabilities * probabilities.clamp_min(1e-12).log()).sum(dim=1)
        return indices[int(entropy.argmax())]

    def sample(self, index: int) -> PreviewSample:
        """The teacher's logits for test image ``index`` (wrapped around the split)."""
        index %= self.count
        raw = self.dataset.test_images[index:index + 1]
        with torch_threads(self.threads), torch.inference_mode():
            logits = self.model(normalize(raw, self.dataset))[0]
        return PreviewSample(index, shown_image(raw[0]),
                             int(self.dataset.test_labels[index]), self.dataset.classes,
                             logits.double().numpy().copy())
