"""The Runs tab's Resume: a stopped run ends with the weights of a run never stopped."""
from __future__ import annotations

from pathlib import Path

import torch

from workbench.core.engine.pipeline import run_experiment
from workbench.core.presets import load_experiment
from workbench.core.runs.store import RESUME_STATE, RunStore, list_runs
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import EpochEnded, Event

from tests.gui.conftest import write_tiny

RUN_TIMEOUT_MS = 120_000


def stopped_after_student_epoch_one(preset_path: Path, runs: Path) -> Path:
    preset, control = load_experiment(preset_path), RunControl()

    def stop(event: Event) -> None:
        if isinstance(event, EpochEnded) and (event.phase, event.epoch) == ("student", 1):
            control.request_stop()

    store = RunStore(runs, preset)
    assert run_experiment(preset, recorder=store, control=control,
                          callbacks=[stop]).status == "stopped"
    return store.path


def weights(folder: Path) -> dict[str, dict[str, torch.Tensor]]:
    return {path.stem: torch.load(path, weights_only=True)["state_dict"]
            for path in sorted((folder / "ckpt").glob("*.pt"))}


def test_resume_from_the_runs_tab_completes_with_the_uninterrupted_weights(
        window, qtbot, tmp_path: Path) -> None:
    preset_path = write_tiny(tmp_path, epochs=3)
    folder = stopped_after_student_epoch_one(preset_path, window.runs_dir)
    window.runs.refresh()
    [row] = [index for index, run in enumerate(window.runs.runs) if run.path == folder]
    window.runs.select_rows([row])
    assert window.runs.resume_button.isEnabled()

    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.runs.resume_button.click()
    assert finished.args == ["completed", 0]
    [run] = list_runs(window.runs_dir)  # the same folder, no new one
    assert run.path == folder and run.status == "completed"
    assert not (folder / RESUME_STATE).exists()

    reference = RunStore(tmp_path / "reference", load_experiment(preset_path))
    run_experiment(load_experiment(preset_path), recorder=reference)
    resumed, expected = weights(folder), weights(reference.path)
    assert resumed.keys() == expected.keys() and {"student", "baseline"} <= resumed.keys()
    for name, tensors in expected.items():
        assert all(torch.equal(tensors[key], resumed[name][key]) for key in tensors), name

    window.runs.select_rows([0])  # a completed run cannot be resumed
    assert not window.runs.resume_button.isEnabled()


def test_resume_is_offered_for_one_stopped_run_only(window, tmp_path: Path) -> None:
    preset_path = write_tiny(tmp_path, epochs=2)
    stopped_after_student_epoch_one(preset_path, window.runs_dir)
    completed = RunStore(window.runs_dir, load_experiment(preset_path))
    run_experiment(load_experiment(preset_path), recorder=completed)
    window.runs.refresh()
    statuses = [run.status for run in window.runs.runs]
    window.runs.select_rows([statuses.index("stopped")])
    assert window.runs.resume_button.isEnabled()
    window.runs.select_rows([statuses.index("completed")])
    assert not window.runs.resume_button.isEnabled()
    window.runs.select_rows([0, 1])
    assert not window.runs.resume_button.isEnabled()
