"""Run folders holding anything at all: every reader survives and says "unreadable"."""
from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from workbench.core.runs.history import (delete_run, find_trained_teacher, read_curves,
                                        read_run_config)
from workbench.core.runs.store import RunStore, find_run, list_runs, read_run
from workbench.core.runs.summary_check import MAX_SUMMARY_BYTES
from workbench.core.stream.events import RunStarted

from tests.core.conftest import tiny_preset

GOOD = {"status": "completed", "name": "good", "started": 2.0,
        "models": {"teacher": {"accuracy": 0.9, "latency_ms": 1.0, "params": 10},
                   "student": {"accuracy": 0.8, "latency_ms": 0.5, "params": 5}}}

BAD_SUMMARIES: dict[str, bytes] = {
    "empty-list": b"[]",
    "null": b"null",
    "text": b'"hello"',
    "models-is-a-number": json.dumps({**GOOD, "models": 3}).encode(),
    "started-is-text": json.dumps({**GOOD, "started": "x"}).encode(),
    "status-is-a-number": json.dumps({**GOOD, "status": 5}).encode(),
    "status-unknown": json.dumps({**GOOD, "status": "exploded"}).encode(),
    "started-out-of-range": json.dumps({**GOOD, "started": 1e300}).encode(),
    "started-nan": b'{"status": "completed", "started": NaN}',
    "model-is-a-list": json.dumps({**GOOD, "models": {"student": [1, 2]}}).encode(),
    "figure-is-text": json.dumps({**GOOD, "models": {"student": {"accuracy": "high"}}}).encode(),
    "pid-is-text": json.dumps({**GOOD, "status": "running", "pid": "x"}).encode(),
    "machine-is-a-list": json.dumps({**GOOD, "machine": ["cpu"]}).encode(),
    "binary-garbage": bytes(range(256)) * 4,
    "nested-too-deep": b"[" * 100_000,
    "torn": b'{"status": "compl',
}


def write_run(runs: Path, run_id: str, summary: bytes | dict[str, Any]) -> Path:
    folder = runs / run_id
    folder.mkdir(parents=True)
    data = summary if isinstance(summary, bytes) else json.dumps(summary).encode()
    (folder / "summary.json").write_bytes(data)
    return folder


def assert_one_unreadable(runs: Path, run_id: str) -> str:
    """The bad run is listed as unreadable with a one-line reason; the good one is intact."""
    listed = {info.run_id: info for info in list_runs(runs)}
    assert set(listed) == {"good", run_id}
    assert listed["good"].status == "completed" and listed["good"].accuracy("student") == 0.8
    bad = listed[run_id]
    assert (bad.status, bad.name, bad.started, bad.summary) == ("unreadable", run_id, None, {})
    assert bad.accuracy("student") is None
    assert "summary.json" in bad.problem and "\n" not in bad.problem
    assert find_run(runs, run_id) == bad
    return bad.problem


@pytest.mark.parametrize("case", sorted(BAD_SUMMARIES))
def test_a_bad_summary_is_one_unreadable_run(tmp_path: Path, case: str) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "good", GOOD)
    write_run(runs, case, BAD_SUMMARIES[case])
    assert_one_unreadable(runs, case)
    # the other readers of a run folder survive it too
    assert find_trained_teacher(runs, "cnn", {}, "synthetic") is None
    assert read_run_config(runs / case) == {}


def test_wrong_types_are_named_in_the_reason(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "good", GOOD)
    write_run(runs, "bad", {**GOOD, "models": {"student": {"accuracy": "high"}}})
    problem = assert_one_unreadable(runs, "bad")
    assert problem == ('summary.json: "models.student.accuracy" is the text "high", '
                       "expected a number")


def test_a_folder_named_summary_json_is_unreadable(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "good", GOOD)
    (runs / "odd" / "summary.json").mkdir(parents=True)
    assert assert_one_unreadable(runs, "odd") == "summary.json is a folder, not a file"
    delete_run(runs, runs / "odd")  # an unreadable run can still be deleted
    assert [info.run_id for info in list_runs(runs)] == ["good"]


def test_a_huge_summary_is_refused_without_reading_it(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "good", GOOD)
    folder = write_run(runs, "huge", b"")
    with open(folder / "summary.json", "wb") as handle:
        handle.truncate(MAX_SUMMARY_BYTES + 1)  # sparse: no disk used
    assert "over the 16 MiB limit" in assert_one_unreadable(runs, "huge")


