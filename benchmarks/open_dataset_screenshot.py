"""The README's "Open dataset" screenshot: a PNG folder in the Data tab, a teacher, a student.

    python benchmarks/open_dataset_screenshot.py FOLDER [--teacher FILE.onnx] [--size 1600x1000] \
        [--out assets/screenshots]
    python benchmarks/open_dataset_screenshot.py --export-fashion FOLDER --per-class 100

``--export-fashion`` writes Fashion-MNIST (PER_CLASS training and PER_CLASS // 5 test
images per class) as ``FOLDER/{train,test}/<class>/<n>.png``, the folder the worked
example opens. Otherwise the window (under a display: ``xvfb-run -s "-screen 0 1600x1000x24"``)
opens FOLDER through File ▸ Open dataset's code path, opens ``--teacher`` if given, picks
the 1/30 MLP the Suggest… button offers, and saves ``open-dataset[-WxH].png``. Runs and
settings go to a temporary folder, so the user's are untouched.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def export_fashion(folder: Path, per_class: int) -> None:
    """Fashion-MNIST as a folder of PNGs (class names made safe for file names)."""
    from PIL import Image

    from workbench.core.data.registry import load_named

    data = load_named("fashion-mnist")
    for split, images, labels, count in (("train", data.train_images, data.train_labels, per_class),
                                         ("test", data.test_images, data.test_labels,
                                          max(1, per_class // 5))):
        for label, name in enumerate(data.classes):
            target = folder / split / name.replace("/", "-")
            target.mkdir(parents=True, exist_ok=True)
            for index in (labels == label).nonzero().flatten()[:count].tolist():
                image = Image.fromarray(images[index, 0].numpy(), mode="L")
                image.save(target / f"{index:05d}.png")
    print(f"wrote {per_class} training images per class to {folder}")


def shoot(folder: Path, teacher: Path | None, size: str, out: Path, val_size: int) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="wb-open-dataset-"))
    for name in ("RUNS", "CACHE", "CONFIG"):
        os.environ[f"WORKBENCH_{name}_DIR"] = str(scratch / name.lower())
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "qs"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.gui import theme
    from workbench.gui.main_window import MainWindow
    from workbench.gui.panels.student_suggest import suggestion_label
    from workbench.gui.teacher_actions import open_teacher

    theme.apply_plot_theme(app)
    window = MainWindow(scratch / "runs")
    width, height = (int(part) for part in size.split("x"))
    window.resize(width, height)
    window.show()
    window.load_startup_preset()

    def opened(_info: object) -> None:
        if teacher is not None and open_teacher(window, teacher):
            button = window.experiment.suggest
            suggestions = button.fill()
            chosen = next((s for s in suggestions if s.architecture == "mlp" and s.target == 30),
                          None)
            for action in button.menu_.actions():
                if chosen is not None and action.text() == suggestion_label(chosen):
                    action.trigger()
        window.experiment.data_form.controls["val_size"].setValue(val_size)
        window.tabs.setCurrentWidget(window.datasets.view)
        for _ in range(10):
            app.processEvents()
        suffix = "" if size == "1600x1000" else f"-{size}"
        out.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out / f"open-dataset{suffix}.png"))
        print(f"saved {out / f'open-dataset{suffix}.png'}")
        app.exit(0)

    window.datasets.described.connect(opened)
    window.datasets.failed.connect(lambda text: (print(text, file=sys.stderr), app.exit(1)))
    QTimer.singleShot(300, lambda: window.datasets.open(folder))
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--export-fashion", action="store_true",
                        help="write Fashion-MNIST PNGs to FOLDER and stop")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--teacher", type=Path)
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"))
    parser.add_argument("--val-size", type=int, default=100,
                        help="data.val_size shown (fashion-kd's 5000 exceed a small folder)")
    args = parser.parse_args(argv)
    if args.export_fashion:
        export_fashion(args.folder, args.per_class)
        return 0
    return shoot(args.folder, args.teacher, args.size, args.out, args.val_size)


if __name__ == "__main__":
    sys.exit(main())
