"""Controls built from declared ``Param``s, so a new method or field brings its own control.

Ranges, defaults and tooltips all come from the declaration; this module only
decides how a value is shown (a slider or not, how many decimals), that a
``<name>_end`` sits beside ``<name>`` as "start → end", and which controls are
greyed out while another one makes them moot (their values are still saved).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QSlider, QSpinBox, QWidget)

from workbench.core.config.params import Param

# Floats shown with a slider. The span is what people actually use when it is narrower than
# the declared bounds (the spin box still accepts all of them); None spans the declared bounds.
SLIDERS: dict[str, tuple[float, float] | None] = {"alpha": None, "temperature": (1.0, 20.0)}
# Slider notches: round values (T 4.5, not 11.64); the spin box takes any value in bounds.
SLIDER_SNAP = {"alpha": 0.05, "temperature": 0.5}
SLIDER_DECIMALS = 2
# Decimals and step of float spin boxes whose useful values are small (display only).
FLOAT_DISPLAY = {"lr": (5, 0.0005), "alpha_end": (2, 0.05), "temperature_end": (2, 0.5)}
END_SUFFIX = "_end"  # ``alpha_end`` is shown beside ``alpha``: start → end
SAME_AS_START = "= start"  # what a nullable float's spin box shows for null
# control -> (the control that makes it moot, the value that does): display only
MOOT_WHEN = {"alpha_end": ("schedule", "constant"), "temperature_end": ("schedule", "constant"),
             "dkd_beta": ("loss", "kd"), "dkd_target_weight": ("loss", "kd"),
             "dkd_warmup": ("loss", "kd"), "pacing": ("curriculum", "none"),
             "start_fraction": ("curriculum", "none")}
FLOAT_DECIMALS = 4
FLOAT_LIMITS = (-1e9, 1e9)  # shown for an undeclared bound
INT_LIMITS = (-2**31, 2**31 - 1)  # what a QSpinBox holds


def declared(params: Sequence[Param], name: str) -> Param:
    """The declaration called ``name`` (KeyError when there is none)."""
    for param in params:
        if param.name == name:
            return param
    raise KeyError(name)


def declared_bounds(param: Param, decimals: int | None = None) -> tuple[float, float]:
    """The declared inclusive range, within what the control can hold.

    An exclusive minimum moves up by one shown step (``decimals=None``: an integer).
    """
    limits = INT_LIMITS if decimals is None else FLOAT_LIMITS
    low = limits[0] if param.minimum is None else max(param.minimum, limits[0])
    high = limits[1] if param.maximum is None else min(param.maximum, limits[1])
    if param.exclusive_minimum and param.minimum is not None:
        low += 1 if decimals is None else 10 ** -decimals
    return low, high


class SliderSpin(QWidget):
    """A slider and a spin box showing one float, kept in step."""

    valueChanged = Signal(float)

    def __init__(self, minimum: float, maximum: float, slider_range: tuple[float, float],
                 decimals: int = 2, snap: float = 0.01, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = slider_range
        self.snap = snap
        self.steps = max(1, round((self.high - self.low) / snap))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.steps)
        self.slider.setToolTip(f"slide from {self.low:g} to {self.high:g} in steps of {snap:g}; "
                               f"type any value from {minimum:g} to {maximum:g} in the box")
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(decimals)
        self.spin.setRange(minimum, maximum)
        self.spin.setSingleStep(10 ** -decimals * 5 if decimals > 1 else 0.5)
        self.spin.setKeyboardTracking(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    def _from_slider(self, position: int) -> None:
        value = round(self.low + self.snap * position, 6)
        if abs(value - self.spin.value()) >= 10 ** -self.spin.decimals():
            self.spin.setValue(value)

    def _from_spin(self, value: float) -> None:
        position = round((value - self.low) / self.snap)
        self.slider.blockSignals(True)
        self.slider.setValue(max(0, min(self.steps, position)))
        self.slider.blockSignals(False)
        self.valueChanged.emit(value)

    def value(self) -> float:
        return round(self.spin.value(), self.spin.decimals())

    def setValue(self, value: float) -> None:  # noqa: N802 - Qt naming
        self.spin.setValue(value)
        self._from_spin(self.spin.value())


def make_control(param: Param) -> QWidget:
    """One control for one declared parameter, set to its declared default."""
    if param.kind == "float" and param.name in SLIDERS:
        low, high = declared_bounds(param, SLIDER_DECIMALS)
        span = SLIDERS[param.name] or (low, high)
        control: QWidget = SliderSpin(low, high, (max(span[0], low), min(span[1], high)),
                                      SLIDER_DECIMALS, SLIDER_SNAP.get(param.name, 0.01))
    elif param.kind == "float":
        decimals, step = FLOAT_DISPLAY.get(param.name, (FLOAT_DECIMALS, None))
        control = QDoubleSpinBox()
        control.setDecimals(decimals)
        low, high = declared_bounds(param, decimals)
        if param.nullable:  # one step below the range stands for null
            low -= step or 10 ** -decimals
            control.setSpecialValueText(SAME_AS_START if param.name.endswith(END_SUFFIX)
                                        else "none")
        control.setRange(low, high)
        if step is not None:
            control.setSingleStep(step)
    elif param.kind == "int":
        low, high = declared_bounds(param)
        control = QSpinBox()
        if param.nullable and low > INT_LIMITS[0]:  # one below the range stands for null
            low -= 1
            control.setSpecialValueText("none")
        control.setRange(int(low), int(high))
    elif param.kind == "bool":
        control = QCheckBox()
    elif param.choices:
        control = QComboBox()
        control.addItems(list(param.choices))
    else:
        control = QLineEdit()
        control.setPlaceholderText(param.describe())
    control.setToolTip(f"{param.help} ({param.describe()})")
    set_control(control, param.default)
    return control


def set_control(control: QWidget, value: Any) -> None:
    if (isinstance(control, (QDoubleSpinBox, QSpinBox)) and value is None
            and control.specialValueText()):
        control.setValue(control.minimum())
    elif isinstance(control, (SliderSpin, QDoubleSpinBox, QSpinBox)) and value is not None:
        control.setValue(value)
    elif isinstance(control, QCheckBox):
        control.setChecked(bool(value))
    elif isinstance(control, QComboBox):
        control.setCurrentText(str(value))
    elif isinstance(control, QLineEdit):
        control.setText("" if value is None else yaml.safe_dump(value, default_flow_style=True)
                        .strip().removesuffix("...").strip())


def control_value(control: QWidget) -> Any:
    if isinstance(control, QDoubleSpinBox):
        if control.specialValueText() and control.value() == control.minimum():
            return None
        return round(control.value(), control.decimals())  # no 0.30000000000000004
    if isinstance(control, QSpinBox) and control.specialValueText() and \
            control.value() == control.minimum():
        return None
    if isinstance(control, (SliderSpin, QSpinBox)):
        return control.value()
    if isinstance(control, QCheckBox):
        return control.isChecked()
    if isinstance(control, QComboBox):
        return control.currentText()
    text = control.text().strip() if isinstance(control, QLineEdit) else ""
    try:
        return yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return text  # validation names the field and what it expects


def changed_signal(control: QWidget) -> Any:
    for name in ("valueChanged", "toggled", "currentTextChanged", "editingFinished"):
        if hasattr(control, name):
            return getattr(control, name)
    return None


def start_to_end(start: QWidget, end: QWidget) -> QWidget:
    """One row: the start value's control, an arrow, the end value's control."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(start, 1)
    layout.addWidget(QLabel("→"))
    layout.addWidget(end)
    end.setToolTip(end.toolTip() + " — shown beside the start value: start → end")
    return row


