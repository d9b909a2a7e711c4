"""``workbench data download NAME``: fetch a dataset for users who have a network."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbench.core.data.download import MIRRORS, download_idx
from workbench.core.paths import user_cache_dir


def register(commands: Any) -> None:
    parser = commands.add_parser("data", help="get datasets")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    download = actions.add_parser("download", help="download a dataset's IDX files")
    download.add_argument("name", choices=sorted(MIRRORS))
    download.add_argument("--root", type=Path, default=None,
                          help="destination folder (default: the user cache)")
    download.add_argument("--mirror", default=None, help="base URL replacing the official one")
    download.set_defaults(handler=download_command)


def download_command(args: argparse.Namespace) -> int:
    target = (args.root / args.name) if args.root else user_cache_dir() / "datasets" / args.name
    download_idx(args.name, target, args.mirror)
    print(f"downloaded {args.name} to {target}")
    return 0
