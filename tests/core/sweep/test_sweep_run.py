"""A real tiny sweep: ordinary runs, a sweep folder, resume, shared teacher outputs, workers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.conftest import TINY
from workbench.core.errors import PresetError
from workbench.core.sweep.executor import run_sweep
from workbench.core.sweep.folder import SweepFolder
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import make_plan
from workbench.core.sweep.report import finish


def _plan(*grid: str, seeds: int = 1):
    return make_plan("synthetic-quick", parse_grid(list(grid)), seeds, tuple(TINY))


def _run_folders(runs_dir: Path) -> set[str]:
    return {path.name for path in runs_dir.iterdir()} if runs_dir.exists() else set()


def test_sweep_records_runs_and_resumes_without_redoing_cells(tmp_path: Path) -> None:
    runs_dir, plan = tmp_path / "runs", _plan("distill.alpha=0.3,0.7")
    heard: list[str] = []
    outcome = run_sweep(plan, runs_dir, jobs=1, on_cell=lambda cell, _: heard.append(cell.cell_id))
    assert heard == [cell.cell_id for cell in plan.cells]
    assert outcome.skipped == 0 and len(_run_folders(runs_dir)) == 2
    first, second = (outcome.results[cell.cell_id] for cell in plan.cells)
    assert first.status == second.status == "completed"
    assert first.cache_origin == "computed"
    assert second.cache_origin in ("memory", "disk")  # the teacher's outputs were shared
    folder = SweepFolder(runs_dir, plan)
    assert folder.path == tmp_path / "sweeps" / plan.sweep_id
    # alpha reaches neither the baseline nor the teacher: the second cell took both
    assert len(list((folder.path / "shared").glob("fit-*.pt"))) == 1
    second_summary = json.loads((Path(second.run_dir) / "summary.json").read_text())
    assert second_summary["models"]["teacher"]["shared_from"] == first.run_id
    assert second.baseline_accuracy == first.baseline_accuracy
    report = finish(plan, folder, outcome)
    assert (folder.path / "plan.yaml").is_file()
    assert "distill.alpha,student_accuracy_mean" in (folder.path / "results.csv").read_text()
    assert [cell["values"] for cell in report["cells"]] == [{"distill.alpha": "0.3"},
                                                           {"distill.alpha": "0.7"}]
    assert report["cells"][0]["student_accuracy"]["mean"] == pytest.approx(first.student_accuracy)

    again = run_sweep(plan, runs_dir, jobs=1)  # the same sweep: nothing left to do
    assert again.skipped == 2 and len(_run_folders(runs_dir)) == 2
    assert again.results[plan.cells[0].cell_id].run_id == first.run_id

    (folder.path / "cells" / f"{plan.cells[1].cell_id}.json").unlink()  # as if interrupted
    resumed = run_sweep(plan, runs_dir, jobs=1)
    assert resumed.skipped == 1 and len(_run_folders(runs_dir)) == 3
    assert resumed.results[plan.cells[0].cell_id].run_id == first.run_id
    assert resumed.results[plan.cells[1].cell_id].run_id != second.run_id


def test_every_cell_is_checked_before_any_run(tmp_path: Path) -> None:
    with pytest.raises(PresetError) as caught:
        _plan("distill.alpha=0.3,1.5", "distill.temprature=2")
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {"distill.alpha", "distill.temprature"}
    assert not (tmp_path / "runs").exists()


def test_workers_train_with_their_share_of_the_cores(tmp_path: Path) -> None:
    """Two spawned workers on two cores: each trains with one thread, as measured inside it."""
    runs_dir, plan = tmp_path / "runs", _plan("distill.alpha=0.2,0.8")
    outcome = run_sweep(plan, runs_dir, jobs=2, cores=2)
    assert (outcome.threads.jobs, outcome.threads.threads) == (2, 1)
    results = list(outcome.results.values())
    assert [result.status for result in results] == ["completed", "completed"]
    assert [result.threads_used for result in results] == [1, 1]
    assert len(_run_folders(runs_dir)) == 2


def test_a_sweep_folder_reads_back_with_its_plan(tmp_path: Path) -> None:
    from workbench.core.sweep.cell_run import CellResult
    from workbench.core.sweep.folder import open_sweep

    plan = _plan("distill.alpha=0.3,0.7", "distill.temperature=2", seeds=2)
    folder = SweepFolder(tmp_path / "runs", plan)
    folder.write_plan()
    cell = plan.cells[1]
    folder.record(cell, CellResult(cell.cell_id, "completed", "r1", None, 0.8, 0.7))
    read_plan, results = open_sweep(folder.path)
    assert read_plan == plan and read_plan.sweep_id == plan.sweep_id
    assert list(results) == [cell.cell_id] and results[cell.cell_id].student_accuracy == 0.8
