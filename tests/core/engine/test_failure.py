"""A loss that becomes NaN fails the run with a message naming phase, epoch and step."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbench.core.distill import online, step_loss
from workbench.core.engine import phases
from workbench.core.stream.events import RunEnded, StepEnded
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import RunFailed
from workbench.core.runs.store import RunStore, list_runs

from tests.core.conftest import tiny_preset


class NaNTotal:
    """A step loss that back-propagates like ``inner`` but reports a NaN total."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def backward(self) -> None:
        self.inner.backward()

    def values(self) -> tuple[float, float, float]:
        _, hard, soft = self.inner.values()
        return float("nan"), hard, soft


def nan_on_call(loss_function: Any, call: int, model: int = 0) -> Any:
    """Wrap a step loss (or an objective's list of them, or DML's tuples) so that its
    ``call``-th call reports a NaN total for ``model``."""
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any):
        loss = loss_function(*args, **kwargs)
        calls[0] += 1
        if calls[0] != call:
            return loss
        if not isinstance(loss, list):
            return NaNTotal(loss)
        poisoned = list(loss)
        if isinstance(poisoned[model], tuple):  # online.mutual_losses: (total, hard, soft)
            total, hard, soft = poisoned[model]
            poisoned[model] = (total * float("nan"), hard, soft)
        else:
            poisoned[model] = NaNTotal(poisoned[model])
        return poisoned

    return wrapped


@pytest.mark.parametrize(("module", "name", "model", "phase", "call", "epoch", "method"), [
    (step_loss, "kd_step", 0, "student", 11, 2, "offline"),
    (phases, "cross_entropy_objective", 0, "teacher", 3, 1, "offline"),
    (online, "mutual_losses", 1, "peer-2", 11, 2, "online")])
def test_nan_loss_fails_the_run_and_says_where(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: Any, name: str, model: int,
        phase: str, call: int, epoch: int, method: str) -> None:
    """One message for every model of the one loop, peers included."""
    monkeypatch.setattr(module, name, nan_on_call(getattr(module, name), call, model))
    events: list[Any] = []
    preset = tiny_preset("train.lr=0.5", "teacher_train.lr=0.5", f"distill.method={method}")
    store = RunStore(tmp_path / "runs", preset)
    with pytest.raises(RunFailed) as raised:
        run_experiment(preset, callbacks=[events.append], recorder=store)
    message = str(raised.value)
    assert f"the {phase} loss became nan" in message
    assert f"epoch {epoch}, step {call}" in message
    assert "lower learning rate" in message and "0.5" in message
    assert "'cosine' schedule" in message
    steps = [event.step for event in events if isinstance(event, StepEnded)
             and event.phase == phase]
    assert steps == list(range(1, call))  # the NaN step itself is not reported as a step
    assert isinstance(events[-1], RunEnded)
    assert (events[-1].status, events[-1].error) == ("failed", message)
    summary = json.loads((store.path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "failed" and summary["error"] == message
    [info] = list_runs(tmp_path / "runs")
    assert info.status == "failed"


def test_an_unexpected_error_is_recorded_and_raised_as_run_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("benchmark exploded")

    from workbench.core.engine import pipeline
    monkeypatch.setattr(pipeline, "benchmark", broken)
    events: list[Any] = []
    preset = tiny_preset("train.epochs=1", "train.baseline=false")
    store = RunStore(tmp_path / "runs", preset)
    with pytest.raises(RunFailed, match="RuntimeError: benchmark exploded"):
        run_experiment(preset, callbacks=[events.append], recorder=store)
    assert events[-1].status == "failed"
    assert json.loads((store.path / "summary.json").read_text())["status"] == "failed"
