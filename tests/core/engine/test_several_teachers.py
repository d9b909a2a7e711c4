"""Several teachers: each cached once, fused with the declared weights, each in the JSON."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from workbench.core.distill.fusion import fuse
from workbench.core.engine.ensemble import cache_team
from workbench.core.engine.loop import PREDICT_BATCH, predict
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.engine.teacher_source import load_team
from workbench.core.engine.loop import Hooks
from workbench.core.engine.phases import cache_steps
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import PhaseEnded, PhaseProgress, PhaseStarted

from tests.core.conftest import tiny_preset
from tests.core.engine.test_context import context

TEAM = "teacher=[synthetic-cnn, synthetic-mlp]"


def cache_events(ctx: Any, members: Any, folder: Path) -> tuple[dict[str, Any], int]:
    """The cache phase's end metrics and how many batches of teacher inference it reported."""
    events: list[Any] = []
    ctx.hooks = Hooks(events.append, RunControl())
    cache_team(ctx, members, folder)
    [ended] = [event for event in events if isinstance(event, PhaseEnded)]
    return ended.metrics, sum(isinstance(event, PhaseProgress) for event in events)


def test_each_teacher_is_run_once_and_the_fused_targets_use_confidence_weights(
        tmp_path: Path) -> None:
    ctx = context(TEAM, "distill.fusion=confidence")
    members = load_team(ctx)
    assert [member.name for member in members] == ["teacher-1", "teacher-2"]
    ctx.logits_cache = TeacherLogitsCache()
    metrics, batches = cache_events(ctx, members, tmp_path)
    assert metrics["origin"] == "computed,computed"
    one_pass = (-(-ctx.data.inputs.shape[0] // PREDICT_BATCH)
                + -(-ctx.data.test_inputs.shape[0] // PREDICT_BATCH))
    assert batches == 2 * one_pass == cache_steps(ctx, 2)  # each teacher over every image once
    assert len(list((tmp_path / "teacher-logits").glob("*.pt"))) == 2  # one file per teacher
    outputs = [predict(member.module, ctx.data.inputs) for member in members]
    expected = fuse(outputs, ctx.data.labels, "confidence")
    assert torch.allclose(ctx.teacher_logits, expected, atol=1e-4)
    assert not torch.allclose(ctx.teacher_logits, fuse(outputs), atol=1e-3)  # weights applied
    assert set(ctx.member_test_logits) == {"teacher-1", "teacher-2"}
    metrics, batches = cache_events(ctx, members, tmp_path)  # again: nothing recomputed
    assert metrics["origin"] == "memory,memory" and batches == 0


@pytest.fixture(scope="module")
def team_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("team")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_CACHE_DIR", str(base / "cache"))
        preset = tiny_preset("train.epochs=1", TEAM, "distill.fusion=confidence")
        events: list[Any] = []
        result = run_experiment(preset, callbacks=[events.append])
    return preset, result, events, base


def test_the_summary_has_the_ensemble_and_each_member(team_run: Any) -> None:
    preset, result, events, base = team_run
    models = result.summary["models"]
    assert list(models)[:3] == ["teacher", "teacher-1", "teacher-2"]
    assert models["teacher"]["params"] == models["teacher-1"]["params"] + models["teacher-2"]["params"]
    assert models["teacher"]["flops"] == models["teacher-1"]["flops"] + models["teacher-2"]["flops"]
    stored = [torch.load(path, weights_only=True)
              for path in sorted((base / "cache" / "teacher-logits").glob("*.pt"))]
    assert len(stored) == 2
    fused_test = fuse([entry["test"] for entry in stored])  # the mean: no label at test time
    from workbench.core.data.prepare import load_dataset, prepare
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed, torch.device("cpu"))
    accuracy = (fused_test.argmax(1) == data.test_labels).float().mean().item()
    assert models["teacher"]["accuracy"] == pytest.approx(accuracy)
    assert result.summary["distill"]["fusion"] == "confidence"


def test_each_member_is_trained_and_cached_in_its_own_phase(team_run: Any) -> None:
    _preset, result, events, _base = team_run
    started = [event.phase for event in events if isinstance(event, PhaseStarted)]
    assert started == ["teacher-1", "teacher-2", "cache", "student", "baseline", "benchmark"]
    assert [plan.phase for plan in events[0].plan] == started
    cache_plan = next(plan for plan in events[0].plan if plan.phase == "cache")
    progress = [event for event in events if isinstance(event, PhaseProgress)
                and event.phase == "cache"]
    assert len(progress) == cache_plan.steps_per_epoch  # both teachers, counted once each


def test_a_recorded_member_joins_the_fusion_and_the_figures(tmp_path: Path) -> None:
    import numpy as np

    from workbench.core.engine.ensemble import team_figures

    probe = context()
    rows, tests = probe.data.inputs.shape[0], probe.data.test_inputs.shape[0]
    recorded = tmp_path / "recorded.npz"
    generator = np.random.default_rng(0)
    np.savez(recorded, train=generator.normal(size=(rows, 10)).astype(np.float32),
             test=generator.normal(size=(tests, 10)).astype(np.float32))
    ctx = context(f"teacher=[synthetic-mlp, {recorded}]")
    members = load_team(ctx)
    models = cache_team(ctx, members, tmp_path)
    assert list(models) == ["teacher-1"]  # no ensemble module: one member is only outputs
    fused = fuse([ctx.member_test_logits["teacher-1"], ctx.member_test_logits["teacher-2"]])
    assert torch.allclose(ctx.teacher_test_logits, fused)
    figures = team_figures(ctx, members, {"teacher-1": {"accuracy": 0.5}, "student": {}})
    assert list(figures) == ["teacher", "teacher-1", "teacher-2", "student"]
    accuracy = (fused.argmax(1) == ctx.data.test_labels).float().mean().item()
    assert figures["teacher"]["accuracy"] == pytest.approx(accuracy)
    assert figures["teacher"]["params"] is None
