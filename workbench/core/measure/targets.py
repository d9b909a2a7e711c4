"""What ``workbench bench TARGET`` measures: a model preset, a run's checkpoints, or a file.

A target resolves to ready-to-run CPU models with the input shape each expects,
so a user's own TorchScript file is benchmarked exactly like a bundled preset.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

import torch

from workbench.core.models.weights import load_weights
from workbench.core.errors import WorkbenchError
from workbench.core.models import build_model
from workbench.core.presets.library import find_preset, preset_names
from workbench.core.presets.load import load_model_preset
from workbench.core.presets.yaml_io import read_yaml
from workbench.core.runs.store import find_run, read_run
from workbench.core.models.saved import (LoadedModel, is_torchscript, load_model_file,
                                         run_checkpoints)

DEFAULT_INPUT_SHAPE = (1, 28, 28)
DEFAULT_CLASSES = 10


class BenchTargetError(WorkbenchError):
    """A benchmark target names no model preset, run or model file."""


@dataclass(frozen=True)
class ForeignModel:
    """A TorchScript file, not loaded here: its code may never return (see foreign_bench).

    Args:
        input_shape: the shape asked for (--input-shape), else None (its own or the default).
        source: how tables name where it came from.
    """

    path: Path
    input_shape: tuple[int, ...] | None
    source: str


Target: TypeAlias = LoadedModel | ForeignModel  # what a benchmark target resolves to


def resolve_target(reference: str, runs_dir: Path, input_shape: tuple[int, ...] | None = None,
                   num_classes: int | None = None) -> list[Target]:
    """The models ``reference`` names, checked to accept their input.

    Args:
        reference: a model preset (name or .yaml path), a run (id, id prefix or
            folder), or a TorchScript / checkpoint file.
        input_shape: one sample's shape (C, H, W) for presets and TorchScript files
            that do not record it; checkpoints always use their own.
        num_classes: classes of a model preset's output layer.
    """
    path = Path(reference).expanduser()
    if path.is_dir():
        return _run_models(path)
    if path.exists() and not path.is_file():  # a pipe would block the first read forever
        raise BenchTargetError(f"{path}: not a regular file (a pipe, socket or device); give "
                               "a model preset, a run, a TorchScript file or a checkpoint")
    if path.is_file() and path.suffix not in (".yaml", ".yml"):
        if is_torchscript(path):
            return [ForeignModel(path, input_shape, str(path))]
        return [load_file_model(path, input_shape)]
    if _model_preset_path(reference) is not None:
        return [_preset_model(reference, input_shape or DEFAULT_INPUT_SHAPE,
                              num_classes or DEFAULT_CLASSES)]
    info = find_run(runs_dir, reference)
    if info is not None:
        return _run_models(info.path)
    if find_preset(reference, "experiment") is not None:
        raise BenchTargetError(f"'{reference}' is an experiment preset; benchmark one of its "
                               "model presets (its teacher or student) or a run of it")
    raise BenchTargetError(_unknown_message(reference, runs_dir))


def _model_preset_path(reference: str) -> Path | None:
    path = find_preset(reference, "model")
    if path is None:
        return None
    declared = read_yaml(path).get("kind", "experiment")
    if declared != "model":
        raise BenchTargetError(f"{path} is an {declared} preset; benchmark one of its model "
                               "presets (its teacher or student) or a run of it")
    return path


def _preset_model(reference: str, input_shape: tuple[int, ...],
                  num_classes: int) -> LoadedModel:
    preset = load_model_preset(reference)
    try:
        with torch.random.fork_rng(devices=[]):  # the process's generator is left alone
            torch.random.default_generator.manual_seed(0)  # random weights, the same each time
            model = build_model(preset.architecture, preset.args, input_shape, num_classes)
    except (ValueError, RuntimeError) as error:
        raise BenchTargetError(f"{preset.source}: cannot build '{preset.architecture}' for "
                               f"input shape {input_shape} ({error}); set --input-shape") from None
    notes: tuple[str, ...] = ()
    if preset.weights is not None:
        load_weights(model, preset.weights, field="weights")
    else:
        notes = ("the preset has no weights: benchmarked with random weights (size, FLOPs and "
                 "speed are the architecture's; accuracy needs trained weights)",)
    loaded = LoadedModel(preset.name, model.eval(), tuple(input_shape), num_classes,
                         preset.source, "preset", None, notes)
    return _checked(loaded)


def load_file_model(path: Path, input_shape: tuple[int, ...] | None = None,
                    source: str | None = None) -> LoadedModel:
    """A model file loaded in this process and checked to accept its input.

    For TorchScript files only in a process that may be stopped (foreign_bench).
    """
    loaded = _with_shape(load_model_file(path), input_shape)
    return _checked(loaded if source is None else _with_source(loaded, source))


def _run_models(path: Path) -> list[Target]:
    checkpoints = run_checkpoints(path)
    if not checkpoints:
        info = read_run(path)
        status = f" (status: {info.status})" if info is not None else ""
        raise BenchTargetError(f"{path}: no checkpoints in {path / 'ckpt'}{status}; give a run "
                               "that reached its student phase, a model preset or a model file")
    sources = {file: f"{path.name}/ckpt/{file.name}" for file in checkpoints}
    return [ForeignModel(file, None, sources[file]) if is_torchscript(file)
            else load_file_model(file, None, sources[file]) for file in checkpoints]


def _with_shape(loaded: LoadedModel, input_shape: tuple[int, ...] | None) -> LoadedModel:
    if loaded.kind == "checkpoint":
        return loaded
    if input_shape is not None:
        return replace(loaded, input_shape=tuple(input_shape))
    if loaded.input_shape is None:
        note = (f"the file does not record its input shape: assumed {DEFAULT_INPUT_SHAPE} "
                "(set --input-shape)")
        return replace(loaded, input_shape=DEFAULT_INPUT_SHAPE, notes=loaded.notes + (note,))
    return loaded


def _with_source(loaded: LoadedModel, source: str) -> LoadedModel:
    return replace(loaded, source=source)


@torch.inference_mode()
def _checked(loaded: LoadedModel) -> LoadedModel:
    """Run one sample through the model, so a wrong input shape fails here, clearly."""
    assert loaded.input_shape is not None
    try:
        loaded.model(torch.zeros(1, *loaded.input_shape))
    except Exception as error:  # noqa: BLE001 - any failure means "wrong input for this model"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise BenchTargetError(f"{loaded.source}: the model rejects an input of shape "
                               f"{(1, *loaded.input_shape)} ({first_line}); set --input-shape "
                               "C,H,W to what it expects") from None
    return loaded


def _unknown_message(reference: str, runs_dir: Path) -> str:
    if "/" in reference or "\\" in reference or Path(reference).suffix:
        return (f"{reference}: no such file or folder (give a model preset name, a run id, "
                "or the path of a run folder, a TorchScript file or a checkpoint)")
    models = ", ".join(preset_names("model")) or "none"
    return (f"'{reference}' is not a model preset, a run in {runs_dir}, or a model file. "
            f"Give a model preset (known: {models}), a run id or folder (see `workbench runs "
            "list`), or the path of a TorchScript file or checkpoint")
