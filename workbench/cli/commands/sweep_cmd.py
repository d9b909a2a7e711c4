"""``workbench sweep PRESET --grid KEY=V1,V2 ...``: a grid × seeds of ordinary runs, summarised."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from workbench.core.config.names import check_name
from workbench.core.errors import PresetError, Problem
from workbench.core.paths import default_runs_dir
from workbench.core.presets.save import save_user_experiment, settings_from_preset
from workbench.core.presets import load_experiment
from workbench.core.stream.control import RunControl
from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.executor import run_sweep
from workbench.core.sweep.folder import SweepFolder
from workbench.core.sweep.grid import Cell, parse_grid
from workbench.core.sweep.plan import make_plan
from workbench.core.sweep.ray_backend import require_ray
from workbench.core.sweep.report import finish


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "sweep", help="run a grid of settings × seeds; mean ± std per setting",
        description="Run the cross product of --grid values times --seeds seeds as ordinary "
        "runs, grouped in a sweep folder (sweeps/<id>/ beside the runs folder) with its plan "
        "and a results table. Running the same command again resumes: finished cells are "
        "skipped.")
    parser.add_argument("preset", help="experiment preset name or path to a .yaml file")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                        help="a key and its values, e.g. --grid distill.alpha=0.1,0.5,0.9 "
                        "(repeatable; the sweep is the cross product)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a preset field in every cell, "
                        "e.g. --set train.epochs=5 (repeatable)")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="repeats per setting: train.seed, +1, ... (default 1)")
    parser.add_argument("--jobs", type=int, default=1, metavar="J",
                        help="cells run at once in worker processes; each gets "
                        "free cores / J torch threads (default 1)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local",
                        help="where cells run: local processes, or Ray tasks (needs the "
                        "[ray] extra)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="where run folders go (default: ./runs or $WORKBENCH_RUNS_DIR)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with the results on stdout at the end")
    parser.add_argument("--save-best", metavar="NAME", default=None,
                        help="save the best setting as a user preset named NAME")
    parser.set_defaults(handler=sweep)


def sweep(args: argparse.Namespace) -> int:
    """Check everything (grid, every cell's preset, names, backend), then run; exit 2 if bad."""
    if args.jobs < 1:
        raise PresetError("--jobs", [Problem("--jobs", f"must be 1 or more, got {args.jobs}")])
    if args.save_best is not None and (reason := check_name(args.save_best)):
        raise PresetError("--save-best", [Problem("--save-best", reason)])
    if args.backend == "ray":
        require_ray()
    plan = make_plan(args.preset, parse_grid(args.grid), args.seeds, tuple(args.overrides))
    runs_dir = args.runs_dir or default_runs_dir()
    folder = SweepFolder(runs_dir, plan)
    total = len(plan.cells)
    print(f"sweep {plan.sweep_id}: {total} runs ({total // len(plan.seeds)} settings × "
          f"{len(plan.seeds)} seeds) -> {folder.path}", file=sys.stderr)
    control = RunControl()
    previous = signal.signal(signal.SIGINT, lambda *_: _stop(control))
    try:
        outcome = run_sweep(plan, runs_dir, args.jobs, _progress(total), control,
                            backend=args.backend)
    finally:
        signal.signal(signal.SIGINT, previous)
    report = finish(plan, folder, outcome)
    _print_summary(report)
    if args.save_best and report["best"] is not None:
        _save_best(args.preset, args.overrides, report["best"]["values"], args.save_best)
    if args.json:
        print(json.dumps(report, indent=2))
    if control.stop_requested:
        return 130
    return 1 if report["failed"] else 0


def _stop(control: RunControl) -> None:
    if control.stop_requested:
        raise KeyboardInterrupt
    print("\nstopping after the running cells (rerun the command to resume; "
          "Ctrl+C again to abort)...", file=sys.stderr)
    control.request_stop()


def _progress(total: int) -> Any:
    count = [0]

    def on_cell(cell: Cell, result: CellResult) -> None:
        count[0] += 1
        accuracy = ("—" if result.student_accuracy is None
                    else f"{result.student_accuracy * 100:.2f}%")
        print(f"[{count[0]}/{total}] {cell.config_key or 'preset'} seed {cell.seed}: "
              f"{result.status}, student {accuracy}"
              + (f" ({result.error})" if result.error else ""), file=sys.stderr)

    return on_cell


def _print_summary(report: dict[str, Any]) -> None:
    print(f"{report['resumed']} of {report['runs']} runs resumed from an earlier sweep; "
          f"wall time {report['wall_s']:.1f} s; table: {report['sweep_dir']}/results.md",
          file=sys.stderr)
    best = report["best"]
    if best is not None:
        accuracy = best["student_accuracy"]
        spread = "" if accuracy["std"] is None else f" ± {accuracy['std'] * 100:.2f}"
        settings = ", ".join(f"{key}={value}" for key, value in best["values"].items())
        print(f"best: {settings or 'preset'}: student {accuracy['mean'] * 100:.2f}{spread}% "
              f"(n={accuracy['n']})", file=sys.stderr)


def _save_best(preset: str, overrides: list[str], values: dict[str, str], name: str) -> None:
    best = load_experiment(preset, overrides + [f"{key}={value}" for key, value in values.items()])
    path = save_user_experiment(settings_from_preset(best), name)
    print(f"saved the best setting as preset '{name}': {path}", file=sys.stderr)
