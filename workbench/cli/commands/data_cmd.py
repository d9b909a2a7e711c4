"""``workbench data download NAME`` and ``workbench data inspect PATH``."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from workbench.core.data.download import MIRRORS, download_idx
from workbench.core.data.inspect import DatasetInfo, data_section_for, describe_dataset
from workbench.core.errors import DataError
from workbench.core.paths import user_cache_dir


def register(commands: Any) -> None:
    parser = commands.add_parser("data", help="get datasets, look into your own")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    download = actions.add_parser("download", help="download a dataset's IDX files")
    download.add_argument("name", choices=sorted(MIRRORS))
    download.add_argument("--root", type=Path, default=None,
                          help="destination folder (default: the user cache)")
    download.add_argument("--mirror", default=None, help="base URL replacing the official one")
    download.set_defaults(handler=download_command)
    inspect = actions.add_parser("inspect", help="classes, counts per split, input shape and "
                                 "unreadable files of a folder, .npz or .csv")
    inspect.add_argument("path", type=Path, help="a folder of class folders, an .npz (or a "
                         "folder of .npy), or a .csv")
    inspect.add_argument("--set", dest="settings", action="append", default=[],
                         metavar="KEY=VALUE", help="a data: setting, e.g. --set "
                         "label_column=species or --set image_size=32 (repeatable)")
    inspect.add_argument("--json", action="store_true", help="one JSON object on stdout")
    inspect.set_defaults(handler=inspect_command)


def download_command(args: argparse.Namespace) -> int:
    target = (args.root / args.name) if args.root else user_cache_dir() / "datasets" / args.name
    download_idx(args.name, target, args.mirror)
    print(f"downloaded {args.name} to {target}")
    return 0


def inspect_command(args: argparse.Namespace) -> int:
    data = data_section_for(args.path)
    for setting in args.settings:
        key, sep, value = setting.partition("=")
        key = key.strip().removeprefix("data.")
        if not sep or not key:
            raise DataError(f"--set {setting}: expected KEY=VALUE, e.g. label_column=species")
        data[key] = yaml.safe_load(value) if value.strip() else None
    info = describe_dataset(data)
    if args.json:
        print(json.dumps({"data": data, **info.to_dict()}, indent=2))
    else:
        print(_as_text(info, data))
    return 0


def _as_text(info: DatasetInfo, data: dict[str, Any]) -> str:
    shape = "x".join(str(side) for side in info.input_shape)
    kind = "feature vectors" if len(info.input_shape) == 1 else "images"
    lines = [f"{info.source}: dataset {info.name}, {kind} {shape}, {len(info.classes)} classes",
             "in a preset: data: " + yaml.safe_dump(data, default_flow_style=True,
                                                    sort_keys=False).strip()]
    splits = list(info.counts)
    width = max(len("class"), *(len(name) for name in info.classes))
    lines.append(f"  {'class':<{width}}  " + "  ".join(f"{split:>6}" for split in splits))
    for index, name in enumerate(info.classes):
        lines.append(f"  {name:<{width}}  "
                     + "  ".join(f"{info.counts[split][index]:>6}" for split in splits))
    if info.columns:
        lines.append("feature columns: " + ", ".join(info.columns[:12])
                     + (" ..." if len(info.columns) > 12 else ""))
    if info.unreadable_count:
        shown = "; ".join(f"{path} ({why})" for path, why in info.unreadable)
        more = info.unreadable_count - len(info.unreadable)
        noun = "file" if info.unreadable_count == 1 else "files"
        lines.append(f"unreadable: {info.unreadable_count} {noun}: {shown}"
                     + (f"; and {more} more" if more else ""))
    lines += [f"note: {note}" for note in info.notes]
    return "\n".join(lines)
