"""`workbench run` with a runs folder that cannot be written, or a disk that fills mid-run.

The full disk is real and needs no root: the child's ``RLIMIT_FSIZE`` makes
every write past the limit fail with EFBIG ("File too large"), as ENOSPC would.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import TINY, run_cli
from workbench.core.runs.store import list_runs


def test_a_runs_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    runs = blocker / "runs"
    done = run_cli("run", "synthetic-quick", *TINY, "--runs-dir", str(runs), "--json")
    assert done.returncode == 2
    assert done.stderr == (f"error: {runs}: the runs folder cannot be written (Not a "
                           "directory); choose another folder with --runs-dir or "
                           "WORKBENCH_RUNS_DIR\n")
    result = json.loads(done.stdout)
    assert result["status"] == "invalid" and result["run_dir"] is None
    assert blocker.read_text() == "x"


def test_a_disk_that_fills_during_the_run_fails_it_cleanly(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    limit = 64 * 1024  # preset and summary fit; the models' files do not
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", "synthetic-quick", *TINY, "--json"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
        preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1])))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    [run] = list_runs(runs)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: run failed: cannot write {run.path}{os.sep}")
    assert errors[0].endswith(": File too large; the run was stopped")
    assert run.status == "failed"  # recorded, not "running" forever
    assert run.summary.get("error") == errors[0].removeprefix("error: run failed: ")
    result = json.loads(done.stdout)
    assert result["status"] == "failed" and result["error"] == run.summary["error"]
    assert sorted(path.name for path in runs.rglob("*.tmp")) == []  # nothing half-written
