"""Student suggestions: real parameter counts, near 1/10, 1/30, 1/100 of the teacher."""
from __future__ import annotations

import pytest

from workbench.core.models import build_model
from workbench.core.models.suggest import TOLERANCE, suggest_students


@pytest.mark.parametrize("shape, classes, families", [
    ((1, 28, 28), 10, {"cnn", "mlp"}),
    ((3, 32, 32), 100, {"cnn", "mlp"}),
    ((20,), 3, {"mlp"}),  # feature vectors: no convolution
])
def test_each_suggestion_has_its_real_count_near_its_ratio(
        shape: tuple[int, ...], classes: int, families: set[str]) -> None:
    teacher = 2_000_000
    suggestions = suggest_students(teacher, shape, classes)
    assert {item.architecture for item in suggestions} == families
    assert sorted({item.target for item in suggestions}) == [10, 30, 100]
    for item in suggestions:
        model = build_model(item.architecture, item.args, shape, classes)  # really built
        assert item.params == sum(parameter.numel() for parameter in model.parameters())
        assert item.ratio == pytest.approx(teacher / item.params)
        assert item.target / TOLERANCE <= item.ratio <= item.target * TOLERANCE


def test_the_nearest_width_is_chosen() -> None:
    """An MLP on 784 inputs, 10 classes: 795 parameters per hidden unit, plus 10."""
    [suggestion] = [item for item in suggest_students(795_010, (784,), 10, targets=(10,))]
    assert suggestion.args == {"hidden": [100]} and suggestion.params == 79_510


def test_a_teacher_already_small_for_its_input_gets_no_misleading_sizes() -> None:
    # the smallest MLP on 784 inputs (one hidden unit) already has 805 parameters
    assert suggest_students(5_000, (784,), 10) == []
    narrow = suggest_students(80_000, (784,), 10, targets=(100,))
    assert narrow and "narrower than the 10 classes" in narrow[0].note
