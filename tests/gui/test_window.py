"""The window builds, loads presets, refuses bad ones and saves settings as presets."""
from __future__ import annotations

from pathlib import Path

import yaml

from workbench.core.paths import bundled_assets_dir
from workbench.gui import dialogs
from workbench.core.distill.strategy import TEACHING_PARAMS

TEACHING_DEFAULTS = {param.name: param.default for param in TEACHING_PARAMS}  # schedules...


def test_window_builds_with_a_runnable_default(window):
    window.load_startup_preset()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Train", "Compare", "Green", "Runs", "Lineage", "Sweep", "Data"]
    settings = window.experiment.settings()
    # the demo where distillation wins needs the bundled teacher file; without it, shapes
    teacher_file = bundled_assets_dir() / "fashion-cnn-teacher.pt"
    assert settings["name"] == ("fashion-kd-wide" if teacher_file.is_file()
                                else "synthetic-quick")
    assert window.progress.run_button.isEnabled()
    assert not window.progress.stop_button.isEnabled()


def test_panel_round_trips_settings(window, tiny_preset):
    assert window.load_preset(str(tiny_preset))
    window.experiment.set_temperature(7.5)
    window.experiment.epochs.setValue(3)
    settings = window.experiment.settings()
    assert settings["distill"] == {"method": "offline", "alpha": 0.5, "temperature": 7.5,
                                   "teacher_noise": 0.0, "top_k": 0, **TEACHING_DEFAULTS,
                                   **{key: settings["distill"][key] for key in ("fusion", "views")
                                      if key in settings["distill"]}}
    assert settings["train"]["epochs"] == 3
    assert settings["student"] == "synthetic-mlp"  # library models stay named
    assert isinstance(settings["teacher"], dict)  # inline models stay inline


def test_bad_preset_import_shows_problems_and_keeps_the_session(window, tiny_preset, tmp_path):
    window.load_preset(str(tiny_preset))
    window.experiment.set_temperature(9.0)
    before = window.experiment.settings()
    bad = tmp_path / "bad.yaml"
    bad.write_text(tiny_preset.read_text().replace("alpha: 0.5", "alpha: 2.0")
                   .replace("seed: 0, threads: 1", "seed: 0, threads: 1, epoch: 3"))
    assert window.presets.import_file(bad) is False
    box = dialogs.LAST[0]
    assert box.isVisible()
    text = box.informativeText()
    assert "distill.alpha" in text and "train.epoch" in text
    assert "Traceback" not in text
    assert window.experiment.settings() == before


def test_invalid_settings_do_not_start_a_run(window, tiny_preset):
    window.load_preset(str(tiny_preset))
    window.experiment.student.set_reference({"architecture": "nope"})
    assert window.start_run() is False
    assert window.worker is None
    assert "student.architecture" in dialogs.LAST[0].informativeText()


def test_save_settings_as_a_user_preset(window, tiny_preset, isolated):
    window.load_preset(str(tiny_preset))
    window.experiment.set_temperature(6.0)
    path = window.presets.save_as("my-tiny")
    assert path == isolated / "config" / "presets" / "experiments" / "my-tiny.yaml"
    saved = yaml.safe_load(Path(path).read_text())
    assert saved["name"] == "my-tiny" and saved["distill"]["temperature"] == 6.0
    labels = [window.preset_combo.itemText(i) for i in range(window.preset_combo.count())]
    assert "my-tiny  (yours)" in labels
    exported = window.presets.export_to(isolated / "out" / "shared.yaml")
    assert yaml.safe_load(exported.read_text())["distill"]["temperature"] == 6.0


def test_settings_remember_the_last_tab(window, qtbot, tmp_path):
    from workbench.gui.main_window import MainWindow

    window.tabs.setCurrentIndex(2)
    window.close()
    again = MainWindow(tmp_path / "runs")
    qtbot.addWidget(again)
    assert again.tabs.currentIndex() == 2


def test_the_last_preset_comes_back_after_a_restart(window, qtbot, tiny_preset, tmp_path):
    from workbench.gui.main_window import MainWindow

    window.presets.import_file(tiny_preset)
    window.close()
    again = MainWindow(tmp_path / "runs")
    qtbot.addWidget(again)
    again.load_startup_preset()
    assert again.experiment.settings()["name"] == "tiny"


def test_copy_as_yaml_then_paste_restores_the_settings(window, tiny_preset, monkeypatch):
    from workbench.gui import dialogs

    window.load_preset(str(tiny_preset))
    window.experiment.set_temperature(7.0)
    text = window.presets.copy_yaml()
    assert yaml.safe_load(text)["distill"]["temperature"] == 7.0
    window.experiment.set_temperature(2.0)
    assert window.presets.paste_preset() is True
    assert window.experiment.settings()["distill"]["temperature"] == 7.0
    shown = []
    monkeypatch.setattr(dialogs, "show_preset_error",
                        lambda parent, error, what: shown.append(error.problems))
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().setText("distill: {alpha: 3}\n")
    assert window.presets.paste_preset() is False
    assert shown and window.experiment.settings()["distill"]["temperature"] == 7.0


def test_share_bundle_export_then_import_into_the_user_folder(window, isolated, monkeypatch):
    from workbench.gui import dialogs

    window.load_preset("synthetic-quick")
    window.experiment.set_temperature(5.0)
    bundle = window.presets.export_bundle_to(isolated / "out" / "shared.wbpreset")
    assert bundle is not None and bundle.is_file()
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda *args: asked.append(args) or True)
    name = window.presets.import_bundle_file(bundle)  # clashes with the bundled name: asks
    assert name == "synthetic-quick" and asked
    user_file = isolated / "config" / "presets" / "experiments" / "synthetic-quick.yaml"
    assert yaml.safe_load(user_file.read_text())["distill"]["temperature"] == 5.0
    assert window.experiment.settings()["distill"]["temperature"] == 5.0
