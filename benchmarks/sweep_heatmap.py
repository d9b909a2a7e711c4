"""Render a finished sweep's heatmaps (the window's Sweep tab) to a PNG for the README.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/sweep_heatmap.py SWEEP_DIR OUT.png
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from workbench.core.sweep.folder import open_sweep
    from workbench.gui.panels.sweep import SweepPanel
    from workbench.gui.theme import apply_plot_theme

    sweep_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    app = QApplication([])
    apply_plot_theme(app)
    plan, results = open_sweep(sweep_dir)
    panel = SweepPanel()
    panel.resize(1100, 480)
    panel.show_sweep(plan, results)
    changed = f", {' '.join(plan.base_overrides)}" if plan.base_overrides else ""
    panel.status.setText(f"{plan.preset}: {len(results)} runs, seeds {list(plan.seeds)}{changed}")
    panel.show()
    app.processEvents()
    panel.grab().save(str(out))
    print(out)


if __name__ == "__main__":
    main()
