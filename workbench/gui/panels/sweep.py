"""The Sweep tab: student accuracy and gain over the plain student, over two swept keys.

The squares fill in as cells finish (from the sweep thread's queued signals);
everything shown is computed by ``core.sweep`` (grouping, mean ± std, squares).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.core.sweep.aggregate import summarize
from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.folder import SweepFolder
from workbench.core.sweep.grid import Cell
from workbench.core.sweep.matrix import HeatmapSquare, heatmap_data
from workbench.core.sweep.plan import SweepPlan
from workbench.gui import dialogs
from workbench.gui.panels.sweep_worker import SweepWorker
from workbench.gui.plots.heatmap import Heatmap


class SweepPanel(QWidget):
    """Signals:
        runs_clicked(list[Path]): the run folders of a clicked square (the window selects
            them in the Runs tab, where repeated seeds overlay as a mean ± std band).
        sweep_finished(): after the sweep thread has been joined.
    """

    runs_clicked = Signal(object)
    sweep_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: SweepPlan | None = None
        self.results: dict[str, CellResult] = {}
        self.worker: SweepWorker | None = None
        self.status = QLabel("No sweep yet: Run ▸ Sweep… picks keys, values and seeds")
        self.stop_button = QPushButton("Stop sweep")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.accuracy = Heatmap("student accuracy %")
        self.gain = Heatmap("gain over the plain student (points)")
        for heatmap in (self.accuracy, self.gain):
            heatmap.square_clicked.connect(self._clicked)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.stop_button)
        maps = QHBoxLayout()
        maps.addWidget(self.accuracy)
        maps.addWidget(self.gain)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(maps, 1)

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self, plan: SweepPlan, runs_dir: Path, jobs: int) -> None:
        """Show what earlier invocations finished, then run the rest in a thread."""
        self.show_sweep(plan, SweepFolder(runs_dir, plan).finished())
        self.worker = SweepWorker(plan, runs_dir, jobs)
        self.worker.cell_done.connect(self._on_cell)
        self.worker.failed.connect(lambda text: dialogs.show_error(self, "The sweep stopped",
                                                                   [text]))
        self.worker.finished.connect(self._on_finished)
        self.stop_button.setEnabled(True)
        self.worker.start()

    def show_sweep(self, plan: SweepPlan, results: dict[str, CellResult]) -> None:
        """Draw a sweep's squares from the results known so far."""
        self.plan, self.results = plan, dict(results)
        self._refresh()

    def stop(self) -> None:
        if self.worker is not None:
            self.status.setText(self.status.text() + " — stopping…")
            self.worker.stop_and_join()

    def _on_cell(self, cell: Cell, result: CellResult) -> None:
        self.results[cell.cell_id] = result
        self._refresh()

    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
        self.stop_button.setEnabled(False)
        self._refresh(ended=True)
        self.sweep_finished.emit()

    def _refresh(self, ended: bool = False) -> None:
        if self.plan is None:
            return
        summaries = summarize(self.plan.cells, self.results)
        for heatmap, figure in ((self.accuracy, "student_accuracy"), (self.gain, "gain")):
            heatmap.show_data(heatmap_data(self.plan.axes, summaries, figure))
        done, total = len(self.results), len(self.plan.cells)
        state = "ended" if ended else "running"
        self.status.setText(f"sweep {self.plan.sweep_id}: {done} of {total} runs done "
                            f"({state}); hover a square for mean ± std and n, click it to "
                            f"select its runs in the Runs tab")

    def _clicked(self, square: HeatmapSquare) -> None:
        folders = [Path(result.run_dir) for _, result in square.summary.runs if result.run_dir]
        if folders:
            self.runs_clicked.emit(folders)

