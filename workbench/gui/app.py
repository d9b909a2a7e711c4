"""``workbench gui``: open the window, optionally run a preset and screenshot the result.

Exit codes with ``--quit-after-run`` are core's ``exit_code`` of the run's status:
0 completed, 1 failed, 130 stopped, 2 bad preset.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from workbench.core.errors import PresetError
from workbench.core.presets.load import load_experiment
from workbench.core.stream.status import RunStatus, exit_code


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="workbench gui",
                                     description="Open the Distill Workbench desktop app.")
    parser.add_argument("--preset", help="experiment preset name or file to open")
    parser.add_argument("--run", action="store_true", help="start the run right away")
    parser.add_argument("--screenshot", type=Path, metavar="OUT.png",
                        help="save a picture of the window when the run ends")
    parser.add_argument("--quit-after-run", action="store_true",
                        help="exit when the run ends, with its exit code")
    parser.add_argument("--dark", action="store_true",
                        help="use a dark palette whatever the desktop's theme (the View "
                        "menu switches it and remembers the choice)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="run store folder (default: WORKBENCH_RUNS_DIR, else the folder "
                        "chosen in the Runs tab, else the user's data folder)")
    return parser.parse_args(list(argv))


def _print_problems(error: PresetError) -> None:
    print(f"error: {error.source}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


def no_display() -> bool:
    """On Linux without X11/Wayland (and no platform chosen) Qt would abort: say so instead."""
    if not sys.platform.startswith("linux") or QApplication.instance() is not None:
        return False
    return not any(os.environ.get(name) for name in
                   ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.preset and args.quit_after_run:
        try:  # headless-friendly: report a bad preset without opening a dialog
            load_experiment(args.preset)
        except PresetError as error:
            _print_problems(error)
            return exit_code(RunStatus.INVALID)
    if no_display():
        print("error: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not "
              "set). Run headless with `workbench run PRESET`, or set "
              "QT_QPA_PLATFORM=offscreen to render screenshots.", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "workbench"])
    app.setApplicationName("Distill Workbench")
    app.setOrganizationName("distill-workbench")

    from workbench.gui import menus, settings, theme
    from workbench.gui.main_window import MainWindow

    if args.dark or menus.wants_dark():  # --dark, or View ▸ Dark mode last time
        menus.apply_palette(app, True)
    else:
        theme.apply_plot_theme(app)  # the desktop's own palette
    window = MainWindow(args.runs_dir or settings.runs_dir())
    if args.preset:
        if not window.load_preset(args.preset):
            window.load_startup_preset()
    else:
        window.load_startup_preset()
    window.show()
    outcome = {"code": 0}

    def finish(status: str, code: int) -> None:
        outcome["code"] = code
        if args.screenshot is not None:
            QTimer.singleShot(300, lambda: save_screenshot(window, args.screenshot, code))
        elif args.quit_after_run:
            app.exit(code)

    def save_screenshot(target_window, path: Path, code: int) -> None:
        target_window.curves.redraw(force=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        target_window.grab().save(str(path))
        print(f"screenshot saved to {path}")
        if args.quit_after_run:
            app.exit(code)

    window.run_finished.connect(finish)
    if args.run:
        def start() -> None:
            if not window.start_run() and args.quit_after_run:
                app.exit(exit_code(RunStatus.INVALID))
        QTimer.singleShot(0, start)
    elif args.screenshot is not None:
        QTimer.singleShot(500, lambda: save_screenshot(window, args.screenshot, 0))
    elif args.quit_after_run:
        QTimer.singleShot(0, lambda: app.exit(0))  # nothing to run: a start-up smoke test
    code = app.exec()
    if window.running:
        window.close()
    return code if args.quit_after_run else 0
