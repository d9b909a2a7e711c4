"""Cells as Ray tasks, for a sweep bigger than one machine (``pip install distill-workbench[ray]``).

Connects to the Ray cluster the environment names (``RAY_ADDRESS``) or starts a
local one; each task runs one cell exactly as a local worker would, with the
run folders written where the task runs (point ``--runs-dir`` at shared storage).
"""
from __future__ import annotations

from collections.abc import Callable

from workbench.core.errors import WorkbenchError
from workbench.core.sweep.cell_run import CellJob, CellResult, run_cell
from workbench.core.sweep.grid import Cell

INSTALL_HINT = ("the ray backend needs Ray: pip install 'distill-workbench[ray]' "
                "(or pip install ray)")


class BackendMissing(WorkbenchError):
    """The chosen backend's library is not installed."""


def require_ray() -> None:
    """Fail before anything runs when Ray is missing, with the command that fixes it."""
    try:
        import ray  # noqa: F401 - only to learn whether it can be imported
    except ImportError:
        raise BackendMissing(INSTALL_HINT) from None


def run_on_ray(cells: list[Cell], jobs: dict[str, CellJob], threads: int,
               done: Callable[[Cell, CellResult], None]) -> None:
    """Submit every cell as a task asking ``threads`` CPUs; record each as it returns."""
    require_ray()
    import ray

    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(num_cpus=threads)(run_cell)
    waiting = {remote.remote(jobs[cell.cell_id]): cell for cell in cells}
    while waiting:
        ready, _ = ray.wait(list(waiting), num_returns=1)
        for ref in ready:
            cell = waiting.pop(ref)
            try:
                result = ray.get(ref)
            except Exception as error:  # noqa: BLE001 - a lost task is one failed cell
                result = CellResult(cell.cell_id, "failed", None, None,
                                    error=f"{type(error).__name__}: {error}")
            done(cell, result)
