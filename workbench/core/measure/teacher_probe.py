"""What a teacher takes and gives: its input shape, class count and size, read or probed.

The window's "Open teacher..." and the pre-run fit check both ask this. Where the
file declares it (an ONNX graph's input and output shapes, our TorchScript
exports' meta, a checkpoint's meta, the columns of recorded outputs) it is read;
where it does not (a TorchScript file without meta, an ONNX graph with a dynamic
image size) a zero batch of the dataset's shape is run through the model, and
without a dataset the shape is "unknown".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.core.config.section import Section
from workbench.core.errors import PresetError, Problem, WorkbenchError
from workbench.core.models.build import build_model, parameter_bytes
from workbench.core.models.onnx_teacher import (OnnxTeacher, initializer_count, open_session,
                                                 require_onnxruntime)
from workbench.core.models.saved import ModelFileError, load_torchscript
from workbench.core.models.weights import load_weights, read_state_dict
from workbench.core.presets.load import load_model_preset
from workbench.core.presets.model import ModelPreset, file_kind

FIELD = "teacher.weights"


@dataclass(frozen=True)
class TeacherProbe:
    """A teacher's interface as far as it is known (None: unknown)."""

    kind: str  # "onnx" | "torchscript" | "outputs" | "preset"
    input_shape: tuple[int, ...] | None  # one sample: (C, H, W) or (F,)
    classes: int | None
    params: int | None
    rows: int | None = None  # recorded outputs: one row per training image
    trained_on: str | None = None  # the dataset its preset or checkpoint names
    note: str = ""  # why something is unknown
    error: str | None = None  # running a zero batch of the dataset's shape failed: why

    def describe(self) -> str:
        """``takes 3x32x32 inputs and gives 100 classes`` (or what is known of it)."""
        classes = "an unknown number of classes" if self.classes is None else \
            f"{self.classes} classes"
        if self.kind == "outputs":
            return f"has recorded outputs for {self.rows} training images in {classes}"
        if self.error is not None:
            return f"fails on such inputs ({self.error})"
        shape = "inputs of unknown shape" if self.input_shape is None else \
            f"{shape_text(self.input_shape)} inputs"
        return f"takes {shape} and gives {classes}"


def shape_text(shape: tuple[int, ...]) -> str:
    """``3x32x32``; a feature vector reads ``20-feature``."""
    return f"{shape[0]}-feature" if len(shape) == 1 else "x".join(map(str, shape))


def probe_teacher(source: ModelPreset | str | Path, input_shape: tuple[int, ...] | None = None,
                  num_classes: int | None = None) -> TeacherProbe:
    """Read or probe ``source``: a model preset, its name, or a teacher file.

    ``input_shape``/``num_classes`` are the dataset's: the shape a zero batch is run
    at when the file does not say, and the size a preset's model is built for.

    Raises:
        PresetError: the file cannot be read (or onnxruntime is missing), one message.
    """
    if not isinstance(source, ModelPreset):
        source = _as_preset(source)
    shape = None if input_shape is None else tuple(int(size) for size in input_shape)
    if source.black_box:
        assert source.weights is not None
        if source.architecture == "onnx":
            require_onnxruntime(source.weights, FIELD)  # before the remembered probes
        try:
            stat = source.weights.stat()
        except OSError as error:
            raise PresetError(str(source.weights), [Problem(FIELD, f"cannot be read: "
                                                            f"{error.strerror}")]) from None
        return _probe_file(source.architecture, str(source.weights), stat.st_mtime_ns,
                           stat.st_size, shape)
    return _probe_preset(source, shape, num_classes)


def teacher_module(teacher: ModelPreset, input_shape: tuple[int, ...],
                   num_classes: int) -> nn.Module | None:
    """A teacher ready for inference outside a run (previews); None for recorded outputs."""
    assert teacher.weights is not None
    if teacher.architecture == "outputs":
        return None
    if teacher.architecture == "onnx":
        return OnnxTeacher(teacher.weights).eval()
    if teacher.architecture == "torchscript":
        try:
            return load_torchscript(teacher.weights).model
        except ModelFileError as error:
            raise PresetError(str(teacher.weights), [Problem(FIELD, str(error))]) from None
    model = build_model(teacher.architecture, teacher.args, input_shape, num_classes)
    load_weights(model, teacher.weights, field=FIELD)
    return model.eval()


@lru_cache(maxsize=64)
def _probe_file(kind: str, path: str, _mtime_ns: int, _size: int,
                shape: tuple[int, ...] | None) -> TeacherProbe:
    """Probes of a file, remembered while it is unchanged (the window asks often)."""
    if kind == "onnx":
        return _probe_onnx(Path(path), shape)
    if kind == "torchscript":
        return _probe_torchscript(Path(path), shape)
    return _probe_outputs(Path(path))


def _as_preset(source: str | Path) -> ModelPreset:
    kind = file_kind(source)
    if kind is None:
        return load_model_preset(str(source))
    path = Path(source).resolve()
    if not path.is_file():
        raise PresetError(str(path), [Problem(FIELD, f"file not found: {path}")])
    return ModelPreset(path.stem, "", kind, Section({}), path, None, str(path))


