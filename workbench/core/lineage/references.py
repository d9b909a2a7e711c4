"""Train the models a detection is calibrated with, through the engine's public API.

One run of an experiment preset with its baseline on gives a pair: a student distilled
from the preset's teacher (a known positive) and a labels-only baseline with the same
architecture, data and steps that never saw the teacher (a reference). Seeds differ
per pair, so the references differ the way independently trained models do.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import RunStopped, WorkbenchError
from workbench.core.lineage.probe import LineageError
from workbench.core.lineage.subjects import Subject
from workbench.core.measure.teacher_probe import teacher_module
from workbench.core.models import build_model
from workbench.core.models.weights import load_weights, weights_digest
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.load import load_experiment
from workbench.core.runs.store import RunStore
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import Event
from workbench.core.stream.status import RunStatus

SEED_BASE = 1000  # away from the presets' seed 0, so a reference is no user run's twin
# Benchmarking is not what these runs are for: keep their comparison phase short.
QUICK_COMPARE = ("compare.latency_repeats=1", "compare.warmup=0",
                 "compare.throughput_batch=64")


@dataclass(frozen=True)
class TrainedPair:
    """One run's distilled student and, when trained, its labels-only baseline."""

    seed: int
    run_dir: Path
    distilled: Path
    reference: Path | None


def pair_overrides(seed: int, baseline: bool = True) -> list[str]:
    return [f"train.seed={seed}", f"train.baseline={str(baseline).lower()}", *QUICK_COMPARE]


@contextlib.contextmanager
def work_folder(path: Path | None) -> Iterator[Path]:
    """Where trained runs go: ``path`` (kept), or a temporary folder deleted afterwards."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="workbench-lineage-") as folder:
        yield Path(folder)


def train_pairs(preset: str | Path, count: int, runs_dir: Path,
                overrides: Sequence[str] = (), *, seed_base: int = SEED_BASE,
                baseline: bool = True, callbacks: Sequence[Callable[[Event], None]] = (),
                control: RunControl | None = None,
                on_start: Callable[[int, int, int], None] | None = None) -> list[TrainedPair]:
    """Run ``preset`` ``count`` times (seeds ``seed_base``...) and collect the checkpoints.

    Args:
        on_start: called with (index, count, seed) before each run.

    Raises:
        PresetError: the preset or an override is invalid (before anything is trained).
        LineageError: the preset's method saves no ``student`` checkpoint.
        RunStopped: a stop was requested (through ``control``).
    """
    first = _load(preset, overrides, seed_base, baseline)
    check_trainable(first)
    pairs = []
    for index in range(count):
        seed = seed_base + index
        loaded = first if index == 0 else _load(preset, overrides, seed, baseline)
        if on_start is not None:
            on_start(index, count, seed)
        store = RunStore(runs_dir, loaded)
        result = run_experiment(loaded, callbacks=callbacks, control=control, recorder=store)
        if result.status != RunStatus.COMPLETED:
            raise RunStopped()
        pairs.append(_pair(seed, store.path, baseline))
    return pairs


def check_trainable(preset: ExperimentPreset) -> None:
    """Detection needs the teacher's weights (to ask it about probes) and a student phase."""
    if preset.teacher.weights is None:
        raise LineageError(f"{preset.source}: the teacher has no weights; train it first "
                           "(for example `workbench run fashion-teacher`) and name its weights")
    if preset.teacher.architecture == "outputs":
        raise LineageError(f"{preset.source}: the teacher is recorded outputs; detection "
                           "needs a teacher model to ask about the probe images")


def preset_teacher_digest(preset: ExperimentPreset, input_shape: tuple[int, ...],
                          num_classes: int) -> str | None:
    """sha256 of the preset teacher's weights, to tell whether it is the detected teacher."""
    try:
        return weights_digest(preset_teacher(preset, input_shape, num_classes))
    except (WorkbenchError, RuntimeError, ValueError):
        return None


def is_preset_teacher(preset: ExperimentPreset, teacher: Subject) -> bool:
    """Whether the preset distils from ``teacher`` (same weights): only then are its
    students known distilled models of that teacher."""
    if teacher.model is None or teacher.input_shape is None:
        return False
    with torch.inference_mode():
        classes = int(teacher.model(torch.zeros(1, *teacher.input_shape)).shape[1])
    digest = preset_teacher_digest(preset, tuple(teacher.input_shape), classes)
    return digest is not None and weights_digest(teacher.model) == digest


def _load(preset: str | Path, overrides: Sequence[str], seed: int,
          baseline: bool) -> ExperimentPreset:
    return load_experiment(preset, [*overrides, *pair_overrides(seed, baseline)])


def _pair(seed: int, run_dir: Path, baseline: bool) -> TrainedPair:
    student = run_dir / "ckpt" / "student.pt"
    if not student.is_file():
        raise LineageError(f"{run_dir}: the run saved no student checkpoint; use a preset "
                           "whose method trains one student (distill.method: offline)")
    reference = run_dir / "ckpt" / "baseline.pt" if baseline else None
    return TrainedPair(seed, run_dir, student, reference)


def preset_teacher(preset: ExperimentPreset, input_shape: tuple[int, ...],
                   num_classes: int) -> torch.nn.Module:
    """The preset's teacher with its weights, as the runs that distil from it load it."""
    check_trainable(preset)
    teacher = preset.teacher
    assert teacher.weights is not None
    if teacher.black_box:  # a TorchScript or ONNX file (recorded outputs were refused above)
        module = teacher_module(teacher, input_shape, num_classes)
        assert module is not None
        return module.eval()
    model = build_model(teacher.architecture, teacher.args, input_shape, num_classes)
    load_weights(model, teacher.weights, field="teacher.weights")
    return model.eval()
