"""A trained teacher that does not fit the dataset is refused, with the reason."""
from __future__ import annotations

from workbench.core.measure.teacher_fit import teacher_fit_problem
from workbench.core.presets.load import load_model_preset


def test_trained_on_another_dataset_is_refused():
    teacher = load_model_preset("fashion-cnn-teacher")
    problem = teacher_fit_problem(teacher, "synthetic")
    assert problem.startswith("fashion-cnn-teacher was trained on fashion-mnist, not synthetic")
    assert "trained_on" in problem
    assert teacher_fit_problem(teacher, "fashion-mnist") is None


def test_input_shape_and_classes_are_checked_against_the_weights():
    teacher = load_model_preset("fashion-cnn-teacher")
    classes = teacher_fit_problem(teacher, "fashion-mnist", (1, 28, 28), 5)
    assert classes.startswith("teacher fashion-cnn-teacher takes 1x28x28 inputs and gives 10 "
                              "classes; dataset fashion-mnist has 1x28x28 images and 5 classes")
    assert "(10, 256) vs (5, 256)" in classes
    shape = teacher_fit_problem(teacher, "fashion-mnist", (3, 32, 32), 10)
    assert "has 3x32x32 images and 10 classes" in shape
    assert "(32, 1, 3, 3) vs (32, 3, 3, 3)" in shape
    # a shape mismatch is named before trained_on: the message names both shapes
    elsewhere = teacher_fit_problem(teacher, "image-folder", (3, 32, 32), 10,
                                    dataset_label="dataset image-folder (data.root=pics)")
    assert "takes 1x28x28 inputs" in elsewhere and "(data.root=pics) has 3x32x32" in elsewhere


def test_an_untrained_teacher_fits_any_dataset():
    assert teacher_fit_problem(load_model_preset("synthetic-cnn"), "fashion-mnist") is None


def test_weights_whose_own_meta_names_another_dataset_are_refused_without_trained_on():
    """An inline teacher pointing at a run's checkpoint has no trained_on; the checkpoint's
    meta still says what it learned (the window used to accept it on the synthetic shapes)."""
    from workbench.core.presets.model import validate_model

    bundled = load_model_preset("fashion-cnn-teacher")
    inline = validate_model({"architecture": bundled.architecture,
                             "args": bundled.args.to_dict(), "weights": str(bundled.weights)},
                            "teacher", bundled.weights.parent, "teacher (inline)", [],
                            standalone=False)
    assert inline.trained_on is None
    problem = teacher_fit_problem(inline, "synthetic")
    assert problem is not None and "was trained on fashion-mnist, not synthetic" in problem
    assert teacher_fit_problem(inline, "fashion-mnist") is None
