"""Checkpoints: plain dicts of tensors and values, loadable with ``weights_only=True``."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.core.errors import PresetError, Problem
from workbench.core.files import atomic_writer
from workbench.core.models.int8 import plain_state


def save_checkpoint(path: Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """Write atomically so a crash never leaves a half-written file."""
    payload = {"format": "distill-workbench/1", "meta": meta,
               "state_dict": plain_state(model)}  # int8 models too (see models.int8)
    with atomic_writer(path) as handle:
        torch.save(payload, handle)


def read_state_dict(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state_dict, meta) from our format or a bare state dict; never unpickles code."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle errors vary; all mean "not a plain weights file"
        raise PresetError(str(path), [Problem("weights", "cannot be loaded as plain weights "
                                              f"(weights_only=True): {error}")]) from None
    if isinstance(payload, dict) and "state_dict" in payload:
        return payload["state_dict"], dict(payload.get("meta") or {})
    if isinstance(payload, dict) and all(isinstance(v, torch.Tensor) for v in payload.values()):
        return payload, {}
    raise PresetError(str(path), [Problem("weights", "holds no state dict")])


def load_weights(model: nn.Module, path: Path, field: str = "weights") -> dict[str, Any]:
    """Load ``path`` into ``model``; a mismatch names the file and the first bad keys."""
    state, meta = read_state_dict(path)
    missing, unexpected = _key_mismatch(model, state)
    shapes = [key for key, value in model.state_dict().items()
              if key in state and state[key].shape != value.shape]
    if missing or unexpected or shapes:
        detail = "; ".join(part for part in (
            f"missing {', '.join(missing[:3])}" if missing else "",
            f"unexpected {', '.join(unexpected[:3])}" if unexpected else "",
            f"shape differs for {', '.join(shapes[:3])}" if shapes else "") if part)
        raise PresetError(str(path), [Problem(field, "weights do not fit the architecture "
                                              f"and args of this preset ({detail})")])
    model.load_state_dict(state)
    return meta


def _key_mismatch(model: nn.Module, state: dict[str, torch.Tensor]) -> tuple[list[str], list[str]]:
    expected = set(model.state_dict())
    return sorted(expected - set(state)), sorted(set(state) - expected)


def weights_digest(model: nn.Module) -> str:
    """sha256 of a model's weights: keys caches of its outputs."""
    digest = hashlib.sha256()
    for key, value in sorted(model.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
