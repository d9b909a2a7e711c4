"""The window shows schedules: start → end beside α and T, and α and T under the loss plot."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDoubleSpinBox

from workbench.core.stream.events import EpochEnded, PhaseStarted, StepEnded


@pytest.fixture
def panel(qtbot):
    from workbench.gui.panels.experiment import ExperimentPanel

    widget = ExperimentPanel()
    qtbot.addWidget(widget)
    return widget


def test_the_end_values_sit_beside_alpha_and_t_and_null_means_same_as_start(panel):
    controls = panel.method_form.controls
    for name in ("alpha", "temperature"):
        end = controls[f"{name}_end"]
        assert isinstance(end, QDoubleSpinBox)
        assert end.parentWidget() is controls[name].parentWidget()  # one row: start → end
        assert end.text() == "= start"
    distill = panel.settings()["distill"]
    assert (distill["alpha_end"], distill["temperature_end"]) == (None, None)
    settings = panel.settings()
    settings["distill"].update(schedule="cosine", alpha_end=0.1, temperature_end=1.5)
    panel.load(settings)
    distill = panel.settings()["distill"]
    assert (distill["schedule"], distill["alpha_end"], distill["temperature_end"]) == (
        "cosine", 0.1, 1.5)
    settings["distill"]["alpha_end"] = None
    panel.load(settings)
    assert panel.settings()["distill"]["alpha_end"] is None


def test_controls_a_setting_makes_moot_are_greyed_out(panel):
    controls = panel.method_form.controls
    assert not controls["alpha_end"].isEnabled()  # constant schedule: the end is moot
    assert not controls["dkd_beta"].isEnabled() and not controls["pacing"].isEnabled()
    controls["schedule"].setCurrentText("linear")
    controls["loss"].setCurrentText("dkd")
    controls["curriculum"].setCurrentText("easy-first")
    assert controls["alpha_end"].isEnabled() and controls["temperature_end"].isEnabled()
    assert controls["dkd_beta"].isEnabled() and controls["start_fraction"].isEnabled()


def test_alpha_and_t_are_drawn_under_the_loss_at_each_epochs_last_step(qtbot):
    from workbench.gui.plots.live_curves import LiveCurves

    curves = LiveCurves()
    qtbot.addWidget(curves)
    assert curves.teaching.isHidden()
    curves.add_event(PhaseStarted("student", 2, 10))
    curves.add_steps([StepEnded("student", 1, step, 1.0, 0.5, 0.5) for step in range(1, 11)])
    curves.add_event(EpochEnded("student", 1, {"val_acc": 0.5, "alpha": 0.9, "temperature": 6.0}))
    curves.add_event(EpochEnded("student", 2, {"val_acc": 0.6, "alpha": 0.2, "temperature": 2.0}))
    curves.redraw(force=True)
    assert not curves.teaching.isHidden()
    assert list(curves.teaching.curves["alpha"].xData) == [10.0, 20.0]
    assert curves.teaching.values("alpha") == [0.9, 0.2]
    assert curves.teaching.values("temperature") == [6.0, 2.0]
    curves.reset()
    assert curves.teaching.isHidden() and curves.teaching.point_count("alpha") == 0


def test_peers_share_one_alpha_point_and_a_plain_phase_draws_none(qtbot):
    from workbench.gui.plots.live_curves import LiveCurves

    curves = LiveCurves()
    qtbot.addWidget(curves)
    curves.add_event(PhaseStarted("baseline", 1, 5))
    curves.add_event(EpochEnded("baseline", 1, {"val_acc": 0.5}))
    curves.redraw(force=True)
    assert curves.teaching.isHidden()
    curves.add_steps([StepEnded("baseline", 1, step, 1.0, 1.0, 0.0) for step in range(1, 6)])
    for peer in ("student", "peer-2"):
        curves.add_event(PhaseStarted(peer, 1, 4))
    curves.add_steps([StepEnded(peer, 1, step, 1.0, 1.0, 0.0)
                      for step in range(1, 5) for peer in ("student", "peer-2")])
    for peer in ("student", "peer-2"):
        curves.add_event(EpochEnded(peer, 1, {"alpha": 0.5, "temperature": 3.0}))
    curves.redraw(force=True)
    assert list(curves.teaching.curves["alpha"].xData) == [5.0 + 4 * 2]
