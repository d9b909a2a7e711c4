"""``workbench compare RUN...``: teacher, students and baselines side by side, with the
machine each run was measured on."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.paths import default_runs_dir
from workbench.core.measure.tables import machines, summary_rows, to_csv, to_markdown, to_text
from workbench.core.runs.store import UNREADABLE, find_run


def register(commands: Any) -> None:
    parser = commands.add_parser("compare", help="compare the models of one or more runs")
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run id, id prefix or folder")
    parser.add_argument("--runs-dir", type=Path, default=None)
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="rows as a JSON list")
    form.add_argument("--csv", action="store_true", help="rows as CSV (raw numbers)")
    form.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.set_defaults(handler=compare_command)


def compare_command(args: argparse.Namespace) -> int:
    runs_dir = args.runs_dir or default_runs_dir()
    rows = []
    for reference in args.runs:
        info = find_run(runs_dir, reference)
        if info is None:
            raise WorkbenchError(f"run '{reference}' not found in {runs_dir} (give a run id, "
                                 "a unique id prefix or a run folder; see `workbench runs list`)")
        if info.status == UNREADABLE:
            raise WorkbenchError(f"{info.path}: this run folder is unreadable ({info.problem}); "
                                 "compare other runs, or delete this one")
        if not info.summary.get("models"):
            raise WorkbenchError(f"run '{info.run_id}' has no results (status: {info.status})")
        rows += summary_rows(info.run_id, info.summary)
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.csv:
        print(to_csv(rows), end="")
    elif args.markdown:
        print(to_markdown(rows))
        for machine in machines(rows):
            print(f"\nMeasured on {machine}.")
    else:
        print(to_text(rows))
        for row in rows:
            if row.get("note"):
                print(f"note: {row['run']} {row['model']}: {row['note']}")
        for machine in machines(rows):
            print(f"machine: {machine}")
    return 0
