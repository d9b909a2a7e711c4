"""The Sweep dialog: up to two keys with their values, seeds and jobs.

Checking is core's ``make_plan`` (every cell's preset, before anything runs);
a problem keeps the dialog open and lists the fields at fault.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit,
                               QSpinBox, QWidget)

from workbench.core.engine.threads import usable_cores
from workbench.core.errors import PresetError
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import SweepPlan, make_plan
from workbench.gui import dialogs

SUGGESTED_KEYS = ("distill.alpha", "distill.temperature", "train.epochs", "train.lr",
                  "train.batch_size", "student")
DEFAULTS = (("distill.alpha", "0.1, 0.5, 0.9"), ("distill.temperature", "1, 4, 8"))


class SweepDialog(QDialog):
    """After ``accepted``, ``plan`` holds the checked plan and ``jobs`` the worker count."""

    def __init__(self, preset: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sweep {preset}")
        self.preset = preset
        self.plan: SweepPlan | None = None
        self.keys = [self._key_box(key) for key, _ in DEFAULTS]
        self.values = [QLineEdit(values) for _, values in DEFAULTS]
        self.seeds = QSpinBox(minimum=1, maximum=50, value=3)
        self.seeds.setToolTip("Repeats per setting: train.seed, +1, ... (mean ± std over them)")
        self.jobs_box = QSpinBox(minimum=1, maximum=max(1, len(usable_cores())), value=1)
        self.jobs_box.setToolTip("Runs at once, each in its own process with its share of "
                                 "the cores")
        form = QFormLayout(self)
        for index, (key, values) in enumerate(zip(self.keys, self.values), start=1):
            values.setToolTip("Comma-separated values; leave empty to sweep one key only")
            form.addRow(f"Key {index}", key)
            form.addRow(f"Values {index}", values)
        form.addRow("Seeds", self.seeds)
        form.addRow("Jobs", self.jobs_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @property
    def jobs(self) -> int:
        return self.jobs_box.value()

    def grid(self) -> list[str]:
        """``KEY=V1,V2`` for every row that has values."""
        return [f"{key.currentText().strip()}={values.text().replace(' ', '')}"
                for key, values in zip(self.keys, self.values) if values.text().strip()]

    def accept(self) -> None:
        """Check the whole sweep; stay open, listing the problems, when it cannot run."""
        try:
            self.plan = make_plan(self.preset, parse_grid(self.grid()), self.seeds.value())
        except PresetError as error:
            dialogs.show_preset_error(self, error, "Sweep")
            return
        if not self.plan.axes:
            dialogs.show_error(self, "Nothing to sweep", ["give values for at least one key"])
            return
        super().accept()

    @staticmethod
    def _key_box(key: str) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.addItems(SUGGESTED_KEYS)
        box.setCurrentText(key)
        return box
