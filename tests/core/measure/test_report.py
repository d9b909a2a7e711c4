"""The desktop app's comparison table: the same rows as `workbench compare`."""
from __future__ import annotations

import csv
import io

from workbench.core.measure.report import HEADERS, comparison_rows, to_csv, to_markdown

SUMMARY = {"run_id": "r1", "models": {
    "teacher": {"accuracy": 0.9, "params": 1000, "size_bytes": 2_500_000, "latency_ms": 1.0,
                "throughput": 5000.0},
    "student": {"accuracy": 0.81, "params": 100, "size_bytes": 4_000, "latency_ms": 0.1,
                "throughput": 50000.0, "energy_per_1k_j": 0.0875},
    "peer-2": {"accuracy": 0.8, "params": 100, "size_bytes": 4_000, "latency_ms": 0.1,
               "throughput": 50000.0},
    "baseline": {"accuracy": 0.72, "params": 100, "size_bytes": 4_000, "latency_ms": 0.2,
                 "throughput": 40000.0}}}


def test_rows_compare_every_model_with_the_teacher():
    rows = comparison_rows(SUMMARY)
    assert [row[0] for row in rows] == ["teacher", "student", "baseline", "peer-2"]
    assert rows[0][1:3] == ["90.00%", "1,000"]
    assert rows[0][6:] == ["-", "-", "-", "-"]  # the teacher is not compared with itself
    assert rows[1][6:] == ["90.00%", "10.0x", "10.0x", "0.0875"]  # retention, speedup, compression
    assert rows[2][6:9] == ["80.00%", "5.0x", "10.0x"]
    assert len(HEADERS) == len(rows[0])


def test_missing_models_are_left_out():
    assert comparison_rows({"models": {}}) == []
    assert comparison_rows({}) == []


def test_csv_holds_raw_numbers_and_markdown_the_shown_cells():
    table = list(csv.DictReader(io.StringIO(to_csv(SUMMARY))))
    assert [row["model"] for row in table] == ["teacher", "student", "baseline", "peer-2"]
    assert float(table[1]["accuracy"]) == 0.81 and float(table[1]["compression"]) == 10.0
    markdown = to_markdown(SUMMARY).splitlines()
    assert markdown[0].startswith("| model | accuracy |")
    assert markdown[2].startswith("| teacher | 90.00% |")
    assert len(markdown) == 2 + 4
