"""Import, save and export presets from the window; validation and writing are core's."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog

from workbench.core.errors import PresetError
from workbench.core.presets.load import load_experiment
from workbench.core.presets.save import (save_user_experiment, settings_from_preset,
                                         write_experiment)
from workbench.gui import dialogs, settings

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

YAML_FILTER = "Preset files (*.yaml *.yml)"


class PresetActions:
    """The File menu's preset commands, bound to one window."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def _folder(self) -> str:
        return str(settings.value("presets/folder", str(Path.home())))

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import preset", self._folder(),
                                              YAML_FILTER)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> bool:
        """Load a preset file; an invalid one shows its problems and changes nothing."""
        settings.set_value("presets/folder", str(Path(path).parent))
        try:
            preset = load_experiment(str(path))
        except PresetError as error:
            dialogs.show_preset_error(self.window, error, "Cannot import")
            return False
        self.window.apply_settings(settings_from_preset(preset), preset.source)
        return True

    def save_dialog(self) -> None:
        current = self.window.experiment.settings().get("name", "my-experiment")
        name, ok = QInputDialog.getText(self.window, "Save settings as preset",
                                        "Name of the new experiment preset:", text=f"{current}-mine")
        if ok and name.strip():
            self.save_as(name.strip())

    def save_as(self, name: str, overwrite: bool | None = None) -> Path | None:
        """Save the panel's settings into the user's preset folder (validated first)."""
        values = self.window.experiment.settings()
        try:
            path = save_user_experiment(values, name, overwrite=bool(overwrite))
        except PresetError as error:
            exists = any("already exists" in problem.message for problem in error.problems)
            if exists and overwrite is None and dialogs.confirm(
                    self.window, "Overwrite preset?", f"A preset named '{name}' exists. Replace it?"):
                return self.save_as(name, overwrite=True)
            dialogs.show_preset_error(self.window, error, "Cannot save")
            return None
        self.window.refresh_preset_list()
        self.window.status_label.setText(f"Saved preset {name} to {path}")
        return path

    def export_dialog(self) -> None:
        name = self.window.experiment.settings().get("name", "experiment")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export preset",
                                              str(Path(self._folder()) / f"{name}.yaml"),
                                              YAML_FILTER)
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Path | None:
        try:
            written = write_experiment(self.window.experiment.settings(), path)
        except PresetError as error:
            dialogs.show_preset_error(self.window, error, "Cannot export")
            return None
        settings.set_value("presets/folder", str(written.parent))
        self.window.status_label.setText(f"Exported preset to {written}")
        return written
