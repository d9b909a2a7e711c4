"""The teacher's one pass over every image, run nearer the machine's limit.

Every new (teacher, dataset) pair starts with this pass, so it is the first
thing every user waits for. It differs from ``loop.predict`` in *how* it runs:

- every free core, even when training uses one thread: the pass is large
  convolutions, which split well (the student's tiny steps do not);
- ``torch.inference_mode`` on an eval-mode *copy* of the teacher whose batch
  norms are folded into their convolutions (``torch.fx``'s ``fuse``), in
  ``channels_last``, where oneDNN's blocked convolutions run much faster than
  NCHW on an AVX2 CPU (benchmarks/teacher_pass.py). The sums run in another
  order, so the logits differ from ``loop.predict``'s in the last bits (about
  3e-7 of the logits' scale for the bundled teacher; same top class everywhere),
  but they are the same bits whatever the thread count, so a cache file never
  depends on how busy the machine was (the cache key's "v2" says which path);
- shards of ``SHARD_ROWS`` images, each reported with its rate, so the window
  shows images/s, shards done and an honest ETA.

Measured and not used: TorchScript freezing (no gain over the fx folding, and
``torch.jit.script`` is deprecated), ``torch.compile`` (its compile costs more
than it saves on one pass), bfloat16 (this CPU has no native bf16: the capability
is AVX2). On CUDA the pass runs under inference_mode; autocast stays off unless a
plan asks for it, as float16 logits have not been checked against float32 on a GPU.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn
from torch.fx.experimental.optimization import fuse

from workbench.core.engine.distributed import SINGLE_PROCESS, Ranks
from workbench.core.engine.loop import PREDICT_BATCH, predict
from workbench.core.engine.teacher_pass_ort import onnx_bytes, ort_runner, worth_onnxruntime
from workbench.core.engine.threads import free_cores
from workbench.core.measure.machine import torch_threads
from workbench.core.stream.events import PhaseProgress

SHARD_ROWS = PREDICT_BATCH  # one shard = one batch: ~1 s of the bundled teacher on 2 cores
Predictor = Callable[..., torch.Tensor]  # (inputs, on_batch=None) -> logits, as loop.predict


@dataclass(frozen=True)
class PassPlan:
    """How the pass runs: where, on how many threads, in which shards and layout."""

    device: torch.device
    threads: int | None = None  # None: every free core, counted when the pass starts
    shard_rows: int = SHARD_ROWS
    channels_last: bool = True
    autocast: torch.dtype | None = None  # CUDA only; None keeps float32
    backend: str = "torch"  # "torch" | "onnxruntime" (core.engine.teacher_pass_ort)
    ranks: Ranks = SINGLE_PROCESS  # under DDP each rank predicts its part of the rows


def pass_plan(device: torch.device, ranks: Ranks = SINGLE_PROCESS, mode: str = "torch",
              model: nn.Module | None = None, pass_flop: float = 0.0) -> PassPlan:
    """The run's plan: every core free when the pass starts (a cache hit counts none).
    Over several ranks each shard is a rank's part of one ``SHARD_ROWS`` shard, so the
    progress still counts the shards of one process.

    ``mode`` is ``data.teacher_pass``: ``exact`` runs the teacher's own forward, in NCHW,
    on the run's thread count, in ``loop.predict``'s batches (logits bit-identical to
    it); ``onnxruntime`` runs it there; ``auto`` takes onnxruntime where it pays for
    ``model`` and a pass of ``pass_flop`` FLOPs, else the torch pass (``torch``)."""
    shard_rows = -(-SHARD_ROWS // ranks.world)
    if mode == "exact":
        return PassPlan(device, threads=torch.get_num_threads(), shard_rows=shard_rows,
                        channels_last=False, ranks=ranks)
    onnx = mode == "onnxruntime" or (mode == "auto" and model is not None
                                     and worth_onnxruntime(model, device, pass_flop))
    if onnx:
        return PassPlan(device, shard_rows=shard_rows, channels_last=False, ranks=ranks,
                        backend="onnxruntime")
    return PassPlan(device, shard_rows=shard_rows, ranks=ranks)


def plan_path(plan: PassPlan) -> str:
    """Which logits a plan computes, for the cache key: exact | torch | onnxruntime."""
    if plan.backend == "onnxruntime":
        return "onnxruntime"
    return "torch" if plan.channels_last else "exact"


def shard_bounds(rows: int, shard_rows: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each shard: every row exactly once, in order."""
    if shard_rows < 1:
        raise ValueError(f"shard_rows must be at least 1, got {shard_rows}")
    return [(start, min(rows, start + shard_rows)) for start in range(0, rows, shard_rows)]


