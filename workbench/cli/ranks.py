"""``workbench run`` over several processes: ``--nproc`` starts torchrun, and a rank runs.

Rank 0 is the run as one process would be (progress, run folder, the one JSON
summary); the other ranks train and stay silent, except for their own error.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from workbench.core.engine.distributed_run import (RankEnv, launch, start_ranks, stop_ranks)
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.engine.threads import usable_cores
from workbench.core.errors import RunFailed
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.stream.control import RunControl
from workbench.core.stream.status import exit_code


def positive_seconds(text: str) -> float:
    """A number of seconds > 0, or argparse's own usage error (exit 2) naming the value."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds > 0")
    return value


def silence_other_ranks(env: RankEnv | None) -> TextIO:
    """Ranks above 0 print nothing (their stdout and stderr go nowhere); returns the
    stream their own error still goes to."""
    errors = sys.stderr
    if env is not None and env.rank > 0:
        quiet = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
        sys.stdout = sys.stderr = quiet
    return errors


def child_args(args: argparse.Namespace, runs_dir: Path) -> list[str]:
    """The ``workbench`` arguments each rank gets: this command without ``--nproc``."""
    child = ["run", args.preset, "--runs-dir", str(runs_dir),
             "--ddp-timeout", f"{args.ddp_timeout:g}"]
    for override in args.overrides:
        child += ["--set", override]
    return child + (["--json"] if args.json else [])


def launch_ranks(args: argparse.Namespace, runs_dir: Path) -> int:
    """``--nproc N``: torchrun's launcher starts N ranks; their exit code is ours."""
    result = launch(args.nproc, child_args(args, runs_dir), len(usable_cores()))
    if result.message is not None:
        print(f"error: run failed: {result.message}", file=sys.stderr)
    return result.exit_code


def run_as_rank(env: RankEnv, preset: ExperimentPreset, timeout_s: float,
                first_rank: Callable[[], int], errors: TextIO) -> int:
    """Join the process group, then run rank 0's part (``first_rank``) or another's.

    torchrun stops the survivors of a failed rank with SIGTERM: taken as a Ctrl+C (stop
    after this step, or fail at the next collective), so rank 0 still records the run.
    Once the run is over, a late SIGTERM is ignored: the rank is leaving anyway, and its
    own exit code (1 after a lost peer) says more than "ended by signal 15".
    """
    try:
        start_ranks(env, str(preset.train.device), timeout_s)
    except Exception as error:  # noqa: BLE001 - no rendezvous: one line, exit 1
        print(f"error: rank {env.rank} of {env.world} could not join the run: {error}",
              file=errors)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        return first_rank() if env.rank == 0 else _other_rank(env, preset, errors)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_ranks()


def _other_rank(env: RankEnv, preset: ExperimentPreset, errors: TextIO) -> int:
    """A rank above 0: trains its part of every batch, writes and prints nothing."""
    control = RunControl()
    previous = signal.signal(signal.SIGINT, _stop_handler(control))
    try:
        result = run_experiment(preset, control=control, cache=TeacherLogitsCache())
    except RunFailed as error:
        print(f"error: rank {env.rank} of {env.world}: run failed: {error}", file=errors)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
    return exit_code(result.status)


def _stop_handler(control: RunControl) -> Any:
    """Ctrl+C (from the terminal, and again from torchrun) stops after this step, together."""
    def handler(signum: int, frame: Any) -> None:
        control.request_stop()

    return handler
