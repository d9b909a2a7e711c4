"""The soft-label preview follows the T slider and steps through samples."""
from __future__ import annotations

import numpy as np

from workbench.gui.panels.preview import NO_WEIGHTS_NOTE


def _entropy(probabilities: np.ndarray) -> float:
    return float(-(probabilities * np.log(probabilities + 1e-12)).sum())


def test_moving_t_changes_the_preview(window, qtbot, trained_teacher_preset):
    with qtbot.waitSignal(window.preview.updated, timeout=30_000):
        assert window.load_preset(str(trained_teacher_preset))
    preview = window.preview
    assert preview.sample is not None and not preview.plot.isHidden()
    control = window.experiment.method_form.controls["temperature"]
    control.slider.setValue(0)  # T = 1
    assert preview.temperature == 1.0
    sharp = preview.probabilities.copy()
    control.slider.setValue(1000)  # T = 20
    assert preview.temperature == 20.0
    soft = preview.probabilities.copy()
    assert not np.allclose(sharp, soft)
    assert _entropy(soft) > _entropy(sharp)
    assert np.isclose(soft.sum(), 1.0)


def test_another_sample_shows_another_image(window, qtbot, trained_teacher_preset):
    with qtbot.waitSignal(window.preview.updated, timeout=30_000):
        window.load_preset(str(trained_teacher_preset))
    first = window.preview.sample
    with qtbot.waitSignal(window.preview.updated, timeout=30_000):
        qtbot.mouseClick(window.preview.next_button, qtbot_left())
    assert window.preview.sample.index == first.index + 1


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_teacher_without_weights_shows_a_note(window, tiny_preset):
    window.load_preset(str(tiny_preset))
    assert window.preview.note.text() == NO_WEIGHTS_NOTE
    assert window.preview.plot.isHidden()


def test_a_missing_dataset_gives_a_note_and_never_downloads(window, qtbot, trained_teacher_preset,
                                                            tmp_path, monkeypatch):
    from workbench.core.data import mnist_family

    def no_network(*args, **kwargs):
        raise AssertionError("the preview must not download")

    monkeypatch.setattr(mnist_family, "download_idx", no_network)
    monkeypatch.setenv("WORKBENCH_DATA", str(tmp_path / "nothing"))
    text = trained_teacher_preset.read_text().replace("dataset: synthetic,", "dataset: mnist,")
    text = text.replace("trained_on: {dataset: synthetic}", "trained_on: {dataset: mnist}")
    trained_teacher_preset.write_text(text)
    window.load_preset(str(trained_teacher_preset))
    qtbot.waitUntil(lambda: window.preview.note.text().startswith("No preview"), timeout=30_000)
    assert "dataset 'mnist' not found" in window.preview.note.text()
    assert window.preview.plot.isHidden()


def test_a_hard_sample_is_the_least_certain_and_the_legend_sits_above_the_bars(
        window, qtbot, trained_teacher_preset):
    from workbench.core.measure.soft_label_preview import softmax_at

    with qtbot.waitSignal(window.preview.updated, timeout=30_000):
        window.load_preset(str(trained_teacher_preset))
    preview = window.preview
    start = preview.index + 1
    with qtbot.waitSignal(preview.updated, timeout=30_000):
        qtbot.mouseClick(preview.hard_button, qtbot_left())
    loader = preview._loader
    chosen = _entropy(softmax_at(preview.sample.logits, 1.0))
    others = [_entropy(softmax_at(loader.sample(start + k).logits, 1.0)) for k in range(256)]
    assert chosen >= max(others) - 1e-9
    assert preview.index == preview.sample.index  # "Another sample" goes on from here
    assert preview.plot.getPlotItem().legend is None  # nothing drawn over the bars
    assert "T = 1" in preview.legend.text() and preview.legend.isVisibleTo(preview)
