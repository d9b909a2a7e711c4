"""CLI tests: isolated user folders, tiny synthetic runs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = ["--set", "data.train_limit=1500", "--set", "data.val_size=300",
        "--set", "train.epochs=1", "--set", "teacher_train.epochs=1",
        "--set", "compare.latency_repeats=3", "--set", "compare.warmup=1",
        "--set", "compare.throughput_batch=32"]


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WORKBENCH_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("WORKBENCH_DATA", raising=False)
    return tmp_path


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m workbench`` as a user would, with the test's environment."""
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ))
