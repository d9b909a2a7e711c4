"""One status vocabulary and one exit code per status, shared by the CLI and the window."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbench.core.engine.pipeline import run_experiment
from workbench.core.runs.store import RunStore
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import RunEnded, StepEnded
from workbench.core.stream.status import RunOutcome, RunStatus, exit_code

from tests.core.conftest import tiny_preset


def test_exit_codes_are_the_documented_ones() -> None:
    assert {status.value: exit_code(status) for status in RunStatus
            if status != RunStatus.RUNNING} == {
        "completed": 0, "failed": 1, "crashed": 1, "stopped": 130, "invalid": 2}
    assert exit_code("stopped") == 130  # a status read back from a file works as well


@pytest.mark.parametrize("status", ["running", "rejected", "done"])
def test_no_exit_code_for_a_running_run_or_an_unknown_word(status: str) -> None:
    with pytest.raises(ValueError):
        exit_code(status)


def test_statuses_print_and_serialize_as_their_plain_strings() -> None:
    """summary.json, metrics.jsonl and --json must keep writing "stopped", not "RunStatus.STOPPED"."""
    assert json.dumps({"status": RunStatus.STOPPED}) == '{"status": "stopped"}'
    assert f"run {RunStatus.FAILED}" == "run failed"
    assert RunStatus("invalid") is RunStatus.INVALID
    assert RunStatus.COMPLETED == "completed"


def test_an_outcome_that_heard_no_end_is_a_failure() -> None:
    outcome = RunOutcome()
    outcome(StepEnded("student", 1, 1, 1.0, 1.0, 0.0))
    assert outcome.ended is None
    assert (outcome.status, outcome.summary, outcome.error) == (RunStatus.FAILED, {}, None)
    outcome(RunEnded("failed", {"run_id": "x"}, "loss became nan at step 3"))
    assert (outcome.status, outcome.summary, outcome.error) == (
        RunStatus.FAILED, {"run_id": "x"}, "loss became nan at step 3")


def test_outcome_of_a_real_stopped_run_is_what_the_stream_and_the_store_say(
        tmp_path: Path) -> None:
    control, outcome = RunControl(), RunOutcome()

    def stop_at_first_student_step(event: Any) -> None:
        if isinstance(event, StepEnded) and event.phase == "student":
            control.request_stop()

    preset = tiny_preset()
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, callbacks=[stop_at_first_student_step, outcome],
                            control=control, recorder=store)
    assert result.status is RunStatus.STOPPED
    assert outcome.status is RunStatus.STOPPED and exit_code(outcome.status) == 130
    assert outcome.summary == result.summary
    stored = json.loads((store.path / "summary.json").read_text(encoding="utf-8"))
    assert RunStatus(stored["status"]) is outcome.status
    assert stored["run_id"] == outcome.summary["run_id"] == result.run_id
