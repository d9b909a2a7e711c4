"""The default thread count is chosen once, before the first step, recorded, and kept on resume."""
from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.engine import pipeline
from workbench.core.engine.pipeline import run_experiment
from workbench.core.runs.resume import open_resume
from workbench.core.runs.store import RunStore, read_run
from workbench.core.stream.control import RunControl

from tests.core.conftest import stop_after, tiny_preset

UNSET = ["train.threads=null", "train.epochs=2"]


def test_a_resumed_run_keeps_the_count_it_started_with(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[int] = []

    def default(count: int):
        def choose(_preset: object, _dataset: object) -> int:
            chosen.append(count)
            return count
        return choose

    monkeypatch.setattr(pipeline, "default_threads", default(2))
    preset = tiny_preset(*UNSET)
    assert preset.train.threads is None
    control, store = RunControl(), RunStore(tmp_path, preset)
    first = run_experiment(preset, recorder=store, control=control,
                           callbacks=[stop_after(control, "student", 1)])
    assert first.status == "stopped" and first.summary["train_threads"] == 2
    monkeypatch.setattr(pipeline, "default_threads", default(1))  # the machine got busier
    start = open_resume(read_run(store.path))
    resumed = run_experiment(start.preset, recorder=start.store, resume_state=start.state)
    assert resumed.status == "completed"
    assert resumed.summary["train_threads"] == 2 and chosen == [2]
