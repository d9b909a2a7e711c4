"""Resume: what a run had done at its last epoch end, kept so it can continue exactly.

A resumed run simply runs its phases again, and the method's ``train`` too. The
fits it asks for are numbered in order: a fit that had finished is not trained
again (its final weights, results and random stream are put back), the fit that
was interrupted continues after its last saved epoch, and the rest run as usual.
Models are built from reseeded streams and inference is deterministic, so this
replay ends with the weights of a run that was never interrupted.

The state holds plain tensors, dicts, lists, numbers and strings only, so it
loads with ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import torch
from torch import nn

from workbench.core.engine.loop import FitResult, LoopState, result_from_dict, result_to_dict
from workbench.core.errors import RunFailed
from workbench.core.runs.resume import STATE_VERSION


class ResumeSink(Protocol):
    """Where the state goes (the run store); replaced at every epoch end."""

    def save_resume_state(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class FitPlan:
    """How to run fit number ``index``: put back (``finished``), continue (``resume``), or fit."""

    index: int
    finished: dict[str, Any] | None = None
    resume: LoopState | None = None
    random: list[torch.Tensor] | None = None


class ResumeJournal:
    """The run's fits so far; one per run, owned by the ``RunContext``."""

    def __init__(self, sink: ResumeSink | None, state: dict[str, Any] | None = None) -> None:
        self._sink = sink
        self._done: list[dict[str, Any]] = list(state["done"]) if state else []
        self._pending: dict[str, Any] | None = state.get("current") if state else None
        self._asked = 0
        # torch threads of the run (set by the pipeline): kept, so a resume sums alike
        self.threads: int | None = state.get("threads") if state else None

    def plan(self, phases: Sequence[str]) -> FitPlan:
        """The next fit's plan; raises RunFailed when the state is of another run."""
        index, self._asked = self._asked, self._asked + 1
        if index < len(self._done):
            return FitPlan(index, finished=_matching(self._done[index], index, phases))
        pending, self._pending = self._pending, None
        if pending is not None and pending["index"] == index:
            _matching(pending, index, phases)
            loop = {key: pending[key] for key in LoopState.__dataclass_fields__
                    if key in pending}  # a state saved before ``sampler`` existed lacks it
            return FitPlan(index, resume=LoopState(**loop), random=pending["random"])
        return FitPlan(index)

    def epoch_ended(self, plan: FitPlan, phases: Sequence[str], loop: LoopState,
                    random: list[torch.Tensor]) -> None:
        """Replace the saved state with this epoch end's (atomically, by the sink)."""
        if self._sink is None:
            return
        current = {"index": plan.index, "phases": list(phases), "random": random, **asdict(loop)}
        self._sink.save_resume_state({"version": STATE_VERSION, "threads": self.threads,
                                      "done": self._done, "current": current})

    def fit_ended(self, plan: FitPlan, phases: Sequence[str], models: Sequence[nn.Module],
                  results: Sequence[FitResult], random: list[torch.Tensor]) -> None:
        """Keep a finished fit's final weights (on the CPU) for a later resume."""
        if plan.finished is not None or self._sink is None:
            return
        self._done.append({"phases": list(phases),
                           "models": [_cpu_copy(model.state_dict()) for model in models],
                           "results": [result_to_dict(result) for result in results],
                           "random": [state.clone() for state in random]})


def put_back(finished: dict[str, Any], models: Sequence[nn.Module]) -> list[FitResult]:
    """Load a finished fit's final weights into freshly built ``models``; its results."""
    for model, weights in zip(models, finished["models"]):
        model.load_state_dict(weights)
    return [result_from_dict(result) for result in finished["results"]]


def _matching(record: dict[str, Any], index: int, phases: Sequence[str]) -> dict[str, Any]:
    if list(record["phases"]) != list(phases):
        raise RunFailed(f"the resume state does not match this run: its fit {index + 1} "
                        f"trained {', '.join(record['phases'])}, this run asks for "
                        f"{', '.join(phases)}")
    return record


def _cpu_copy(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in weights.items()}
