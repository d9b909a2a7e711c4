"""Teaching assistants: each stage learns from the stage before it, and is a model of the run."""
from __future__ import annotations

import torch

from workbench.core.distill import METHODS
from workbench.core.distill.losses import soft_targets
from workbench.core.engine.loop import predict
from workbench.core.engine.pipeline import run_experiment
from workbench.core.models.saved import load_checkpoint
from workbench.core.runs.store import RunStore

from tests.core.conftest import tiny_preset
from tests.core.engine.test_context import RecordingContext, context

ASSISTANTS = "distill.assistants=[synthetic-cnn, {architecture: mlp, args: {hidden: [24]}}]"


def test_each_stage_is_taught_by_the_previous_stage_outputs() -> None:
    ctx = context("distill.method=assistant", ASSISTANTS, "distill.temperature=3.0",
                  kind=RecordingContext)
    method = METHODS.get("assistant").factory(**ctx.preset.distill)
    models = method.train(ctx)
    assert [phases for phases, _ in ctx.seen] == [["assistant-1"], ["assistant-2"], ["student"]]
    assert list(models) == ["assistant-1", "assistant-2", "student"]
    seen = {phases[0]: train_set.extras["probs"] for phases, train_set in ctx.seen}

    def taught_by(logits: torch.Tensor) -> torch.Tensor:
        return soft_targets(logits, 3.0).probs[ctx.data.train_rows]

    def rows(probs: torch.Tensor) -> torch.Tensor:
        return probs[ctx.data.train_rows]

    teacher = taught_by(ctx.teacher_logits)
    first = taught_by(predict(models["assistant-1"], ctx.data.inputs))
    second = taught_by(predict(models["assistant-2"], ctx.data.inputs))
    assert torch.allclose(rows(seen["assistant-1"]), teacher)
    assert torch.allclose(rows(seen["assistant-2"]), first, atol=1e-6)
    assert not torch.allclose(rows(seen["assistant-2"]), teacher, atol=1e-3)
    assert torch.allclose(rows(seen["student"]), second, atol=1e-6)
    assert not torch.allclose(rows(seen["student"]), first, atol=1e-3)


def test_assistants_are_built_from_their_own_presets() -> None:
    ctx = context("distill.method=assistant", ASSISTANTS)
    first, second = ctx.new_assistant(0), ctx.new_assistant(1)
    assert any(isinstance(layer, torch.nn.Conv2d) for layer in first.modules())
    assert [layer.out_features for layer in second.modules()
            if isinstance(layer, torch.nn.Linear)] == [24, 10]
    assert ctx.model_preset("assistant-2").args["hidden"] == [24]
    assert ctx.model_preset("student") == ctx.preset.student


def test_every_stage_is_a_phase_a_model_and_a_checkpoint(tmp_path) -> None:
    preset = tiny_preset("train.epochs=1", "distill.method=assistant",
                         "distill.assistants=[{architecture: mlp, args: {hidden: [24]}}]")
    events: list[object] = []
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, callbacks=[events.append], recorder=store)
    assert list(result.summary["models"]) == ["teacher", "assistant-1", "student",
                                              "student-int8", "baseline"]
    started = [event.phase for event in events if type(event).__name__ == "PhaseStarted"]
    assert started == ["teacher", "cache", "assistant-1", "student", "baseline", "benchmark"]
    planned = [plan.phase for plan in events[0].plan]
    assert planned == started
    saved = load_checkpoint(tmp_path / "runs" / result.run_id / "ckpt" / "assistant-1.pt")
    assert saved.meta["args"]["hidden"] == [24]
    student = load_checkpoint(tmp_path / "runs" / result.run_id / "ckpt" / "student.pt")
    assert student.meta["args"]["hidden"] == preset.student.args["hidden"]
