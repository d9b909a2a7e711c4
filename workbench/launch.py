"""Entry point: no arguments (or `gui`) opens the window, anything else is the CLI.

Lives above both front-ends so that `cli` and `gui` never import each other.
The desktop app is an optional extra (``distill-workbench[gui]``); without it
the window command says how to get it instead of failing with a traceback.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

GUI_EXTRA_HINT = 'pip install "distill-workbench[gui]"'
GUI_PACKAGES = ("PySide6", "pyqtgraph")  # the [gui] extra


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "gui":
        return _open_window(args[1:])
    from workbench.cli.main import main as cli_main

    return cli_main(args)


def _open_window(args: list[str]) -> int:
    if missing := _missing_gui_package():
        print(f"error: the desktop app needs {missing}, which is not installed: "
              f"{GUI_EXTRA_HINT} (the headless commands work without it: workbench --help)",
              file=sys.stderr)
        return 2
    try:
        from workbench.gui.app import main as gui_main
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and not _is_qt(error.name):
            raise  # a missing module of our own is a bug, not a missing extra
        # Qt is installed but cannot load, e.g. a system library it needs is missing
        print(f"error: the desktop app could not load Qt ({error}); "
              "the headless commands work without it: workbench --help", file=sys.stderr)
        return 2
    return gui_main(args)


def _missing_gui_package() -> str | None:
    """The first package of the [gui] extra that is not installed, if any.

    Imported here in the order the window needs them, so the message names PySide6
    rather than pyqtgraph's own complaint about having no Qt binding.
    """
    for name in GUI_PACKAGES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if _is_qt(error.name):
                return error.name
            raise
    return None


def _is_qt(module_name: str | None) -> bool:
    return (module_name or "").split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph")
