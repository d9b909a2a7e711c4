"""`workbench run` without --json ends with the verdict and the comparison rows."""
from __future__ import annotations

import io
import json
from pathlib import Path

from tests.cli.conftest import TINY, run_cli
from workbench.cli.console import print_result


def test_a_finished_run_prints_its_verdict_and_table(tmp_path: Path) -> None:
    result = run_cli("run", "synthetic-quick", *TINY)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Distilled student ") and "the baseline" in lines[0]
    assert "x smaller" in lines[0] and "x faster" in lines[0]
    assert lines[1].split()[:3] == ["run", "model", "accuracy"]
    assert [line.split()[1] for line in lines[3:7]] == ["teacher", "student", "student-int8",
                                                        "baseline"]


def test_nothing_is_printed_for_a_run_without_results() -> None:
    out = io.StringIO()
    print_result({"models": {}}, out)
    assert out.getvalue() == ""


def test_the_table_has_one_row_per_model() -> None:
    out = io.StringIO()
    summary = {"run_id": "r1", "models": {"teacher": {"accuracy": 0.9, "params": 10},
                                          "student": {"accuracy": 0.8, "params": 5},
                                          "baseline": {"accuracy": 0.85, "params": 5}}}
    print_result(json.loads(json.dumps(summary)), out)
    first, header, _rule, *rows = out.getvalue().splitlines()
    assert "5.00 points below the baseline" in first
    assert [row.split()[1] for row in rows] == ["teacher", "student", "baseline"]


def test_the_energy_bill_ends_the_report() -> None:
    out = io.StringIO()
    summary = {"run_id": "r1", "models": {"student": {"accuracy": 0.8, "params": 5}},
               "energy": {"student_j": 12.0, "total_j": 12.0, "method": "rapl",
                          "co2_g": 0.0016, "grid_intensity_g_per_kwh": 480.0}}
    print_result(summary, out)
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("energy: 12 J (measured, CPU package RAPL)") and "student 12 J" in last
