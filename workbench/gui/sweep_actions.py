"""Run ▸ Sweep… and the Sweep tab (issue 14), bound to one window through narrow callables."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTabWidget, QWidget

from workbench.gui import dialogs
from workbench.gui.panels.runs import RunsPanel
from workbench.gui.panels.sweep import SweepPanel


class SweepActions(QObject):
    """Owns the Sweep tab and its menu entry; the window only hands over what they need."""

    def __init__(self, parent: QWidget, tabs: QTabWidget, run_menu: QMenu,
                 preset_reference: Callable[[], str], runs_dir: Callable[[], Path],
                 runs_tab: RunsPanel) -> None:
        super().__init__(parent)
        self.parent_widget, self.tabs = parent, tabs
        self.preset_reference, self.runs_dir = preset_reference, runs_dir
        self.panel = SweepPanel()
        tabs.addTab(self.panel, "Sweep")
        self.runs_tab = runs_tab
        self.panel.runs_clicked.connect(self.show_in_runs_tab)
        action = QAction("S&weep…", parent)
        action.triggered.connect(self.open_dialog)
        run_menu.addAction(action)

    def show_in_runs_tab(self, folders: list[Path]) -> None:
        """A clicked square: its runs selected in the Runs tab (curves, bands, config diff)."""
        if self.runs_tab.select_paths(folders):
            self.tabs.setCurrentWidget(self.runs_tab)
        else:
            dialogs.show_error(self.parent_widget, "Runs not found",
                               [f"this square's runs are not in {self.runs_tab.runs_dir}"])

    def open_dialog(self) -> None:
        """Sweep the loaded preset (as saved; edits in the form are not part of it)."""
        from workbench.gui.panels.sweep_dialog import SweepDialog

        if self.panel.running:
            dialogs.show_error(self.parent_widget, "A sweep is running",
                               ["stop it before starting another"])
            return
        dialog = SweepDialog(self.preset_reference(), self.parent_widget)
        dialog.accepted.connect(lambda: self._start(dialog))
        dialog.open()

    def _start(self, dialog: Any) -> None:
        if dialog.plan is not None:
            self.panel.start(dialog.plan, self.runs_dir(), dialog.jobs)
            self.tabs.setCurrentWidget(self.panel)
