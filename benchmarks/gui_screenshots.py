"""Regenerate the README screenshots: two synthetic-quick runs, then each tab.

    xvfb-run -s "-screen 0 1600x1000x24" python benchmarks/gui_screenshots.py assets/screenshots
    xvfb-run -s "-screen 0 1024x640x24" python benchmarks/gui_screenshots.py assets/screenshots \
        --size 1024x640

The window is shown at ``--size`` (default 1600x1000); other sizes than the default
add ``-WxH`` to the file names. ``--fashion EPOCHS`` runs fashion-kd once instead (its own
α and T, EPOCHS epochs) and saves ``soft-labels-fashion`` (Train tab, the preview on an
image the teacher finds hard) and ``compare-fashion``.

Runs go to a temporary run store, so the user's runs are untouched.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def main(out: Path, dark: bool = False, size: str = "1600x1000", fashion: int = 0) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="wb-shots-"))
    for name in ("RUNS", "CACHE", "CONFIG"):
        os.environ[f"WORKBENCH_{name}_DIR"] = str(scratch / name.lower())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "qs"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if dark:
        from workbench.gui.theme import dark_palette

        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    from workbench.gui import theme
    from workbench.gui.main_window import MainWindow

    theme.apply_plot_theme(app)
    window = MainWindow(scratch / "runs")
    width, height = (int(part) for part in size.split("x"))
    window.resize(width, height)
    window.show()
    window.load_preset("fashion-kd" if fashion else "synthetic-quick")
    # (temperature, alpha); the last one stays on screen. None: the preset's own.
    runs: list[tuple[float, float] | None] = [None] if fashion else [(8.0, 0.3), (4.0, 0.5)]
    if fashion:
        window.experiment.epochs.setValue(fashion)

    def run_next(*_: object) -> None:
        if not runs:
            app.processEvents()
            finish()
            return
        chosen = runs.pop(0)
        if chosen is not None:
            window.experiment.set_temperature(chosen[0])
            window.experiment.method_form.controls["alpha"].setValue(chosen[1])
        window.start_run()

    def finish() -> None:
        out.mkdir(parents=True, exist_ok=True)
        suffix = ("-dark" if dark else "") + ("" if size == "1600x1000" else f"-{size}")
        window.curves.redraw(force=True)
        if fashion:
            show_hard_sample(window, app)
        names = ("soft-labels-fashion", "compare-fashion") if fashion else ("main-window",
                                                                            "compare")
        for tab, name in enumerate(names):
            window.tabs.setCurrentIndex(tab)
            app.processEvents()
            window.grab().save(str(out / f"{name}{suffix}.png"))
        if fashion:
            print(f"screenshots saved in {out}")
            app.exit(0)
            return
        window.tabs.setCurrentIndex(2)
        window.runs.select_rows([0, 1])
        app.processEvents()
        window.grab().save(str(out / f"runs{suffix}.png"))
        print(f"screenshots saved in {out}")
        app.exit(0)

    window.run_finished.connect(lambda status, code: run_next())
    run_next()
    return app.exec()


def show_hard_sample(window: Any, app: Any) -> None:
    """Soft labels say most on an image the teacher is unsure of; scroll it into view
    (on a small screen the preview is below the fold)."""
    window.preview.hard_sample()
    window.preview.pool.waitForDone()
    app.processEvents()
    window.centralWidget().widget(0).ensureWidgetVisible(window.preview)
    for _ in range(5):  # the axes lay out their class names again after the scroll
        app.processEvents()


if __name__ == "__main__":
    arguments = [arg for arg in sys.argv[1:] if arg != "--dark"]
    chosen = "1600x1000"
    if "--size" in arguments:
        at = arguments.index("--size")
        chosen = arguments[at + 1]
        del arguments[at:at + 2]
    epochs = 0
    if "--fashion" in arguments:
        at = arguments.index("--fashion")
        epochs = int(arguments[at + 1])
        del arguments[at:at + 2]
    sys.exit(main(Path(arguments[0] if arguments else "assets/screenshots"),
                  dark="--dark" in sys.argv, size=chosen, fashion=epochs))
