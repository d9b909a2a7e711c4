"""Commands as a user runs them (a subprocess) on hostile input: a message, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from tests.cli.conftest import run_cli

FAST = ["--repeats", "3", "--warmup", "1", "--batch", "8"]
GOOD_RUN = "20260101-000000-good-abcd"
BAD_RUN = "20260102-000000-bad-abcd"


class Forever(nn.Module):
    """A model whose forward never returns."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        while True:
            x = x + 1
        return x


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


def write_summary(runs: Path, run_id: str, content: bytes) -> Path:
    folder = runs / run_id
    folder.mkdir(parents=True)
    (folder / "summary.json").write_bytes(content)
    return folder


@pytest.fixture
def runs_with_a_bad_one(isolated_folders: Path) -> Path:
    runs = isolated_folders / "runs"
    good = {"status": "completed", "name": "good", "started": 1767225600.0,
            "models": {"teacher": {"accuracy": 0.9}, "student": {"accuracy": 0.8}}}
    write_summary(runs, GOOD_RUN, json.dumps(good).encode())
    write_summary(runs, BAD_RUN, json.dumps({**good, "models": 3, "started": "x"}).encode())
    return runs


def test_runs_list_shows_an_unreadable_run_and_why(runs_with_a_bad_one: Path) -> None:
    result = run_cli("runs", "list")
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[1:]
            if line.startswith("2026")}
    assert rows == {GOOD_RUN: "completed", BAD_RUN: "unreadable"}
    assert f"note: {runs_with_a_bad_one / BAD_RUN} is unreadable: summary.json: " in result.stdout


def test_compare_of_an_unreadable_run_exits_2_naming_its_folder(
        runs_with_a_bad_one: Path) -> None:
    result = run_cli("compare", GOOD_RUN, BAD_RUN)
    assert result.returncode == 2 and result.stdout == ""
    no_traceback(result)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {runs_with_a_bad_one / BAD_RUN}: this run folder is "
                           "unreadable (summary.json:")
    assert run_cli("compare", GOOD_RUN).returncode == 0


@pytest.mark.parametrize("args", [["presets", "list"], ["runs", "list"]])
def test_a_closed_output_pipe_ends_quietly(args: list[str], runs_with_a_bad_one: Path) -> None:
    """``workbench presets list | head -1``: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: the first write fails, every time
    try:
        result = subprocess.run([sys.executable, "-m", "workbench", *args], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=300,
                                env=dict(os.environ))
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_presets_import_refuses_a_named_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "shared.wbpreset"
    os.mkfifo(fifo)
    result = run_cli("presets", "import", str(fifo), timeout=120)
    assert result.returncode == 2
    no_traceback(result)
    assert result.stderr.strip() == (f"error: {fifo}: not a regular file (a pipe, socket or "
                                     "device); give a share file (.wbpreset)")


def test_presets_import_refuses_a_folder(tmp_path: Path) -> None:
    result = run_cli("presets", "import", str(tmp_path), timeout=120)
    assert result.returncode == 2 and f"{tmp_path}: not a regular file (a folder)" in \
        result.stderr
    no_traceback(result)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_bench_refuses_a_named_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "model.pt"
    os.mkfifo(fifo)
    result = run_cli("bench", str(fifo), *FAST, timeout=120)
    assert result.returncode == 2 and f"{fifo}: not a regular file" in result.stderr
    no_traceback(result)


def test_bench_stops_a_torchscript_file_that_never_returns(tmp_path: Path) -> None:
    path = tmp_path / "forever.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated, still how users save
        torch.jit.save(torch.jit.script(Forever()), str(path))
    result = run_cli("bench", str(path), "--input-shape", "3", "--timeout", "5", *FAST,
                     timeout=120)
    assert result.returncode == 1
    no_traceback(result)
    assert f"error: {path}: did not finish loading and benchmarking within the 5 s limit" \
        in result.stderr
    assert "--timeout" in result.stderr


def test_bench_timeout_must_be_positive() -> None:
    result = run_cli("bench", "synthetic-mlp", "--timeout", "0", timeout=120)
    assert result.returncode == 2 and "'0' is not a number of seconds > 0" in result.stderr
    no_traceback(result)
