"""The experiment panel shows data.root and the chosen dataset's declared Params."""
from __future__ import annotations

import pytest

from workbench.core.data import DATASETS
from workbench.core.presets import load_experiment
from workbench.core.presets.save import settings_from_preset
from workbench.gui.panels.param_form import declared


@pytest.fixture
def panel(qtbot):
    from workbench.gui.panels.experiment import ExperimentPanel

    widget = ExperimentPanel()
    qtbot.addWidget(widget)
    widget.load(settings_from_preset(load_experiment("synthetic-quick")))
    return widget


def test_picking_a_dataset_shows_its_own_params_from_their_declarations(panel):
    assert list(panel.data_form.controls) == ["root", "val_size"]  # synthetic: none of its own
    panel.dataset.setCurrentText("image-folder")
    assert list(panel.data_form.controls) == ["root", "image_size", "channels", "test_fraction",
                                              "val_size"]
    size = panel.data_form.controls["image_size"]
    param = declared(DATASETS.get("image-folder").params, "image_size")
    assert size.maximum() == param.maximum and param.help in size.toolTip()
    assert size.value() == size.minimum() and size.specialValueText() == "none"  # null
    panel.data_form.controls["root"].setText("/data/photos")
    size.setValue(32)
    data = panel.settings()["data"]
    assert data["dataset"] == "image-folder" and data["root"] == "/data/photos"
    assert data["image_size"] == 32 and "channels" not in data  # defaults are not spelled out
    size.setValue(size.minimum())
    assert "image_size" not in panel.settings()["data"]  # back to none: the default


def test_a_loaded_csv_preset_shows_its_values_and_open_dataset_replaces_them(panel):
    settings = panel.settings()
    settings["data"] = {"dataset": "csv", "root": "/t/iris.csv", "label_column": "species",
                        "val_size": 9}
    panel.load(settings)
    assert panel.data_form.controls["label_column"].text() == "species"
    assert panel.data_form.controls["root"].text() == "/t/iris.csv"
    assert not panel.is_edited()
    panel.set_data({"dataset": "csv", "root": "/t/other.csv"})
    data = panel.settings()["data"]
    assert data["root"] == "/t/other.csv" and data["val_size"] == 9  # shared: kept
    assert "label_column" not in data  # the old file's column: not this file's
    assert panel.data_form.controls["root"].text() == "/t/other.csv"
