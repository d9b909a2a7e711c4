"""The models a detection compares, resolved the way ``bench`` resolves its targets.

A subject is a model preset with weights, a run (its checkpoint for the role asked),
a checkpoint or TorchScript file, or recorded outputs (``.npy``/``.csv`` rows, or an
``.npz`` with a ``test`` array) for the probe images. Recorded outputs let a black box
be a suspect: all detection needs from a model is its answers on the probe.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workbench.core.errors import WorkbenchError
from workbench.core.lineage.probe import LineageError, Probe
from workbench.core.measure.targets import DEFAULT_INPUT_SHAPE, resolve_target
from workbench.core.models.saved import LoadedModel, load_model_file
from workbench.core.presets.load import load_model_preset

OUTPUT_SUFFIXES = (".npy", ".npz", ".csv")
# Which checkpoint of a run folder each role means: a suspect is the run's student,
# a reference its labels-only baseline, a teacher its teacher.
RUN_CHECKPOINT = {"suspect": "student", "distilled": "student", "teacher": "teacher",
                  "reference": "baseline"}
PREDICT_BATCH = 1024


@dataclass(frozen=True)
class Subject:
    """One model as detection sees it: a name, where it came from, and its answers."""

    name: str
    source: str
    dataset: str | None
    model: torch.nn.Module | None = None
    input_shape: tuple[int, ...] | None = None
    recorded: torch.Tensor | None = None  # logits (or log-probabilities) per probe row


def resolve_subject(reference: str, role: str, runs_dir: Path) -> Subject:
    """The model ``reference`` names, for ``role`` (suspect | teacher | reference | distilled).

    Raises:
        LineageError: one message naming ``reference`` and what would fix it.
    """
    path = Path(reference).expanduser()
    if path.suffix.lower() in OUTPUT_SUFFIXES:
        return _recorded(path)
    try:
        loaded = [_in_process(target) for target in resolve_target(reference, runs_dir)]
    except WorkbenchError as error:
        raise LineageError(f"{role} {error}") from None
    chosen = _pick(loaded, role, reference)
    if chosen.kind == "preset" and chosen.notes:
        raise LineageError(f"{role} '{reference}': the model preset has no weights, so it has "
                           "learned nothing to compare; give a preset with weights, a run or "
                           "a model file")
    return Subject(chosen.name, chosen.source, _dataset_of(chosen, reference), chosen.model,
                   chosen.input_shape)


def probe_logits(subject: Subject, probe: Probe) -> torch.Tensor:
    """The subject's logits on every probe image (float32, CPU).

    Raises:
        LineageError: the subject expects other images or answers with other classes.
    """
    if subject.recorded is not None:
        outputs = _recorded_rows(subject, probe)
    else:
        outputs = _predict(subject, probe)
    if outputs.shape != (probe.size, probe.num_classes):
        raise LineageError(f"{subject.source}: answers with {outputs.shape[1]} classes but "
                           f"the probe ({probe.dataset}) has {probe.num_classes}")
    return outputs


@torch.inference_mode()
def _predict(subject: Subject, probe: Probe) -> torch.Tensor:
    assert subject.model is not None
    if subject.input_shape is not None and tuple(subject.input_shape) != probe.input_shape:
        raise LineageError(f"{subject.source}: expects inputs of shape {subject.input_shape} "
                           f"but the probe ({probe.dataset}) has {probe.input_shape}; pick "
                           "the dataset it was trained on with --dataset")
    subject.model.eval()
    chunks = [subject.model(chunk).float() for chunk in probe.inputs.split(PREDICT_BATCH)]
    return torch.cat(chunks).detach().cpu()


def _recorded_rows(subject: Subject, probe: Probe) -> torch.Tensor:
    assert subject.recorded is not None
    rows = subject.recorded
    if rows.shape[0] < probe.size:
        raise LineageError(f"{subject.source}: {rows.shape[0]} rows of outputs but the probe "
                           f"has {probe.size} images (one row per test image, in order)")
    return rows[:probe.size]


def _in_process(target: Any) -> LoadedModel:
    """bench keeps TorchScript files out of its process (as a path to run apart);
    detection must ask the model about every probe image, so it loads them here."""
    if isinstance(target, LoadedModel):
        return target
    loaded = load_model_file(Path(target.path))
    shape = target.input_shape or loaded.input_shape or DEFAULT_INPUT_SHAPE
    return replace(loaded, source=target.source, input_shape=tuple(shape))


def _pick(loaded: list[LoadedModel], role: str, reference: str) -> LoadedModel:
    if Path(reference).expanduser().is_file():
        return loaded[0]  # a file names its model, whatever folder it lies in
    from_run = [model for model in loaded if "/ckpt/" in model.source.replace("\\", "/")]
    if not from_run:
        return loaded[0]
    wanted = RUN_CHECKPOINT[role]
    for model in from_run:
        if model.name == wanted:
            return model
    names = ", ".join(model.name for model in from_run)
    raise LineageError(f"{role} '{reference}': the run has no {wanted} checkpoint (it has: "
                       f"{names}); give the checkpoint file of the model you mean")


def _dataset_of(loaded: LoadedModel, reference: str) -> str | None:
    dataset = loaded.meta.get("dataset")
    if dataset is None and loaded.kind == "preset":
        trained_on = load_model_preset(reference).trained_on or {}
        dataset = trained_on.get("dataset")
    return dataset if isinstance(dataset, str) else None


def _recorded(path: Path) -> Subject:
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                values = archive["test"]
        elif path.suffix.lower() == ".csv":
            values = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32)
        else:
            values = np.load(path, allow_pickle=False)
    except (OSError, ValueError, KeyError) as error:
        raise LineageError(f"{path}: cannot read recorded outputs (numbers only, one row per "
                           f"test image; an .npz needs a 'test' array): {error}") from None
    rows = torch.as_tensor(np.asarray(values, dtype=np.float32))
    if rows.ndim != 2 or not torch.isfinite(rows).all():
        raise LineageError(f"{path}: recorded outputs must be a finite (rows, classes) table, "
                           f"got shape {tuple(rows.shape)}")
    return Subject(path.stem, str(path), None, recorded=_as_logits(rows))


def _as_logits(rows: torch.Tensor) -> torch.Tensor:
    """Probabilities become log-probabilities; every metric reads them like logits."""
    is_probability = bool((rows >= 0).all() and (rows <= 1).all()
                          and torch.allclose(rows.sum(1), torch.ones(rows.shape[0]), atol=1e-3))
    return rows.clamp_min(1e-12).log() if is_probability else rows


def known_targets(runs_dir: Path, limit: int = 50) -> list[tuple[str, str]]:
    """(label, target) pairs a picker can offer: runs that saved checkpoints, newest
    first, then model presets that carry weights."""
    from workbench.core.presets.library import list_presets
    from workbench.core.runs.store import list_runs

    choices = [(f"run {info.run_id} ({info.name})", info.run_id)
               for info in list_runs(runs_dir)[:limit]
               if any((info.path / "ckpt").glob("*.pt"))]
    for entry in list_presets("model"):
        try:
            weighted = load_model_preset(entry.path).weights is not None
        except WorkbenchError:
            weighted = False
        if weighted:
            choices.append((f"preset {entry.name}", entry.name))
    return choices
