"""Import, save and export presets from the window; validation and writing are core's.

``PresetActions`` knows nothing of the window's widgets: it reads the current
settings through a callable and reports through signals, which the window
connects. A name clash is a ``PresetClash`` from core, never a matched message.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QWidget

from workbench.core.errors import PresetClash, PresetError
from workbench.core.presets.clipboard import preset_from_yaml_text, preset_to_yaml_text
from workbench.core.presets.load import load_experiment
from workbench.core.presets.save import (save_user_experiment, settings_from_preset,
                                         write_experiment)
from workbench.core.presets.share.bundle import export_bundle
from workbench.core.presets.share.importer import import_bundle
from workbench.gui import dialogs, settings

YAML_FILTER = "Preset files (*.yaml *.yml)"
BUNDLE_FILTER = "Share bundles (*.wbpreset)"


class PresetActions(QObject):
    """The File menu's preset commands.

    Args:
        current_settings: returns the settings being edited (a raw preset mapping).
        parent: the widget dialogs open over.

    Signals:
        preset_loaded(settings, source): settings read from a file, the clipboard or a bundle.
        presets_changed: the user's preset library gained or replaced a preset.
        message(str): one line for the status bar.
    """

    preset_loaded = Signal(object, str)
    presets_changed = Signal()
    message = Signal(str)

    def __init__(self, current_settings: Callable[[], dict[str, Any]], parent: QWidget) -> None:
        super().__init__(parent)
        self._current = current_settings
        self._view = parent

    def _folder(self) -> str:
        return str(settings.value("presets/folder", str(Path.home())))

    def _ask_save_path(self, title: str, suffix: str, file_filter: str) -> str:
        """A save dialog in the last presets folder, named after the current preset."""
        name = self._current().get("name", "experiment")
        path, _ = QFileDialog.getSaveFileName(self._view, title,
                                              str(Path(self._folder()) / f"{name}{suffix}"),
                                              file_filter)
        return path

    def _load(self, reference: str, what: str) -> bool:
        """Validate a preset and hand its settings on; an invalid one shows its problems."""
        try:
            preset = load_experiment(reference)
        except PresetError as error:
            dialogs.show_preset_error(self._view, error, what)
            return False
        self.preset_loaded.emit(settings_from_preset(preset), preset.source)
        return True

    # --- files -------------------------------------------------------------------------
    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._view, "Import preset", self._folder(),
                                              YAML_FILTER)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> bool:
        """Load a preset file; an invalid one shows its problems and changes nothing."""
        settings.set_value("presets/folder", str(Path(path).parent))
        return self._load(str(path), "Cannot import")

    def save_dialog(self) -> None:
        current = self._current().get("name", "my-experiment")
        name, ok = QInputDialog.getText(self._view, "Save settings as preset",
                                        "Name of the new experiment preset:", text=f"{current}-mine")
        if ok and name.strip():
            self.save_as(name.strip())

    def save_as(self, name: str, overwrite: bool = False) -> Path | None:
        """Save the current settings into the user's preset folder (validated first).

        A clash asks once whether to replace the existing preset.
        """
        try:
            path = save_user_experiment(self._current(), name, overwrite=overwrite)
        except PresetClash as clash:
            if dialogs.confirm(self._view, "Overwrite preset?",
                               f"A preset named '{name}' exists. Replace it?"):
                return self.save_as(name, overwrite=True)
            dialogs.show_preset_error(self._view, clash, "Cannot save")
            return None
        except PresetError as error:
            dialogs.show_preset_error(self._view, error, "Cannot save")
            return None
        self.presets_changed.emit()
        # The window now shows the saved preset (its name, not the one edited before).
        self.preset_loaded.emit(settings_from_preset(load_experiment(path)), str(path))
        self.message.emit(f"Saved preset {name} to {path}")
        return path

    def export_dialog(self) -> None:
        path = self._ask_save_path("Export preset", ".yaml", YAML_FILTER)
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Path | None:
        try:
            written = write_experiment(self._current(), path)
        except PresetError as error:
            dialogs.show_preset_error(self._view, error, "Cannot export")
            return None
        settings.set_value("presets/folder", str(written.parent))
        self.message.emit(f"Exported preset to {written}")
        return written

    # --- clipboard ----------------------------------------------------------------------
    def copy_yaml(self) -> str:
        """The current settings as preset YAML on the clipboard (validated first)."""
        try:
            text = preset_to_yaml_text(self._current())
        except PresetError as error:
            dialogs.show_preset_error(self._view, error, "Cannot copy")
            return ""
        QApplication.clipboard().setText(text)
        self.message.emit("Copied the preset as YAML")
        return text

    def paste_preset(self) -> bool:
        """Load preset YAML from the clipboard; invalid text shows its problems, changes nothing."""
        try:
            preset = preset_from_yaml_text(QApplication.clipboard().text())
        except PresetError as error:
            dialogs.show_preset_error(self._view, error, "Cannot paste")
            return False
        self.preset_loaded.emit(settings_from_preset(preset), "<clipboard>")
        return True

    # --- share bundles ------------------------------------------------------------------
    def export_bundle_dialog(self) -> None:
        path = self._ask_save_path("Export share bundle", ".wbpreset", BUNDLE_FILTER)
        if path:
            weights = dialogs.confirm(self._view, "Include weights?",
                                      "Put the models' trained weights in the bundle too?")
            self.export_bundle_to(Path(path), with_weights=weights)

    def export_bundle_to(self, path: Path, with_weights: bool = False) -> Path | None:
        """The current settings, their model presets (and weights) as one share file."""
        values = self._current()
        with tempfile.TemporaryDirectory() as folder:
            try:
                source = write_experiment(values, Path(folder) / f"{values.get('name')}.yaml")
                result = export_bundle(source, path, with_weights=with_weights, replace=True)
            except PresetError as error:
                dialogs.show_preset_error(self._view, error, "Cannot export")
                return None
        settings.set_value("presets/folder", str(result.path.parent))
        self.message.emit(f"Exported share bundle to {result.path}")
        return result.path

    def import_bundle_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._view, "Import share bundle",
                                              self._folder(), BUNDLE_FILTER)
        if path:
            self.import_bundle_file(Path(path))

    def import_bundle_file(self, path: Path, replace: bool = False) -> str | None:
        """Check a bundle whole, add it to the user's presets (asking before replacing), load it."""
        try:
            result = import_bundle(path, replace=replace)
        except PresetClash as clash:
            if dialogs.confirm(self._view, "Replace preset?",
                               "A preset of this name exists. Replace it with the bundle's?"):
                return self.import_bundle_file(path, replace=True)
            dialogs.show_preset_error(self._view, clash, "Cannot import")
            return None
        except PresetError as error:
            dialogs.show_preset_error(self._view, error, "Cannot import")
            return None
        self.presets_changed.emit()
        self._load(result.name, "Cannot load")
        self.message.emit(f"Imported {result.name} from {path.name}")
        return result.name
