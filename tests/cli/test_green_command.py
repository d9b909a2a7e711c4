"""`workbench green`: the life-cycle answer as JSON and a table, and its exit codes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import TINY, run_cli


def test_green_json_charges_the_teacher_cache_to_distillation(tmp_path: Path) -> None:
    result = run_cli("green", "synthetic-quick", *TINY, "--set", "train.epochs=2", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "completed" and payload["error"] is None
    answer, bill = payload["lifecycle"], payload["energy"]
    assert answer["method"] == bill["method"]
    # The cache is computed afresh (not read from an earlier run's file) and charged once.
    assert answer["distill"]["one_off_j"] == bill["cache_j"] > 0
    assert answer["scratch"]["one_off_j"] == 0.0
    for route, phase in (("distill", "student"), ("scratch", "baseline")):
        share = answer[route]["epoch"] / answer[route]["epochs"]
        assert answer[route]["training_j"] == pytest.approx(bill[f"{phase}_j"] * share)
        assert answer[route]["epochs"] == 2
    assert answer["target_val_acc"] == min(answer["distill"]["final_val_acc"],
                                           answer["scratch"]["final_val_acc"])
    assert set(answer["inference_per_1k_j"]) >= {"teacher", "student", "student-int8"}


def test_green_prints_a_table_without_json(tmp_path: Path) -> None:
    result = run_cli("green", "synthetic-quick", *TINY)
    assert result.returncode == 0, result.stderr
    assert "distil + teacher cache" in result.stdout
    assert "from labels" in result.stdout and "Energy per 1,000 predictions" in result.stdout


def test_green_refuses_bad_input_with_exit_2_before_running(tmp_path: Path) -> None:
    missing = run_cli("green", "no-such-preset", "--json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["status"] == "invalid"
    no_baseline = run_cli("green", "synthetic-quick", "--set", "train.baseline=false")
    assert no_baseline.returncode == 2
    assert "train.baseline" in no_baseline.stderr and "Traceback" not in no_baseline.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
