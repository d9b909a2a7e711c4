"""``workbench green PRESET``: distil or train from scratch — energy and time to the same
accuracy on this machine, and the energy per 1,000 predictions of each model."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from workbench.cli.console import ConsoleReporter
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import RunFailed, WorkbenchError
from workbench.core.green.lifecycle import (LifecycleError, lifecycle, lifecycle_lines,
                                            val_histories)
from workbench.core.paths import default_runs_dir
from workbench.core.presets import load_experiment
from workbench.core.runs.disk import check_runs_folder
from workbench.core.runs.store import RunStore
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import EpochEnded, Event
from workbench.core.stream.status import RunOutcome, RunStatus, exit_code


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "green", help="energy and time to the same accuracy: distil vs train from labels",
        description="Run an experiment with its baseline and a freshly computed teacher cache, "
        "then compare the energy and time to reach the same validation accuracy by distilling "
        "(teacher cache included) and by training the student from labels alone, plus the "
        "energy per 1,000 predictions of each model.")
    parser.add_argument("preset", help="experiment preset name or path to a .yaml file")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a preset field (repeatable)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="where the run folder goes (default: ./runs or $WORKBENCH_RUNS_DIR)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=green)


class _ValAccuracy:
    """Keeps each phase's per-epoch metrics as the run reports them."""

    def __init__(self) -> None:
        self.epochs: dict[str, list[dict[str, float]]] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochEnded):
            self.epochs.setdefault(event.phase, []).append(dict(event.metrics))


def green(args: argparse.Namespace) -> int:
    try:  # the baseline is the "from scratch" route: on unless the user turns it off
        preset = load_experiment(args.preset, ["train.baseline=true", *args.overrides])
        if not preset.train.baseline:
            raise WorkbenchError("train.baseline: the life-cycle comparison trains the "
                                 "baseline student; leave train.baseline on")
        runs_dir = args.runs_dir or default_runs_dir()
        check_runs_folder(runs_dir)
    except WorkbenchError as error:
        return _report(args, RunStatus.INVALID, None, {}, None, str(error))
    store, outcome, history = RunStore(runs_dir, preset), RunOutcome(), _ValAccuracy()
    # A fresh cache folder: the teacher's outputs are computed, so their cost is the real one.
    control = RunControl()
    previous = signal.signal(signal.SIGINT, lambda *_: _stop(control))
    with tempfile.TemporaryDirectory(prefix="workbench-green-") as cache_dir:
        try:
            run_experiment(preset, callbacks=[ConsoleReporter(), outcome, history],
                           control=control, recorder=store, cache_dir=Path(cache_dir))
        except RunFailed as error:
            return _report(args, RunStatus.FAILED, store.path, outcome.summary, None, str(error))
        except WorkbenchError as error:
            return _report(args, RunStatus.INVALID, None, {}, None, str(error))
        finally:
            signal.signal(signal.SIGINT, previous)
    if outcome.status != RunStatus.COMPLETED:
        return _report(args, outcome.status, store.path, outcome.summary, None,
                       outcome.ended.error if outcome.ended else "the run did not finish")
    try:
        answer = lifecycle(outcome.summary, val_histories(history.epochs))
    except LifecycleError as error:
        return _report(args, RunStatus.FAILED, store.path, outcome.summary, None, str(error))
    return _report(args, RunStatus.COMPLETED, store.path, outcome.summary, answer.to_dict(),
                   None, lifecycle_lines(answer))


def _stop(control: RunControl) -> None:
    """First Ctrl+C stops after the current step (the run is saved as stopped); second aborts."""
    if control.stop_requested:
        raise KeyboardInterrupt
    print("\nstopping after this step (Ctrl+C again to abort)...", file=sys.stderr)
    control.request_stop()


def _report(args: argparse.Namespace, status: RunStatus, run_dir: Path | None,
            summary: dict[str, Any], answer: dict[str, Any] | None, error: str | None,
            lines: list[str] | None = None) -> int:
    if error is not None:
        print(f"error: {error}", file=sys.stderr)
    if run_dir is not None:
        print(f"run folder: {run_dir}", file=sys.stderr)
    if args.json:
        print(json.dumps({"status": str(status), "run_dir": None if run_dir is None
                          else str(run_dir), "lifecycle": answer,
                          "energy": summary.get("energy"), "error": error}, indent=2))
    elif lines:
        print("\n".join(lines))
    return exit_code(status)
