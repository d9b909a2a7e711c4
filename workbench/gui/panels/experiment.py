"""The experiment panel: teacher, student, data, α and T, training recipe.

It edits a raw settings mapping (what a preset file holds); validation and
saving are core's job. Model pickers are fed from the preset library; the
training controls are built from the ``train`` section's declarations, so
their ranges, defaults and tooltips are the schema's; the Green group shows
every Param of the ``green`` section (QAT, pruning, grid intensity) the same way.
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QVBoxLayout, QWidget)

from workbench.core.data import DATASETS
from workbench.core.distill import METHODS
from workbench.core.distill.teachers import TEACHER_PARAMS
from workbench.core.measure.teacher_fit import BUNDLED_CLASSES, BUNDLED_SHAPE
from workbench.core.config.params import Param
from workbench.core.presets.schema import DATA_FIELDS, DISTILL_METHOD, SECTIONS, TRAIN_FIELDS
from workbench.gui.panels.param_form import (ParamForm, changed_signal, control_value, declared,
                                             make_control, set_control)
from workbench.gui.panels.model_picker import ModelPicker
from workbench.gui.panels.student_suggest import SuggestButton

# The green section's controls come from its declarations; these are their labels.
GREEN_LABELS = {"qat": "QAT (int8 student)", "prune": "Prune fraction",
                "prune_steps": "Prune rounds", "grid_intensity": "Grid gCO₂/kWh"}
# The train fields the panel edits, with their labels; the rest of ``train`` is kept as loaded.
TRAIN_CONTROLS = {"epochs": "Epochs", "lr": "Learning rate", "batch_size": "Batch size",
                  "seed": "Seed"}


class ExperimentPanel(QWidget):
    """Edits one experiment's settings.

    Signals:
        changed: any setting changed.
        temperature_changed(float): the T control moved (drives the preview).
        teacher_changed: another teacher (or dataset) was picked.
    """

    changed = Signal()
    temperature_changed = Signal(float)
    teacher_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}  # the settings as loaded, to tell edits apart
        self._loading = False
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.run_hint = QLabel("A run is in progress: changes here apply to the next run.")
        self.run_hint.setWordWrap(True)
        self.run_hint.setStyleSheet("color: #D55E00;")
        self.run_hint.setVisible(False)
        self.teacher = ModelPicker()
        self.student = ModelPicker()
        self.suggest = SuggestButton(lambda: (self.teacher.model, *self.data_shape()))
        self._data_shape: tuple[tuple[int, ...], int] | None = None  # from the Data tab
        self.data_info = QLabel()  # where the data comes from, what it holds (the Data tab's)
        self.data_info.setWordWrap(True)
        self.data_info.setStyleSheet("color: palette(placeholder-text); font-size: 11px;")
        self.data_info.hide()
        self.dataset = QComboBox()
        self.dataset.addItems(DATASETS.names())
        self.dataset.setCurrentText(declared(DATA_FIELDS, "dataset").default)
        self.data_form = ParamForm()  # data.root and the chosen dataset's declared Params
        self._data_params: tuple[Param, ...] = ()
        self.method = QComboBox()
        self.method.addItems(METHODS.names())
        self.method.setCurrentText(DISTILL_METHOD.default)
        self.method_form = ParamForm()
        self.train_controls = {name: make_control(declared(TRAIN_FIELDS, name))
                               for name in (*TRAIN_CONTROLS, "baseline")}
        self.epochs, self.lr = self.train_controls["epochs"], self.train_controls["lr"]
        self.batch_size, self.seed = (self.train_controls["batch_size"],
                                      self.train_controls["seed"])
        self.baseline = self.train_controls["baseline"]
        self.baseline.setText("Train a baseline student too")
        self.green_form = ParamForm()
        self.green_form.rebuild(SECTIONS["green"])
        for name, control in self.green_form.controls.items():
            label = self.green_form.layout_.labelForField(control)
            if label is not None and name in GREEN_LABELS:
                label.setText(GREEN_LABELS[name])
        self._build_layout()
        self._connect()
        self._rebuild_method_form()
        self._rebuild_data_form()

    def _build_layout(self) -> None:
        models = QGroupBox("Models and data")
        form = QFormLayout(models)
        form.addRow(self.description)
        form.addRow(self.run_hint)
        form.addRow("Teacher", self.teacher)
        student_row = QHBoxLayout()
        student_row.addWidget(self.student, 1)
        student_row.addWidget(self.suggest, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow("Student", student_row)
        dataset_box = QVBoxLayout()
        dataset_box.setSpacing(2)
        dataset_box.addWidget(self.dataset)
        dataset_box.addWidget(self.data_info)
        dataset_box.addWidget(self.data_form)
        form.addRow("Dataset", dataset_box)
        distill = QGroupBox("Distillation")
        distill_form = QFormLayout(distill)
        distill_form.addRow("Method", self.method)
        distill_form.addRow(self.method_form)
        train = QGroupBox("Training the student")
        grid = QGridLayout(train)
        for index, (name, label) in enumerate(TRAIN_CONTROLS.items()):
            grid.addWidget(QLabel(label), index // 2, (index % 2) * 2)
            grid.addWidget(self.train_controls[name], index // 2, (index % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.addWidget(self.baseline, 2, 0, 1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        green = QGroupBox("Green")
        QVBoxLayout(green).addWidget(self.green_form)
        for group in (models, distill, train, green):
            layout.addWidget(group)

    def _connect(self) -> None:
        for signal in (self.teacher.changed, self.student.changed,
                       self.dataset.currentTextChanged, self.method_form.changed,
                       self.green_form.changed,
                       *(changed_signal(control) for control in self.train_controls.values())):
            signal.connect(self._emit_changed)
        self.teacher.changed.connect(self._emit_teacher)
        self.suggest.chosen.connect(lambda model: self.student.set_reference(
            model, f"{model.get('name', '')} (suggested)"))
        self.dataset.currentTextChanged.connect(self._rebuild_data_form)
        self.data_form.changed.connect(self._emit_changed)
        self.dataset.currentTextChanged.connect(self._emit_teacher)
        self.method.currentTextChanged.connect(self._rebuild_method_form)

    def _emit_changed(self, *_: Any) -> None:
        if not self._loading:
            self._show_title()
            self.changed.emit()

    def is_edited(self) -> bool:
        """Whether any control differs from the preset as loaded."""
        return bool(self._loaded) and self.settings() != self._loaded

    def set_running(self, running: bool) -> None:
        """Say, while a run trains, that edits wait for the next run."""
        self.run_hint.setVisible(running)

    def _show_title(self) -> None:
        name, about = self._base.get("name", ""), self._base.get("description", "")
        short = about if len(about) <= 80 else about[:77].rstrip() + "…"
        edited = " <i>(edited, not saved)</i>" if self.is_edited() else ""
        self.description.setText(f"<b>{name}</b>{edited} — {short}")
        self.description.setToolTip(about)

    def _emit_teacher(self, *_: Any) -> None:
        self.teacher.refuse_unfit(self.dataset.currentText(), self.data_label())
        if not self._loading:
            self.teacher_changed.emit()

    # --- the dataset's shape (from the Data tab: core describes the dataset) -------------
    def data_shape(self) -> tuple[tuple[int, ...], int]:
        """(input shape, class count) of the chosen dataset: as described, else the
        bundled datasets' 1x28x28 and 10 classes."""
        return self._data_shape or (BUNDLED_SHAPE, BUNDLED_CLASSES)

    def data_label(self) -> str:
        """The dataset as messages name it: ``image-folder (data.root=...)``."""
        data = self.settings().get("data") or {}
        root = data.get("root")
        name = f"dataset {data.get('dataset', '')}"
        return f"{name} (data.root={root})" if root else name

    def set_data_shape(self, input_shape: tuple[int, ...] | None, num_classes: int = 0) -> None:
        """The described dataset's input and classes (None: not described, the bundled
        ones): models are counted and teachers checked against them (a teacher that no
        longer fits is refused, with both shapes)."""
        self._data_shape = None if input_shape is None else (tuple(input_shape),
                                                             int(num_classes))
        for picker in (self.teacher, self.student):
            picker.set_data_shape(*self.data_shape())
        self._emit_teacher()

    def set_data(self, section: dict[str, Any]) -> None:
        """Use another dataset (File ▸ Open dataset…): its ``data:`` keys replace the
        dataset's own ones; the shared ones (val_size, seed, train_limit...) stay."""
        shared = {param.name for param in DATA_FIELDS} - {"dataset", "root"}
        kept = {key: value for key, value in (self._base.get("data") or {}).items()
                if key in shared}
        self._base["data"] = {**kept, **section}
        self.data_form.set_values({**{param.name: param.default for param in self._data_params},
                                   **kept, **section})  # its own keys: nothing old is kept
        dataset = str(section.get("dataset", ""))
        if self.dataset.findText(dataset) < 0:
            self.dataset.addItem(dataset)
        if self.dataset.currentText() == dataset:
            self._emit_changed()
            self._emit_teacher()
        self.dataset.setCurrentText(dataset)

    def teacher_problem(self) -> str | None:
        """Why the chosen teacher cannot teach on the chosen dataset, or None."""
        return self.teacher.problem

    def _rebuild_data_form(self, *_: Any) -> None:
        """data.root and the chosen dataset's own Params (image size, label column...),
        from their declarations, showing the loaded values when the dataset is the loaded one."""
        name = self.dataset.currentText()
        own = DATASETS.get(name).params if name in DATASETS else ()
        # val_size too: a folder of 1,000 images cannot keep a preset's 5,000 (issue 15)
        self._data_params = (declared(DATA_FIELDS, "root"), *own,
                             declared(DATA_FIELDS, "val_size"))
        self.data_form.rebuild(self._data_params)
        data = self._base.get("data") or {}
        self.data_form.set_values(data if data.get("dataset") == name else
                                  {key: data[key] for key in ("val_size",) if key in data})
        self._emit_changed()

    def _rebuild_method_form(self) -> None:
        params: tuple[Param, ...] = (METHODS.get(self.method.currentText()).params
                                     + TEACHER_PARAMS)  # fusion, views: every method's
        self.method_form.rebuild(params)
        control = self.method_form.controls.get("temperature")
        if control is not None and hasattr(control, "valueChanged"):
            control.valueChanged.connect(self.temperature_changed.emit)
        self._emit_changed()

    # --- settings in and out -------------------------------------------------------------
    def load(self, settings: dict[str, Any]) -> None:
        """Show ``settings`` (a raw preset mapping); keys without a control are kept as is."""
        self._loading = True
        try:
            self._base = copy.deepcopy(settings)
            self._loaded = {}
            self.teacher.set_reference(settings.get("teacher"))
            self.student.set_reference(settings.get("student"))
            data, distill = settings.get("data") or {}, settings.get("distill") or {}
            train = settings.get("train") or {}
            self.dataset.setCurrentText(str(data.get("dataset", "")))
            self._rebuild_data_form()
            self.method.setCurrentText(str(distill.get("method", DISTILL_METHOD.default)))
            self._rebuild_method_form()
            self.method_form.set_values({k: v for k, v in distill.items() if k != "method"})
            for name, control in self.train_controls.items():
                set_control(control, train.get(name, declared(TRAIN_FIELDS, name).default))
            self.green_form.set_values({**{p.name: p.default for p in SECTIONS["green"]},
                                        **(settings.get("green") or {})})
        finally:
            self._loading = False
        self._loaded = self.settings()
        self._show_title()
        self.teacher.refuse_unfit(self.dataset.currentText(), self.data_label())
        self.teacher_changed.emit()
        self.temperature_changed.emit(self.temperature())

    def settings(self) -> dict[str, Any]:
        """The loaded settings with every control's value applied."""
        settings = copy.deepcopy(self._base)
        settings["teacher"] = self.teacher.reference()
        settings["student"] = self.student.reference()
        data = settings.setdefault("data", {})
        if data.get("dataset") not in (None, self.dataset.currentText()):
            # another dataset picked: the loaded one's root and own keys are not its
            shared = {param.name for param in DATA_FIELDS} - {"root"}
            settings["data"] = data = {k: v for k, v in data.items() if k in shared}
        data["dataset"] = self.dataset.currentText()
        defaults = {param.name: param.default for param in self._data_params}
        data.update({key: value for key, value in self.data_form.values().items()
                     if key in data or value != defaults.get(key)})  # no defaults spelled out
        settings["distill"] = {"method": self.method.currentText(), **self.method_form.values()}
        train = settings.setdefault("train", {})
        train.update({name: control_value(control)
                      for name, control in self.train_controls.items()})
        settings.setdefault("green", {}).update(self.green_form.values())
        return settings

    def temperature(self) -> float:
        control = self.method_form.controls.get("temperature")
        return float(control.value()) if control is not None else 1.0

    def set_temperature(self, value: float) -> None:
        control = self.method_form.controls.get("temperature")
        if control is not None:
            control.setValue(value)
