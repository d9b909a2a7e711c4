"""Work the runs of one sweep share: fits whose inputs are identical, and teacher figures.

An α × T sweep trains the same baseline student in every cell of a seed (labels only,
same architecture, seed, data and steps: nothing of α or T reaches it) and times the
same teacher in every cell. A sweep hands its runs a ``SharedWork`` folder; a run then
takes such work from it instead of repeating it.

A fit is shared only when everything that decides its result is the same, so a key
is a digest of all of it: the models' initial weights, the run's random stream as
the fit starts (dropout draws continue it), the recipe and seed, the steps, the rows
and labels it learns from, the dataset and how it was prepared, the views, the
validation rows, the device and the thread count (another count sums in another
order). The stored record is what a resume puts back (``resume.put_back``): final
weights, results and the random stream after the fit, so the runs that take it end
bit for bit as if they had trained it. Records load with ``weights_only=True``; an
unreadable one is recomputed, never trusted.

A teacher's figures (latency, throughput, size, FLOPs, memory, energy per 1,000
predictions) depend on its weights, the input shape, the ``compare`` settings and the
machine; its accuracy is computed again in every run from its cached test outputs.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.core.data.batches import TrainSet
from workbench.core.files import atomic_path, atomic_write_json
from workbench.core.models.weights import weights_digest

FIT_VERSION = 1  # bump when a fit's inputs change meaning: old records are then ignored
# Figures measured on the model itself; accuracy (and agreement) differ from run to run.
TEACHER_FIGURE_KEYS = ("params", "trainable_params", "size_bytes", "flops", "latency_ms",
                       "latency_p25_ms", "latency_p75_ms", "latency_p95_ms", "latency_p99_ms",
                       "throughput", "peak_memory_bytes", "threads", "energy_per_1k_j")


class SharedWork:
    """A folder of fits and teacher figures shared by the runs of one sweep."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def find_fit(self, key: str) -> dict[str, Any] | None:
        """A finished fit stored under ``key`` (as ``resume.put_back`` takes it), or None."""
        path = self._fit_path(key)
        if not path.is_file():
            return None
        try:
            record = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a torn or foreign file: train instead
            return None
        return record if _is_fit_record(record) else None

    def keep_fit(self, key: str, phases: Sequence[str], models: Sequence[nn.Module],
                 results: Sequence[dict[str, Any]], random: list[torch.Tensor]) -> None:
        record = {"phases": list(phases),
                  "models": [{name: tensor.detach().to("cpu", copy=True)
                              for name, tensor in model.state_dict().items()}
                             for model in models],
                  "results": list(results), "random": [state.clone() for state in random]}
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(self._fit_path(key)) as temp:
            torch.save(record, temp)

    def find_teacher_figures(self, key: str) -> dict[str, Any] | None:
        path = self._figures_path(key)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or set(stored) - {*TEACHER_FIGURE_KEYS, "run_id"}:
            return None
        return stored

    def keep_teacher_figures(self, key: str, figures: Mapping[str, Any], run_id: str) -> None:
        kept = {name: figures.get(name) for name in TEACHER_FIGURE_KEYS}
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self._figures_path(key), {**kept, "run_id": run_id})

    def _fit_path(self, key: str) -> Path:
        return self.folder / f"fit-{key}.pt"

    def _figures_path(self, key: str) -> Path:
        return self.folder / f"teacher-figures-{key}.json"


def fit_key(phases: Sequence[str], models: Sequence[nn.Module], random: list[torch.Tensor],
            spec: Mapping[str, Any], train_set: TrainSet, val_rows: torch.Tensor,
            data: Mapping[str, Any]) -> str:
    """A digest of everything that decides a fit's result (see the module docstring).

    Args:
        spec: the recipe, seed, steps per epoch, augmentation, objective, threads, device.
        data: the dataset's fingerprint, the ``data`` section and the views setting.
    """
    digest = hashlib.sha256(json.dumps(
        {"version": FIT_VERSION, "torch": torch.__version__, "phases": list(phases),
         "spec": dict(spec), "data": dict(data)}, sort_keys=True, default=str).encode())
    for model in models:
        digest.update(weights_digest(model).encode())
    for tensor in (*random, train_set.rows, train_set.labels, val_rows):
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    for name in sorted(train_set.extras):  # per-row targets (none for a labels-only fit)
        digest.update(name.encode())
        digest.update(train_set.extras[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:32]


def teacher_figures_key(teacher: nn.Module, preset: Mapping[str, Any],
                        input_shape: tuple[int, ...], compare: Mapping[str, Any],
                        device: str) -> str:
    """Weights and preset (a file teacher's weights are its file) and how it is timed."""
    identity = json.dumps({"preset": dict(preset), "input_shape": list(input_shape),
                           "compare": dict(compare), "device": device,
                           "torch": torch.__version__}, sort_keys=True, default=str)
    return hashlib.sha256((weights_digest(teacher) + identity).encode()).hexdigest()[:32]


def _is_fit_record(record: Any) -> bool:
    return (isinstance(record, dict) and {"phases", "models", "results", "random"} <= set(record)
            and isinstance(record["models"], list) and isinstance(record["random"], list))
