"""Argument parsing and the one place that turns errors into exit codes.

Exit codes: 0 completed, 1 the run failed (or anything else went wrong after
it started), 2 bad input (preset, override, missing data, unreadable run), 130
interrupted (the run is saved as stopped), 141 stdout was closed early (``| head``).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from workbench._version import __version__
from workbench.cli.commands import (bench_cmd, compare_cmd, data_cmd, detect_cmd, export_cmd,
                                    green_cmd, presets_cmd, run_cmd, runs_cmd, sweep_cmd)
from workbench.core.errors import WorkbenchError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool cut off by `head`


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
    for module in (run_cmd, presets_cmd, runs_cmd, compare_cmd, bench_cmd, export_cmd, data_cmd,
                   detect_cmd, sweep_cmd, green_cmd):
        module.register(commands)
    commands.add_parser("gui", help="open the desktop app (same as no command)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and say how it went in the exit code; never a traceback."""
    try:
        try:
            return _run_command(list(sys.argv[1:] if argv is None else argv))
        finally:
            sys.stdout.flush()  # a closed pipe surfaces here, not at interpreter exit
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _run_command(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
    except BrokenPipeError:
        raise
    except Exception as error:  # noqa: BLE001 - a bug still gets one line, not a traceback
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"error: unexpected {type(error).__name__}: {error} (this is a bug; "
              "WORKBENCH_DEBUG=1 shows the traceback for a report)", file=sys.stderr)
        return EXIT_FAILED


def _silence_stdout() -> None:
    """The recipe of Python's signal docs: whoever read our output (``| head``) has left.

    Point stdout at devnull, so the flush at interpreter exit cannot fail again
    and print "Exception ignored ... BrokenPipeError".
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is no real file (a test's capture): nothing will flush to a pipe
