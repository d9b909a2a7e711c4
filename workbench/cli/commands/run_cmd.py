"""``workbench run PRESET``: a whole distillation, headless."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from workbench.cli.console import ConsoleReporter
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import RunFailed, WorkbenchError
from workbench.core.paths import default_runs_dir
from workbench.core.presets import load_experiment
from workbench.core.runs.store import RunStore
from workbench.core.stream.control import RunControl
from workbench.core.stream.status import RunOutcome, RunStatus, exit_code

MODEL_KEYS = ("accuracy", "params", "size_bytes", "latency_ms", "throughput")


def register(commands: Any) -> None:
    parser = commands.add_parser("run", help="run an experiment preset headless",
                                 description="Run every phase of an experiment preset: teacher, "
                                 "cached teacher outputs, distilled student, baseline, comparison.")
    parser.add_argument("preset", help="experiment preset name (see `workbench presets list`) "
                        "or path to a .yaml file")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a preset field, e.g. "
                        "--set distill.alpha=0.3 (repeatable)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="where run folders go (default: ./runs or $WORKBENCH_RUNS_DIR)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with the results on stdout at the end")
    parser.set_defaults(handler=run)


def json_result(status: RunStatus, run_dir: Path | None, summary: dict[str, Any],
                error: str | None = None) -> dict[str, Any]:
    """The documented ``--json`` shape."""
    models = {role: {key: figures.get(key) for key in MODEL_KEYS}
              for role, figures in (summary.get("models") or {}).items()}
    return {"status": str(status), "run_dir": None if run_dir is None else str(run_dir),
            "models": models, "retention": summary.get("retention"),
            "compression": summary.get("compression"), "speedup": summary.get("speedup"),
            "timings": summary.get("timings") or {}, "error": error}


def run(args: argparse.Namespace) -> int:
    try:
        preset = load_experiment(args.preset, args.overrides)
    except WorkbenchError as error:
        return _bad_input(args, error)
    for note in preset.notes:
        print(f"note: {note}", file=sys.stderr)
    store = RunStore(args.runs_dir or default_runs_dir(), preset)
    control, outcome = RunControl(), RunOutcome()
    previous, failure = _install_interrupt(control), None
    try:
        run_experiment(preset, callbacks=[ConsoleReporter(), outcome], control=control,
                       recorder=store)
    except RunFailed as error:  # the stream's RunEnded carries the summary and the message
        print(f"error: run failed: {error}", file=sys.stderr)
        failure = str(error)
    except WorkbenchError as error:  # bad preset or data, found before anything started
        return _bad_input(args, error)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"run folder: {store.path}", file=sys.stderr)
    _emit_json(args, json_result(outcome.status, store.path, outcome.summary,
                                 outcome.error or failure))
    return exit_code(outcome.status)


def _install_interrupt(control: RunControl) -> Any:
    """First Ctrl+C stops after the current step (run saved as stopped); second aborts."""
    def handler(signum: int, frame: Any) -> None:
        if control.stop_requested:
            raise KeyboardInterrupt
        print("\nstopping after this step (Ctrl+C again to abort)...", file=sys.stderr)
        control.request_stop()

    return signal.signal(signal.SIGINT, handler)


def _bad_input(args: argparse.Namespace, error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    _emit_json(args, json_result(RunStatus.INVALID, None, {}, str(error)))
    return exit_code(RunStatus.INVALID)


def _emit_json(args: argparse.Namespace, payload: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(payload, indent=2))
