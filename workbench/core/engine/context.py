"""What a distillation method may use: data, teacher outputs, and a way to fit models."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from workbench.core.data.prepare import PreparedData
from workbench.core.engine.batches import TrainSet, natural_steps
from workbench.core.engine.loop import FitResult, Hooks, Objective, PhaseSpec, fit
from workbench.core.models import build_model
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.model import ModelPreset
from workbench.core.presets.section import Section


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

    def new_model(self, model: ModelPreset) -> nn.Module:
        """Build a fresh model seeded by ``train.seed`` (same seed, same initial weights)."""
        torch.manual_seed(self.preset.train.seed)
        module = build_model(model.architecture, model.args, self.input_shape,
                             self.data.dataset.num_classes)
        return module.to(self.device)

    def new_student(self) -> nn.Module:
        return self.new_model(self.preset.student)

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

    def save(self, name: str, model: nn.Module, model_preset: ModelPreset) -> None:
        if self.recorder is None:
            return
        meta = {"architecture": model_preset.architecture, "args": model_preset.args.to_dict(),
                "input_shape": list(self.input_shape),
                "classes": list(self.data.dataset.classes),
                "dataset": self.data.dataset.name, "run_id": self.recorder.run_id}
        self.recorder.save_checkpoint(name, model, meta)
