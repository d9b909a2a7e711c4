"""The soft-label preview draws what the dataset holds: gray, colour, or nothing."""
from __future__ import annotations

import torch

from workbench.core.measure.soft_label_preview import shown_image


def test_gray_colour_float_and_vector_inputs() -> None:
    gray = torch.arange(12, dtype=torch.uint8).view(1, 3, 4)
    assert shown_image(gray).shape == (3, 4)  # H x W, as before for Fashion-MNIST
    colour = torch.arange(36, dtype=torch.uint8).view(3, 3, 4)
    assert shown_image(colour).tolist() == colour.tolist()  # every channel, not red alone
    floats = torch.tensor([[[-1.0, 0.0], [0.5, 1.0]]])
    assert shown_image(floats).tolist() == [[0, 128], [191, 255]]  # stretched to 0..255
    assert shown_image(torch.zeros(5)) is None  # a feature vector: nothing to draw
