"""``workbench runs list``: the run store, stopped, crashed and unreadable runs included."""
from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.core.paths import default_runs_dir
from workbench.core.runs.store import UNREADABLE, list_runs


def register(commands: Any) -> None:
    parser = commands.add_parser("runs", help="list recorded runs")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="every run folder, newest first")
    listing.add_argument("--runs-dir", type=Path, default=None)
    listing.set_defaults(handler=list_command)
    parser.set_defaults(handler=list_command, runs_dir=None)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def list_command(args: argparse.Namespace) -> int:
    runs = list_runs(args.runs_dir or default_runs_dir())
    if not runs:
        print("no runs yet: try `workbench run synthetic-quick`")
        return 0
    print(f"{'run':<44} {'status':<10} {'started':<17} {'teacher':>8} {'student':>8} "
          f"{'baseline':>8}")
    for info in runs:
        started = (datetime.fromtimestamp(info.started).strftime("%Y-%m-%d %H:%M")
                   if info.started else "-")
        print(f"{info.run_id:<44} {info.status:<10} {started:<17} "
              f"{_percent(info.accuracy('teacher')):>8} {_percent(info.accuracy('student')):>8} "
              f"{_percent(info.accuracy('baseline')):>8}")
    for info in runs:
        if info.status == UNREADABLE:
            print(f"note: {info.path} is unreadable: {info.problem}")
    return 0
