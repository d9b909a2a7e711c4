"""Teacher outputs computed once per (teacher weights, dataset), kept in memory and on disk.

The memory part is a ``TeacherLogitsCache`` owned by the caller: the desktop app
keeps one for its lifetime, so a second run of the same teacher skips the disk;
the command line makes one per process. Nothing is kept at module level.
"""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from workbench.core.data.views import ViewPlan, predict_views
from workbench.core.engine.loop import PREDICT_BATCH, predict
from workbench.core.engine.teacher_pass import PassPlan, Predictor, pass_predictor, pass_threads
from workbench.core.files import atomic_writer
from workbench.core.paths import user_cache_dir

_FILE_OVERHEAD_BYTES = 64 * 1024  # torch.save's zip archive around the two tensors


class TeacherLogitsCache:
    """The last few teachers' (train, test) logits in memory, newest kept; thread safe."""

    def __init__(self, size: int = 4) -> None:
        self._entries: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: str, train: torch.Tensor, test: torch.Tensor) -> None:
        with self._lock:
            self._entries[key] = (train, test)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


# Which pass computed the logits (teacher_pass.plan_path): their last bits differ, so each
# has keys of its own and a run never mixes files of two. v1: the model's own NCHW forward
# (``data.teacher_pass: exact``); v2: the torch pass, batch norms folded, channels_last;
# v3-ort: onnxruntime (core.engine.teacher_pass_ort).
PATH_TAGS = {"exact": "v1", "torch": "v2", "onnxruntime": "v3-ort"}


def cache_key(weights_digest: str, dataset_fingerprint: str, train_count: int,
              path: str = "torch") -> str:
    text = f"{PATH_TAGS[path]}|{weights_digest}|{dataset_fingerprint}|{train_count}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_path(key: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or user_cache_dir()) / "teacher-logits" / f"{key}.pt"


def teacher_logits(teacher: nn.Module, train_inputs: torch.Tensor, test_inputs: torch.Tensor,
                   key: str, cache_dir: Path | None = None,
                   on_batch: Callable[..., None] | None = None,
                   on_note: Callable[[str], None] | None = None,
                   memory: TeacherLogitsCache | None = None, views: ViewPlan | None = None,
                   plan: PassPlan | None = None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(train logits, test logits, where they came from: "memory" | "disk" | "computed").

    A cache file is used only if it holds exactly what the teacher would output
    (rows, classes, dtype, finite values); otherwise it is recomputed and
    replaced, and ``on_note`` hears why, so one bad file never fails every run.
    ``memory`` is looked at first and keeps what was read or computed. With ``views``
    the train logits are those of every view, view by view (the key must say so).
    ``plan`` runs the pass the fast way (core.engine.teacher_pass); None: ``loop.predict``.
    """
    remembered = memory.get(key) if memory is not None else None
    if remembered is not None:
        train, test = remembered
        return train.to(train_inputs.device), test.to(train_inputs.device), "memory"
    path = cache_path(key, cache_dir)
    stored, problem = _read_checked(path, teacher, train_inputs, test_inputs,
                                    1 if views is None else views.count)
    if plan is not None and not plan.ranks.all_agree(stored is not None):
        stored = None  # under DDP: computed by all ranks together unless every rank read it
    if stored is not None:
        (train, test), origin = stored, "disk"
    else:
        if problem is not None and on_note is not None:
            on_note(f"the cached teacher outputs {path} were not usable ({problem}); "
                    "recomputed and replaced them")
        run = pass_predictor(teacher, plan)
        with pass_threads(plan):
            train = _predict_train(run, train_inputs, views, on_batch).cpu()
            test = run(test_inputs, on_batch=on_batch).cpu()
        if plan is None or plan.ranks.writer:  # under DDP rank 0 alone writes the file
            _write(path, train, test)
        origin = "computed"
    if memory is not None:
        memory.put(key, train, test)
    return train.to(train_inputs.device), test.to(train_inputs.device), origin


def _predict_train(run: Predictor, train_inputs: torch.Tensor, views: ViewPlan | None,
                   on_batch: Callable[..., None] | None) -> torch.Tensor:
    if views is None:
        return run(train_inputs, on_batch=on_batch)
    return predict_views(lambda chunk: run(chunk, on_batch=on_batch),
                         train_inputs, views, PREDICT_BATCH)


def _read_checked(path: Path, teacher: nn.Module, train_inputs: torch.Tensor,
                  test_inputs: torch.Tensor, views: int = 1
                  ) -> tuple[tuple[torch.Tensor, torch.Tensor] | None, str | None]:
    """((train, test), None) from a sound cache file; (None, why) otherwise (why None: no file)."""
    try:
        if not path.exists():
            return None, None
        if not path.is_file():
            return None, "not a regular file"
        size = path.stat().st_size
    except OSError as error:
        return None, f"cannot be read: {error.strerror or error}"
    # One row through the teacher says what every row of the cache must look like.
    probe = predict(teacher, (train_inputs if len(train_inputs) else test_inputs)[:1])
    shapes = {"train": (views * len(train_inputs), *probe.shape[1:]),
              "test": (len(test_inputs), *probe.shape[1:])}
    expected_bytes = sum(math.prod(shape) for shape in shapes.values()) * probe.element_size()
    if size > 2 * expected_bytes + _FILE_OVERHEAD_BYTES:
        return None, f"{size:,} bytes where about {expected_bytes:,} were expected"
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
        problem = _logits_problem(stored, shapes, probe.dtype)
    except Exception as error:  # noqa: BLE001 - a damaged file only costs a recomputation
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return None, f"cannot be read: {first_line}"
    return (None, problem) if problem else ((stored["train"], stored["test"]), None)


def _logits_problem(stored: object, shapes: dict[str, tuple[int, ...]],
                    dtype: torch.dtype) -> str | None:
    """Why stored logits are not what the teacher outputs, or None when they are."""
    if not isinstance(stored, dict):
        return "it does not hold train and test logits"
    for part, shape in shapes.items():
        logits = stored.get(part)
        if not isinstance(logits, torch.Tensor) or logits.layout != torch.strided:
            return f"no {part} logits in it"
        if tuple(logits.shape) != shape:
            return f"{part} logits of shape {tuple(logits.shape)}, expected {shape}"
        if logits.dtype != dtype:
            return f"{part} logits of dtype {logits.dtype}, expected {dtype}"
        if not bool(torch.isfinite(logits).all()):
            return f"{part} logits hold NaN or infinite values"
    return None


def _write(path: Path, train: torch.Tensor, test: torch.Tensor) -> None:
    try:
        with atomic_writer(path) as handle:
            torch.save({"train": train, "test": test}, handle)
    except OSError:
        pass  # a read-only cache folder only costs a recomputation next time
