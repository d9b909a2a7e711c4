"""`workbench run --resume` after a real SIGKILL: the weights of a run never killed, bit for bit."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from workbench.core.runs.store import RESUME_STATE, read_run

from tests.cli.conftest import TINY, run_cli

# 4,000 rows make a student epoch 30 steps; five epochs leave three to kill it in.
PRESET = ["synthetic-quick", *TINY, "--set", "data.train_limit=4000", "--set", "train.epochs=5",
          "--set", "train.threads=1"]
KILL_AFTER_EPOCH = 2
WATCH_LIMIT_S = 600  # a hung run fails the test instead of hanging the suite


def tensors(folder: Path, name: str) -> dict[str, torch.Tensor]:
    return torch.load(folder / "ckpt" / f"{name}.pt", map_location="cpu",
                      weights_only=True)["state_dict"]


def student_epochs(metrics: Path) -> list[int]:
    """Student epochs recorded so far (a half-written last line is skipped)."""
    epochs = []
    for line in metrics.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "epoch_ended" and record.get("phase") == "student":
            epochs.append(record["epoch"])
    return epochs


def killed_in_the_student_phase(runs: Path, log: Path) -> Path:
    """Start a run, SIGKILL it once a student epoch >= KILL_AFTER_EPOCH is recorded."""
    with open(log, "w", encoding="utf-8") as output:
        process = subprocess.Popen([sys.executable, "-m", "workbench", "run", *PRESET,
                                    "--runs-dir", str(runs)], stdout=output,
                                   stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + WATCH_LIMIT_S
        while time.monotonic() < deadline and process.poll() is None:
            found = list(runs.glob("*/metrics.jsonl"))
            if found and max(student_epochs(found[0]), default=0) >= KILL_AFTER_EPOCH:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, log.read_text(encoding="utf-8")
    [folder] = [path.parent for path in runs.glob("*/metrics.jsonl")]
    return folder


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_a_killed_run_resumes_to_the_weights_of_a_run_never_killed(tmp_path: Path) -> None:
    reference = run_cli("run", *PRESET, "--runs-dir", str(tmp_path / "reference"), "--json")
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout)

    folder = killed_in_the_student_phase(tmp_path / "runs", tmp_path / "killed.log")
    assert read_run(folder).status == "crashed"
    state = torch.load(folder / RESUME_STATE, weights_only=True)
    assert state["current"]["phases"] == ["student"]
    assert state["current"]["epoch"] >= KILL_AFTER_EPOCH

    # a damaged copy is refused with its path, and left as it was
    broken = tmp_path / "broken" / folder.name
    shutil.copytree(folder, broken)
    (broken / RESUME_STATE).write_bytes(b"\0" * 100)
    before = {path: path.read_bytes() for path in broken.rglob("*") if path.is_file()}
    refused = run_cli("run", "--resume", str(broken))
    assert refused.returncode == 2 and str(broken / RESUME_STATE) in refused.stderr
    assert "Traceback" not in refused.stderr
    assert {path: path.read_bytes() for path in broken.rglob("*") if path.is_file()} == before

    resumed = run_cli("run", "--resume", folder.name, "--runs-dir", str(tmp_path / "runs"),
                      "--json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["status"] == "completed" and result["run_dir"] == str(folder)
    reference_folder = Path(expected["run_dir"])
    for name in ("teacher", "student", "baseline"):
        first, second = tensors(folder, name), tensors(reference_folder, name)
        assert first.keys() == second.keys()
        assert all(torch.equal(first[key], second[key]) for key in first), name
    for role, figures in expected["models"].items():
        assert result["models"][role]["accuracy"] == figures["accuracy"], role
    assert read_run(folder).status == "completed"

    again = run_cli("run", "--resume", str(folder))
    assert again.returncode == 2 and "already completed" in again.stderr


def test_resume_takes_no_preset_or_overrides(tmp_path: Path) -> None:
    result = run_cli("run", "synthetic-quick", "--resume", "some-run")
    assert result.returncode == 2 and "give no PRESET" in result.stderr
    missing = run_cli("run", "--resume", "no-such-run", "--runs-dir", str(tmp_path))
    assert missing.returncode == 2 and "no-such-run: no such run" in missing.stderr
