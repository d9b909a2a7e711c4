"""Panels follow one long-lived bridge; preset actions talk through signals and typed errors."""
from __future__ import annotations

import threading
from pathlib import Path

import yaml
from PySide6.QtCore import SIGNAL

from workbench.core.stream.events import (EpochEnded, PhasePlan, PhaseStarted, RunEnded,
                                          RunStarted, StepEnded)
from workbench.gui import dialogs

RUN_TIMEOUT_MS = 90_000
FIGURES = {"accuracy": 0.8, "params": 1000, "size_bytes": 4000, "latency_ms": 1.0,
           "throughput": 100.0}


def _feed(bridge, events) -> None:
    """Call the bridge from another thread, as a worker does."""
    thread = threading.Thread(target=lambda: [bridge(event) for event in events])
    thread.start()
    thread.join()


def test_panels_follow_the_bridge_without_the_window_forwarding(window, qtbot):
    plan = (PhasePlan("student", 1, 3),)
    summary = {"run_id": "r1", "name": "fed", "status": "completed",
               "models": {"teacher": FIGURES, "student": {**FIGURES, "params": 250}}}
    _feed(window.bridge, [RunStarted("r1", "fed", plan, "cpu", 0, 0.0),
                          PhaseStarted("student", 1, 3),
                          *(StepEnded("student", 1, step, 1.0 / step, 0.5, 0.5)
                            for step in (1, 2, 3)),
                          EpochEnded("student", 1, {"train_acc": 0.5, "val_acc": 0.6}),
                          RunEnded("completed", summary)])
    qtbot.waitUntil(lambda: window.outcome.ended is not None, timeout=5000)
    assert window.curves.point_count("student:loss") == 3
    assert window.curves.point_count("student:val_acc") == 1
    assert window.progress.progress.done_steps == 3
    assert window.progress.label.text() == "Run completed"
    assert [window.compare.table.item(row, 1).text()  # column 0 names the run
            for row in range(window.compare.table.rowCount())] == ["teacher", "student"]
    assert window.outcome.summary["run_id"] == "r1"


def test_one_bridge_serves_every_run_without_piling_up_connections(window, qtbot,
                                                                   tiny_preset):
    bridge = window.bridge
    connections = [bridge.receivers(SIGNAL(f"{name}(PyObject)"))
                   for name in ("steps", "event", "run_started", "run_ended")]
    window.load_preset(str(tiny_preset))
    run_ids = []
    for _ in range(2):
        with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
            window.start_run()
        assert finished.args == ["completed", 0]
        run_ids.append(window.outcome.summary["run_id"])
        assert window.bridge is bridge
        assert [bridge.receivers(SIGNAL(f"{name}(PyObject)"))
                for name in ("steps", "event", "run_started", "run_ended")] == connections
    assert run_ids[0] != run_ids[1]
    assert window.compare.summary["run_id"] == run_ids[1]
    assert window.curves.point_count("student:val_acc") == 2  # the second run's 2 epochs only


def test_an_error_before_the_start_is_a_rejection_not_a_run(window, qtbot, tiny_preset,
                                                             isolated, monkeypatch):
    from workbench.core.engine import pipeline

    def no_device(name: str):
        raise RuntimeError("no such device")

    monkeypatch.setattr(pipeline, "resolve_device", no_device)
    window.load_preset(str(tiny_preset))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    assert finished.args == ["invalid", 2]
    assert dialogs.LAST[0].windowTitle() == "The run could not start"
    assert "no such device" in dialogs.LAST[0].informativeText()
    assert not (isolated / "runs").exists() or not any((isolated / "runs").iterdir())
    assert window.progress.run_button.isEnabled()


def _actions(qtbot, tiny_preset: Path):
    from PySide6.QtWidgets import QWidget

    from workbench.core.presets.load import load_experiment
    from workbench.core.presets.save import settings_from_preset
    from workbench.gui.preset_actions import PresetActions

    host = QWidget()
    qtbot.addWidget(host)
    values = settings_from_preset(load_experiment(str(tiny_preset)))
    return PresetActions(lambda: values, host), values


def test_preset_actions_need_only_a_settings_callable(qtbot, tiny_preset):
    actions, _ = _actions(qtbot, tiny_preset)
    with qtbot.waitSignal(actions.preset_loaded) as loaded:
        assert actions.import_file(tiny_preset)
    settings, source = loaded.args
    assert settings["name"] == "tiny" and Path(source).name == "tiny.yaml"
    with qtbot.waitSignal(actions.message) as message:
        assert yaml.safe_load(actions.copy_yaml())["name"] == "tiny"
    assert message.args == ["Copied the preset as YAML"]


def test_a_name_clash_asks_once_and_other_errors_never_ask(qtbot, tiny_preset, isolated,
                                                          monkeypatch):
    actions, values = _actions(qtbot, tiny_preset)
    answers, asked, changed = [False, True], [], []
    monkeypatch.setattr(dialogs, "confirm", lambda *args: asked.append(args) or answers.pop(0))
    actions.presets_changed.connect(lambda: changed.append(True))
    path = actions.save_as("mine")
    assert path is not None and asked == [] and changed == [True]

    values["distill"]["temperature"] = 9.0
    assert actions.save_as("mine") is None  # declined: the file is kept as it was
    assert len(asked) == 1 and "already exists" in dialogs.LAST[0].informativeText()
    assert yaml.safe_load(path.read_text())["distill"]["temperature"] == 4.0

    assert actions.save_as("mine") == path  # accepted: replaced
    assert len(asked) == 2 and changed == [True, True]
    assert yaml.safe_load(path.read_text())["distill"]["temperature"] == 9.0

    assert actions.save_as("not a file name/") is None  # a PresetError, but no clash
    assert len(asked) == 2 and "name: " in dialogs.LAST[0].informativeText()