def _probe_onnx(path: Path, dataset_shape: tuple[int, ...] | None) -> TeacherProbe:
    session = open_session(path, FIELD)
    declared = session.get_inputs()[0].shape[1:]
    output = session.get_outputs()[0].shape
    params = initializer_count(path)
    shape = tuple(declared) if all(isinstance(d, int) and d > 0 for d in declared) else None
    classes = output[1] if len(output) == 2 and isinstance(output[1], int) else None
    if shape is not None and classes is not None:
        return TeacherProbe("onnx", shape, classes, params)
    trial = shape or dataset_shape
    if trial is None:
        return TeacherProbe("onnx", None, classes, params,
                            note="the graph's image size is dynamic; open a dataset to probe it")
    name = session.get_inputs()[0].name
    batch = np.zeros((1, *trial), dtype=np.float32)
    try:
        logits = session.run(None, {name: batch.astype(_onnx_numpy_type(session))})[0]
    except Exception as error:  # noqa: BLE001 - onnxruntime's shape errors vary
        return TeacherProbe("onnx", shape, classes, params, error=_first_line(error))
    return _from_logits("onnx", trial, np.asarray(logits).shape, params)


def _onnx_numpy_type(session: Any) -> type:
    return {"tensor(float16)": np.float16, "tensor(double)": np.float64}.get(
        session.get_inputs()[0].type, np.float32)


def _probe_torchscript(path: Path, dataset_shape: tuple[int, ...] | None) -> TeacherProbe:
    try:
        loaded = load_torchscript(path)
    except ModelFileError as error:
        raise PresetError(str(path), [Problem(FIELD, f"is not a TorchScript file "
                                              f"(torch.jit.save): {error}")]) from None
    params = sum(parameter.numel() for parameter in loaded.model.parameters())
    trained_on = loaded.meta.get("dataset")
    trained_on = str(trained_on) if trained_on else None
    if loaded.input_shape is not None and loaded.num_classes is not None:
        return TeacherProbe("torchscript", loaded.input_shape, loaded.num_classes, params,
                            trained_on=trained_on)
    trial = loaded.input_shape or dataset_shape
    if trial is None:
        return TeacherProbe("torchscript", None, None, params, trained_on=trained_on,
                            note="a TorchScript file does not declare its input; open a "
                                 "dataset to probe it")
    try:
        with torch.inference_mode():
            logits = loaded.model(torch.zeros(1, *trial))
    except Exception as error:  # noqa: BLE001 - a user's model fails in its own way
        return TeacherProbe("torchscript", loaded.input_shape, None, params,
                            trained_on=trained_on, error=_first_line(error, last=True))
    shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else ()
    probe = _from_logits("torchscript", trial, shape, params)
    return TeacherProbe(probe.kind, probe.input_shape, probe.classes, params,
                        trained_on=trained_on, error=probe.error)


def _from_logits(kind: str, trial: tuple[int, ...], logits_shape: tuple[int, ...],
                 params: int | None) -> TeacherProbe:
    if len(logits_shape) != 2:
        return TeacherProbe(kind, trial, None, params, error=f"it outputs shape "
                            f"{tuple(logits_shape)}, not (batch, classes) logits")
    return TeacherProbe(kind, trial, int(logits_shape[1]), params)


def _probe_outputs(path: Path) -> TeacherProbe:
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                shape = archive["train"].shape
        elif path.suffix.lower() == ".csv":
            shape = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32).shape
        else:
            shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    except (OSError, ValueError, KeyError) as error:
        raise PresetError(str(path), [Problem(FIELD, "cannot read recorded outputs (numbers "
                                              f"only, one row per image): {error}")]) from None
    classes = int(shape[1]) if len(shape) == 2 else None
    return TeacherProbe("outputs", None, classes, None, rows=int(shape[0]) if shape else 0)


def _probe_preset(preset: ModelPreset, dataset_shape: tuple[int, ...] | None,
                  dataset_classes: int | None) -> TeacherProbe:
    trained_on = (preset.trained_on or {}).get("dataset")
    shape, classes, note = dataset_shape, dataset_classes, "untrained: built for the dataset"
    if preset.weights is not None:
        try:
            _state, meta = read_state_dict(preset.weights)
        except PresetError:
            meta = {}
        trained_on = trained_on or meta.get("dataset")
        if meta.get("input_shape") and isinstance(meta.get("classes"), list):
            shape, classes, note = tuple(meta["input_shape"]), len(meta["classes"]), ""
        else:
            note = "its checkpoint does not record its input shape"
    params = None
    if shape is not None and classes is not None:
        try:
            params = parameter_bytes(preset.architecture, preset.args, shape, classes)[0]
        except (WorkbenchError, RuntimeError, ValueError, TypeError):
            params = None
    return TeacherProbe("preset", shape, classes, params,
                        trained_on=str(trained_on) if trained_on else None, note=note)


def _first_line(error: BaseException, last: bool = False) -> str:
    """The line that says what went wrong (TorchScript puts it last, after its trace)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = (lines[-1] if last else lines[0]) if lines else type(error).__name__
    return text[:200]

