"""A streamed run's teacher outputs: a memory-mapped file, float16 or top-k, shard by shard.

A run whose images stream from disk (core.data.streaming) has as many teacher
outputs as images, so they are kept the same way: one row per training image,
indexed by its row (the sample id), in a ``ShardStore`` file of the cache folder.
Each shard of ``SHARD_ROWS`` images is run through the teacher and written, then
recorded with its digest: a run killed mid-pass resumes with the shards it finished,
and a shard whose bytes no longer match is computed again (never trusted).

How the outputs are stored (``data.cache_dtype``, ``data.cache_top_k``):

- ``float16`` (default): half the bytes of float32. Rounding to float16 moves each
  logit by at most 2^-11 of its magnitude (0.05%); the teacher's predictions and the
  student's accuracy do not change measurably (tests/core/engine/test_teacher_memmap.py
  bounds the logits, benchmarks/streaming.py compares accuracies).
- ``cache_top_k: k``: only the k largest logits of each row and their class indices,
  what large-scale distillation stores when classes are many. The teacher's
  distribution is then **renormalised over those k classes**: every other class gets
  a logit far below the row's maximum (``defenses.DROPPED``), so its probability is
  exactly 0 at any temperature and the k kept probabilities sum to 1 — the same rule
  as the ``distill.top_k`` defense. With k = the number of classes nothing is dropped
  and the KD loss equals full KD exactly.

The in-memory path keeps its float32 ``.pt`` cache (teacher_cache.py), so the results
of runs that fit in memory do not move. The test split's logits are kept in float32
(they decide the teacher's reported accuracy).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.core.data.shard_store import Layout, ShardStore
from workbench.core.data.streaming import StreamedImages
from workbench.core.distill.defenses import DROPPED
from workbench.core.engine.context import RunContext
from workbench.core.engine.loop import end_phase
from workbench.core.engine.phases import (cache_progress, cache_steps, cache_teacher,
                                          teacher_pass_plan)
from workbench.core.engine.teacher_cache import cache_key
from workbench.core.engine.teacher_pass import (SHARD_ROWS, pass_predictor, pass_threads,
                                                plan_path)
from workbench.core.models.weights import weights_digest
from workbench.core.paths import user_cache_dir
from workbench.core.stream.events import PhaseStarted


@dataclass(frozen=True)
class OutputFormat:
    """How teacher outputs are stored: ``dtype`` of the logits, ``top_k`` kept (0 = all)."""

    dtype: str = "float16"
    top_k: int = 0

    def kept(self, classes: int) -> int:
        """Logits kept per row: k, or every class when k is 0 or not smaller."""
        return self.top_k if 0 < self.top_k < classes else classes

    def sparse(self, classes: int) -> bool:
        return self.kept(classes) < classes


def index_dtype(classes: int) -> str:
    return "int16" if classes <= np.iinfo(np.int16).max else "int32"


def encode(logits: torch.Tensor, fmt: OutputFormat) -> list[np.ndarray]:
    """One shard's logits as stored: [values] or, top-k, [values, class indices]
    (largest first)."""
    classes = int(logits.shape[1])
    if not fmt.sparse(classes):
        return [logits.float().cpu().numpy().astype(fmt.dtype)]
    return encode_top_k(logits, fmt.kept(classes), fmt.dtype)


def encode_top_k(logits: torch.Tensor, k: int, dtype: str) -> list[np.ndarray]:
    values, indices = logits.float().cpu().topk(k, dim=1)
    return [values.numpy().astype(dtype), indices.numpy().astype(index_dtype(logits.shape[1]))]


def decode_top_k(values: np.ndarray | torch.Tensor, indices: np.ndarray | torch.Tensor,
                 classes: int) -> torch.Tensor:
    """Dense float32 logits from the top k: the dropped classes sit ``DROPPED`` below the
    row's maximum, so softmax renormalises over the k kept classes at any temperature."""
    kept = torch.as_tensor(np.asarray(values, dtype=np.float32))
    where = torch.as_tensor(np.asarray(indices, dtype=np.int64))
    floor = kept.max(dim=1, keepdim=True).values + DROPPED
    return floor.expand(kept.shape[0], classes).clone().scatter(1, where, kept)


