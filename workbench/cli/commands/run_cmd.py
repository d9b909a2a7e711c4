"""``workbench run PRESET``: a whole distillation, headless."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from workbench.cli.argtypes import positive_int
from workbench.cli.console import ConsoleReporter, print_result
from workbench.cli.ranks import (launch_ranks, positive_seconds, run_as_rank,
                                 silence_other_ranks)
from workbench.core.engine.distributed_run import DEFAULT_TIMEOUT_S, check_distributed, rank_env
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.errors import RunFailed, WorkbenchError
from workbench.core.paths import default_runs_dir
from workbench.core.presets import load_experiment
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.runs.disk import check_runs_folder
from workbench.core.runs.resume import open_resume
from workbench.core.runs.store import RunStore, find_run
from workbench.core.stream.control import RunControl
from workbench.core.stream.status import RunOutcome, RunStatus, exit_code

MODEL_KEYS = ("accuracy", "params", "size_bytes", "latency_ms", "throughput", "energy_per_1k_j")


def register(commands: Any) -> None:
    parser = commands.add_parser("run", help="run an experiment preset headless",
                                 description="Run every phase of an experiment preset: teacher, "
                                 "cached teacher outputs, distilled student, baseline, comparison.")
    parser.add_argument("preset", nargs="?", help="experiment preset name (see `workbench "
                        "presets list`) or path to a .yaml file")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a preset field, e.g. "
                        "--set distill.alpha=0.3 (repeatable)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="where run folders go (default: ./runs or $WORKBENCH_RUNS_DIR)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with the results on stdout at the end")
    parser.add_argument("--resume", metavar="RUN", default=None,
                        help="continue a stopped or crashed run (its folder or id) from its "
                        "last finished epoch, in the same folder, with its own preset")
    parser.add_argument("--nproc", type=positive_int, default=None, metavar="N",
                        help="train with N processes on this machine (DistributedDataParallel: "
                        "gloo on CPU, NCCL on GPUs), started by torchrun's own launcher; "
                        "train.batch_size stays the global batch, split across them")
    parser.add_argument("--ddp-timeout", type=positive_seconds, default=DEFAULT_TIMEOUT_S,
                        metavar="SECONDS", help="with several processes: how long one waits "
                        f"for the others before the run fails (default {DEFAULT_TIMEOUT_S:g})")
    parser.set_defaults(handler=run)


def json_result(status: RunStatus, run_dir: Path | None, summary: dict[str, Any],
                error: str | None = None) -> dict[str, Any]:
    """The documented ``--json`` shape."""
    models = {role: {key: figures.get(key) for key in MODEL_KEYS}
              for role, figures in (summary.get("models") or {}).items()}
    return {"status": str(status), "run_dir": None if run_dir is None else str(run_dir),
            "models": models, "retention": summary.get("retention"),
            "compression": summary.get("compression"), "speedup": summary.get("speedup"),
            "timings": summary.get("timings") or {}, "energy": summary.get("energy"),
            "dataset": summary.get("dataset"), "error": error}


def run(args: argparse.Namespace) -> int:
    env = rank_env()  # set under torchrun (also when --nproc started it)
    errors = silence_other_ranks(env)  # ranks above 0 print nothing but their own error
    if args.resume is not None:
        if env is not None or args.nproc:
            return _bad_input(args, WorkbenchError(
                "--resume continues a run in one process: leave out --nproc (and torchrun)"))
        return _resume(args)
    if args.preset is None:
        return _bad_input(args, WorkbenchError("give a preset to run, or --resume RUN"))
    world = env.world if env is not None else (args.nproc or 1)
    try:
        preset = load_experiment(args.preset, args.overrides)
        if env is not None and args.nproc:
            raise WorkbenchError("--nproc starts torchrun itself: under torchrun, leave it out")
        if world > 1:  # e.g. a batch size that does not split: refused before the run
            check_distributed(preset, world)
    except WorkbenchError as error:
        return _bad_input(args, error)
    launching = env is None and world > 1  # the ranks print the notes, not their launcher
    for note in [] if launching else preset.notes:
        print(f"note: {note}", file=sys.stderr)
    runs_dir = args.runs_dir or default_runs_dir()
    try:
        check_runs_folder(runs_dir)  # a read-only or full runs folder: refused before the run
    except WorkbenchError as error:
        return _bad_input(args, error)
    if launching:
        return launch_ranks(args, runs_dir)
    if env is not None:
        return run_as_rank(env, preset, args.ddp_timeout, lambda: _run_and_report(
            args, preset, RunStore(runs_dir, preset)), errors)
    return _run_and_report(args, preset, RunStore(runs_dir, preset))


def _resume(args: argparse.Namespace) -> int:
    """``--resume RUN``: the run's own preset and state, recorded into its own folder."""
    if args.preset is not None or args.overrides:
        return _bad_input(args, WorkbenchError(
            "--resume continues a run with the preset it was started with: "
            "give no PRESET and no --set"))
    runs_dir = args.runs_dir or default_runs_dir()
    try:
        info = find_run(runs_dir, args.resume)
        if info is None:
            raise WorkbenchError(f"{args.resume}: no such run in {runs_dir} "
                                 "(give its folder, its id or a unique start of it)")
        check_runs_folder(info.path.parent)
        start = open_resume(info)
    except WorkbenchError as error:
        return _bad_input(args, error)
    for note in start.notes + start.preset.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"resuming {info.path}", file=sys.stderr)
    return _run_and_report(args, start.preset, start.store, start.state)


def _run_and_report(args: argparse.Namespace, preset: ExperimentPreset, store: RunStore,
                    resume_state: dict[str, Any] | None = None) -> int:
    control, outcome = RunControl(), RunOutcome()
    previous, failure = _install_interrupt(control), None
    try:
        run_experiment(preset, callbacks=[ConsoleReporter(), outcome], control=control,
                       recorder=store, cache=TeacherLogitsCache(), resume_state=resume_state)
    except RunFailed as error:  # the stream's RunEnded carries the summary and the message
        print(f"error: run failed: {error}", file=sys.stderr)
        failure = str(error)
    except WorkbenchError as error:  # bad preset or data, found before anything started
        return _bad_input(args, error)
    finally:
        signal.signal(signal.SIGINT, previous)
    if not args.json:
        print_result(outcome.summary)  # the verdict and the `workbench compare` rows
    for note in ((outcome.summary or {}).get("dataset") or {}).get("notes") or []:
        print(f"note: {note}", file=sys.stderr)  # e.g. unreadable files skipped
    print(f"run folder: {store.path}", file=sys.stderr)
    _emit_json(args, json_result(outcome.status, store.path, outcome.summary,
                                 outcome.error or failure))
    return exit_code(outcome.status)


def _install_interrupt(control: RunControl) -> Any:
    """First Ctrl+C stops after the current step (run saved as stopped); second aborts.

    A rank of a torchrun job never aborts: torchrun passes on the terminal's Ctrl+C,
    and every rank must stop after the same step (see core.engine.distributed).
    """
    one_of_ranks = rank_env() is not None

    def handler(signum: int, frame: Any) -> None:
        if control.stop_requested:
            if one_of_ranks:
                return
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
