"""`workbench detect`: a verdict from the command line, an evaluation, and bad targets
answered with one message and exit 2."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.cli.conftest import TINY
from tests.core.lineage.conftest import lineage_preset
from workbench.cli.main import main

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny synthetic teacher trained by the CLI, a preset that distils from it without
    retraining it, and one run of that preset (seed 0): the suspect's student and baseline."""
    base = tmp_path_factory.mktemp("detect")
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(base / "cache"),
               WORKBENCH_CONFIG_DIR=str(base / "config"), WORKBENCH_RUNS_DIR=str(base / "runs"))
    env.pop("WORKBENCH_DATA", None)

    def run(*args: str) -> Path:
        command = [sys.executable, "-m", "workbench", "run", *args, "--json"]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        return Path(json.loads(result.stdout)["run_dir"])

    teacher = run("synthetic-quick", *TINY, "--set", "train.baseline=false",
                  "--set", "train.threads=1") / "ckpt" / "teacher.pt"
    preset = lineage_preset(base, teacher)
    return {"run": run(str(preset)), "teacher": teacher, "base": base, "preset": preset}


def detect_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-m", "workbench", "detect", *args],
                          capture_output=True, text=True, env=env, timeout=600)


def test_detect_trains_references_and_catches_the_distilled_student(trained) -> None:
    result = detect_cli(str(trained["run"]), "--teacher", str(trained["teacher"]),
                        "--train-references", "5", "--preset", str(trained["preset"]),
                        "--probe", "600", "--level", "0.05", "--json",
                        cache=trained["base"] / "cache")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # five tiny references leave a wide null: at a 5% false-positive rate it is caught
    assert report["verdict"] == "learned from the teacher"
    assert report["decision"]["p_gaussian"] < 0.05 and report["decision"]["p_empirical"] <= 2 / 6
    assert report["suspect"].endswith("ckpt/student.pt") and report["probe_size"] == 600
    assert report["directed"] is True  # the preset's teacher is TEACHER: 5 known students
    assert len(report["null_scores"]) == 5 and len(report["distilled_scores"]) == 5
    names = [reading["name"] for reading in report["readings"]]
    assert "kl_high" in names and "sac_distance" in names
    assert "reference run 5/5" in result.stderr


def test_detect_text_report_for_an_independent_suspect(trained, tmp_path: Path) -> None:
    work = tmp_path / "refs"
    result = detect_cli(str(trained["run"] / "ckpt" / "baseline.pt"), "--teacher",
                        str(trained["teacher"]), "--train-references", "5", "--preset",
                        str(trained["preset"]), "--probe", "600", "--level", "0.05",
                        "--work-dir", str(work),
                        cache=trained["base"] / "cache")
    assert result.returncode == 0, result.stderr
    assert "verdict: no evidence it learned from the teacher" in result.stdout
    assert "KL at high T" in result.stdout and "references (held out)" in result.stdout
    assert len(list(work.glob("*/ckpt/baseline.pt"))) == 5  # kept where we asked


def test_evaluate_reports_auc_per_metric_and_combined(trained) -> None:
    result = detect_cli("--evaluate", str(trained["preset"]), "--students", "3",
                        "--probe", "600", "--json", cache=trained["base"] / "cache")
    assert result.returncode == 0, result.stderr
    study = json.loads(result.stdout)
    evaluation = study["evaluations"][0]
    assert study["seeds"] == [1000, 1001, 1002] and evaluation["defense"] == "none"
    assert evaluation["auc"]["combined"] >= 0.9
    assert set(evaluation["auc"]) >= {"agreement", "kl_t1", "kl_high", "error_kappa", "combined"}
    assert [model["kind"] for model in evaluation["models"]].count("independent") == 3
    assert study["tradeoff"][0]["student_accuracy"] == evaluation["distilled_accuracy"]


@pytest.mark.parametrize("args, message", [
    (["nope-model", "--teacher", "fashion-cnn-teacher", "--references", "x"],
     "error: suspect 'nope-model' is not a model preset"),
    (["synthetic-mlp", "--teacher", "fashion-cnn-teacher", "--references", "x"],
     "error: suspect 'synthetic-mlp': the model preset has no weights"),
    (["missing/student.pt", "--teacher", "fashion-cnn-teacher", "--references", "x"],
     "error: suspect missing/student.pt: no such file or folder"),
    (["fashion-cnn-teacher", "--teacher", "nope-teacher", "--references", "x"],
     "error: teacher 'nope-teacher' is not a model preset"),
    (["fashion-cnn-teacher", "--teacher", "fashion-cnn-teacher"], "error: no references"),
    (["fashion-cnn-teacher"], "error: give a SUSPECT and --teacher"),
    (["--evaluate", "fashion-kd", "--students", "2"], "error: --students 2: give at least 3"),
    (["--evaluate", "no-such-preset"], "no experiment preset named"),
    (["--evaluate", "fashion-kd", "--defense", "noise"], "error: --defense 'noise'"),
    (["--evaluate", "fashion-kd", "--defense", "teacher_noize=1"], "distill.teacher_noize"),
])
def test_bad_input_is_one_message_and_exit_2(args, message, capsys) -> None:
    assert main(["detect", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error")]) == 1
