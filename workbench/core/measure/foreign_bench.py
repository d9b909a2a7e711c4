"""Benchmark TorchScript files in a child process, under a time limit.

A TorchScript file is code: its ``forward`` (or a ``__setstate__`` run while
loading) may loop forever or bring the interpreter down. Such a file is never
loaded in the caller's process; ``python -m workbench.core.measure.foreign_bench``
loads, checks and measures it, and the caller stops it after ``timeout`` seconds.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.measure.bench_report import bench_models
from workbench.core.measure.machine import machine_info
from workbench.core.measure.targets import (BenchTargetError, ForeignModel, Target,
                                            load_file_model)
from workbench.core.models.saved import LoadedModel

DEFAULT_TIMEOUT_S = 60.0
_REPLY = "workbench-foreign-bench-reply: "  # marks the child's answer among any other output


class ForeignModelError(WorkbenchError):
    """Measuring a model file went wrong after it started (front-ends: exit 1, not 2)."""


class ForeignModelTimeout(ForeignModelError):
    """A model file did not finish loading and measuring within the time limit."""


class ForeignModelFailed(ForeignModelError):
    """The child process measuring a model file ended without an answer (it crashed)."""


def bench_targets(models: Sequence[Target], settings: Mapping[str, Any], int8: bool = False,
                  timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """``bench_models`` for resolved targets, TorchScript files measured in a child process."""
    rows: list[dict[str, Any]] = []
    for model in models:
        if isinstance(model, ForeignModel):
            rows += bench_foreign(model, settings, int8, timeout)
        else:
            rows += bench_models([model], settings, int8=int8)["models"]
    return {"machine": machine_info(settings["threads"]), "settings": dict(settings),
            "models": rows}


def bench_foreign(model: ForeignModel, settings: Mapping[str, Any], int8: bool,
                  timeout: float) -> list[dict[str, Any]]:
    """The benchmark rows of one TorchScript file, measured by a child process.

    Raises:
        BenchTargetError: the file cannot be loaded or rejects its input (bad input).
        ForeignModelTimeout: it did not finish within ``timeout`` seconds.
        ForeignModelFailed: the child process died without an answer.
    """
    request = {"path": str(model.path), "source": model.source, "int8": int8,
               "input_shape": None if model.input_shape is None else list(model.input_shape),
               "settings": dict(settings)}
    try:
        finished = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(request),
                                  capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ForeignModelTimeout(
            f"{model.path}: did not finish loading and benchmarking within the {timeout:g} s "
            "limit (its code may never return); stopped it. Raise the limit with --timeout "
            "if it is only slow") from None
    reply = _reply(finished.stdout)
    if reply is None or finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise ForeignModelFailed(f"{model.path}: the benchmark process ended with exit code "
                                 f"{finished.returncode} ({last})")
    if "error" in reply:
        raise BenchTargetError(str(reply["error"]))
    return list(reply["rows"])


def _reply(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(_REPLY):
            return json.loads(line[len(_REPLY):])
    return None


def _measure(request: Mapping[str, Any]) -> dict[str, Any]:
    """The child's work: load, check and measure one file; bad input becomes a message."""
    shape = request["input_shape"]
    try:
        loaded: LoadedModel = load_file_model(Path(request["path"]),
                                              None if shape is None else tuple(shape),
                                              request["source"])
    except WorkbenchError as error:
        return {"error": str(error)}
    return {"rows": bench_models([loaded], request["settings"], int8=request["int8"])["models"]}


def main() -> int:
    """Read one request (JSON) on stdin, print one marked reply line on stdout."""
    reply = _measure(json.loads(sys.stdin.read()))
    print(_REPLY + json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
