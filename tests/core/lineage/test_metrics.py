"""Every similarity metric on hand-made outputs with a known answer."""
from __future__ import annotations

import math

import pytest
import torch

from workbench.core.lineage import metrics
from workbench.core.lineage.metrics import METRIC_NAMES, pair_metrics

torch.set_num_threads(1)


def one_hot_logits(classes: list[int], num_classes: int = 3, scale: float = 20.0) -> torch.Tensor:
    """Confident logits that pick ``classes`` (one per row)."""
    return scale * torch.nn.functional.one_hot(torch.tensor(classes), num_classes).double()


@pytest.fixture
def teacher() -> torch.Tensor:
    return torch.randn(200, 10, generator=torch.Generator().manual_seed(0)) * 3


@pytest.fixture
def labels(teacher: torch.Tensor) -> torch.Tensor:
    truth = teacher.argmax(1).clone()
    truth[::5] = (truth[::5] + 1) % 10  # the teacher is wrong on every fifth image
    return truth


def test_identical_models_are_identical_by_every_metric(teacher, labels) -> None:
    values = pair_metrics(teacher.clone(), teacher, labels)
    assert values["agreement"] == 1.0
    assert values["error_agreement"] == 1.0
    for name in ("kl_t1", "js_t1", "kl_high", "js_high", "sac_distance"):
        assert values[name] == pytest.approx(0.0, abs=1e-12), name
    assert values["error_jaccard"] == 1.0
    assert values["error_kappa"] == pytest.approx(1.0)


def test_a_noisy_copy_drifts_away_as_the_noise_grows(teacher, labels) -> None:
    generator = torch.Generator().manual_seed(1)
    noise = torch.randn(teacher.shape, generator=generator)
    small, large = (pair_metrics(teacher + scale * noise, teacher, labels) for scale in (0.3, 3.0))
    for name in ("kl_t1", "js_t1", "kl_high", "js_high", "sac_distance"):
        assert 0 < small[name] < large[name], name
    for name in ("agreement", "error_agreement", "error_jaccard", "error_kappa"):
        assert large[name] < small[name] <= 1.0, name
    assert small["agreement"] > 0.8


def test_softening_brings_outputs_closer() -> None:
    teacher = torch.tensor([[4.0, 0.0, 0.0]])
    suspect = torch.tensor([[0.0, 4.0, 0.0]])
    assert metrics.mean_kl(suspect, teacher, 4.0) < metrics.mean_kl(suspect, teacher, 1.0)
    assert metrics.mean_js(suspect, teacher, 4.0) < metrics.mean_js(suspect, teacher, 1.0)


def test_kl_and_js_match_their_formulas_on_two_classes() -> None:
    teacher = torch.log(torch.tensor([[0.5, 0.5]]))
    suspect = torch.log(torch.tensor([[0.25, 0.75]]))
    expected_kl = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert metrics.mean_kl(suspect, teacher) == pytest.approx(expected_kl)
    middle = (0.375, 0.625)
    expected_js = 0.5 * sum(p * math.log(p / m) for p, m in zip((0.5, 0.5), middle)) \
        + 0.5 * sum(q * math.log(q / m) for q, m in zip((0.25, 0.75), middle))
    assert metrics.mean_js(suspect, teacher) == pytest.approx(expected_js)


def test_js_of_opposite_certainties_is_ln2_and_kl_is_not_symmetric() -> None:
    assert metrics.mean_js(one_hot_logits([1], 2, 60), one_hot_logits([0], 2, 60)) \
        == pytest.approx(math.log(2), rel=1e-6)
    teacher, suspect = torch.log(torch.tensor([[0.9, 0.1]])), torch.log(torch.tensor([[0.5, 0.5]]))
    assert metrics.mean_kl(suspect, teacher) != pytest.approx(metrics.mean_kl(teacher, suspect))


def test_disjoint_error_sets() -> None:
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    teacher_pick, suspect_pick = labels.tolist(), labels.tolist()
    teacher_pick[0], teacher_pick[1] = 1, 2  # teacher wrong on images 0 and 1
    suspect_pick[2], suspect_pick[3] = 0, 2  # suspect wrong on images 2 and 3
    teacher, suspect = one_hot_logits(teacher_pick), one_hot_logits(suspect_pick)
    assert metrics.error_jaccard(suspect, teacher, labels) == 0.0
    # both right on 6 of 10; accuracies 0.8 each: c_exp = 0.68, kappa = (0.6-0.68)/0.32
    assert metrics.error_kappa(suspect, teacher, labels) == pytest.approx(-0.25)
    assert metrics.error_agreement(suspect, teacher, labels) == 0.0
    assert metrics.top1_agreement(suspect, teacher) == pytest.approx(0.6)


def test_shared_errors_with_the_same_wrong_answers() -> None:
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    teacher = one_hot_logits([1, 1, 2, 0, 1, 0])  # wrong on 0 and 5
    suspect = one_hot_logits([1, 1, 2, 1, 1, 1])  # wrong on 0, 3 and 5; 0 the same way
    assert metrics.error_jaccard(suspect, teacher, labels) == pytest.approx(2 / 3)
    assert metrics.error_agreement(suspect, teacher, labels) == pytest.approx(0.5)


def test_undefined_metrics_are_nan_not_an_error() -> None:
    labels = torch.tensor([0, 1, 2])
    perfect = one_hot_logits([0, 1, 2])
    values = pair_metrics(perfect, perfect.clone(), labels)
    assert math.isnan(values["error_agreement"])  # the teacher makes no error
    assert math.isnan(values["sac_distance"])
    assert math.isnan(values["error_kappa"])  # both always right: nothing beyond chance
    assert values["error_jaccard"] == 1.0  # two empty error sets are the same set
    assert set(values) == set(METRIC_NAMES)


def test_sac_ignores_per_row_shifts_but_sees_a_changed_pattern(teacher, labels) -> None:
    shift = torch.randn(teacher.shape[0], 1, generator=torch.Generator().manual_seed(3)) * 5
    shifted = teacher.double() + shift  # log-probabilities vs logits of one model
    assert metrics.sac_distance(shifted, teacher.double(), labels) == pytest.approx(0.0, abs=1e-9)
    unrelated = torch.randn(teacher.shape, generator=torch.Generator().manual_seed(2)) * 3
    assert metrics.sac_distance(unrelated, teacher, labels) > 0.05


def test_sac_matrix_is_zero_on_the_diagonal_and_at_most_one() -> None:
    matrix = metrics.output_correlation(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0],
                                                      [1.0, 0.0, 0.0]]))
    assert torch.allclose(matrix.diagonal(), torch.zeros(3, dtype=matrix.dtype), atol=1e-12)
    assert matrix[0, 2] == pytest.approx(0.0, abs=1e-12)
    assert 0.0 <= float(matrix.min()) and float(matrix.max()) <= 1.0
    assert matrix[0, 1] > 0.5  # opposite centred directions


def test_mismatched_outputs_are_refused() -> None:
    with pytest.raises(ValueError, match="rows, classes"):
        pair_metrics(torch.zeros(4, 3), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
