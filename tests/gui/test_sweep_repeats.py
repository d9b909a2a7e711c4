"""Issue 14 in the window: a heatmap click selects that square's runs in the Runs tab;
repeated runs (other seeds) overlay as a mean ± std band and get mean ± std rows in Compare."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
import yaml
from PySide6.QtCore import QPointF, Qt

from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import make_plan


def run_folder(runs_dir: Path, run_id: str, alpha: float, seed: int,
               curve: list[float], student: float) -> Path:
    """A run folder as RunStore writes it: preset, summary and the student's epochs."""
    path = runs_dir / run_id
    path.mkdir(parents=True)
    preset = {"name": "tiny", "distill": {"method": "offline", "alpha": alpha,
                                          "temperature": 4.0},
              "train": {"epochs": len(curve), "seed": seed}}
    (path / "preset.yaml").write_text(yaml.safe_dump(preset))
    summary = {"run_id": run_id, "name": "tiny", "status": "completed", "started": time.time(),
               "models": {"teacher": {"accuracy": 0.9, "latency_ms": 0.2, "params": 1000},
                          "student": {"accuracy": student, "latency_ms": 0.02,
                                      "params": 100}}}
    (path / "summary.json").write_text(json.dumps(summary))
    events = [{"event": "epoch_ended", "phase": "student", "epoch": epoch + 1,
               "metrics": {"val_acc": value}} for epoch, value in enumerate(curve)]
    (path / "metrics.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    return path


@pytest.fixture
def sweep_runs(isolated: Path) -> dict[float, list[Path]]:
    """Two settings × 3 seeds in the window's runs folder, plus an unrelated run."""
    runs_dir = isolated / "runs"
    folders: dict[float, list[Path]] = {0.2: [], 0.8: []}
    for index, (alpha, seed) in enumerate((a, s) for a in (0.2, 0.8) for s in (0, 1, 2)):
        curve = [0.5 + 0.1 * seed, 0.6 + 0.1 * seed] if alpha == 0.2 else [0.3, 0.4]
        folders[alpha].append(run_folder(runs_dir, f"20260101-00000{index}-tiny-{index:04d}",
                                         alpha, seed, curve, 0.80 + 0.01 * seed))
    run_folder(runs_dir, "20260101-000009-tiny-zzzz", 0.5, 0, [0.1, 0.2], 0.5)
    return folders


def _show_sweep(window, folders: dict[float, list[Path]]) -> None:
    plan = make_plan("synthetic-quick", parse_grid(["distill.alpha=0.2,0.8"]), 3)
    results = {}
    for cell in plan.cells:
        alpha = float(dict(cell.values)["distill.alpha"])
        folder = folders[alpha][cell.seed - plan.seeds[0]]
        results[cell.cell_id] = CellResult(cell.cell_id, "completed", folder.name,
                                           str(folder), 0.8, 0.75)
    window.sweep.show_sweep(plan, results)


def test_clicking_a_square_selects_exactly_its_runs_in_the_runs_tab(window, qtbot,
                                                                     sweep_runs) -> None:
    window.show()
    _show_sweep(window, sweep_runs)
    window.tabs.setCurrentWidget(window.sweep)
    qtbot.wait(50)
    plot = window.sweep.accuracy.plot
    scene = plot.getPlotItem().vb.mapViewToScene(QPointF(1.5, 0.5))  # alpha = 0.8
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=plot.mapFromScene(scene))
    assert window.tabs.currentWidget() is window.runs
    selected = sorted(Path(run.path).resolve() for run in window.runs.selected())
    assert selected == sorted(folder.resolve() for folder in sweep_runs[0.8])
    assert not dialogs_shown()


def dialogs_shown() -> list:
    from workbench.gui import dialogs

    return list(dialogs.LAST)


def test_repeated_runs_overlay_as_a_mean_and_std_band(window, sweep_runs) -> None:
    panel = window.runs
    assert panel.select_paths(sweep_runs[0.2] + sweep_runs[0.8][:1]) == 4
    assert len(panel.bands) == 1  # 3 seeds of alpha 0.2; alpha 0.8's single run is a line
    band = panel.bands[0]
    assert band.epochs == (1.0, 2.0) and band.n == (3, 3)
    assert np.allclose(band.mean, [0.6, 0.7]) and np.allclose(band.std, [0.1, 0.1])
    items = panel.overlay.getPlotItem().items
    assert sum(isinstance(item, pg.FillBetweenItem) for item in items) == 1
    names = [item.name() for item in panel.overlay.getPlotItem().listDataItems() if item.name()]
    assert set(names) == {"alpha=0.2: mean ± std of 3 seeds", "tiny ·0003"}
    assert len(names) == 2


def test_compare_shows_mean_and_std_where_a_configuration_has_several_seeds(
        window, sweep_runs) -> None:
    window.runs.select_paths(sweep_runs[0.2] + [sweep_runs[0.8][0]])
    window.runs.open_in_compare()
    rows = window.compare.rows
    repeats = [row for row in rows if row[0] == "3 seeds"]
    assert [row[1] for row in repeats] == ["teacher", "student"]
    assert repeats[1][2] == "81.00% ± 1.00 (n=3)"  # students of seeds 0, 1, 2 of alpha 0.2
    assert len(rows) == 4 * 2 + 2
