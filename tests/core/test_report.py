"""The comparison table as rows, CSV and Markdown."""
from __future__ import annotations

from workbench.core.report import HEADERS, comparison_rows, to_csv, to_markdown

SUMMARY = {"models": {
    "teacher": {"accuracy": 0.9, "params": 1000, "size_bytes": 2_500_000, "latency_ms": 1.0,
                "throughput": 5000.0},
    "student": {"accuracy": 0.81, "params": 100, "size_bytes": 4_000, "latency_ms": 0.1,
                "throughput": 50000.0},
    "baseline": {"accuracy": 0.72, "params": 100, "size_bytes": 4_000, "latency_ms": 0.2,
                 "throughput": 40000.0}}}


def test_rows_compare_every_model_with_the_teacher():
    rows = comparison_rows(SUMMARY)
    assert [row[0] for row in rows] == ["teacher", "student", "baseline"]
    assert rows[0][1:4] == ["90.00%", "1,000", "2.5 MB"]
    assert rows[0][6:] == ["-", "-", "-"]
    assert rows[1][6:] == ["90.0%", "10.0x", "10.0x"]
    assert rows[2][6:] == ["80.0%", "5.0x", "10.0x"]


def test_missing_models_are_left_out():
    assert comparison_rows({"models": {}}) == []
    assert comparison_rows({}) == []


def test_csv_and_markdown():
    rows = comparison_rows(SUMMARY)
    csv = to_csv(HEADERS, rows)
    assert csv.splitlines()[0] == ",".join(HEADERS)
    assert len(csv.splitlines()) == 4
    markdown = to_markdown(HEADERS, rows).splitlines()
    assert markdown[1].startswith("|---|---:|")
    assert markdown[2].startswith("| teacher | 90.00% |")
