"""The teacher pass through onnxruntime: faithful, the same bits however it is split, and
taken by ``auto`` only where it pays."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.core.conftest import tiny_preset
from tests.core.engine.test_teacher_pass import ARCHITECTURES, CPU, images, run, trained_like
from workbench.core.engine import teacher_pass_ort
from workbench.core.engine.loop import predict
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.teacher_pass import PassPlan, pass_plan, plan_path
from workbench.core.errors import PresetError

needs_ort = pytest.mark.skipif(not teacher_pass_ort.onnxruntime_ready(),
                               reason="the [onnxruntime] extra is not installed")
BIG = teacher_pass_ort.MIN_PASS_GFLOP * 1e9


@needs_ort
@pytest.mark.parametrize("architecture,args", ARCHITECTURES)
def test_the_onnxruntime_pass_is_faithful_and_the_same_bits_for_any_threads_and_shards(
        architecture: str, args: dict) -> None:
    model = trained_like(architecture, args)
    inputs = images(300)
    reference = predict(model, inputs)
    first = run(model, inputs, PassPlan(CPU, 1, 1024, channels_last=False,
                                        backend="onnxruntime"))
    assert not torch.equal(first, run(model, inputs, PassPlan(CPU, 1, 1024)))  # really ORT
    for threads, shard in ((2, 1024), (2, 100), (1, 7)):
        again = run(model, inputs, PassPlan(CPU, threads, shard, channels_last=False,
                                            backend="onnxruntime"))
        assert torch.equal(again, first), (threads, shard)
    scale = reference.abs().max().item()
    assert (first - reference).abs().max().item() <= 1e-5 * max(scale, 1.0)
    assert torch.equal(first.argmax(1), reference.argmax(1))


@needs_ort
def test_a_model_that_will_not_export_runs_in_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    model = trained_like(*ARCHITECTURES[2])
    inputs = images(40)
    plan = PassPlan(CPU, 1, 16, channels_last=False, backend="onnxruntime")
    monkeypatch.setattr("workbench.core.engine.teacher_pass.onnx_bytes", lambda *_: None)
    assert torch.equal(run(model, inputs, plan), predict(model.eval(), inputs))


def test_auto_takes_onnxruntime_only_for_a_big_pass_of_a_plain_module_on_the_cpu(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teacher_pass_ort, "onnxruntime_ready", lambda: True)
    model = trained_like(*ARCHITECTURES[2])
    assert plan_path(pass_plan(CPU, mode="auto", model=model, pass_flop=BIG)) == "onnxruntime"
    assert plan_path(pass_plan(CPU, mode="auto", model=model, pass_flop=BIG / 2)) == "torch"
    assert plan_path(pass_plan(CPU, mode="torch", model=model, pass_flop=BIG)) == "torch"
    assert plan_path(pass_plan(CPU, mode="exact", model=model, pass_flop=BIG)) == "exact"
    assert plan_path(pass_plan(torch.device("meta"), mode="auto", model=model,
                               pass_flop=BIG)) == "torch"  # not a CPU
    handle = model.register_forward_hook(lambda *_: None)  # a hook would miss the pass
    assert plan_path(pass_plan(CPU, mode="auto", model=model, pass_flop=BIG)) == "torch"
    handle.remove()
    no_params = nn.Sequential(nn.Flatten())  # a file teacher: runs as it is
    assert plan_path(pass_plan(CPU, mode="auto", model=no_params, pass_flop=BIG)) == "torch"
    monkeypatch.setattr(teacher_pass_ort, "onnxruntime_ready", lambda: False)
    assert plan_path(pass_plan(CPU, mode="auto", model=model, pass_flop=BIG)) == "torch"


def test_onnxruntime_asked_for_but_missing_is_refused_before_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teacher_pass_ort, "onnxruntime_ready", lambda: False)
    started: list[object] = []
    with pytest.raises(PresetError) as refused:
        run_experiment(tiny_preset("data.teacher_pass=onnxruntime"), callbacks=[started.append])
    assert refused.value.problems[0].path == "data.teacher_pass"
    assert "distill-workbench[onnxruntime]" in refused.value.problems[0].message
    assert started == []
