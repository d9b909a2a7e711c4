"""What a distillation method may use: data, teacher outputs, and a way to fit models."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from workbench.core.data.prepare import PreparedData
from workbench.core.data.batches import TrainSet, natural_steps
from workbench.core.distill.losses import soft_targets
from workbench.core.engine.loop import (FitResult, Hooks, Objective, PhaseSpec,
                                        cross_entropy_objective, fit, predict)
from workbench.core.engine.mutual import fit_mutual
from workbench.core.models import build_model
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.model import ModelPreset
from workbench.core.config.section import Section


class Recorder(Protocol):
    """The run store as the engine sees it: the one writer of a run folder."""

    run_id: str

    def __call__(self, event: Any) -> None: ...

    def save_checkpoint(self, name: str, model: nn.Module, meta: dict[str, Any]) -> None: ...


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

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.data.dataset.input_shape

    def new_model(self, model: ModelPreset, seed_offset: int = 0) -> nn.Module:
        """Build a fresh model seeded by ``train.seed + seed_offset`` (same seed, same weights)."""
        torch.manual_seed(self.preset.train.seed + seed_offset)
        module = build_model(model.architecture, model.args, self.input_shape,
                             self.data.dataset.num_classes)
        return module.to(self.device)

    def new_student(self, seed_offset: int = 0) -> nn.Module:
        return self.new_model(self.preset.student, seed_offset)

    def labeled_train_set(self) -> TrainSet:
        """Only the rows that keep their labels (what a plain student may learn from)."""
        return TrainSet(self.data.inputs, self.data.labels, self.data.labeled_rows)

    def distill_train_set(self, teacher_logits: torch.Tensor, temperature: float) -> TrainSet:
        """All training rows with the teacher's softened targets at ``temperature``."""
        targets = soft_targets(teacher_logits, temperature)
        return self.student_train_set({"probs": targets.probs,
                                       "neg_entropy": targets.neg_entropy})

    def student_train_set(self, extras: Mapping[str, torch.Tensor] | None = None) -> TrainSet:
        """All training rows (transfer-set rows carry label -1) with per-row extras."""
        return TrainSet(self.data.inputs, self.data.labels, self.data.train_rows,
                        dict(extras or {}))

    def student_steps(self) -> int:
        return natural_steps(int(self.data.train_rows.shape[0]), self.preset.train.batch_size)

    def fit(self, phase: str, model: nn.Module, objective: Objective, train_set: TrainSet,
            recipe: Section | None = None, steps_per_epoch: int | None = None,
            augment: str = "none") -> FitResult:
        spec = PhaseSpec(phase, recipe or self.preset.train, self.preset.train.seed,
                         steps_per_epoch, augment)
        val = (self.data.val_inputs, self.data.val_labels)
        result = fit(spec, model, objective, train_set, val, self.hooks)
        self.fits[phase] = result
        return result

    def fit_labels_only(self, phase: str, model: nn.Module) -> FitResult:
        """Plain training (alpha = 1) on the labeled rows, for as many steps as the student."""
        return self.fit(phase, model, cross_entropy_objective, self.labeled_train_set(),
                        steps_per_epoch=self.student_steps())

    def logits(self, model: nn.Module) -> torch.Tensor:
        """``model``'s logits for every training image (rows of ``data.inputs``)."""
        return predict(model, self.data.inputs)

    def fit_mutual(self, phases: list[str], models: list[nn.Module], alpha: float,
                   temperature: float) -> list[FitResult]:
        """Train ``models`` together on the same batches, each learning from the others."""
        spec = PhaseSpec(",".join(phases), self.preset.train, self.preset.train.seed)
        val = (self.data.val_inputs, self.data.val_labels)
        results = fit_mutual(spec, phases, models, self.student_train_set(), val, self.hooks,
                             alpha, temperature)
        self.fits.update(zip(phases, results))
        return results

    def save(self, name: str, model: nn.Module, model_preset: ModelPreset) -> None:
        if self.recorder is None:
            return
        meta = {"architecture": model_preset.architecture, "args": model_preset.args.to_dict(),
                "input_shape": list(self.input_shape),
                "classes": list(self.data.dataset.classes),
                "dataset": self.data.dataset.name, "run_id": self.recorder.run_id}
        self.recorder.save_checkpoint(name, model, meta)