class ParamForm(QWidget):
    """A form of controls for a tuple of Params; rebuilt when the tuple changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.controls: dict[str, QWidget] = {}

    def rebuild(self, params: Sequence[Param]) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.controls = {}
        for param in params:
            control = make_control(param)
            signal = changed_signal(control)
            if signal is not None:
                signal.connect(lambda *_: self.changed.emit())
            self.controls[param.name] = control
        names = [param.name for param in params]
        for name in names:
            start = name.removesuffix(END_SUFFIX)
            if name.endswith(END_SUFFIX) and start in self.controls:
                continue  # shown beside its start
            end = self.controls.get(name + END_SUFFIX)
            self.layout_.addRow(self._label(name), self.controls[name] if end is None
                                else start_to_end(self.controls[name], end))
        self._follow_moot()

    @staticmethod
    def _label(name: str) -> str:
        return {"temperature": "T (temperature)", "alpha": "α (alpha)"}.get(
            name, name.replace("_", " "))

    def _follow_moot(self) -> None:
        """Grey out controls another control makes moot (the end of a constant schedule)."""
        for name, (leader, moot_value) in MOOT_WHEN.items():
            control, lead = self.controls.get(name), self.controls.get(leader)
            if control is None or not isinstance(lead, QComboBox):
                continue
            lead.currentTextChanged.connect(
                lambda value, c=control, m=moot_value: c.setEnabled(value != m))
            control.setEnabled(lead.currentText() != moot_value)

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values``; controls they do not name keep theirs."""
        for name, value in values.items():
            if name in self.controls:
                set_control(self.controls[name], value)

    def values(self) -> dict[str, Any]:
        return {name: control_value(control) for name, control in self.controls.items()}
