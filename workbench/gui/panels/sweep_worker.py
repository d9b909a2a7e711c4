"""The sweep thread: ``core.sweep.run_sweep`` off the GUI thread, one signal per finished cell.

Signals are emitted from the worker thread and delivered queued to the GUI
thread, so the heatmaps update there. Stopping is cooperative: running cells
stop after their current step and are run again when the sweep is resumed.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal

from workbench.core.stream.control import RunControl
from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.executor import run_sweep
from workbench.core.sweep.grid import Cell
from workbench.core.sweep.plan import SweepPlan


class SweepWorker(QThread):
    """Signals:
        cell_done(Cell, CellResult): as each cell ends (resumed cells are not re-announced).
        failed(str): the sweep itself could not go on (its cells' failures are results).
    """

    cell_done = Signal(object, object)
    failed = Signal(str)

    def __init__(self, plan: SweepPlan, runs_dir: Path, jobs: int) -> None:
        super().__init__()
        self.plan, self.runs_dir, self.jobs = plan, Path(runs_dir), jobs
        self.control = RunControl()
        self.outcome = None

    def run(self) -> None:  # noqa: D401 - QThread entry point
        try:
            self.outcome = run_sweep(self.plan, self.runs_dir, self.jobs, self._announce,
                                     self.control)
        except Exception as error:  # noqa: BLE001 - shown in a dialog, the app goes on
            self.failed.emit(f"{type(error).__name__}: {error}")

    def _announce(self, cell: Cell, result: CellResult) -> None:
        self.cell_done.emit(cell, result)

    def stop_and_join(self) -> None:
        """Stop after the running cells' current step, then wait (never ``terminate``)."""
        self.control.request_stop()
        self.wait()
