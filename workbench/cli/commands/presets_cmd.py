"""``workbench presets list|show|validate``."""
from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from workbench.core.errors import WorkbenchError
from workbench.core.presets import ExperimentPreset, load_any
from workbench.core.presets.library import list_presets
from workbench.core.presets.yaml_io import read_yaml


def register(commands: Any) -> None:
    parser = commands.add_parser("presets", help="list, show or validate presets")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="all presets with their origin")
    listing.add_argument("--kind", choices=("model", "experiment"))
    listing.set_defaults(handler=list_command)
    show = actions.add_parser("show", help="print a preset, resolved, as YAML")
    show.add_argument("preset")
    show.set_defaults(handler=show_command)
    validate = actions.add_parser("validate", help="check presets; exit 2 if any is invalid")
    validate.add_argument("presets", nargs="+", metavar="PRESET")
    validate.set_defaults(handler=validate_command)
    parser.set_defaults(handler=lambda args: (parser.print_help(sys.stderr), 2)[1])


def _description(path: Any) -> str:
    try:
        return str(read_yaml(path).get("description", ""))
    except WorkbenchError:
        return "(unreadable)"


def list_command(args: argparse.Namespace) -> int:
    for entry in list_presets(args.kind):
        note = f"  [user preset shadows bundled {entry.shadows}]" if entry.shadows else ""
        print(f"{entry.kind:<10} {entry.name:<22} {entry.origin:<8} "
              f"{_description(entry.path)}{note}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    preset = load_any(args.preset)
    print(yaml.safe_dump(preset.to_dict(), sort_keys=False), end="")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    failed = 0
    for reference in args.presets:
        try:
            preset = load_any(reference)
        except WorkbenchError as error:
            failed += 1
            print(f"invalid: {error}", file=sys.stderr)
            continue
        kind = "experiment" if isinstance(preset, ExperimentPreset) else "model"
        print(f"ok: {reference} ({kind} '{preset.name}')")
    return 2 if failed else 0
