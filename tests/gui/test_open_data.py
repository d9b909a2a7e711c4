"""Issue 15 in the window: File ▸ Open dataset… and Open teacher…, the Data tab, fit checks.

Every test builds its own tiny image folder (8x8 PNGs) and TorchScript teachers in tmp_path.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from workbench.core.models import build_model
from workbench.core.models.saved import META_FILE
from workbench.gui import dialogs
from workbench.gui.panels.dataset_view import THUMB

# train/ and test/ counts per class: different on purpose, so a swapped or summed count shows
TRAIN = {"boot": 5, "coat": 3, "shirt": 4}
TEST = {"boot": 2, "coat": 1, "shirt": 3}
WAIT_MS = 60_000


def write_folder(root: Path, train: dict[str, int] = TRAIN, test: dict[str, int] = TEST,
                 side: int = 8, broken: bool = True) -> Path:
    """root/{train,test}/<class>/<n>.png, grey squares whose level depends on the class."""
    for split, counts in (("train", train), ("test", test)):
        for label, (name, count) in enumerate(counts.items()):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                level = 20 + 60 * label + index
                pixels = np.full((side, side), level, dtype=np.uint8)
                Image.fromarray(pixels, mode="L").save(folder / f"{index}.png")
    if broken:
        (root / "train" / "coat" / "broken.png").write_bytes(b"not a png at all")
    return root


def write_torchscript(path: Path, input_shape: tuple[int, ...], classes: int,
                      hidden: tuple[int, ...] = (16,)) -> Path:
    """A TorchScript teacher carrying the meta ``workbench export`` writes (shape, classes)."""
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": list(hidden)}, input_shape, classes).eval()
    meta = {"input_shape": list(input_shape), "classes": [f"c{i}" for i in range(classes)]}
    torch.jit.save(torch.jit.script(model), str(path), _extra_files={META_FILE: json.dumps(meta)})
    return path


def open_folder(window, qtbot, root: Path) -> None:
    with qtbot.waitSignal(window.datasets.described, timeout=WAIT_MS):
        assert window.datasets.open(root)


@pytest.fixture
def loaded(window, tiny_preset):
    assert window.load_preset(str(tiny_preset))
    return window


def test_opening_an_image_folder_shows_its_classes_counts_and_broken_files(loaded, qtbot,
                                                                            tmp_path):
    window = loaded
    root = write_folder(tmp_path / "clothes")
    open_folder(window, qtbot, root)
    view = window.datasets.view
    assert window.tabs.currentWidget() is view
    # one row per class, in label order: name, train count, test count (the broken file is
    # not counted)
    assert view.class_rows() == [("boot", "5", "2"), ("coat", "3", "1"), ("shirt", "4", "3")]
    info = view.info
    assert info.input_shape == (1, 8, 8)
    assert {name: len(images) for name, images in info.samples.items()} == TRAIN
    # each row's strip shows its own class's images: boot (darkest) first, then coat
    strips = [view.table.cellWidget(row, 3).pixmap().toImage() for row in range(3)]
    levels = [strip.pixelColor(THUMB // 2, THUMB // 2).red() for strip in strips]
    assert levels[0] < levels[1] < levels[2], levels
    assert "broken.png" in view.problems.text() and view.problems.isVisibleTo(view)
    data = window.experiment.settings()["data"]
    assert data["dataset"] == "image-folder" and Path(data["root"]) == root.resolve()
    assert data["val_size"] == 200 and data["seed"] == 0  # the preset's shared keys stay
    assert window.experiment.data_shape() == ((1, 8, 8), 3)


def test_a_folder_without_class_folders_is_one_dialog_and_changes_nothing(loaded, qtbot,
                                                                         tmp_path):
    window = loaded
    before = window.experiment.settings()
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(window.datasets.failed, timeout=WAIT_MS):
        window.datasets.open(empty)
    text = dialogs.LAST[0].informativeText()
    assert str(empty) in text and "Traceback" not in text
    assert window.experiment.settings() == before


def test_a_teacher_that_does_not_fit_the_dataset_refuses_the_run_naming_both_shapes(
        loaded, qtbot, tmp_path):
    window = loaded
    open_folder(window, qtbot, write_folder(tmp_path / "clothes"))
    from workbench.gui.teacher_actions import open_teacher

    fashion = write_torchscript(tmp_path / "fashion.pt", (1, 28, 28), 10)
    assert open_teacher(window, fashion)
    problem = window.experiment.teacher_problem()
    assert problem is not None and "1x28x28" in problem and "1x8x8" in problem
    assert "⚠" in window.experiment.teacher.info.text()
    assert window.start_run() is False and window.worker is None
    message = dialogs.LAST[0].informativeText()
    assert "1x28x28" in message and "1x8x8" in message

    fitting = write_torchscript(tmp_path / "clothes.pt", (1, 8, 8), 3)
    assert open_teacher(window, fitting)
    assert window.experiment.teacher_problem() is None
    assert window.experiment.settings()["teacher"]["weights"] == str(fitting.resolve())


def test_a_new_dataset_under_a_chosen_teacher_is_checked_again(loaded, qtbot, tmp_path):
    window = loaded
    open_folder(window, qtbot, write_folder(tmp_path / "three"))
    from workbench.gui.teacher_actions import open_teacher

    assert open_teacher(window, write_torchscript(tmp_path / "three.pt", (1, 8, 8), 3))
    assert window.experiment.teacher_problem() is None
    four = dict(TRAIN, dress=2)
    open_folder(window, qtbot, write_folder(tmp_path / "four", four, dict(TEST, dress=1)))
    problem = window.experiment.teacher_problem()
    assert problem is not None and "3 classes" in problem and "4 classes" in problem
    assert window.start_run() is False


def test_an_unreadable_teacher_file_is_one_dialog(loaded, tmp_path):
    from workbench.gui.teacher_actions import open_teacher

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"no model here")
    before = window_teacher = loaded.experiment.settings()["teacher"]
    assert open_teacher(loaded, bad) is False
    text = dialogs.LAST[0].informativeText()
    assert "bad.onnx" in text and "Traceback" not in text
    assert loaded.experiment.settings()["teacher"] == before == window_teacher


def test_choosing_a_suggestion_sets_the_student(loaded, qtbot, tmp_path):
    window = loaded
    open_folder(window, qtbot, write_folder(tmp_path / "clothes", side=16, broken=False))
    from workbench.gui.panels.student_suggest import suggestion_label
    from workbench.gui.teacher_actions import open_teacher

    path = write_torchscript(tmp_path / "big.pt", (1, 16, 16), 3, hidden=(512, 256))
    teacher = torch.jit.load(str(path))
    assert open_teacher(window, path)
    button = window.experiment.suggest
    suggestions = button.fill()
    assert suggestions, [a.text() for a in button.menu_.actions()]
    teacher_params = sum(p.numel() for p in teacher.parameters())
    assert f"{teacher_params:,}" in button.menu_.actions()[0].text()
    chosen = suggestions[-1]
    action = next(a for a in button.menu_.actions() if a.text() == suggestion_label(chosen))
    action.trigger()
    student = window.experiment.settings()["student"]
    assert student["architecture"] == chosen.architecture
    assert student["args"] == dict(chosen.args) and student == chosen.as_model()
    # sized for this dataset's 1x16x16 inputs and 3 classes, and the picker counts it so
    built = build_model(chosen.architecture, chosen.args, (1, 16, 16), 3)
    assert chosen.params == sum(p.numel() for p in built.parameters())
    assert f"{chosen.params:,} params" in window.experiment.student.info.text()


def test_an_exported_fashion_teacher_is_refused_on_the_synthetic_shapes(loaded, tmp_path):
    """Same 1x28x28 inputs and 10 classes, but its classes mean clothes, not shapes: the
    window once took such a teacher silently."""
    from workbench.gui.teacher_actions import open_teacher

    assert loaded.experiment.settings()["data"]["dataset"] == "synthetic"
    torch.manual_seed(0)
    model = build_model("mlp", {"hidden": [16]}, (1, 28, 28), 10).eval()
    meta = {"input_shape": [1, 28, 28], "classes": [f"c{i}" for i in range(10)],
            "dataset": "fashion-mnist"}
    path = tmp_path / "fashion-export.pt"
    torch.jit.save(torch.jit.script(model), str(path), _extra_files={META_FILE: json.dumps(meta)})
    assert open_teacher(loaded, path)
    problem = loaded.experiment.teacher_problem()
    assert problem is not None and "fashion-mnist" in problem and "synthetic" in problem
    assert loaded.start_run() is False


def test_the_folder_s_class_names_reach_the_preview_and_compare(window, qtbot, tmp_path):
    """A run on a tiny image folder: the soft-label preview and Compare name its classes."""
    from tests.gui.conftest import TINY_PRESET
    from workbench.core.models.weights import save_checkpoint

    preset = tmp_path / "folder.yaml"
    preset.write_text(TINY_PRESET.replace("EPOCHS", "1").replace("val_size: 200", "val_size: 3"))
    assert window.load_preset(str(preset))
    open_folder(window, qtbot, write_folder(tmp_path / "clothes", broken=False))
    with qtbot.waitSignal(window.run_finished, timeout=120_000) as finished:
        assert window.start_run()
    assert finished.args[0] == "completed"
    assert "boot, coat, shirt" in window.compare.title.text()
    assert "3 classes" in window.compare.title.text()

    # a trained teacher for this folder: the preview's bars are named by its classes
    torch.manual_seed(0)
    args = {"channels": [4, 8], "convs_per_block": 1, "batch_norm": False, "hidden": 16}
    weights = tmp_path / "teacher.pt"
    save_checkpoint(weights, build_model("cnn", args, (1, 8, 8), 3), {"dataset": "image-folder"})
    with qtbot.waitSignal(window.preview.updated, timeout=WAIT_MS):
        window.experiment.teacher.set_reference({"architecture": "cnn", "args": args,
                                                 "weights": str(weights)})
    sample = window.preview.sample
    assert sample.classes == ("boot", "coat", "shirt")
    assert f"true: {sample.classes[sample.label]}" in window.preview.caption.text()


def test_a_csv_table_shows_its_feature_columns_and_first_rows(loaded, qtbot, tmp_path):
    window = loaded
    table = tmp_path / "iris.csv"
    lines = ["petal,sepal,stem,label"]
    lines += [f"{i / 10:.1f},{i % 3},{2 * i},{'setosa' if i % 2 else 'virginica'}"
              for i in range(20)]
    table.write_text("\n".join(lines) + "\n")
    open_folder(window, qtbot, table)
    view = window.datasets.view
    assert view.info.input_shape == (3,)
    assert [row[0] for row in view.class_rows()] == ["setosa", "virginica"]
    assert sum(int(row[1]) + int(row[2]) for row in view.class_rows()) == 20
    headers = [view.features.horizontalHeaderItem(c).text()
               for c in range(view.features.columnCount())]
    assert headers == ["petal", "sepal", "stem"] and view.features.isVisibleTo(view)
    assert view.features.item(1, 2).text() == "2"  # row 1, column stem = 2 * 1
    assert view.table.columnCount() == 3  # class, train, test: no sample images for vectors
    assert window.experiment.settings()["data"]["dataset"] == "csv"
    assert window.experiment.data_shape() == ((3,), 2)


def test_an_npz_names_its_classes(loaded, qtbot, tmp_path):
    window = loaded
    rng = np.random.default_rng(0)
    path = tmp_path / "pets.npz"
    np.savez(path, x_train=rng.integers(0, 255, (9, 1, 6, 6), dtype=np.uint8),
             y_train=np.array([0, 1, 2] * 3), x_test=rng.integers(0, 255, (3, 1, 6, 6),
                                                                    dtype=np.uint8),
             y_test=np.array([0, 1, 2]), classes=np.array(["cat", "dog", "hamster"]))
    open_folder(window, qtbot, path)
    assert window.datasets.view.class_rows() == [("cat", "3", "1"), ("dog", "3", "1"),
                                                 ("hamster", "3", "1")]
    assert window.experiment.data_shape() == ((1, 6, 6), 3)


def test_a_file_that_is_no_dataset_is_one_dialog_naming_it(loaded, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    before = loaded.experiment.settings()
    assert loaded.datasets.open(notes) is False
    text = dialogs.LAST[0].informativeText()
    assert "notes.txt" in text and "Traceback" not in text
    assert loaded.experiment.settings() == before


def test_a_preset_reading_a_folder_is_described_and_its_teacher_checked(window, qtbot,
                                                                          tmp_path):
    """No Open dataset…: the preset itself names the folder and a teacher that does not fit."""
    from tests.gui.conftest import TINY_PRESET

    root = write_folder(tmp_path / "clothes", broken=False)
    teacher = write_torchscript(tmp_path / "fashion.pt", (1, 28, 28), 10)
    text = (TINY_PRESET.replace("EPOCHS", "1")
            .replace("data: {dataset: synthetic, val_size: 200, seed: 0, train_limit: 800}",
                     f"data: {{dataset: image-folder, root: '{root}', val_size: 3}}"))
    text = text[:text.index("teacher:")] + f"teacher: '{teacher}'\n" + \
        text[text.index("student:"):]
    preset = tmp_path / "folder.yaml"
    preset.write_text(text)
    with qtbot.waitSignal(window.datasets.described, timeout=WAIT_MS):
        assert window.load_preset(str(preset))
    assert window.datasets.view.class_rows()[0] == ("boot", "5", "2")
    problem = window.experiment.teacher_problem()
    assert problem is not None and "1x28x28" in problem and "1x8x8" in problem
    assert window.start_run() is False


def test_the_validation_split_can_be_sized_for_a_small_folder(loaded, qtbot, tmp_path):
    """A preset's val_size stays when a folder is opened, and the panel can change it: a
    folder smaller than the preset's validation split needs that to run."""
    window = loaded
    open_folder(window, qtbot, write_folder(tmp_path / "clothes", broken=False))
    control = window.experiment.data_form.controls["val_size"]
    assert control.value() == 200  # the tiny preset's, kept
    control.setValue(3)
    assert window.experiment.settings()["data"]["val_size"] == 3


