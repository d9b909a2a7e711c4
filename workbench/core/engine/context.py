"""What a distillation method may use: data, teacher outputs, and a way to fit models.

``RunContext`` implements ``distill.method.StudentContext``; the pipeline's own
phases (teacher, cache, baseline, benchmark) use the rest of it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from workbench.core.data.prepare import PreparedData, dataset_summary
from workbench.core.data.batches import TrainSet, natural_steps
from workbench.core.data.streamed_batches import auto_workers, streamed
from workbench.core.distill.losses import soft_targets
from workbench.core.distill.step_loss import Objective, cross_entropy_objective
from workbench.core.engine.loop import (FitResult, Hooks, LoopState, PhaseSpec, end_phase, fit,
                                        predict, result_to_dict, steps_for)
from workbench.core.engine.resume import FitPlan, ResumeJournal, put_back
from workbench.core.engine.run_random import RunRandom
from workbench.core.engine.shared_work import SharedWork, fit_key
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.engine.threads import usable_cores
from workbench.core.engine.teaching import run_views, stage_preset, view_steps, with_views
from workbench.core.data.views import ViewPlan, predict_views
from workbench.core.stream.events import PhaseStarted
from workbench.core.models import build_model
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.model import ModelPreset
from workbench.core.config.section import Section


class Recorder(Protocol):
    """The run store as the engine sees it: the one writer of a run folder."""

    run_id: str

    def __call__(self, event: Any) -> None: ...

    def save_checkpoint(self, name: str, model: nn.Module, meta: dict[str, Any]) -> None: ...

    def save_resume_state(self, state: dict[str, Any]) -> None: ...

    def discard_resume_state(self) -> None: ...


@dataclass
class RunContext:
    """Everything one run shares between its phases (no module-level state)."""

    preset: ExperimentPreset
    data: PreparedData
    device: torch.device
    hooks: Hooks
    recorder: Recorder | None = None
    teacher_logits: torch.Tensor | None = None
    teacher_test_logits: torch.Tensor | None = None
    fits: dict[str, FitResult] = field(default_factory=dict)
    logits_cache: TeacherLogitsCache | None = None  # the caller's, kept across its runs
    resume_state: dict[str, Any] | None = None  # a stopped run's state, to continue it
    member_test_logits: dict[str, torch.Tensor] = field(default_factory=dict)  # teacher-k
    shared: SharedWork | None = None  # a sweep's shared fits and teacher figures
    random: RunRandom = field(init=False)
    journal: ResumeJournal = field(init=False)
    views: ViewPlan | None = field(init=False)  # distill.views > 1: fixed augmented views

    def __post_init__(self) -> None:
        self.random = RunRandom(self.device, self.preset.train.seed)
        self.journal = ResumeJournal(self.recorder, self.resume_state)
        self.views = run_views(self.preset, self.data, self.device)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.data.dataset.input_shape

    def new_model(self, model: ModelPreset, seed_offset: int = 0) -> nn.Module:
        """Build a fresh model seeded by ``train.seed + seed_offset`` (same seed, same weights)."""
        with self.random.reseeded(self.preset.train.seed + seed_offset):
            module = build_model(model.architecture, model.args, self.input_shape,
                                 self.data.dataset.num_classes)
        return module.to(self.device)

    def new_student(self, seed_offset: int = 0) -> nn.Module:
        return self.new_model(self.preset.student, seed_offset)

    def new_assistant(self, index: int) -> nn.Module:
        """A fresh model of ``distill.assistants[index]``, seeded like the student."""
        return self.new_model(self.preset.assistants[index])

    def model_preset(self, name: str) -> ModelPreset:
        """The preset a trained model of this run was built from (for its checkpoint)."""
        return stage_preset(self.preset, name)

    def labeled_train_set(self) -> TrainSet:
        """Only the rows that keep their labels (what a plain student may learn from);
        with ``distill.views`` their fixed views, so a baseline sees what the student sees."""
        return self._read_ahead(with_views(self.views, self.data.inputs, self.data.labels,
                                           self.data.labeled_rows, {}))

    def distill_train_set(self, teacher_logits: torch.Tensor, temperature: float) -> TrainSet:
        """All training rows with the teacher's softened targets at ``temperature``."""
        targets = soft_targets(teacher_logits, temperature)
        return self.student_train_set({"probs": targets.probs,
                                       "neg_entropy": targets.neg_entropy})

    def cached_teacher_logits(self) -> torch.Tensor:
        """The teacher's logits per training row, computed by the cache phase."""
        if self.teacher_logits is None:
            raise RuntimeError("no cached teacher logits: the method must set "
                               "uses_teacher_cache = True")
        return self.teacher_logits

    def student_train_set(self, extras: Mapping[str, torch.Tensor] | None = None) -> TrainSet:
        """All training rows (transfer-set rows carry label -1) with per-row extras."""
        return self._read_ahead(with_views(self.views, self.data.inputs, self.data.labels,
                                           self.data.train_rows, dict(extras or {})))

    def _read_ahead(self, train_set: TrainSet) -> TrainSet:
        """A streamed run's train set, read ahead by ``data.workers`` processes
        (core.data.streamed_batches); an in-memory one as it is."""
        workers = self.preset.data.get("workers")
        if workers is None:
            workers = auto_workers(len(usable_cores()), self.journal.threads or 1)
        return streamed(train_set, int(workers))

    def student_steps(self) -> int:
        return natural_steps(int(self.data.train_rows.shape[0]), self.preset.train.batch_size)

    def fit(self, phases: Sequence[str], models: Sequence[nn.Module], objective: Objective,
            train_set: TrainSet, recipe: Section | None = None,
            steps_per_epoch: int | None = None, augment: str = "none",
            shareable: bool = False) -> None:
        """Fit ``models`` together (one loop; model i reports as ``phases[i]``).

        Dropout draws continue the run's random stream; each result is kept in ``fits``.
        Every epoch end is saved for a resume; a resumed run puts back the fits that
        had finished and continues the one that was interrupted (see resume.py).
        A ``shareable`` fit that another run of the sweep already made (``shared``,
        same inputs to the bit) is put back the same way.
        """
        recipe = recipe or self.preset.train
        steps_per_epoch = steps_per_epoch or view_steps(train_set, recipe.batch_size)
        spec = PhaseSpec(recipe, self.preset.train.seed, steps_per_epoch, augment)
        plan = self.journal.plan(phases)
        if plan.finished is not None:
            self._put_back(plan, spec, phases, models, train_set)
            return
        key = (self._share_key(phases, models, spec, objective, train_set)
               if shareable and plan.resume is None else None)
        if key is not None and (record := self.shared.find_fit(key)) is not None:
            self._put_back(FitPlan(plan.index, finished=record), spec, phases, models,
                           train_set, origin="shared by an earlier run of the sweep")
            self.journal.fit_ended(plan, phases, models, [self.fits[p] for p in phases],
                                   record["random"])
            return
        if plan.random is not None:
            self.random.restore(plan.random)

        def saved(loop: LoopState) -> None:
            self.journal.epoch_ended(plan, phases, loop, self.random.live_states())

        val = (self.data.val_inputs, self.data.val_labels)
        with self.random.continued():
            results = fit(spec, phases, models, objective, train_set, val, self.hooks,
                          plan.resume, saved)
            after = self.random.live_states()
        self.journal.fit_ended(plan, phases, models, results, after)
        self.fits.update(zip(phases, results))
        if key is not None:
            self.shared.keep_fit(key, phases, models, [result_to_dict(r) for r in results], after)

    def _put_back(self, plan: FitPlan, spec: PhaseSpec, phases: Sequence[str],
                  models: Sequence[nn.Module], train_set: TrainSet,
                  origin: str = "finished before the resume") -> None:
        """A fit that finished before the run was resumed (or in another run of the
        sweep): its weights, not its training."""
        assert plan.finished is not None
        results = put_back(plan.finished, models)
        self.random.restore(plan.finished["random"])
        steps = steps_for(spec, train_set)
        for phase, result in zip(phases, results):
            self.hooks.emit(PhaseStarted(phase, spec.recipe.epochs, steps))
            end_phase(self.hooks, phase, result.seconds, best_val_acc=result.best_val_acc,
                      best_epoch=result.best_epoch, resumed=origin)
        self.fits.update(zip(phases, results))

    def _share_key(self, phases: Sequence[str], models: Sequence[nn.Module], spec: PhaseSpec,
                   objective: Objective, train_set: TrainSet) -> str | None:
        """The fit's key in ``shared`` (None: the run shares nothing)."""
        if self.shared is None:
            return None
        recipe = spec.recipe.to_dict()
        return fit_key(phases, models, self.random.states(),
                       {"recipe": recipe, "seed": spec.seed, "steps": spec.steps_per_epoch,
                        "augment": spec.augment, "objective": getattr(objective, "__qualname__",
                                                                      repr(objective)),
                        "threads": self.journal.threads, "device": str(self.device)},
                       train_set, self.data.val_rows,
                       {"fingerprint": self.data.dataset.fingerprint,
                        "section": self.preset.data.to_dict(),
                        "views": self.preset.distill.get("views", 1)})

    def fit_labels_only(self, phase: str, model: nn.Module) -> None:
        """Plain training (alpha = 1) on the labeled rows, for as many steps as the student."""
        self.fit([phase], [model], cross_entropy_objective, self.labeled_train_set(),
                 steps_per_epoch=self.student_steps(), shareable=True)

    def logits(self, model: nn.Module) -> torch.Tensor:
        """``model``'s logits for every training image (rows of ``data.inputs``); with
        ``distill.views``, for every view of it, view by view (as the teacher's are cached)."""
        if self.views is not None:
            return predict_views(lambda chunk: predict(model, chunk), self.data.inputs,
                                 self.views)
        return predict(model, self.data.inputs)

    def save(self, name: str, model: nn.Module, model_preset: ModelPreset) -> None:
        if self.recorder is None:
            return
        meta = {"architecture": model_preset.architecture, "args": model_preset.args.to_dict(),
                "input_shape": list(self.input_shape),
                "classes": list(self.data.dataset.classes),
                "dataset": self.data.dataset.name, "run_id": self.recorder.run_id,
                # what inputs the model expects: whoever deploys it must normalise the same way
                "normalization": dataset_summary(self.data)["normalization"]}
        self.recorder.save_checkpoint(name, model, meta)
