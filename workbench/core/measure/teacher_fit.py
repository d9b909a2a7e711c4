"""Does a trained teacher fit the chosen dataset? The pickers and ``run`` refuse one that does not.

A teacher trained on Fashion-MNIST still runs on the synthetic shapes (both are
1x28x28, 10 classes), but its class 3 means "dress", not "plus": its soft labels
would teach nonsense. Untrained teachers fit any dataset: the run trains them.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from workbench.core.errors import PresetError, Problem, WorkbenchError
from workbench.core.measure.teacher_probe import TeacherProbe, probe_teacher, shape_text
from workbench.core.models.build import build_model
from workbench.core.models.weights import read_state_dict
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.model import ModelPreset

BUNDLED_SHAPE, BUNDLED_CLASSES = (1, 28, 28), 10  # every registered dataset's images


def teacher_fit_problem(teacher: ModelPreset, dataset: str,
                        input_shape: tuple[int, ...] = BUNDLED_SHAPE,
                        num_classes: int = BUNDLED_CLASSES, dataset_label: str | None = None,
                        train_rows: int | None = None) -> str | None:
    """Why ``teacher`` cannot teach on ``dataset`` (one line naming both sides), or None.

    ``dataset_label`` names the data in the message (default ``dataset NAME``);
    ``train_rows`` checks that recorded outputs have a row per training image.
    """
    label = dataset_label or f"dataset {dataset}"
    shape = tuple(input_shape)
    if teacher.black_box:
        name = teacher.weights.name if teacher.weights is not None else teacher.name
        try:
            probe = probe_teacher(teacher, shape, num_classes)
        except PresetError as error:
            return f"{name}: " + "; ".join(problem.message for problem in error.problems)
        return _probe_problem(name, probe, label, shape, num_classes,
                              train_rows) or _trained_problem(name, probe.trained_on, dataset)
    if teacher.weights is None:
        return None
    trained = (teacher.trained_on or {}).get("dataset") or _checkpoint_dataset(teacher)
    return (_shape_problem(teacher, label, shape, num_classes)
            or _trained_problem(teacher.name, str(trained) if trained else None, dataset))


def _checkpoint_dataset(teacher: ModelPreset) -> str | None:
    """The dataset the weights' own meta names (a preset without ``trained_on``: an inline
    teacher pointing at a run's checkpoint), or None."""
    try:
        return probe_teacher(teacher).trained_on
    except WorkbenchError:
        return None


def check_teachers_fit(preset: ExperimentPreset, dataset: str, input_shape: tuple[int, ...],
                       num_classes: int, train_rows: int | None = None) -> None:
    """Refuse, before a run starts, every teacher (and trained assistant) that does not fit.

    Raises:
        PresetError: one problem per model, at its place in the preset.
    """
    root = preset.data.get("root")
    label = f"dataset {dataset}" + (f" (data.root={root})" if root else "")
    teachers = preset.teachers
    # Recorded outputs are checked as they are read (load_recorded), also before the run.
    places = [("teacher" if len(teachers) == 1 else f"teacher[{index}]", model)
              for index, model in enumerate(teachers) if model.architecture != "outputs"]
    places += [(f"distill.assistants[{index}]", model)
               for index, model in enumerate(preset.assistants)]
    problems = [Problem(place, reason) for place, model in places
                if (reason := teacher_fit_problem(model, dataset, input_shape, num_classes,
                                                  label, train_rows))]
    if problems:
        raise PresetError(preset.source, problems)


def data_text(input_shape: tuple[int, ...], num_classes: int) -> str:
    """``1x28x28 images and 10 classes`` / ``20 features and 3 classes``."""
    what = f"{input_shape[0]} features" if len(input_shape) == 1 else \
        f"{shape_text(input_shape)} images"
    return f"{what} and {num_classes} classes"


def _trained_problem(name: str, trained: str | None, dataset: str) -> str | None:
    if not trained or trained == dataset:
        return None
    return (f"{name} was trained on {trained}, not {dataset}: its classes mean "
            f"{trained}'s classes (trained_on in its preset, or its weights' meta). Pick a "
            f"teacher without weights (the run trains it on {dataset}) or another dataset.")


def _probe_problem(name: str, probe: TeacherProbe, label: str, shape: tuple[int, ...],
                   num_classes: int, train_rows: int | None) -> str | None:
    """A file teacher against the data: shapes, classes and (recorded outputs) rows."""
    if probe.kind == "outputs":
        short = train_rows is not None and (probe.rows or 0) < train_rows
        if probe.classes == num_classes and not short:
            return None
        rows = data_text(shape, num_classes) if train_rows is None else \
            f"{train_rows} training images and {num_classes} classes"
        return f"teacher {name} {probe.describe()}; {label} has {rows}"
    wrong_shape = probe.input_shape is not None and tuple(probe.input_shape) != shape
    wrong_classes = probe.classes is not None and probe.classes != num_classes
    if probe.error is None and not wrong_shape and not wrong_classes:
        return None
    what = f"fails on {shape_text(shape)} inputs ({probe.error})" if probe.error else \
        probe.describe()
    return f"teacher {name} {what}; {label} has {data_text(shape, num_classes)}"


def _shape_problem(teacher: ModelPreset, label: str, input_shape: tuple[int, ...],
                   num_classes: int) -> str | None:
    args = json.dumps(teacher.args.to_dict(), sort_keys=True)
    mismatched = _mismatch(teacher.architecture, args, str(teacher.weights), tuple(input_shape),
                           num_classes)
    if mismatched is None:
        return None
    probe = probe_teacher(teacher)
    takes = (f"takes {shape_text(probe.input_shape)} inputs and gives {probe.classes} classes"
             if probe.input_shape is not None and probe.classes is not None
             else "has weights of other shapes")
    return (f"teacher {teacher.name} {takes}; {label} has {data_text(input_shape, num_classes)}"
            f" (weights: {mismatched})")


@lru_cache(maxsize=32)
def _mismatch(architecture: str, args_json: str, weights: str, input_shape: tuple[int, ...],
              num_classes: int) -> str | None:
    """The first tensors whose shapes differ from the model built for this data, or None."""
    try:
        state, _meta = read_state_dict(Path(weights))
        expected = build_model(architecture, json.loads(args_json), input_shape,
                               num_classes).state_dict()
    except (WorkbenchError, OSError, TypeError, ValueError) as error:
        return f"cannot check: {error}"
    shapes = [f"{name} {tuple(state[name].shape)} vs {tuple(tensor.shape)}"
              for name, tensor in expected.items()
              if name in state and state[name].shape != tensor.shape]
    missing = [name for name in expected if name not in state]
    if not shapes and not missing:
        return None
    return "; ".join(shapes[:2]) or f"missing {', '.join(missing[:2])}"
