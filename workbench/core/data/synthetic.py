"""Procedural 28x28 shapes in 10 classes: needs no files, same images for the same seed.

Classes are drawn so that some pairs look alike (a bar and a cross, a disk and a
ring), which gives a teacher "dark knowledge" worth distilling.
"""
from __future__ import annotations

import torch

from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset
from workbench.core.data.registry import DATASETS

CLASSES = ("horizontal bar", "vertical bar", "diagonal \\", "diagonal /", "square",
           "frame", "disk", "ring", "plus", "cross")
SIZE = 28
TRAIN_COUNT = 8000
TEST_COUNT = 2000


def _draw(labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    count = labels.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return (torch.rand(count, 1, 1, generator=generator) * (high - low) + low)

    axis = torch.arange(SIZE, dtype=torch.float32)
    ys, xs = axis.view(1, SIZE, 1), axis.view(1, 1, SIZE)
    dx, dy = xs - (13.5 + uniform(-4, 4)), ys - (13.5 + uniform(-4, 4))
    radius, thickness = uniform(5, 10), uniform(1.2, 2.6)
    half_bar = uniform(6, 11)
    shapes = {
        0: (dy.abs() < thickness) & (dx.abs() < half_bar),
        1: (dx.abs() < thickness) & (dy.abs() < half_bar),
        2: ((dx - dy).abs() < thickness * 1.4) & (dx.abs() < half_bar * 0.8),
        3: ((dx + dy).abs() < thickness * 1.4) & (dx.abs() < half_bar * 0.8),
        4: (dx.abs() < radius * 0.8) & (dy.abs() < radius * 0.8),
        5: ((torch.maximum(dx.abs(), dy.abs()) - radius * 0.8).abs() < thickness),
        6: (dx ** 2 + dy ** 2).sqrt() < radius,
        7: ((dx ** 2 + dy ** 2).sqrt() - radius).abs() < thickness,
        8: ((dy.abs() < thickness) | (dx.abs() < thickness)) & (dx.abs() < half_bar)
           & (dy.abs() < half_bar),
        9: (((dx - dy).abs() < thickness * 1.4) | ((dx + dy).abs() < thickness * 1.4))
           & (dx.abs() < half_bar * 0.8) & (dy.abs() < half_bar * 0.8),
    }
    images = torch.zeros(count, SIZE, SIZE)
    for label, mask in shapes.items():
        chosen = (labels == label).view(count, 1, 1)
        images = torch.where(chosen & mask, torch.ones(()), images)
    images = images * uniform(0.35, 1.0)
    images = images + torch.randn(count, SIZE, SIZE, generator=generator) * 0.3
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).unsqueeze(1)


def make_synthetic(seed: int, train_count: int = TRAIN_COUNT,
                   test_count: int = TEST_COUNT) -> ImageDataset:
    generator = torch.Generator().manual_seed(seed)
    train_labels = torch.randint(0, len(CLASSES), (train_count,), generator=generator)
    test_labels = torch.randint(0, len(CLASSES), (test_count,), generator=generator)
    return ImageDataset("synthetic", CLASSES, _draw(train_labels, generator), train_labels,
                        _draw(test_labels, generator), test_labels,
                        source=f"procedural (seed {seed})")


@DATASETS.register("synthetic", help="procedural 28x28 shapes, 10 classes, no files needed")
def load_synthetic(data: Section) -> ImageDataset:
    return make_synthetic(data.seed)
