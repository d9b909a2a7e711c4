"""Entry point: no arguments (or `gui`) opens the window, anything else is the CLI.

Lives above both front-ends so that `cli` and `gui` never import each other.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "gui":
        try:
            from workbench.gui.app import main as gui_main
        except ImportError as error:  # the GUI is optional at import time
            print(f"error: the desktop app is not available ({error}); "
                  "try `workbench --help` for the headless commands", file=sys.stderr)
            return 2
        return gui_main(args[1:])
    from workbench.cli.main import main as cli_main

    return cli_main(args)
