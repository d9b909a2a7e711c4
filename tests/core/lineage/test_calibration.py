"""Calibration, verdicts and ROC on hand-made metric values with known answers."""
from __future__ import annotations

import math
import random

import pytest

from workbench.core.lineage.calibration import (fit_calibration, held_out_scores,
                                                usable_metrics)
from workbench.core.lineage.detection import judge
from workbench.core.lineage.evaluation import (Measured, any_direction_auc, areas,
                                               score_defended, score_held_out)
from workbench.core.lineage.metrics import METRIC_NAMES
from workbench.core.lineage.probe import LineageError
from workbench.core.lineage.roc import roc_auc, roc_curve
from workbench.core.lineage.verdict import INCONCLUSIVE, LEARNED, NO_EVIDENCE, decide


def values(agreement: float, kl_high: float) -> dict[str, float]:
    return {"agreement": agreement, "kl_high": kl_high}


REFERENCES = [values(0.90, 0.30), values(0.91, 0.32), values(0.89, 0.28), values(0.90, 0.31),
              values(0.92, 0.29)]
# Distilled at alpha = 0.3: much closer at high T, yet a little *less* top-1 agreement.
DISTILLED = [values(0.885, 0.10), values(0.88, 0.12), values(0.884, 0.11)]


def test_z_scores_are_against_the_references() -> None:
    calibration = fit_calibration(("agreement", "kl_high"), REFERENCES)
    assert calibration.reference_mean["agreement"] == pytest.approx(0.904)
    z = calibration.z_scores(values(0.904, 0.30))
    assert z["agreement"] == pytest.approx(0.0)
    spread = calibration.reference_std["kl_high"]
    assert calibration.z_scores(values(0.9, 0.30 - 2 * spread))["kl_high"] == pytest.approx(-2)


def test_directions_are_learned_not_assumed() -> None:
    calibration = fit_calibration(("agreement", "kl_high"), REFERENCES, DISTILLED)
    assert calibration.directed
    assert calibration.weights["kl_high"] < 0  # lower KL means distilled
    assert calibration.weights["agreement"] < 0  # so does *lower* agreement, here
    suspect = values(0.882, 0.11)
    assert calibration.score(suspect) > max(calibration.score(r) for r in REFERENCES)
    assert all(value > 0 for value in calibration.oriented(suspect).values())


def test_without_known_students_any_departure_counts() -> None:
    calibration = fit_calibration(("agreement", "kl_high"), REFERENCES)
    assert not calibration.directed
    typical, odd = values(0.904, 0.30), values(0.904, 0.10)
    assert calibration.score(typical) == pytest.approx(0.0)
    assert calibration.score(odd) > 5


def test_too_few_references_are_refused_with_a_fix() -> None:
    with pytest.raises(LineageError, match="--train-references"):
        fit_calibration(("agreement",), REFERENCES[:1])


def test_held_out_scores_never_see_the_model_they_score() -> None:
    metrics = ("agreement", "kl_high")
    outlier = values(0.90, 0.60)
    references = REFERENCES + [outlier]
    in_sample = fit_calibration(metrics, references).score(outlier)
    held_out = held_out_scores(metrics, references, references, (), True)[-1]
    assert held_out > in_sample  # judged by the others, the outlier stands out more
    assert held_out_scores(metrics, DISTILLED[:1], REFERENCES, DISTILLED[:1], False) == []


def test_undefined_metrics_are_left_out() -> None:
    suspect = {"agreement": 0.9, "kl_high": math.nan}
    assert usable_metrics(("agreement", "kl_high"), [suspect], REFERENCES) == ("agreement",)


def test_decision_uses_the_false_positive_level() -> None:
    null = [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert decide(10.0, null).verdict == LEARNED
    assert decide(10.0, null).p_empirical == pytest.approx(1 / 6)
    typical = decide(0.2, null)
    assert typical.verdict == NO_EVIDENCE and typical.p_gaussian > 0.3
    assert typical.p_empirical == pytest.approx(3 / 6)
    assert decide(1.5, null, level=0.2).learned and not decide(1.5, null, level=0.01).learned
    assert decide(1.0, [0.0]).verdict == INCONCLUSIVE


def test_judge_finds_the_distilled_suspect_and_clears_an_independent_one() -> None:
    full = {name: 0.5 for name in METRIC_NAMES}
    references = [full | r for r in REFERENCES]
    distilled = [full | d for d in DISTILLED]
    guilty = judge(full | values(0.883, 0.11), references, distilled)
    assert guilty.decision.verdict == LEARNED and guilty.directed
    innocent = judge(full | values(0.905, 0.30), references, distilled)
    assert innocent.decision.verdict == NO_EVIDENCE
    # constant metrics carry no information but do no harm
    assert {reading.name for reading in guilty.readings} == set(METRIC_NAMES)


def test_roc_auc_known_values() -> None:
    assert roc_auc([0, 1, 2], [3, 4]) == 1.0
    assert roc_auc([3, 4], [0, 1]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5
    assert roc_auc([0, 2], [1, 3]) == pytest.approx(0.75)
    curve = roc_curve([0, 2], [1, 3])
    assert curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0)
    assert (0.0, 0.5) in curve and (0.5, 1.0) in curve


def test_leave_one_out_auc_separates_and_defense_lowers_it() -> None:
    rng = random.Random(0)

    def measured(kind: str, count: int, kl_center: float) -> list[Measured]:
        return [Measured(i, 0.88, {name: rng.gauss(0.5, 0.01) for name in METRIC_NAMES}
                         | {"kl_high": rng.gauss(kl_center, 0.02)}) for i in range(count)]

    distilled, independent = measured("d", 6, 0.10), measured("i", 6, 0.30)
    metrics, scored = score_held_out(distilled, independent)
    auc, roc = areas(metrics, scored)
    assert auc["combined"] == 1.0 and auc["kl_high"] == 1.0
    assert all(0.0 <= value <= 1.0 for value in auc.values())
    assert len(scored) == 12 and roc["combined"][-1] == (1.0, 1.0)
    hidden = measured("h", 6, 0.30)  # the defense made them look independent
    metrics, scored = score_defended(hidden, distilled, independent)
    assert areas(metrics, scored)[0]["combined"] < 0.9
    assert any_direction_auc(hidden, independent) < 0.9
    overshoot = measured("o", 6, 0.60)  # pushed past the independents, the other way
    metrics, scored = score_defended(overshoot, distilled, independent)
    assert areas(metrics, scored)[0]["combined"] == 0.0  # the learned direction is fooled
    assert any_direction_auc(overshoot, independent) == 1.0  # "unlike independents" is not