def unblocked(fifo: Path, work: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``work`` in a thread; if it blocks opening ``fifo``, open the other end so it ends.

    Returns (whether it blocked, its result), and always joins the thread.
    """
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(value=work()))
    thread.start()
    thread.join(timeout=20)
    blocked = thread.is_alive()
    if blocked:
        with open(fifo, "wb"):
            pass  # the reader's open returns, it reads end-of-file
        thread.join()
    return blocked, result.get("value")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_never_blocks_a_reader(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "good", GOOD)
    (runs / "pipe").mkdir()
    os.mkfifo(runs / "pipe" / "summary.json")
    blocked, listed = unblocked(runs / "pipe" / "summary.json", lambda: list_runs(runs))
    assert not blocked
    assert {info.run_id: info.status for info in listed} == {"good": "completed",
                                                              "pipe": "unreadable"}
    assert listed[1].problem == "summary.json is a named pipe, not a file"
    os.mkfifo(runs / "good" / "preset.yaml")
    blocked, config = unblocked(runs / "good" / "preset.yaml",
                                lambda: read_run_config(runs / "good"))
    assert (blocked, config) == (False, {})


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root")
def test_a_summary_without_read_permission_is_unreadable(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "good", GOOD)
    folder = write_run(runs, "locked", GOOD)
    (folder / "summary.json").chmod(0)
    try:
        assert "Permission denied" in assert_one_unreadable(runs, "locked")
    finally:
        (folder / "summary.json").chmod(0o644)


def test_bad_lines_of_metrics_jsonl_are_skipped(tmp_path: Path) -> None:
    good_step = {"event": "step_ended", "phase": "student", "step": 1, "loss": 2.0,
                 "hard": 1.5, "soft": 0.5}
    lines = [b"[]", b"null", b'{"event": "step_ended", "phase": "student", "step": 1}',
             json.dumps({**good_step, "soft": "x"}).encode(),
             b'{"event": "epoch_ended", "phase": "student", "epoch": 1, "metrics": [1]}',
             b"x" * (3 * 1024 * 1024),  # longer than any event
             bytes(range(256)),
             json.dumps(good_step).encode(),
             json.dumps({"event": "epoch_ended", "phase": "student", "epoch": 1,
                         "metrics": {"val_acc": 0.7, "label": "text"}}).encode()]
    (tmp_path / "metrics.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    curves = read_curves(tmp_path)
    assert curves.steps == {"student": {"step": [1.0], "loss": [2.0], "hard": [1.5],
                                        "soft": [0.5]}}
    assert curves.epochs == {"student": [{"epoch": 1.0, "val_acc": 0.7}]}


def test_a_config_full_of_aliases_is_not_expanded(tmp_path: Path) -> None:
    """Nine levels of ten aliases: a billion values once expanded, a few lines on disk."""
    lines = ['a0: ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{level}: [" + ", ".join([f"*a{level - 1}"] * 10) + "]"
              for level in range(1, 10)]
    text = "\n".join(line.replace(f"a{i}: ", f"a{i}: &a{i} ", 1)
                     for i, line in enumerate(lines))
    (tmp_path / "preset.yaml").write_text(text)
    assert read_run_config(tmp_path) == {}
    (tmp_path / "preset.yaml").write_text("teacher: {architecture: cnn}\n")
    assert read_run_config(tmp_path) == {"teacher": {"architecture": "cnn"}}


def test_a_config_of_the_wrong_shape_finds_no_teacher(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for run_id, config in (("a", {"teacher": "cnn", "data": ["synthetic"]}),
                           ("b", {"teacher": {"architecture": "cnn", "args": [1]}}),
                           ("c", "just text")):
        folder = write_run(runs, run_id, GOOD)
        (folder / "ckpt").mkdir()
        (folder / "ckpt" / "teacher.pt").write_bytes(b"x")
        (folder / "preset.yaml").write_text(yaml.safe_dump(config))
    assert find_trained_teacher(runs, "cnn", {}, "synthetic") is None


def summary_of_a_live_run(process_started: float | None) -> dict[str, Any]:
    summary = {**GOOD, "status": "running", "pid": os.getpid(), "host": socket.gethostname()}
    return summary if process_started is None else {**summary,
                                                    "process_started": process_started}


def test_a_reused_pid_is_a_crashed_run(tmp_path: Path) -> None:
    """The pid is alive, but it is another process than the one that wrote the run."""
    started = psutil.Process().create_time()
    runs = tmp_path / "runs"
    write_run(runs, "ours", summary_of_a_live_run(started))
    write_run(runs, "reused", summary_of_a_live_run(started - 3600))
    write_run(runs, "older-file", summary_of_a_live_run(None))  # written before the field
    assert read_run(runs / "ours").status == "running"
    assert read_run(runs / "reused").status == "crashed"
    assert read_run(runs / "older-file").status == "running"


def test_the_summary_header_records_the_process_start_time(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs", tiny_preset(), run_id="header")
    store(RunStarted("header", "synthetic-quick", (), "cpu", 0, 1.0))
    try:
        summary = json.loads((store.path / "summary.json").read_text(encoding="utf-8"))
        assert summary["process_started"] == psutil.Process().create_time()
        assert read_run(store.path).status == "running"
    finally:
        store._metrics.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root")
def test_an_unlistable_runs_folder_is_one_message(tmp_path: Path) -> None:
    from workbench.core.errors import WorkbenchError

    runs = tmp_path / "runs"
    runs.mkdir()
    runs.chmod(0)
    try:
        with pytest.raises(WorkbenchError, match="runs folder cannot be read"):
            list_runs(runs)
    finally:
        runs.chmod(0o755)
