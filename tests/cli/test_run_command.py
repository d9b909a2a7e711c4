"""`workbench run`: JSON shape, exit codes, messages for people, the run folder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import TINY, run_cli


def test_run_prints_one_json_object_with_the_documented_shape(tmp_path: Path) -> None:
    result = run_cli("run", "synthetic-quick", *TINY, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)  # exactly one object: extra text would not parse
    assert payload["status"] == "completed"
    assert Path(payload["run_dir"]).is_dir()
    assert set(payload["models"]) == {"teacher", "student", "student-int8", "baseline"}
    for figures in payload["models"].values():
        assert set(figures) == {"accuracy", "params", "size_bytes", "latency_ms", "throughput",
                                "energy_per_1k_j"}
        assert figures["energy_per_1k_j"] > 0
        assert 0.0 <= figures["accuracy"] <= 1.0
        assert figures["params"] > 0 and figures["size_bytes"] > 0
        assert figures["latency_ms"] > 0 and figures["throughput"] > 0
    teacher, student = payload["models"]["teacher"], payload["models"]["student"]
    assert payload["compression"] == teacher["params"] / student["params"]
    assert payload["retention"] == student["accuracy"] / teacher["accuracy"]
    assert payload["speedup"] == teacher["latency_ms"] / student["latency_ms"]
    assert set(payload["timings"]) >= {"teacher_s", "cache_s", "student_s", "baseline_s"}
    assert payload["energy"]["method"] in ("rapl", "nvml", "estimate")
    assert payload["energy"]["total_j"] > 0
    assert "student epoch 1/1" in result.stderr  # progress goes to stderr, not stdout


def test_bad_preset_values_exit_2_naming_every_field_without_traceback(tmp_path: Path) -> None:
    result = run_cli("run", "synthetic-quick", "--set", "distill.alpha=1.5",
                     "--set", "train.epochs=0", "--set", "data.datset=x")
    assert result.returncode == 2
    for field in ("distill.alpha", "train.epochs", "data.datset"):
        assert field in result.stderr
    assert "did you mean 'dataset'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()  # nothing started, nothing written


def test_unknown_preset_and_malformed_override_exit_2(tmp_path: Path) -> None:
    missing = run_cli("run", "no-such-preset")
    assert missing.returncode == 2 and "no-such-preset" in missing.stderr
    assert "synthetic-quick" in missing.stderr  # lists what is known
    malformed = run_cli("run", "synthetic-quick", "--set", "alpha", "--json")
    assert malformed.returncode == 2 and "KEY=VALUE" in malformed.stderr
    payload = json.loads(malformed.stdout)
    assert (payload["status"], payload["run_dir"], payload["models"]) == ("invalid", None, {})
    assert "Traceback" not in missing.stderr + malformed.stderr


def test_missing_dataset_exits_2_saying_where_it_looked(tmp_path: Path) -> None:
    result = run_cli("run", "synthetic-quick", "--set", "data.dataset=mnist",
                     "--set", f"data.root={tmp_path / 'nowhere'}", "--set", "data.download=false")
    assert result.returncode == 2
    assert "dataset 'mnist' not found" in result.stderr
    assert str(tmp_path / "nowhere") in result.stderr
    assert "Traceback" not in result.stderr


def test_diverging_run_exits_1_naming_the_step_and_is_saved_as_failed(tmp_path: Path) -> None:
    result = run_cli("run", "synthetic-quick", *TINY, "--set", "teacher_train.lr=10",
                     "--set", "teacher_train.optimizer=sgd", "--set",
                     "teacher_train.schedule=constant", "--json")
    assert result.returncode == 1, result.stderr
    assert "teacher loss became" in result.stderr and "step" in result.stderr
    assert "lower learning rate" in result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "failed"
    summary = json.loads((Path(payload["run_dir"]) / "summary.json").read_text())
    assert summary["status"] == "failed" and "step" in summary["error"]
    assert payload["error"] == summary["error"]  # from the stream's RunEnded, same words
    assert payload["timings"] == summary["timings"]


def test_interrupt_saves_the_run_as_stopped_and_exits_130(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "synthetic-quick",
         "--set", "train.epochs=200", "--set", "teacher_train.epochs=1",
         "--set", "data.train_limit=1500", "--set", "data.val_size=300"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    assert process.stderr is not None
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if line.startswith("student epoch 1/200"):
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130, "".join(lines) + rest
    runs = list((tmp_path / "runs").iterdir())
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert summary["status"] == "stopped"
    listed = run_cli("runs", "list")
    assert "stopped" in listed.stdout


def test_module_and_console_script_are_the_same_program() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and "workbench" in result.stdout
