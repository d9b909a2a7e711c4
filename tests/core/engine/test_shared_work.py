"""A sweep's runs share the baseline and the teacher's figures — and nothing that differs.

The point of sharing is that a run which takes the baseline from an earlier run ends
exactly as if it had trained it: same weights, same figures, same random stream after.
"""
from __future__ import annotations

from pathlib import Path

import torch

from tests.core.conftest import tiny_preset
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.shared_work import SharedWork
from workbench.core.models.saved import load_checkpoint
from workbench.core.runs.store import RunStore
from workbench.core.stream.events import PhaseEnded


def _run(folder: Path, shared: SharedWork | None, *overrides: str):
    preset = tiny_preset(*overrides)
    store, events = RunStore(folder / "runs", preset), []
    result = run_experiment(preset, callbacks=[events.append], recorder=store, shared=shared)
    return result, events, store.path


def _weights(run_dir: Path, name: str) -> dict[str, torch.Tensor]:
    return load_checkpoint(run_dir / "ckpt" / f"{name}.pt").model.state_dict()


def _baseline_origin(events: list) -> str | None:
    ended = [e for e in events if isinstance(e, PhaseEnded) and e.phase == "baseline"]
    assert len(ended) == 1
    return ended[0].metrics.get("resumed")


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_another_alpha_and_t_take_the_baseline_and_teacher_figures_and_end_identical(
        tmp_path: Path) -> None:
    shared = SharedWork(tmp_path / "shared")
    first, first_events, _ = _run(tmp_path / "a", shared, "distill.alpha=0.3")
    second, second_events, second_dir = _run(tmp_path / "b", shared, "distill.alpha=0.7",
                                             "distill.temperature=2")
    alone, alone_events, alone_dir = _run(tmp_path / "c", None, "distill.alpha=0.7",
                                          "distill.temperature=2")
    assert _baseline_origin(first_events) is None  # trained, then kept
    assert _baseline_origin(alone_events) is None
    assert "shared" in str(_baseline_origin(second_events))  # put back, not trained
    # ... and exactly the baseline a run of its own trains: weights and figures
    assert _same(_weights(second_dir, "baseline"), _weights(alone_dir, "baseline"))
    for key in ("accuracy", "best_val_acc", "best_epoch", "last_val_acc"):
        assert second.summary["models"]["baseline"][key] == alone.summary["models"]["baseline"][key]
    # the student is not shared (alpha and T reach it), and sharing did not touch it
    assert _same(_weights(second_dir, "student"), _weights(alone_dir, "student"))
    assert not _same(_weights(second_dir, "student"), _weights(tmp_path / "a" / "runs" /
                                                              first.run_id, "student"))
    teacher = second.summary["models"]["teacher"]
    assert teacher["shared_from"] == first.run_id  # timed once, by the first run
    for key in ("latency_ms", "throughput", "energy_per_1k_j", "params", "flops"):
        assert teacher[key] == first.summary["models"]["teacher"][key]
    assert teacher["accuracy"] == alone.summary["models"]["teacher"]["accuracy"]
    assert "shared_from" not in alone.summary["models"]["teacher"]
    assert "shared_from" not in second.summary["models"]["student"]


def test_what_reaches_the_baseline_keeps_it_apart(tmp_path: Path) -> None:
    shared = SharedWork(tmp_path / "shared")
    _run(tmp_path / "a", shared)
    for overrides in (["train.seed=1"], ["data.labeled=300"], ["train.lr=0.01"],
                      ["train.epochs=1"]):
        _result, events, _dir = _run(tmp_path / overrides[0], shared, *overrides)
        assert _baseline_origin(events) is None, overrides  # trained: its inputs differ


def test_an_unreadable_record_is_trained_again_not_trusted(tmp_path: Path) -> None:
    shared = SharedWork(tmp_path / "shared")
    first, _events, first_dir = _run(tmp_path / "a", shared)
    records = list((tmp_path / "shared").glob("fit-*.pt"))
    assert len(records) == 1  # the baseline (the student is never shared)
    records[0].write_bytes(b"not a torch file")
    second, events, second_dir = _run(tmp_path / "b", shared)
    assert _baseline_origin(events) is None
    assert _same(_weights(first_dir, "baseline"), _weights(second_dir, "baseline"))
    third_events = _run(tmp_path / "c", shared)[1]  # the retrained record was kept again
    assert "shared" in str(_baseline_origin(third_events))


def test_after_a_shared_baseline_the_random_stream_goes_on_as_if_it_had_trained(
        tmp_path: Path) -> None:
    """Dropout draws continue the run's stream; the pruned student is distilled after the
    baseline, so it sees the stream the baseline left — put back with the baseline."""
    dropout = ("student={architecture: mlp, args: {hidden: [16], dropout: 0.3}}",
               "green.prune=0.5")
    shared = SharedWork(tmp_path / "shared")
    _run(tmp_path / "a", shared, "distill.alpha=0.3", *dropout)
    _result, events, shared_dir = _run(tmp_path / "b", shared, *dropout)
    _result, _events, alone_dir = _run(tmp_path / "c", None, *dropout)
    assert "shared" in str(_baseline_origin(events))
    assert _same(_weights(shared_dir, "student-pruned"), _weights(alone_dir, "student-pruned"))
