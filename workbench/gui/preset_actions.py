"""Import, save and export presets from the window; validation and writing are core's."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog

from workbench.core.errors import PresetError
from workbench.core.presets.share.bundle import export_bundle
from workbench.core.presets.share.importer import import_bundle
from workbench.core.presets.clipboard import preset_from_yaml_text, preset_to_yaml_text
from workbench.core.presets.load import load_experiment
from workbench.core.presets.save import (save_user_experiment, settings_from_preset,
                                         write_experiment)
from workbench.gui import dialogs, settings

if TYPE_CHECKING:
    from workbench.gui.main_window import MainWindow

YAML_FILTER = "Preset files (*.yaml *.yml)"
BUNDLE_FILTER = "Share bundles (*.wbpreset)"
CLASH_WORDS = ("already exists", "preset of this name")


class PresetActions:
    """The File menu's preset commands, bound to one window."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def _folder(self) -> str:
        return str(settings.value("presets/folder", str(Path.home())))

    def _ask_save_path(self, title: str, suffix: str, file_filter: str) -> str:
        """A save dialog in the last presets folder, named after the current preset."""
        name = self.window.experiment.settings().get("name", "experiment")
        path, _ = QFileDialog.getSaveFileName(self.window, title,
                                              str(Path(self._folder()) / f"{name}{suffix}"),
                                              file_filter)
        return path

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
        path = self._ask_save_path("Export preset", ".yaml", YAML_FILTER)
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

    # --- clipboard ----------------------------------------------------------------------
    def copy_yaml(self) -> str:
        """The current settings as preset YAML on the clipboard (validated first)."""
        try:
            text = preset_to_yaml_text(self.window.experiment.settings())
        except PresetError as error:
            dialogs.show_preset_error(self.window, error, "Cannot copy")
            return ""
        QApplication.clipboard().setText(text)
        self.window.status_label.setText("Copied the preset as YAML")
        return text

    def paste_preset(self) -> bool:
        """Load preset YAML from the clipboard; invalid text shows its problems, changes nothing."""
        try:
            preset = preset_from_yaml_text(QApplication.clipboard().text())
        except PresetError as error:
            dialogs.show_preset_error(self.window, error, "Cannot paste")
            return False
        self.window.apply_settings(settings_from_preset(preset), "<clipboard>")
        return True

    # --- share bundles ------------------------------------------------------------------
    def export_bundle_dialog(self) -> None:
        path = self._ask_save_path("Export share bundle", ".wbpreset", BUNDLE_FILTER)
        if path:
            weights = dialogs.confirm(self.window, "Include weights?",
                                      "Put the models' trained weights in the bundle too?")
            self.export_bundle_to(Path(path), with_weights=weights)

    def export_bundle_to(self, path: Path, with_weights: bool = False) -> Path | None:
        """The current settings, their model presets (and weights) as one share file."""
        values = self.window.experiment.settings()
        with tempfile.TemporaryDirectory() as folder:
            try:
                source = write_experiment(values, Path(folder) / f"{values.get('name')}.yaml")
                result = export_bundle(source, path, with_weights=with_weights, replace=True)
            except PresetError as error:
                dialogs.show_preset_error(self.window, error, "Cannot export")
                return None
        settings.set_value("presets/folder", str(result.path.parent))
        self.window.status_label.setText(f"Exported share bundle to {result.path}")
        return result.path

    def import_bundle_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import share bundle",
                                              self._folder(), BUNDLE_FILTER)
        if path:
            self.import_bundle_file(Path(path))

    def import_bundle_file(self, path: Path, replace: bool | None = None) -> str | None:
        """Check a bundle whole, add it to the user's presets (asking before replacing), load it."""
        try:
            result = import_bundle(path, replace=bool(replace))
        except PresetError as error:
            clash = any(word in problem.message for problem in error.problems
                        for word in CLASH_WORDS)
            if clash and replace is None and dialogs.confirm(
                    self.window, "Replace preset?",
                    "A preset of this name exists. Replace it with the bundle's?"):
                return self.import_bundle_file(path, replace=True)
            dialogs.show_preset_error(self.window, error, "Cannot import")
            return None
        self.window.refresh_preset_list()
        self.window.load_preset(result.name)
        self.window.status_label.setText(f"Imported {result.name} from {path.name}")
        return result.name
