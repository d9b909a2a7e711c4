"""Mean ± sample std over seeds, and the grouping of cells into configurations."""
from __future__ import annotations

import math

import pytest

from workbench.core.sweep.aggregate import best, summarize
from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.grid import Axis, expand
from workbench.core.sweep.stats import mean_std
from workbench.core.sweep.tables import markdown_text, table_rows


def test_sample_std_uses_n_minus_one() -> None:
    figure = mean_std([0.80, 0.90, 1.00])
    assert figure.mean == pytest.approx(0.90)
    assert figure.std == pytest.approx(0.10)  # population std would be 0.0816
    assert figure.n == 3


def test_one_value_has_no_spread_and_missing_values_are_left_out() -> None:
    assert mean_std([0.5]).to_dict() == {"mean": 0.5, "std": None, "n": 1}
    assert mean_std([None, 0.4, math.nan, 0.6]).n == 2
    assert mean_std([]).to_dict() == {"mean": None, "std": None, "n": 0}


def _result(cell_id: str, student: float | None, baseline: float, status: str = "completed"):
    return CellResult(cell_id, status, f"run-{cell_id}", None, student, baseline, 0.9, 0.05)


def test_configurations_average_their_seeds_and_the_best_is_the_highest_mean() -> None:
    cells = expand((Axis("distill.alpha", ("0.1", "0.9")),), (0, 1, 2))
    students = [0.80, 0.82, 0.84, 0.85, 0.87, 0.86]
    results = {cell.cell_id: _result(cell.cell_id, accuracy, 0.80)
               for cell, accuracy in zip(cells, students)}
    low, high = summarize(cells, results)
    assert low.student_accuracy.mean == pytest.approx(0.82)
    assert low.student_accuracy.std == pytest.approx(0.02)
    assert high.gain.mean == pytest.approx(0.06)
    assert [seed for seed, _ in high.runs] == [0, 1, 2]
    assert best([low, high]) is high
    table = markdown_text(table_rows([low, high]))
    assert "| 0.1 | 82.00 ± 2.00 | 80.00 ± 0.00 | 2.00 ± 2.00 |" in table


def test_failed_and_missing_cells_do_not_count() -> None:
    cells = expand((Axis("distill.alpha", ("0.5",)),), (0, 1, 2))
    results = {cells[0].cell_id: _result(cells[0].cell_id, 0.7, 0.6),
               cells[1].cell_id: _result(cells[1].cell_id, None, 0.6, status="failed")}
    (summary,) = summarize(cells, results)
    assert summary.student_accuracy.to_dict() == {"mean": 0.7, "std": None, "n": 1}
    assert len(summary.runs) == 2  # the failed run is listed, not averaged


def test_heatmap_squares_sit_at_their_values_and_say_mean_std_n() -> None:
    from workbench.core.sweep.matrix import heatmap_data

    axes = (Axis("distill.alpha", ("0.1", "0.9")), Axis("distill.temperature", ("2", "4", "8")))
    cells = expand(axes, (0, 1))
    results = {cell.cell_id: _result(cell.cell_id, 0.5 + 0.01 * index, 0.5)
               for index, cell in enumerate(cells) if cell.values[1][1] != "8"}
    data = heatmap_data(axes, summarize(cells, results), "student_accuracy")
    assert (data.x_key, data.y_key) == ("distill.alpha", "distill.temperature")
    assert set(data.squares) == {(0, 0), (0, 1), (1, 0), (1, 1)}  # T=8 never finished
    square = data.squares[(1, 1)]  # alpha 0.9, T 4: cells 8 and 9
    assert square.figure.mean == pytest.approx(0.585)
    tip = square.tooltip("student accuracy", data.x_key, data.y_key)
    assert tip.startswith("distill.alpha=0.9, distill.temperature=4: student accuracy "
                          "58.50 ± 0.71 (n=2) %")