def uses_channels_last(model: nn.Module, plan: PassPlan) -> bool:
    """Only plain modules with 2-D convolutions gain from the layout (TorchScript teachers
    keep the layout they were saved with)."""
    return (plan.channels_last and not isinstance(model, torch.jit.ScriptModule)
            and any(isinstance(module, nn.Conv2d) for module in model.modules()))


def inference_copy(model: nn.Module, plan: PassPlan) -> nn.Module:
    """The teacher as the pass runs it: an eval-mode copy with each batch norm folded into
    the convolution before it (torch.fx's ``fuse``), in channels_last, where that pays.

    The caller's model stays as it was (its layout is what the benchmark phase measures);
    a model torch.fx cannot trace keeps its batch norms.
    """
    if not uses_channels_last(model, plan):
        return model.eval()
    training = model.training
    try:
        runner = fuse(model.eval(), inplace=False)  # folding needs eval-mode statistics
    except Exception:  # noqa: BLE001 - untraceable Python in forward: run it unfolded
        runner = copy.deepcopy(model)
    finally:
        model.train(training)
    # Whoever watches the teacher's forward (a hook on the model itself) still sees the pass.
    runner._forward_hooks.update(model._forward_hooks)
    return runner.eval().to(memory_format=torch.channels_last)


def pass_predictor(model: nn.Module, plan: PassPlan | None) -> Predictor:
    """``loop.predict``'s contract, run by ``plan``; ``on_batch(rows)`` after each shard."""
    if plan is None:
        return lambda inputs, on_batch=None: predict(model, inputs, on_batch=on_batch)
    runner = inference_copy(model, plan)
    plan = replace(plan, channels_last=uses_channels_last(model, plan))
    sessions: dict[object, Any] = {}

    def forward_for(inputs: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """The onnxruntime session for the pass's thread count (set by pass_threads); the
        torch module when the plan says torch or the model does not export (which a given
        model always does or never does, so its cache key still names one kind of bits)."""
        if plan.backend != "onnxruntime":
            return runner
        if "graph" not in sessions:
            sessions["graph"] = onnx_bytes(model, tuple(inputs.shape[1:]))
        if sessions["graph"] is None:
            return runner
        threads = torch.get_num_threads()
        if threads not in sessions:
            sessions[threads] = ort_runner(sessions["graph"], threads)
        return sessions[threads]

    def run(inputs: torch.Tensor, on_batch: Callable[..., None] | None = None) -> torch.Tensor:
        outputs = []
        for logits in _shards(forward_for(inputs), inputs, plan):
            outputs.append(logits)
            if on_batch is not None:
                on_batch(int(logits.shape[0]))
        return torch.cat(outputs).to(inputs.device) if outputs else torch.zeros(0)

    return plan.ranks.sharded(run)  # one process: ``run`` itself


@contextmanager
def pass_threads(plan: PassPlan | None) -> Iterator[None]:
    """The pass's thread count for the block (the run's own count outside it)."""
    if plan is None or plan.device.type != "cpu":
        yield
        return
    with torch_threads(plan.threads or free_cores()):
        yield


def _shards(runner: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor, plan: PassPlan) -> Iterator[torch.Tensor]:
    with torch.inference_mode():
        for start, stop in shard_bounds(int(inputs.shape[0]), plan.shard_rows):
            chunk = inputs[start:stop].to(plan.device, non_blocking=True)
            if plan.channels_last and chunk.dim() == 4:
                chunk = chunk.contiguous(memory_format=torch.channels_last)
            yield _forward(runner, chunk, plan)


def _forward(runner: Callable[[torch.Tensor], torch.Tensor], chunk: torch.Tensor, plan: PassPlan) -> torch.Tensor:
    if plan.autocast is not None and plan.device.type == "cuda":
        with torch.autocast("cuda", dtype=plan.autocast):
            return runner(chunk).float()
    return runner(chunk).float()


class ShardMeter:
    """Turns finished shards into ``PhaseProgress`` events with images/s and an ETA.

    The ETA is the images left at the rate so far (set-up included, so it errs
    long, never short); ``clock`` is injectable for tests.
    """

    def __init__(self, emit: Callable[[PhaseProgress], None], shards: int, images: int,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._emit, self._clock = emit, clock
        self.shards, self.images = shards, images
        self.done, self.images_done = 0, 0
        self._started = clock()

    def __call__(self, rows: int = SHARD_ROWS) -> None:
        self.done += 1
        self.images_done += rows
        seconds = max(1e-9, self._clock() - self._started)
        rate = self.images_done / seconds
        left = max(0, self.images - self.images_done)
        self._emit(PhaseProgress("cache", self.done, images=self.images_done,
                                 images_per_s=rate, eta_s=left / rate if rate > 0 else None,
                                 shards=self.shards))
