"""The Sweep dialog and tab: heatmaps that fill in as cells finish, hover mean ± std and n."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from tests.gui.conftest import write_tiny
from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import make_plan
from workbench.gui import dialogs
from workbench.gui.panels.sweep import SweepPanel
from workbench.gui.panels.sweep_dialog import SweepDialog


def _hover_text(panel_map, column: int, row: int) -> str:
    scene = panel_map.plot.getPlotItem().vb.mapViewToScene(QPointF(column + 0.5, row + 0.5))
    panel_map._hover(scene)
    return panel_map.plot.toolTip()


def test_squares_fill_in_as_cells_finish_and_clicks_give_the_runs(qtbot, tmp_path: Path) -> None:
    preset = write_tiny(tmp_path, epochs=1)
    plan = make_plan(str(preset), parse_grid(["distill.alpha=0.2,0.8", "distill.temperature=2"]), 1)
    panel = SweepPanel()
    qtbot.addWidget(panel)
    filled: list[int] = []
    panel.start(plan, tmp_path / "runs", jobs=1)
    panel.worker.cell_done.connect(lambda *_: filled.append(len(panel.accuracy.data.squares)))
    with qtbot.waitSignal(panel.sweep_finished, timeout=240_000):
        pass
    assert panel.worker is None and filled == [1, 2]
    results = [panel.results[cell.cell_id] for cell in plan.cells]
    assert [result.status for result in results] == ["completed", "completed"]
    image = panel.accuracy.image.image
    assert image.shape == (2, 1)
    assert np.allclose(image[:, 0], [result.student_accuracy for result in results])
    gains = [result.student_accuracy - result.baseline_accuracy for result in results]
    assert np.allclose(panel.gain.image.image[:, 0], gains)
    assert "distill.alpha=0.8, distill.temperature=2" in _hover_text(panel.accuracy, 1, 0)
    assert "(n=1)" in _hover_text(panel.accuracy, 1, 0)
    with qtbot.waitSignal(panel.runs_clicked) as clicked:
        panel._clicked(panel.accuracy.square_at(0, 0))
    assert clicked.args[0] == [Path(results[0].run_dir)] and clicked.args[0][0].is_dir()


def test_hover_shows_mean_std_and_n_over_seeds(qtbot) -> None:
    plan = make_plan("synthetic-quick", parse_grid(["distill.alpha=0.1,0.9"]), 3)
    accuracies = [0.80, 0.82, 0.84, 0.70, 0.70, 0.73]
    results = {cell.cell_id: CellResult(cell.cell_id, "completed", f"run{i}", None,
                                        accuracy, 0.75)
               for i, (cell, accuracy) in enumerate(zip(plan.cells, accuracies))}
    panel = SweepPanel()
    qtbot.addWidget(panel)
    panel.show_sweep(plan, results)
    assert np.allclose(panel.accuracy.image.image[:, 0], [0.82, 0.71])
    assert "student accuracy % 82.00 ± 2.00 (n=3)" in _hover_text(panel.accuracy, 0, 0)
    assert "runs: run0, run1, run2" in _hover_text(panel.accuracy, 0, 0)
    assert np.allclose(panel.gain.image.image[:, 0], [0.07, -0.04])


def test_the_dialog_checks_every_cell_and_stays_open_on_a_bad_value(qtbot) -> None:
    dialog = SweepDialog("synthetic-quick")
    qtbot.addWidget(dialog)
    dialog.values[0].setText("0.2, 1.7")
    dialog.accept()
    assert dialog.plan is None and dialog.result() == 0
    assert "distill.alpha" in dialogs.LAST[0].informativeText()
    dialog.values[0].setText("0.2, 0.7")
    dialog.values[1].setText("")
    dialog.seeds.setValue(2)
    dialog.accept()
    assert dialog.plan is not None
    assert [axis.key for axis in dialog.plan.axes] == ["distill.alpha"]
    assert len(dialog.plan.cells) == 4


def test_the_window_has_a_sweep_tab_and_menu_entry(window) -> None:
    names = [window.tabs.tabText(index) for index in range(window.tabs.count())]
    assert "Sweep" in names
    run_menu = next(item.menu() for item in window.menuBar().actions()
                    if item.text() == "&Run")
    assert any(action.text() == "S&weep…" for action in run_menu.actions())
