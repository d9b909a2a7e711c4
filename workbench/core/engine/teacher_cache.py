"""Teacher outputs computed once per (teacher weights, dataset), kept in memory and on disk."""
from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from workbench.core.engine.loop import predict
from workbench.core.paths import user_cache_dir

_MEMORY: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
_MEMORY_LOCK = threading.Lock()
_MEMORY_SIZE = 4


def cache_key(weights_digest: str, dataset_fingerprint: str, train_count: int) -> str:
    text = f"v1|{weights_digest}|{dataset_fingerprint}|{train_count}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_path(key: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or user_cache_dir()) / "teacher-logits" / f"{key}.pt"


def teacher_logits(teacher: nn.Module, train_inputs: torch.Tensor, test_inputs: torch.Tensor,
                   key: str, cache_dir: Path | None = None,
                   on_batch: Callable[[], None] | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(train logits, test logits, where they came from: "memory" | "disk" | "computed")."""
    with _MEMORY_LOCK:
        if key in _MEMORY:
            _MEMORY.move_to_end(key)
            train, test = _MEMORY[key]
            return train.to(train_inputs.device), test.to(train_inputs.device), "memory"
    path = cache_path(key, cache_dir)
    origin = "disk"
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        train, test = stored["train"], stored["test"]
        if train.shape[0] != train_inputs.shape[0] or test.shape[0] != test_inputs.shape[0]:
            raise ValueError("cached rows do not match")
    except Exception:  # noqa: BLE001 - an unreadable cache file only costs a recomputation
        train = predict(teacher, train_inputs, on_batch=on_batch).cpu()
        test = predict(teacher, test_inputs, on_batch=on_batch).cpu()
        _write(path, train, test)
        origin = "computed"
    with _MEMORY_LOCK:
        _MEMORY[key] = (train, test)
        while len(_MEMORY) > _MEMORY_SIZE:
            _MEMORY.popitem(last=False)
    return train.to(train_inputs.device), test.to(train_inputs.device), origin


def _write(path: Path, train: torch.Tensor, test: torch.Tensor) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        torch.save({"train": train, "test": test}, partial)
        os.replace(partial, path)
    except OSError:
        pass  # a read-only cache folder only costs a recomputation next time


def clear_memory_cache() -> None:
    with _MEMORY_LOCK:
        _MEMORY.clear()
