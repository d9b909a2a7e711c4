"""The model picker: a preset from the library, an inline model, or an opened file,
with one line on what it is (size, what it was trained on, whether it fits the data)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from workbench.core.errors import PresetError, Problem, WorkbenchError
from workbench.core.measure.model_info import model_info
from workbench.core.measure.teacher_fit import (BUNDLED_CLASSES, BUNDLED_SHAPE,
                                                teacher_fit_problem)
from workbench.core.measure.teacher_probe import probe_teacher
from workbench.core.presets.library import list_presets
from workbench.core.presets.load import load_model_preset
from workbench.core.presets.model import ModelPreset, validate_model

INLINE = "(from the preset)"


def describe_model_reference(reference: Any, input_shape: tuple[int, ...] = BUNDLED_SHAPE,
                             num_classes: int = BUNDLED_CLASSES) -> tuple[str, ModelPreset | None]:
    """(one line for people, the model preset or None when it does not validate).

    The line counts parameters for the dataset's input (``input_shape``, ``num_classes``);
    a TorchScript or ONNX file says what core's probe found in it. A list (several
    teachers) is described member by member; its model is the first one (what the
    teacher preview shows)."""
    if isinstance(reference, list) and reference:
        described = [describe_model_reference(item, input_shape, num_classes)
                     for item in reference]
        lines = "; ".join(f"{index + 1}. {text}" for index, (text, _) in enumerate(described))
        return f"{len(reference)} teachers, outputs fused: {lines}", described[0][1]
    model, problem = resolve_model_reference(reference)
    if model is None:
        return "⚠ " + problem, None
    try:
        if model.black_box:  # a file: no architecture to build, ask the probe
            probe = probe_teacher(model, tuple(input_shape), num_classes)
            name = model.weights.name if model.weights is not None else model.name
            params = f" · {probe.params:,} params" if probe.params else ""
            return f"{model.architecture} file {name}{params} · {probe.describe()}", model
        return model_info(model, tuple(input_shape), num_classes).describe(), model
    except (WorkbenchError, KeyError, ValueError, RuntimeError) as error:
        return f"⚠ {model.name}: {error}", model


def resolve_model_reference(reference: Any) -> tuple[ModelPreset | None, str]:
    """(the model preset, or None and every problem in one line); a list: its first model."""
    if isinstance(reference, list) and reference:
        return resolve_model_reference(reference[0])
    problems: list[Problem] = []
    try:
        if isinstance(reference, str):
            model = load_model_preset(reference)
        else:  # an inline mapping; weights paths in it are absolute (settings_from_preset)
            model = validate_model(reference, "", Path.cwd(), "inline", problems,
                                   standalone=False)
    except PresetError as error:
        problems = error.problems
        model = None
    return model, "; ".join(str(problem) for problem in problems)


def reference_label(reference: Any) -> str:
    """A combo item's text for a reference that is not a library name."""
    if isinstance(reference, dict):
        return str(reference.get("name") or reference.get("architecture") or "")
    if isinstance(reference, list):  # several teachers
        return " + ".join(reference_label(item) if not isinstance(item, str) else item
                          for item in reference)
    return str(reference)


class ModelPicker(QWidget):
    """A combo of model presets with a line describing the chosen one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color: palette(placeholder-text); font-size: 11px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.combo)
        layout.addWidget(self.info)
        for entry in list_presets("model"):
            self.combo.addItem(entry.name, entry.name)
        self.combo.currentIndexChanged.connect(self._on_change)
        self.model: ModelPreset | None = None
        self.problem: str | None = None  # why the chosen model does not fit the dataset
        self.description = ""
        self.input_shape, self.num_classes = BUNDLED_SHAPE, BUNDLED_CLASSES  # the dataset's

    def set_reference(self, reference: Any, label: str | None = None) -> None:
        """A library name, or an inline mapping (added as its own item, shown as ``label``:
        by default "(from the preset) NAME")."""
        if isinstance(reference, str) and self.combo.findData(reference) >= 0:
            index = self.combo.findData(reference)
        else:
            label = label or f"{INLINE} {reference_label(reference)}"
            self.combo.addItem(label, copy.deepcopy(reference))
            index = self.combo.count() - 1
        if index == self.combo.currentIndex():
            self._on_change()
        self.combo.setCurrentIndex(index)

    def reference(self) -> Any:
        return copy.deepcopy(self.combo.currentData())

    def _on_change(self) -> None:
        self._describe()
        self.problem = None
        self.info.setText(self.description)
        self.changed.emit()

    def _describe(self) -> None:
        self.description, self.model = describe_model_reference(
            self.combo.currentData(), self.input_shape, self.num_classes)

    def set_data_shape(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        """The dataset's input and class count: parameter counts are for them."""
        if (tuple(input_shape), num_classes) == (self.input_shape, self.num_classes):
            return
        self.input_shape, self.num_classes = tuple(input_shape), num_classes
        self._describe()
        self.info.setText(self.description)

    def refuse_unfit(self, dataset: str, label: str | None = None) -> None:
        """Grey out models whose weights do not fit ``dataset`` (``label``: how to name it,
        e.g. with its root), the reason as their tooltip; the chosen one, if unfit, says
        why under the combo."""
        model = self.combo.model()
        for index in range(self.combo.count()):
            preset, _problem = resolve_model_reference(self.combo.itemData(index))
            reason = None if preset is None else teacher_fit_problem(
                preset, dataset, self.input_shape, self.num_classes, dataset_label=label)
            item = model.item(index) if hasattr(model, "item") else None
            if item is not None and index != self.combo.currentIndex():
                item.setEnabled(reason is None)
            self.combo.setItemData(index, reason, Qt.ItemDataRole.ToolTipRole)
            if index == self.combo.currentIndex():
                self.problem = reason
        if self.problem is not None:
            self.info.setText("⚠ " + self.problem)
            self.info.setStyleSheet("color: #D55E00; font-size: 11px;")
        else:
            self.info.setText(self.description)
            self.info.setStyleSheet("color: palette(placeholder-text); font-size: 11px;")
