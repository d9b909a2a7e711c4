"""How alike two models' outputs are on the same images: pure functions of logits.

Each metric compares a suspect with a teacher on one probe set. None of them means
"distilled" by itself: independent models trained on the same data agree a lot too
(Szyller et al. 2023), so ``calibration`` judges every value against reference models.
Metrics return NaN where they are undefined (a teacher without errors has no error
set to compare); calibration leaves such a metric out and says so.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

HIGH_TEMPERATURE = 4.0
SAC_MAX_ROWS = 1000  # the correlation matrix is rows x rows; 1,000 rows keep it ~4 MB


@dataclass(frozen=True)
class MetricInfo:
    """What a metric measures, for tables, plots and help text."""

    name: str
    label: str
    help: str


METRICS = (
    MetricInfo("agreement", "top-1 agreement", "share of probe images where the suspect's "
               "top class is the teacher's"),
    MetricInfo("error_agreement", "agreement on teacher errors", "the same share, only on "
               "the images the teacher gets wrong"),
    MetricInfo("kl_t1", "KL at T=1", "mean KL(teacher || suspect) of the softmax outputs"),
    MetricInfo("js_t1", "JS at T=1", "mean Jensen-Shannon divergence of the softmax outputs"),
    MetricInfo("kl_high", "KL at high T", "mean KL(teacher || suspect) after softening "
               "both by the high temperature"),
    MetricInfo("js_high", "JS at high T", "mean Jensen-Shannon divergence at the high "
               "temperature"),
    MetricInfo("error_jaccard", "Jaccard of errors", "shared errors / images either gets "
               "wrong"),
    MetricInfo("error_kappa", "error consistency kappa", "Geirhos et al. 2020: agreement on "
               "which images are wrong, beyond what the two accuracies explain"),
    MetricInfo("sac_distance", "SAC correlation distance", "Guan et al. 2022: mean |C_s - "
               "C_t| of the pairwise output-correlation matrices on the teacher's errors"),
)
METRIC_NAMES = tuple(info.name for info in METRICS)


def top1_agreement(suspect: torch.Tensor, teacher: torch.Tensor) -> float:
    """Share of rows where both logits have the same arg-max."""
    return _mean_bool(suspect.argmax(1) == teacher.argmax(1))


def error_agreement(suspect: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 agreement on the rows the teacher gets wrong (NaN if it gets none wrong)."""
    wrong = teacher.argmax(1) != labels
    return _mean_bool(suspect.argmax(1)[wrong] == teacher.argmax(1)[wrong])


def mean_kl(suspect: torch.Tensor, teacher: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean over rows of KL(softmax(teacher / T) || softmax(suspect / T)), in nats."""
    teacher_log = F.log_softmax(teacher.double() / temperature, dim=1)
    suspect_log = F.log_softmax(suspect.double() / temperature, dim=1)
    return _kl_rows(teacher_log, suspect_log).mean().item()


def mean_js(suspect: torch.Tensor, teacher: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean Jensen-Shannon divergence (nats, at most ln 2) of the softened outputs."""
    teacher_log = F.log_softmax(teacher.double() / temperature, dim=1)
    suspect_log = F.log_softmax(suspect.double() / temperature, dim=1)
    middle_log = (0.5 * (teacher_log.exp() + suspect_log.exp())).clamp_min(1e-300).log()
    js = 0.5 * _kl_rows(teacher_log, middle_log) + 0.5 * _kl_rows(suspect_log, middle_log)
    return js.clamp_min(0.0).mean().item()


def error_jaccard(suspect: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor) -> float:
    """|E_s ∩ E_t| / |E_s ∪ E_t| of the two sets of misclassified rows (1 if both are empty)."""
    suspect_wrong, teacher_wrong = suspect.argmax(1) != labels, teacher.argmax(1) != labels
    union = int((suspect_wrong | teacher_wrong).sum())
    return 1.0 if union == 0 else int((suspect_wrong & teacher_wrong).sum()) / union


def error_kappa(suspect: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor) -> float:
    """Error consistency (Geirhos et al. 2020): (c_obs - c_exp) / (1 - c_exp).

    ``c_obs`` is the share of rows both get right or both get wrong; ``c_exp`` is what
    two independent models with these accuracies would reach, p_s p_t + (1-p_s)(1-p_t).
    NaN when c_exp = 1 (both always right, or both always wrong): nothing is left to explain.
    """
    suspect_right, teacher_right = suspect.argmax(1) == labels, teacher.argmax(1) == labels
    observed = _mean_bool(suspect_right == teacher_right)
    p_suspect, p_teacher = _mean_bool(suspect_right), _mean_bool(teacher_right)
    expected = p_suspect * p_teacher + (1 - p_suspect) * (1 - p_teacher)
    return math.nan if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def output_correlation(logits: torch.Tensor) -> torch.Tensor:
    """SAC's matrix: (1 - cos(o_i, o_j)) / 2 for every pair of rows.

    Logits are centred per row first, so logits and log-probabilities of the same
    model (which differ by a per-row constant) give the same matrix.
    """
    centred = logits.double() - logits.double().mean(dim=1, keepdim=True)
    unit = F.normalize(centred, dim=1)
    return ((1.0 - unit @ unit.T) / 2.0).clamp(0.0, 1.0)


def sac_distance(suspect: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor,
                 max_rows: int = SAC_MAX_ROWS) -> float:
    """Mean |C_suspect - C_teacher| on the teacher's misclassified rows (SAC-w).

    Uses the first ``max_rows`` such rows; NaN with fewer than two.
    """
    wrong = (teacher.argmax(1) != labels).nonzero().flatten()[:max_rows]
    if wrong.numel() < 2:
        return math.nan
    difference = output_correlation(suspect[wrong]) - output_correlation(teacher[wrong])
    return difference.abs().mean().item()


def pair_metrics(suspect: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor,
                 high_temperature: float = HIGH_TEMPERATURE) -> dict[str, float]:
    """Every metric of METRICS for one suspect against the teacher, by name."""
    _check_shapes(suspect, teacher, labels)
    measures: dict[str, Callable[[], float]] = {
        "agreement": lambda: top1_agreement(suspect, teacher),
        "error_agreement": lambda: error_agreement(suspect, teacher, labels),
        "kl_t1": lambda: mean_kl(suspect, teacher, 1.0),
        "js_t1": lambda: mean_js(suspect, teacher, 1.0),
        "kl_high": lambda: mean_kl(suspect, teacher, high_temperature),
        "js_high": lambda: mean_js(suspect, teacher, high_temperature),
        "error_jaccard": lambda: error_jaccard(suspect, teacher, labels),
        "error_kappa": lambda: error_kappa(suspect, teacher, labels),
        "sac_distance": lambda: sac_distance(suspect, teacher, labels),
    }
    return {name: float(measures[name]()) for name in METRIC_NAMES}


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return _mean_bool(logits.argmax(1) == labels)


def _kl_rows(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    return (log_p.exp() * (log_p - log_q)).sum(dim=1)


def _mean_bool(values: torch.Tensor) -> float:
    return math.nan if values.numel() == 0 else values.double().mean().item()


def _check_shapes(suspect: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor) -> None:
    if suspect.shape != teacher.shape or suspect.ndim != 2 or labels.shape != suspect.shape[:1]:
        raise ValueError(f"outputs of shape {tuple(suspect.shape)} and {tuple(teacher.shape)} "
                         f"with {tuple(labels.shape)} labels: expected two (rows, classes) "
                         "tensors and one label per row")
