"""The window's memory over many runs in one session: does each run leave something behind?

Runs a small preset N times from one window (worker thread, bridge, live plots,
Compare, Runs), and prints the process's resident memory after each run, with
the ratio to the memory after the first run (goal: <= 1.3 after ten runs).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_memory.py --runs 10
    python benchmarks/gui_memory.py --runs 10 --set data.train_limit=3000

Runs go to a temporary run store, so the user's runs are untouched.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from pathlib import Path

import psutil

SMALL = ["data.dataset=synthetic", "data.train_limit=2000", "data.val_size=300",
         "train.epochs=2", "teacher_train.epochs=1", "compare.latency_repeats=10",
         "train.threads=1"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--preset", default="synthetic-quick")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="wb-memory-"))
    for name in ("RUNS", "CACHE", "CONFIG"):
        os.environ[f"WORKBENCH_{name}_DIR"] = str(scratch / name.lower())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "qs"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.core.presets.load import load_experiment
    from workbench.core.presets.save import settings_from_preset
    from workbench.gui.main_window import MainWindow

    window = MainWindow(scratch / "runs")
    window.show()
    preset = load_experiment(args.preset, SMALL + args.overrides)
    window.apply_settings(settings_from_preset(preset), preset.source)
    process, sizes = psutil.Process(), []
    left = [args.runs]

    def after_run(status: str, code: int) -> None:
        gc.collect()
        app.processEvents()
        sizes.append(process.memory_info().rss)
        print(f"run {len(sizes):2d} {status}: {sizes[-1] / 2**20:7.1f} MiB "
              f"({sizes[-1] / sizes[0]:.2f}x the first)", flush=True)
        left[0] -= 1
        if left[0] > 0:
            window.start_run()
        else:
            app.exit(0)

    window.run_finished.connect(after_run)
    print(f"before: {process.memory_info().rss / 2**20:.1f} MiB", flush=True)
    window.start_run()
    app.exec()
    ratio = sizes[-1] / sizes[0]
    print(f"after {len(sizes)} runs: {ratio:.2f}x the memory after the first "
          f"({'within' if ratio <= 1.3 else 'OVER'} the 1.3x goal)")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
