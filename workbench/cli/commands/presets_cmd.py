"""``workbench presets list|show|validate|export|import|diff|suggest-student``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from workbench.cli.commands import suggest_cmd
from workbench.core.errors import WorkbenchError
from workbench.core.presets import ExperimentPreset, load_any
from workbench.core.presets.share.bundle import export_bundle
from workbench.core.presets.share.importer import import_bundle
from workbench.core.presets.diff import ABSENT, diff_presets
from workbench.core.presets.library import list_presets
from workbench.core.presets.yaml_io import read_yaml


def register(commands: Any) -> None:
    parser = commands.add_parser("presets", help="list, show, validate, share or compare "
                                 "presets")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="all presets with their origin")
    listing.add_argument("--kind", choices=("model", "experiment"))
    listing.add_argument("--path", dest="folders", action="append", default=[], type=Path,
                         metavar="DIR", help="also list the presets in this folder (repeatable)")
    listing.set_defaults(handler=list_command)
    show = actions.add_parser("show", help="print a preset, resolved, as YAML")
    show.add_argument("preset")
    show.set_defaults(handler=show_command)
    validate = actions.add_parser("validate", help="check presets; exit 2 if any is invalid")
    validate.add_argument("presets", nargs="+", metavar="PRESET")
    validate.set_defaults(handler=validate_command)
    _register_sharing(actions)
    suggest_cmd.register(actions)
    parser.set_defaults(handler=lambda args: (parser.print_help(sys.stderr), 2)[1])


def _description(path: Path) -> str:
    try:
        if not path.is_file():  # a pipe named *.yaml would block the read forever
            return "(unreadable: not a regular file)"
        return str(read_yaml(path).get("description", ""))
    except (WorkbenchError, OSError):
        return "(unreadable)"


def _refuse_special_file(reference: str | Path, folders_too: bool = False,
                         wanted: str = "a preset name or a .yaml file") -> None:
    """Refuse a named pipe, socket or device before anything opens it (that would block).

    Args:
        folders_too: also refuse a folder (where only a file makes sense).
        wanted: what to give instead, for the message.
    """
    path = Path(reference)
    try:
        special = path.exists() and not path.is_file() and (folders_too or not path.is_dir())
    except OSError:
        return  # the reader names the problem
    if special:
        kind = "a folder" if path.is_dir() else "a pipe, socket or device"
        raise WorkbenchError(f"{path}: not a regular file ({kind}); give {wanted}")


def list_command(args: argparse.Namespace) -> int:
    for entry in list_presets(args.kind, tuple(args.folders)):
        note = f"  [user preset shadows bundled {entry.shadows}]" if entry.shadows else ""
        print(f"{entry.kind:<10} {entry.name:<22} {entry.origin:<8} "
              f"{_description(entry.path)}{note}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    _refuse_special_file(args.preset)
    preset = load_any(args.preset)
    print(yaml.safe_dump(preset.to_dict(), sort_keys=False), end="")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    failed = 0
    for reference in args.presets:
        try:
            _refuse_special_file(reference)
            preset = load_any(reference)
        except WorkbenchError as error:
            failed += 1
            print(f"invalid: {error}", file=sys.stderr)
            continue
        kind = "experiment" if isinstance(preset, ExperimentPreset) else "model"
        print(f"ok: {reference} ({kind} '{preset.name}')")
    return 2 if failed else 0


def _register_sharing(actions: Any) -> None:
    export = actions.add_parser("export", help="write an experiment, its model presets and "
                                "optionally their weights as one share file")
    export.add_argument("preset", metavar="NAME", help="experiment preset name or path")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                        help="bundle file to write, e.g. mine.wbpreset; an existing folder "
                        "gets NAME.wbpreset")
    export.add_argument("--with-weights", action="store_true",
                        help="include the model presets' weights")
    export.add_argument("--replace", action="store_true", help="overwrite FILE if it exists")
    export.set_defaults(handler=export_command)
    imported = actions.add_parser("import", help="check a share file and add its presets to "
                                  "your preset folder")
    imported.add_argument("bundle", type=Path, metavar="FILE")
    imported.add_argument("--as", dest="as_name", metavar="NAME",
                          help="import the experiment under this name")
    imported.add_argument("--replace", action="store_true",
                          help="overwrite your presets of the same names")
    imported.set_defaults(handler=import_command)
    diff = actions.add_parser("diff", help="the keys that differ between two presets, "
                              "both resolved with defaults")
    diff.add_argument("left", metavar="A")
    diff.add_argument("right", metavar="B")
    diff.set_defaults(handler=diff_command)


def export_command(args: argparse.Namespace) -> int:
    _refuse_special_file(args.preset)
    result = export_bundle(args.preset, args.output, with_weights=args.with_weights,
                           replace=args.replace)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"exported {len(result.manifest.files)} files to {result.path}")
    return 0


def import_command(args: argparse.Namespace) -> int:
    _refuse_special_file(args.bundle, folders_too=True, wanted="a share file (.wbpreset)")
    result = import_bundle(args.bundle, as_name=args.as_name, replace=args.replace)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for model in result.reused:
        print(f"model preset '{model}' already present with the same content; kept")
    for path in result.written:
        print(f"wrote {path}")
    print(f"imported experiment '{result.name}': workbench run {result.name}")
    return 0


def diff_command(args: argparse.Namespace) -> int:
    for reference in (args.left, args.right):
        _refuse_special_file(reference)
    differences = diff_presets(args.left, args.right)
    if not differences:
        print("no differences")
    for difference in differences:
        print(f"{difference.path}: {_show(difference.left)} -> {_show(difference.right)}")
    return 0


def _show(value: Any) -> str:
    return value if value == ABSENT else json.dumps(value)
