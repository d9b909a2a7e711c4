"""Quantization-aware distillation: an int8 student fine-tuned under the KD loss.

Starts from the distilled float student's weights, inserts fake quantizers
(per-channel int8 weights, per-tensor uint8 activations) and fine-tunes for
``qat_epochs`` at a tenth of the learning rate with the same KD objective, so the
student learns to be right *after* rounding (Polino et al. 2018; QKD, Kim et al. 2019).
Then converts it to real int8 kernels (see ``core.models.int8`` for why torch.ao).
"""
from __future__ import annotations

from torch import nn

from workbench.core.green.recipe import GreenContext, qat_epochs, recipe, teacher_objective
from workbench.core.models.int8 import convert_int8, prepare_qat

QAT_PHASE = "student-qat"
QAT_LR_SCALE = 0.1  # a fine-tune from a trained student: small steps


def train_qat(ctx: GreenContext, student: nn.Module) -> nn.Module:
    """The int8 model of ``student`` after quantization-aware distillation (on the CPU)."""
    prepared = prepare_qat(student).to(ctx.device)
    objective, train_set = teacher_objective(ctx)
    ctx.fit([QAT_PHASE], [prepared], objective, train_set,
            recipe=recipe(ctx.preset.train, qat_epochs(ctx.preset.train.epochs), QAT_LR_SCALE))
    return convert_int8(prepared)
