"""A runs folder that is read-only, or a disk that fills up during a run.

A full disk is made real, without root: the writer runs in a child process whose
``RLIMIT_FSIZE`` is lowered once the run has started, so every write past the
limit fails with EFBIG (Python ignores SIGXFSZ), exactly where ENOSPC would.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.core.runs.disk import RunsFolderUnwritable, check_runs_folder
from workbench.core.runs.store import list_runs

resource = pytest.importorskip("resource")  # POSIX only
ROOT = Path(__file__).resolve().parents[3]

# Starts a run with a RunStore, lowers the file size limit, then goes on as the
# pipeline does: events until a write fails, then RunEnded("failed") for the store.
WRITER = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from torch import nn
    from workbench.core.errors import RunFailed
    from workbench.core.presets import load_experiment
    from workbench.core.runs.store import RunStore
    from workbench.core.stream.events import RunEnded, RunStarted, StepEnded

    runs, limit, when, work = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    store = RunStore(runs, load_experiment("synthetic-quick"), run_id="r1")
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    lower = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        if when == "before":
            lower()
        store(RunStarted("r1", "synthetic-quick", (), "cpu", 0, time.time()))
        lower()
        if work == "checkpoint":
            store.save_checkpoint("teacher", nn.Linear(64, 64), {"note": "test"})
        for step in range(1, 10_000):
            store(StepEnded("student", 1, step, 0.5, 0.25, 0.25))
    except RunFailed as error:
        if when == "during":
            store(RunEnded("failed", {}, str(error)))
        print(json.dumps({"type": type(error).__name__, "message": str(error)}))
""")


def _write_until_full(runs: Path, limit: int, when: str = "during",
                      work: str = "metrics") -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", WRITER, str(runs), str(limit), when, work],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.tmp"))


def test_a_full_disk_during_the_run_stops_it_as_failed(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    failure = _write_until_full(runs, limit=4096)
    metrics = runs / "r1" / "metrics.jsonl"
    assert failure["type"] == "RunWriteFailed"
    assert failure["message"] == (f"cannot write {metrics}: File too large; "
                                  "the run was stopped")
    summary = json.loads((runs / "r1" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["error"] == failure["message"]
    text = metrics.read_text()
    assert text.endswith("\n")  # the line cut by the full disk was taken back
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["event"] == "run_started" and len(lines) > 5
    assert len(text) <= 4096
    assert _leftovers(runs) == []
    assert [(info.run_id, info.status) for info in list_runs(runs)] == [("r1", "failed")]


def test_a_checkpoint_that_does_not_fit_stops_the_run_naming_it(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    failure = _write_until_full(runs, limit=4096, work="checkpoint")
    assert failure["message"] == (f"cannot write {runs / 'r1' / 'ckpt' / 'teacher.pt'}: "
                                  "File too large; the run was stopped")
    assert not (runs / "r1" / "ckpt" / "teacher.pt").exists()
    assert _leftovers(runs) == []
    assert json.loads((runs / "r1" / "summary.json").read_text())["status"] == "failed"


def test_when_nothing_can_be_written_the_run_lists_as_crashed_not_running(
        tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    failure = _write_until_full(runs, limit=0)  # not even the failed summary fits
    assert "metrics.jsonl: File too large" in failure["message"]
    summary = json.loads((runs / "r1" / "summary.json").read_text())
    assert summary["status"] == "running"  # what the disk still holds ...
    assert [info.status for info in list_runs(runs)] == ["crashed"]  # ... its writer is gone
    lines = (runs / "r1" / "metrics.jsonl").read_text().splitlines(keepends=True)
    assert [json.loads(line)["event"] for line in lines] == ["run_started"]  # no half line
    assert _leftovers(runs) == []


def test_a_run_that_cannot_write_its_first_file_leaves_no_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    failure = _write_until_full(runs, limit=0, when="before")
    assert failure["message"] == (f"cannot write {runs / 'r1' / 'preset.yaml'}: File too large; "
                                  "the run was stopped")
    assert list(runs.iterdir()) == []


def test_a_runs_folder_below_a_file_is_refused_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(RunsFolderUnwritable) as refused:
        check_runs_folder(blocker / "runs")
    assert str(refused.value).startswith(f"{blocker / 'runs'}: the runs folder cannot be written")
    assert "--runs-dir" in str(refused.value)
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root")
def test_a_read_only_runs_folder_is_refused_before_the_run(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    runs.chmod(0o555)
    try:
        with pytest.raises(RunsFolderUnwritable, match="Permission denied"):
            check_runs_folder(runs)
    finally:
        runs.chmod(0o755)
    assert list(runs.iterdir()) == []


def test_a_writable_runs_folder_passes_and_leaves_nothing(tmp_path: Path) -> None:
    place = tmp_path / "place"
    (place / "runs").mkdir(parents=True)
    check_runs_folder(place / "runs")
    check_runs_folder(place / "new" / "runs")  # made for the probe, then removed
    assert sorted(path.name for path in place.iterdir()) == ["runs"]
    assert list((place / "runs").iterdir()) == []
