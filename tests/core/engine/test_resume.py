"""A run stopped mid-phase and resumed ends with the weights of a run never stopped, bit for bit."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from workbench.core.engine.pipeline import RunResult, run_experiment
from workbench.core.runs.resume import ResumeError, load_resume_state, open_resume
from workbench.core.runs.store import RESUME_STATE, RunStore, read_run
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import EpochEnded, Event, PhaseStarted

from tests.core.conftest import stop_after, tiny_preset

EPOCHS = ["train.epochs=3", "teacher_train.epochs=2"]
CASES = {  # name: (preset overrides, the phase to stop in, the epoch after which to stop)
    "offline": ([], "student", 2),
    "offline-teacher-phase": ([], "teacher", 1),
    "online": (["distill.method=online", "distill.peers=3"], "student", 1),
    "self": (["distill.method=self", "distill.generations=2"], "gen-1", 1),
    "label-scarce": (["data.labeled=300"], "baseline", 1),
    # schedules and curricula are functions of the step; self-paced losses are saved
    "schedule-self-paced": (["data.labeled=300", "distill.schedule=cosine",
                             "distill.alpha_end=0.9", "distill.temperature_end=1.5",
                             "distill.curriculum=self-paced"], "student", 1),
    "dkd-warmup-step-curriculum": (["distill.loss=dkd", "distill.dkd_warmup=2",
                                    "distill.schedule=step", "distill.temperature_end=2",
                                    "distill.curriculum=hard-first", "distill.pacing=root"],
                                   "student", 2),
}


def weights(folder: Path) -> dict[str, dict[str, torch.Tensor]]:
    return {path.stem: torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
            for path in sorted((folder / "ckpt").glob("*.pt"))}


def assert_same_weights(resumed: Path, reference: Path) -> None:
    first, second = weights(resumed), weights(reference)
    assert first.keys() == second.keys() and "student" in first
    for name in first:
        assert first[name].keys() == second[name].keys(), name
        for key in first[name]:
            assert torch.equal(first[name][key], second[name][key]), f"{name}: {key}"


def resume(folder: Path, events: list[Event] | None = None) -> RunResult:
    start = open_resume(read_run(folder))
    return run_experiment(start.preset, recorder=start.store, resume_state=start.state,
                          callbacks=[] if events is None else [events.append])


def stopped_run(runs: Path, overrides: list[str], phase: str, epoch: int) -> Path:
    preset = tiny_preset(*EPOCHS, *overrides)
    control = RunControl()
    store = RunStore(runs, preset)
    result = run_experiment(preset, recorder=store, control=control,
                            callbacks=[stop_after(control, phase, epoch)])
    assert result.status == "stopped"
    return store.path


def reference_run(runs: Path, overrides: list[str]) -> tuple[Path, RunResult]:
    preset = tiny_preset(*EPOCHS, *overrides)
    store = RunStore(runs, preset)
    return store.path, run_experiment(preset, recorder=store)


def epochs_recorded(folder: Path) -> list[tuple[str, int]]:
    lines = (folder / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return [(record["phase"], record["epoch"]) for record in records
            if record["event"] == "epoch_ended"]


@pytest.mark.parametrize("case", list(CASES))
def test_a_stopped_run_resumes_to_the_same_weights(case: str, tmp_path: Path) -> None:
    overrides, phase, epoch = CASES[case]
    folder = stopped_run(tmp_path / "runs", overrides, phase, epoch)
    state = load_resume_state(folder)
    assert state is not None and state["current"]["phases"][0] == phase
    assert state["threads"] == 1  # a resume sums with the threads it started with
    assert state["current"]["epoch"] == epoch
    events: list[Event] = []
    resumed = resume(folder, events)
    reference, expected = reference_run(tmp_path / "reference", overrides)
    assert resumed.status == "completed" and resumed.run_id == folder.name
    assert_same_weights(folder, reference)
    for role, figures in expected.summary["models"].items():
        assert resumed.summary["models"][role]["accuracy"] == figures["accuracy"], role
        assert resumed.summary["models"][role].get("best_val_acc") == \
            figures.get("best_val_acc"), role
    # every epoch recorded once in the same folder, as in the reference
    assert epochs_recorded(folder) == epochs_recorded(reference)
    assert read_run(folder).status == "completed"
    assert not (folder / RESUME_STATE).exists()  # a completed run keeps no resume state
    # the interrupted phase continues after its last saved epoch
    continued = [event.epoch for event in events
                 if isinstance(event, EpochEnded) and event.phase == phase]
    assert continued[0] == epoch + 1


def test_a_run_stopped_before_its_first_epoch_ended_restarts_in_the_same_folder(
        tmp_path: Path) -> None:
    preset = tiny_preset(*EPOCHS)
    control = RunControl()

    def stop_at_once(event: Event) -> None:
        if isinstance(event, PhaseStarted):
            control.request_stop()

    store = RunStore(tmp_path / "runs", preset)
    assert run_experiment(preset, recorder=store, control=control,
                          callbacks=[stop_at_once]).status == "stopped"
    start = open_resume(read_run(store.path))
    assert start.state is None and "restart" in start.notes[0]
    result = run_experiment(start.preset, recorder=start.store, resume_state=start.state)
    assert result.status == "completed"
    reference, _ = reference_run(tmp_path / "reference", [])
    assert_same_weights(store.path, reference)


def test_a_completed_run_refuses_to_resume(tmp_path: Path) -> None:
    folder, _ = reference_run(tmp_path / "runs", ["train.baseline=false"])
    with pytest.raises(ResumeError, match="already completed"):
        open_resume(read_run(folder))


@pytest.mark.parametrize("damage", [b"not a torch file", b""])
def test_a_damaged_resume_state_is_refused_with_its_path_and_nothing_changes(
        tmp_path: Path, damage: bytes) -> None:
    folder = stopped_run(tmp_path / "runs", ["train.baseline=false"], "student", 1)
    (folder / RESUME_STATE).write_bytes(damage)
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    with pytest.raises(ResumeError, match=str(folder / RESUME_STATE)):
        open_resume(read_run(folder))
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before


def test_a_resume_state_of_another_version_is_refused(tmp_path: Path) -> None:
    folder = stopped_run(tmp_path / "runs", ["train.baseline=false"], "student", 1)
    state: dict[str, Any] = torch.load(folder / RESUME_STATE, weights_only=True)
    torch.save({**state, "version": 99}, folder / RESUME_STATE)
    with pytest.raises(ResumeError, match="version 99"):
        open_resume(read_run(folder))
