"""The README's teaching table: a strategy's gain is over the plain students of the same
seeds, so a cell that ran one seed is not flattered or penalised by other seeds' draws."""
from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "teaching_table.py"


def _table():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("teaching_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_one_seed_cell_is_compared_with_that_seeds_plain_student() -> None:
    table = _table()
    plain = {0: 0.9019, 1: 0.9070, 2: 0.9016}
    assert table.mean_std({0: 0.9066}, plain) == "90.66 ± 0.00 (+0.47) [n=1]"
    assert table.mean_std({0: 0.90, 1: 0.91, 2: 0.92}, {0: 0.89, 1: 0.90, 2: 0.91}) == (
        "91.00 ± 1.00 (+1.00)")
    assert table.mean_std({}, plain) == "–"
    assert table.mean_std({2: 0.9}) == "90.00 ± 0.00 [n=1]"  # no plain student: no gain


def test_rows_pair_each_strategy_with_the_plain_students_it_was_run_beside() -> None:
    table = _table()
    cells = [{"student": "s", "scenario": "all", "strategy": "kd", "seed": seed,
              "student_accuracy": 0.80, "baseline_accuracy": plain, "teacher_accuracy": 0.9}
             for seed, plain in ((0, 0.70), (1, 0.78))]
    cells.append({"student": "s", "scenario": "all", "strategy": "dkd", "seed": 1,
                  "student_accuracy": 0.79})
    rows = table.rows_of(cells, [("s", "all")], ["kd", "dkd"])
    assert rows[2] == "| plain student (no teacher) | 74.00 ± 5.66 [n=2] |"
    dkd = next(row for row in rows if row.startswith("| decoupled KD (`"))
    assert dkd.endswith("| 79.00 ± 0.00 (+1.00) [n=1] |")  # against seed 1's 78, not 74
