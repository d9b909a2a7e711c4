"""Pick the device: CUDA, then Apple MPS, then CPU."""
from __future__ import annotations

import torch

from workbench.core.errors import PresetError, Problem


def resolve_device(requested: str) -> torch.device:
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None)
                             and torch.backends.mps.is_available())}
    if not available[requested]:
        raise PresetError("train.device", [Problem("train.device", f"'{requested}' is not "
                                                   "available on this machine; use auto or cpu")])
    return torch.device(requested)