MLP_PRESET = """\
schema: 1
kind: experiment
name: own-data
teacher: {architecture: mlp, args: {hidden: [32]}}
student: {architecture: mlp, args: {hidden: [8]}}
data: {dataset: synthetic, val_size: 3, seed: 0}
distill: {method: offline, alpha: 0.5, temperature: 4.0}
train: {epochs: 3, batch_size: 8, lr: 0.01, schedule: constant, seed: 0, threads: 1}
teacher_train: {epochs: 3, batch_size: 8, lr: 0.01, schedule: constant}
compare: {latency_repeats: 3, warmup: 1, throughput_batch: 8, threads: 1}
"""


def _write_npz(path: Path) -> Path:
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 2] * 8)
    images = (rng.integers(0, 40, (24, 1, 6, 6)) + 80 * labels[:, None, None, None])
    np.savez(path, x_train=images.astype(np.uint8), y_train=labels,
             x_test=images[:9].astype(np.uint8), y_test=labels[:9],
             classes=np.array(["cat", "dog", "hamster"]))
    return path


def _write_csv(path: Path) -> Path:
    rows = ["petal,sepal,label"]
    rows += [f"{(i % 2) * 5 + i / 100:.2f},{(i % 2) * -3 + 1:.1f},"
             f"{'setosa' if i % 2 else 'virginica'}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("kind", ["folder", "npz", "csv"])
def test_each_kind_of_own_data_goes_through_run_compare_and_export_in_the_window(
        window, qtbot, tmp_path, kind):
    """Issue 15's 'done when', in the window: open the data, run teacher -> student, the
    comparison names its classes, and File > Export writes a student that predicts alike."""
    from workbench.core.models.saved import load_model_file
    from workbench.gui.menus import export_student

    preset = tmp_path / "own.yaml"
    preset.write_text(MLP_PRESET)
    assert window.load_preset(str(preset))
    source, classes = {
        "folder": (lambda: write_folder(tmp_path / "clothes", broken=False),
                   "boot, coat, shirt"),
        "npz": (lambda: _write_npz(tmp_path / "pets.npz"), "cat, dog, hamster"),
        "csv": (lambda: _write_csv(tmp_path / "iris.csv"), "setosa, virginica"),
    }[kind]
    open_folder(window, qtbot, source())
    with qtbot.waitSignal(window.run_finished, timeout=120_000) as finished:
        assert window.start_run()
    assert finished.args[0] == "completed"
    assert classes in window.compare.title.text()
    target = export_student(window, tmp_path / "student.pt", "torchscript")
    assert target is not None and target.is_file()
    exported = load_model_file(target)
    shape = window.experiment.data_shape()[0]
    assert tuple(exported.input_shape) == tuple(shape)
    with torch.inference_mode():
        logits = exported.model(torch.zeros(2, *shape))
    assert logits.shape == (2, len(classes.split(", ")))
