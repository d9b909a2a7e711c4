"""The width and depth chosen for a suggested student: the nearest count wins from either
side, and a CNN has as many blocks as bring the image to about 7 pixels a side."""
from __future__ import annotations

import pytest

from workbench.core.models.suggest import suggest_students


def test_the_width_just_below_the_budget_wins_when_it_is_nearer() -> None:
    """An MLP on 784 inputs, 10 classes has 795 parameters per hidden unit, plus 10: a
    budget of 78,716 lies 1 above 99 units (78,715) and 794 below 100 (79,510)."""
    [suggestion] = suggest_students(787_160, (784,), 10, targets=(10,))
    assert suggestion.args == {"hidden": [99]} and suggestion.params == 78_715


@pytest.mark.parametrize("side, blocks", [(28, 2), (32, 3), (14, 1), (224, 4)])
def test_a_cnn_has_blocks_until_about_seven_pixels_a_side(side: int, blocks: int) -> None:
    [cnn] = [item for item in suggest_students(2_000_000, (1, side, side), 10, targets=(30,))
             if item.architecture == "cnn"]
    channels = cnn.args["channels"]
    assert len(channels) == blocks
    assert channels == [channels[0] * 2**block for block in range(blocks)]


def test_images_smaller_than_four_pixels_get_only_mlps() -> None:
    assert {item.architecture for item in suggest_students(200_000, (1, 3, 3), 10)} == {"mlp"}
    assert "cnn" in {item.architecture for item in suggest_students(200_000, (1, 4, 4), 10)}
