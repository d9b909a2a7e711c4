"""Models saved on disk, loaded safely: run checkpoints and TorchScript files.

Checkpoints are read with ``torch.load(..., weights_only=True)`` and rebuilt
from their meta (architecture, args, input shape, classes); TorchScript files
with ``torch.jit.load``, which runs no pickled Python code.
"""
from __future__ import annotations

import json
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.core.models.weights import read_state_dict
from workbench.core.errors import PresetError, WorkbenchError
from workbench.core.models import build_model
from workbench.core.models.int8 import QUANTIZATION, int8_skeleton, load_plain_state

META_FILE = "workbench.json"  # extra file our TorchScript exports carry


class ModelFileError(WorkbenchError):
    """A model file is missing, or is neither a checkpoint nor TorchScript."""


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to benchmark, with the input it expects and where it came from."""

    name: str
    model: nn.Module
    input_shape: tuple[int, ...] | None
    num_classes: int | None
    source: str
    kind: str  # "preset" | "checkpoint" | "torchscript"
    file_bytes: int | None = None
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


def is_torchscript(path: Path) -> bool:
    """TorchScript archives hold compiled code; ``torch.save`` archives only data."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return any(name.endswith("/constants.pkl") or "/code/" in name for name in names)


def load_torchscript(path: Path, name: str | None = None) -> LoadedModel:
    """A TorchScript file; its input shape comes from our export's meta when present."""
    extra = {META_FILE: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit is deprecated, still the loader
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except Exception as error:  # noqa: BLE001 - any failure means "not loadable TorchScript"
        raise ModelFileError(f"{path}: cannot be loaded as TorchScript ({error})") from None
    meta = _json_or_empty(extra[META_FILE])
    shape, classes = meta.get("input_shape"), meta.get("classes")
    return LoadedModel(name or path.stem, module.eval(),
                       tuple(shape) if shape else None,
                       len(classes) if isinstance(classes, list) else None,
                       str(path), "torchscript", path.stat().st_size, meta=meta)


def load_checkpoint(path: Path, name: str | None = None) -> LoadedModel:
    """A workbench checkpoint, rebuilt from its meta (never unpickles code)."""
    try:
        state, meta = read_state_dict(path)
    except PresetError as error:
        raise ModelFileError(f"{path}: {error.problems[0].message}") from None
    missing = [key for key in ("architecture", "args", "input_shape", "classes")
               if key not in meta]
    if missing:
        raise ModelFileError(f"{path}: a bare state dict without {', '.join(missing)} in its "
                             "meta; benchmark a model preset with these weights instead")
    shape, classes = tuple(meta["input_shape"]), len(meta["classes"])
    try:
        model = build_model(meta["architecture"], meta["args"], shape, classes)
        if meta.get("quantization") == QUANTIZATION:  # an int8 student (green.qat)
            model = int8_skeleton(model)
            load_plain_state(model, state)
        else:
            model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"{path}: its meta does not rebuild the saved model "
                             f"({error})") from None
    return LoadedModel(name or path.stem, model.eval(), shape, classes, str(path),
                       "checkpoint", path.stat().st_size, meta=meta)


def load_model_file(path: Path, name: str | None = None) -> LoadedModel:
    """A TorchScript file or a workbench checkpoint, whichever ``path`` holds."""
    if not path.is_file():
        raise ModelFileError(f"{path}: file not found")
    if is_torchscript(path):
        return load_torchscript(path, name)
    return load_checkpoint(path, name)


def run_checkpoints(run_path: Path) -> list[Path]:
    """The checkpoints of a run folder, teacher first."""
    order = {"teacher": 0, "student": 1, "baseline": 2}
    files = [path for path in (run_path / "ckpt").glob("*.pt") if path.is_file()]
    return sorted(files, key=lambda path: (order.get(path.stem, 9), path.stem))


def _json_or_empty(text: Any) -> dict[str, Any]:
    try:
        data = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
