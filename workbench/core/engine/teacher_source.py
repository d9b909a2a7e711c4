"""Where the teacher comes from: a registered architecture (with or without weights), a
TorchScript or ONNX file, or a file of recorded outputs (a black box, response-based KD)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.core.models.onnx_teacher import OnnxTeacher
from workbench.core.models.weights import load_weights
from workbench.core.engine.context import RunContext
from workbench.core.stream.events import PhaseStarted
from workbench.core.engine.loop import end_phase
from workbench.core.errors import PresetError, Problem
from workbench.core.presets.model import ModelPreset

FIELD = "teacher.weights"


@dataclass(frozen=True)
class RecordedOutputs:
    """Teacher logits per training image (official order) and, optionally, per test image."""

    train: torch.Tensor
    test: torch.Tensor | None


@dataclass(frozen=True)
class TeacherMember:
    """One of several teachers: ``teacher-k``, as a module or as recorded outputs."""

    name: str
    preset: ModelPreset
    module: nn.Module | None
    recorded: RecordedOutputs | None


def load_teacher(ctx: RunContext, preset: ModelPreset | None = None,
                 field: str = FIELD) -> nn.Module | None:
    """The teacher as a module, or None when only its recorded outputs exist."""
    preset = preset or ctx.preset.teacher
    if preset.architecture == "outputs":
        return None
    if preset.architecture == "onnx":
        assert preset.weights is not None
        return OnnxTeacher(preset.weights, ctx.device, field).eval()
    if preset.architecture == "torchscript":
        assert preset.weights is not None
        try:
            module = torch.jit.load(str(preset.weights), map_location="cpu")
        except (RuntimeError, ValueError, OSError) as error:
            raise PresetError(str(preset.weights), [Problem(field, "is not a TorchScript file "
                                                            f"(torch.jit.save): {error}")]) from None
        return module.to(ctx.device).eval()
    teacher = ctx.new_model(preset)
    if preset.weights is not None:
        load_weights(teacher, preset.weights, field=field)
    return teacher


def load_team(ctx: RunContext) -> list[TeacherMember]:
    """Every teacher of a ``teacher:`` list, loaded before the run starts (errors first)."""
    members = []
    train_count = int(ctx.data.inputs.shape[0])
    for index, preset in enumerate(ctx.preset.teachers):
        field = f"teacher[{index}].weights"
        module = load_teacher(ctx, preset, field)
        recorded = None
        if module is None:
            assert preset.weights is not None
            recorded = load_recorded(preset.weights, train_count,
                                     ctx.data.dataset.num_classes, field)
        members.append(TeacherMember(f"teacher-{index + 1}", preset, module, recorded))
    return members


def load_recorded(path: Path, train_count: int, classes: int,
                  field: str = FIELD) -> RecordedOutputs:
    """Read ``.npy``/``.npz``/``.csv`` outputs; probabilities become log-probabilities.

    Rows follow the dataset's official training order; a limited run uses the first rows.
    """
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                train = archive["train"]
                test = archive["test"] if "test" in archive.files else None
        elif path.suffix.lower() == ".csv":
            train, test = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32), None
        else:
            train, test = np.load(path, allow_pickle=False), None
    except (OSError, ValueError, KeyError) as error:
        raise PresetError(str(path), [Problem(field, "cannot read recorded outputs (numbers "
                                              f"only, one row per image): {error}")]) from None
    recorded_train = _as_logits(train, "train", classes, path, field)
    if recorded_train.shape[0] < train_count:
        raise PresetError(str(path), [Problem(field, f"has {recorded_train.shape[0]} rows but "
                                              f"the dataset has {train_count} training images "
                                              "(one row per image, in the dataset's order)")])
    recorded_test = None if test is None else _as_logits(test, "test", classes, path, field)
    return RecordedOutputs(recorded_train[:train_count], recorded_test)


def _as_logits(array: np.ndarray, split: str, classes: int, path: Path,
               field: str = FIELD) -> torch.Tensor:
    values = torch.as_tensor(np.asarray(array, dtype=np.float32))
    if values.ndim != 2 or values.shape[1] != classes:
        raise PresetError(str(path), [Problem(field, f"{split} outputs have shape "
                                              f"{tuple(values.shape)}; expected (rows, {classes})")])
    if not torch.isfinite(values).all():
        raise PresetError(str(path), [Problem(field, f"{split} outputs contain NaN or inf")])
    is_probability = bool((values >= 0).all() and (values <= 1).all()
                          and torch.allclose(values.sum(1), torch.ones(values.shape[0]),
                                             atol=1e-3))
    return values.clamp_min(1e-12).log() if is_probability else values


def use_recorded(ctx: RunContext, recorded: RecordedOutputs) -> None:
    """The cache phase for a black-box teacher: its outputs are already recorded."""
    started = time.perf_counter()
    ctx.hooks.emit(PhaseStarted("cache", 1, 1))
    ctx.teacher_logits = recorded.train.to(ctx.device)
    ctx.teacher_test_logits = None if recorded.test is None else recorded.test.to(ctx.device)
    end_phase(ctx.hooks, "cache", time.perf_counter() - started, origin="recorded")


def recorded_figures(ctx: RunContext) -> dict[str, object]:
    """What can be said of a teacher known only by its outputs."""
    accuracy = None
    if ctx.teacher_test_logits is not None:
        predictions = ctx.teacher_test_logits.argmax(1)
        accuracy = (predictions == ctx.data.test_labels).float().mean().item()
    return {"accuracy": accuracy, "params": None, "size_bytes": None, "latency_ms": None,
            "throughput": None, "source": "recorded outputs"}


def add_onnx_figures(figures: dict[str, dict[str, Any]], models: dict[str, nn.Module]) -> None:
    """What the benchmark cannot see inside an ONNX teacher (its weights live in onnxruntime):
    parameters counted from the file's initializers, size = the file; FLOPs and activation
    memory unknown (None), not the 0 torch's counters would report."""
    for name, model in models.items():
        files = [module for module in model.modules() if isinstance(module, OnnxTeacher)]
        entry = figures.get(name)
        if not files or entry is None or entry.get("source") == "onnx file":  # done (shared)
            continue
        counts = [module.param_count for module in files]
        known = [count for count in counts if count is not None]
        alone = isinstance(model, OnnxTeacher)
        entry.update(
            params=(0 if alone else entry.get("params") or 0) + sum(known)
            if len(known) == len(counts) else None,
            trainable_params=0 if alone else entry.get("trainable_params"),
            size_bytes=(0 if alone else entry.get("size_bytes") or 0)
            + sum(module.file_bytes for module in files),
            flops=None, peak_memory_bytes=None, source="onnx file")
