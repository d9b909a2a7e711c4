"""Ranges, defaults and tooltips of the controls come from the Param declarations."""
from __future__ import annotations

import pytest

from workbench.core.config.params import Param
from workbench.core.distill import METHODS
from workbench.core.distill.teachers import TEACHER_PARAMS
from workbench.core.distill.offline import KD_PARAMS
from workbench.core.presets.schema import DATA_FIELDS, DISTILL_METHOD, TRAIN_FIELDS
from workbench.gui.panels.param_form import SliderSpin, declared, make_control


@pytest.fixture
def panel(qtbot):
    from workbench.gui.panels.experiment import ExperimentPanel

    widget = ExperimentPanel()
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize("name", ["epochs", "batch_size", "seed"])
def test_training_spin_boxes_take_range_default_and_help_from_the_schema(panel, name):
    param = declared(TRAIN_FIELDS, name)
    control = panel.train_controls[name]
    assert control.minimum() == param.minimum
    assert control.maximum() == (param.maximum if param.maximum is not None else 2**31 - 1)
    assert control.value() == param.default  # a fresh panel shows the declared default
    assert param.help in control.toolTip()


def test_learning_rate_stays_above_its_exclusive_minimum(panel):
    param = declared(TRAIN_FIELDS, "lr")
    assert param.exclusive_minimum and param.minimum == 0.0
    assert panel.lr.minimum() == pytest.approx(10 ** -panel.lr.decimals())  # > 0, one step up
    assert panel.lr.maximum() == param.maximum
    assert panel.lr.value() == param.default
    assert panel.baseline.isChecked() is declared(TRAIN_FIELDS, "baseline").default


def test_alpha_and_temperature_come_from_the_method_declaration(panel):
    assert panel.method.currentText() == DISTILL_METHOD.default == "offline"
    assert panel.dataset.currentText() == declared(DATA_FIELDS, "dataset").default
    controls = panel.method_form.controls
    for name in ("alpha", "temperature"):
        param = declared(KD_PARAMS, name)
        spin = controls[name].spin
        assert spin.maximum() == param.maximum
        assert controls[name].value() == param.default
    assert controls["alpha"].spin.minimum() == declared(KD_PARAMS, "alpha").minimum
    assert 0 < controls["temperature"].spin.minimum() <= 0.01  # T > 0 is exclusive
    assert panel.settings()["distill"] == {"method": "offline",  # KD and defense params
                                           **{p.name: p.default for p in
                                              METHODS.get("offline").params + TEACHER_PARAMS}}


def test_a_new_declaration_brings_its_own_bounds_and_default(qtbot):
    """Nothing in the GUI knows these numbers: only the declaration does."""
    count = make_control(Param("warm_steps", "int", 7, "steps of warm-up", minimum=2,
                               maximum=123))
    rate = make_control(Param("alpha", "float", 0.25, "weight", minimum=0.1, maximum=0.6))
    for control in (count, rate):
        qtbot.addWidget(control)
    assert (count.minimum(), count.maximum(), count.value()) == (2, 123, 7)
    assert isinstance(rate, SliderSpin)
    assert (rate.spin.minimum(), rate.spin.maximum(), rate.value()) == (0.1, 0.6, 0.25)
    assert (rate.low, rate.high) == (0.1, 0.6)  # the slider spans the declared bounds


def test_the_preview_starts_at_the_declared_temperature(qtbot):
    from workbench.gui.panels.preview import PreviewPanel

    preview = PreviewPanel()
    qtbot.addWidget(preview)
    assert preview.temperature == declared(KD_PARAMS, "temperature").default
