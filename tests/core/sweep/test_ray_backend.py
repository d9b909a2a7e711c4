"""``--backend ray``: the same cells as Ray tasks on a local Ray instance (skipped without Ray)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.conftest import TINY
from workbench.core.sweep.executor import run_sweep
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import make_plan

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")


def test_cells_run_as_ray_tasks_and_land_in_the_run_store(tmp_path: Path) -> None:
    plan = make_plan("synthetic-quick", parse_grid(["distill.alpha=0.2,0.8"]), 1, tuple(TINY))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        outcome = run_sweep(plan, tmp_path / "runs", jobs=2, cores=2, backend="ray")
    finally:
        ray.shutdown()
    results = [outcome.results[cell.cell_id] for cell in plan.cells]
    assert [result.status for result in results] == ["completed", "completed"], [
        result.error for result in results]
    assert [result.threads_used for result in results] == [1, 1]
    assert all(Path(result.run_dir).parent == tmp_path / "runs" for result in results)
