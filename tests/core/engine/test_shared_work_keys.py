"""A shared fit's key changes with every input that decides the fit, and a record that is
not a fit is never trusted. Whole runs (tests/core/engine/test_shared_work.py) change
several inputs at once; here each one is changed alone."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from workbench.core.data.batches import TrainSet
from workbench.core.engine.shared_work import (TEACHER_FIGURE_KEYS, SharedWork, fit_key,
                                               teacher_figures_key)


def _linear(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(4, 3)


def _inputs(**changes: Any) -> dict[str, Any]:
    """The arguments of ``fit_key`` for a small fit, with ``changes`` applied."""
    labels = torch.arange(10) % 3
    inputs = {"phases": ["baseline"], "models": [_linear()],
              "random": [torch.arange(8, dtype=torch.uint8)],
              "spec": {"recipe": {"lr": 0.1}, "seed": 0, "threads": 1, "device": "cpu"},
              "train_set": TrainSet(torch.zeros(10, 4), labels, torch.arange(6)),
              "val_rows": torch.arange(6, 10),
              "data": {"fingerprint": "synthetic-0", "section": {"labeled": None}}}
    inputs.update(changes)
    return inputs


LABELS = torch.arange(10) % 3
CHANGES = {
    "initial weights": {"models": [_linear(seed=1)]},
    "random stream": {"random": [torch.arange(1, 9, dtype=torch.uint8)]},
    "training rows": {"train_set": TrainSet(torch.zeros(10, 4), LABELS, torch.arange(1, 7))},
    "labels": {"train_set": TrainSet(torch.zeros(10, 4), (LABELS + 1) % 3, torch.arange(6))},
    "per-row targets": {"train_set": TrainSet(torch.zeros(10, 4), LABELS, torch.arange(6),
                                              {"teacher": torch.ones(10, 3)})},
    "validation rows": {"val_rows": torch.arange(5, 9)},
    "recipe": {"spec": {"recipe": {"lr": 0.2}, "seed": 0, "threads": 1, "device": "cpu"}},
    "thread count": {"spec": {"recipe": {"lr": 0.1}, "seed": 0, "threads": 2, "device": "cpu"}},
    "dataset": {"data": {"fingerprint": "synthetic-1", "section": {"labeled": None}}},
    "phase": {"phases": ["student"]},
}


def test_the_same_inputs_give_the_same_key() -> None:
    assert fit_key(**_inputs()) == fit_key(**_inputs())  # a fresh, equal model: same key


@pytest.mark.parametrize("what", sorted(CHANGES))
def test_each_input_of_a_fit_alone_changes_its_key(what: str) -> None:
    assert fit_key(**_inputs(**CHANGES[what])) != fit_key(**_inputs()), what


def test_per_row_targets_of_equal_names_but_other_values_change_the_key() -> None:
    def with_targets(value: float) -> str:
        train = TrainSet(torch.zeros(10, 4), LABELS, torch.arange(6),
                         {"teacher": torch.full((10, 3), value)})
        return fit_key(**_inputs(train_set=train))

    assert with_targets(1.0) != with_targets(2.0)


def test_a_record_that_is_not_a_whole_fit_is_not_trusted(tmp_path: Path) -> None:
    shared = SharedWork(tmp_path)
    shared.keep_fit("good", ["baseline"], [_linear()], [{"seconds": 1.0}],
                    [torch.arange(3, dtype=torch.uint8)])
    record = shared.find_fit("good")
    assert record is not None and record["phases"] == ["baseline"]
    assert torch.equal(record["models"][0]["weight"], _linear().weight.detach())
    torch.save({"phases": ["baseline"], "models": []}, tmp_path / "fit-partial.pt")
    torch.save({"phases": [], "models": {}, "results": [], "random": []},
               tmp_path / "fit-foreign.pt")
    (tmp_path / "fit-torn.pt").write_bytes(b"not a torch file")
    assert [shared.find_fit(key) for key in ("partial", "foreign", "torn", "absent")] == [None] * 4


def test_teacher_figures_with_unknown_fields_are_measured_again(tmp_path: Path) -> None:
    shared = SharedWork(tmp_path)
    shared.keep_teacher_figures("k", {"latency_ms": 2.5, "accuracy": 0.9}, "run-1")
    stored = shared.find_teacher_figures("k")
    assert stored is not None and stored["latency_ms"] == 2.5 and stored["run_id"] == "run-1"
    assert "accuracy" not in stored  # accuracy is each run's own
    path = tmp_path / "teacher-figures-k.json"
    path.write_text(json.dumps({**stored, "accuracy": 0.9}), encoding="utf-8")
    assert shared.find_teacher_figures("k") is None
    assert set(TEACHER_FIGURE_KEYS) >= {"latency_ms", "throughput", "energy_per_1k_j"}


@pytest.mark.parametrize("what", ["weights", "preset", "input_shape", "compare", "device"])
def test_each_input_of_the_teacher_figures_changes_their_key(what: str) -> None:
    base = {"teacher": _linear(), "preset": {"name": "t"}, "input_shape": (4,),
            "compare": {"threads": 1}, "device": "cpu"}
    other = {"weights": {"teacher": _linear(seed=1)}, "preset": {"preset": {"name": "u"}},
             "input_shape": {"input_shape": (5,)}, "compare": {"compare": {"threads": 2}},
             "device": {"device": "cuda"}}[what]
    assert teacher_figures_key(**{**base, **other}) != teacher_figures_key(**base)
    assert teacher_figures_key(**base) == teacher_figures_key(**{**base, "teacher": _linear()})


def test_another_thread_count_or_views_train_their_own_baseline(tmp_path: Path) -> None:
    """Another thread count sums in another order; views change the images a baseline sees
    (not its rows or labels, so only the views setting in the key tells them apart)."""
    from tests.core.engine.test_shared_work import _baseline_origin, _run

    shared = SharedWork(tmp_path / "shared")
    first = _run(tmp_path / "a", shared)[0]
    assert "shared" in str(_baseline_origin(_run(tmp_path / "b", shared, "distill.alpha=0.2")[1]))
    assert _baseline_origin(_run(tmp_path / "c", shared, "train.threads=2")[1]) is None
    views, events, _dir = _run(tmp_path / "d", shared, "distill.views=2")
    assert _baseline_origin(events) is None
    # views do not reach the teacher (trained on its own recipe): its figures are shared,
    # named after the run that measured them, not after one that only took them
    assert views.summary["models"]["teacher"]["shared_from"] == first.run_id
