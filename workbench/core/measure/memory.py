"""Peak tensor memory of one forward pass, counted from storages (no allocator hooks).

A dispatch mode sees every tensor an operator returns; a storage counts once
(views and in-place results share it) from its creation until it is freed.
"""
from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves


def tensor_bytes(values: Any) -> int:
    """Bytes of every tensor in a (nested) structure, e.g. a state dict."""
    total = 0
    for leaf in tree_leaves(values):
        if isinstance(leaf, torch.Tensor):
            total += leaf.numel() * leaf.element_size()
        elif isinstance(leaf, (tuple, list)):
            total += tensor_bytes(list(leaf))
    return total


def _storage_key(tensor: torch.Tensor) -> tuple[int, int] | None:
    try:
        storage = tensor.untyped_storage()
    except (RuntimeError, NotImplementedError):  # quantized or opaque tensors
        return None
    return storage.data_ptr(), storage.nbytes()


class _LiveStorages(TorchDispatchMode):
    """Tracks the bytes of storages created inside the mode and still alive."""

    def __init__(self, known: list[torch.Tensor]) -> None:
        super().__init__()
        self.known = {key for tensor in known if (key := _storage_key(tensor)) is not None}
        self.live: dict[int, int] = {}
        self.current = 0
        self.peak = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        for leaf in tree_leaves(result):
            if isinstance(leaf, torch.Tensor):
                self._track(leaf)
        return result

    def _track(self, tensor: torch.Tensor) -> None:
        key = _storage_key(tensor)
        if key is None or key in self.known or key[0] in self.live or key[1] == 0:
            return
        self.live[key[0]] = key[1]
        self.current += key[1]
        self.peak = max(self.peak, self.current)
        weakref.finalize(tensor.untyped_storage(), self._release, key[0])

    def _release(self, pointer: int) -> None:
        self.current -= self.live.pop(pointer, 0)


def forward_peak_bytes(model: nn.Module, batch: torch.Tensor) -> int:
    """Weights + input + peak bytes of activations alive at once during ``model(batch)``."""
    weights = list(model.state_dict(keep_vars=False).values())
    static = tensor_bytes(weights) + batch.numel() * batch.element_size()
    known = [leaf for leaf in tree_leaves(weights) if isinstance(leaf, torch.Tensor)]
    with _LiveStorages(known + [batch]) as tracker:
        output = model(batch)
    del output
    return static + tracker.peak
