"""Argument parsing and the one place that turns errors into exit codes.

Exit codes: 0 completed, 1 the run failed, 2 bad input (preset, override,
missing data), 130 interrupted (the run is saved as stopped).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from workbench._version import __version__
from workbench.cli.commands import (bench_cmd, compare_cmd, data_cmd, export_cmd, presets_cmd,
                                    run_cmd, runs_cmd)
from workbench.core.errors import WorkbenchError

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors -> exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description="Distill Workbench: knowledge distillation "
                     "you can see, tune and compare. With no command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (run_cmd, presets_cmd, runs_cmd, compare_cmd, bench_cmd, export_cmd, data_cmd):
        module.register(commands)
    commands.add_parser("gui", help="open the desktop app (same as no command)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return args.handler(args)
    except WorkbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
