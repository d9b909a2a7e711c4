"""The green students appear in Compare from the run summary alone, after student-int8."""
from __future__ import annotations

from typing import Any


def row(accuracy: float, size: int, latency: float) -> dict[str, Any]:
    return {"accuracy": accuracy, "params": 1000, "size_bytes": size, "latency_ms": latency}


def test_student_qat_and_student_pruned_rows_show_in_order(qtbot) -> None:
    from workbench.gui.panels.compare import ComparePanel

    panel = ComparePanel()
    qtbot.addWidget(panel)
    summary = {"run_id": "r-0001", "name": "kd", "status": "completed",
               "models": {"baseline": row(0.8, 4000, 0.03), "student-pruned": row(0.84, 2100, 0.02),
                          "student-qat": row(0.845, 1100, 0.05), "teacher": row(0.9, 9000, 1.0),
                          "student-int8": row(0.843, 1200, 0.06), "student": row(0.85, 4000, 0.03)}}
    panel.show_summary(summary)
    shown = [panel.table.item(index, 1).text() for index in range(panel.table.rowCount())]
    assert shown == ["teacher", "student", "student-int8", "student-qat", "student-pruned",
                     "baseline"]