def decode(arrays: list[np.ndarray], classes: int) -> torch.Tensor:
    """Dense float32 logits from what ``encode`` stored."""
    if len(arrays) == 1:
        return torch.from_numpy(np.array(arrays[0], dtype=np.float32))  # a copy: writable
    return decode_top_k(arrays[0], arrays[1], classes)


def output_stores(key: str, rows: int, classes: int, fmt: OutputFormat,
                  cache_dir: Path | None, on_note: Callable[[str], None]) -> list[ShardStore]:
    """The file(s) of one teacher's training outputs in ``fmt``: values (and indices)."""
    kept = fmt.kept(classes)
    folder = (cache_dir or user_cache_dir()) / "teacher-outputs"
    stem = f"{key}-{fmt.dtype}-top{kept}" if fmt.sparse(classes) else f"{key}-{fmt.dtype}"
    parts = [("values", fmt.dtype)] + ([("indices", index_dtype(classes))]
                                       if fmt.sparse(classes) else [])
    return [ShardStore(folder / f"{stem}.{name}", Layout(f"{key}|{name}|{classes}", rows,
                                                         (kept,), dtype, SHARD_ROWS), on_note)
            for name, dtype in parts]


def fill_outputs(stores: list[ShardStore], predict: Callable[[torch.Tensor], torch.Tensor],
                 inputs: StreamedImages | torch.Tensor, fmt: OutputFormat,
                 on_shard: Callable[[int], None]) -> torch.Tensor:
    """Compute the shards any store misses, write them, and return the dense logits."""
    missing = sorted(set().union(*(store.missing() for store in stores)))
    layout = stores[0].layout
    for shard in missing:
        start, stop = layout.bounds(shard)
        for store, values in zip(stores, encode(predict(inputs[start:stop]), fmt)):
            store.write(shard, values)
        on_shard(stop - start)
    classes = int(layout.tag.rsplit("|", 1)[1])
    return decode([store.read() for store in stores], classes)


def cache_phase(ctx: RunContext, teacher: nn.Module, cache_dir: Any = None) -> str:
    """The cache phase: memory-mapped outputs for a streamed run (without views), the
    in-memory float32 cache otherwise."""
    if not isinstance(ctx.data.inputs, StreamedImages) or ctx.views is not None:
        return cache_teacher(ctx, teacher, cache_dir)
    return cache_streamed(ctx, teacher, cache_dir)


def cache_streamed(ctx: RunContext, teacher: nn.Module, cache_dir: Path | None = None) -> str:
    """Compute (or resume, or read) the teacher's outputs for every training image into
    the memory-mapped file, and its float32 logits on the test split."""
    started = time.perf_counter()
    ctx.hooks.emit(PhaseStarted("cache", 1, cache_steps(ctx)))
    data, notes = ctx.preset.data, []
    fmt = OutputFormat(data.get("cache_dtype", "float16"), int(data.get("cache_top_k", 0)))
    rows, classes = int(ctx.data.inputs.shape[0]), ctx.data.dataset.num_classes
    plan = teacher_pass_plan(ctx, teacher)  # data.teacher_pass: which pass, which key
    key = cache_key(weights_digest(teacher), ctx.data.dataset.fingerprint, rows,
                    plan_path(plan))
    stores = output_stores(key, rows, classes, fmt, cache_dir, notes.append)
    test_store = output_stores(f"{key}-test", int(ctx.data.test_inputs.shape[0]), classes,
                               OutputFormat("float32"), cache_dir, notes.append)
    todo = sum(len(store.missing()) for store in stores + test_store)
    origin = ("disk" if todo == 0 else "resumed" if any(store.done for store in stores)
              else "computed")
    predictor = pass_predictor(teacher, plan)
    advance = cache_progress(ctx)
    with pass_threads(plan):
        train = fill_outputs(stores, predictor, ctx.data.inputs, fmt, advance)
        test = fill_outputs(test_store, predictor, ctx.data.test_inputs,
                            OutputFormat("float32"), advance)
    ctx.teacher_logits, ctx.teacher_test_logits = train.to(ctx.device), test.to(ctx.device)
    end_phase(ctx.hooks, "cache", time.perf_counter() - started, origin=origin, key=key,
              stored=f"{fmt.dtype}" + (f", top {fmt.kept(classes)}" if fmt.sparse(classes)
                                       else ""), **({"note": notes[0]} if notes else {}))
    return origin
