"""The fast teacher pass: faithful logits, shards in order, progress with rate and ETA."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from workbench.core.engine.loop import predict
from workbench.core.engine.teacher_cache import cache_path, teacher_logits
from workbench.core.engine.teacher_pass import (PassPlan, ShardMeter, inference_copy,
                                                pass_predictor, pass_threads, shard_bounds)
from workbench.core.measure.machine import torch_threads
from workbench.core.models.build import build_model
from workbench.core.stream.events import PhaseProgress

CPU = torch.device("cpu")
SHAPE = (1, 28, 28)
# The bundled teacher-like architectures (model presets fashion-cnn(-teacher), resnet-small,
# synthetic-cnn), built small enough for a test.
ARCHITECTURES = [("cnn", {"channels": [32, 64], "convs_per_block": 2, "batch_norm": True,
                          "hidden": 256, "dropout": 0.3}),
                 ("resnet", {"width": 16, "blocks": [1, 1, 1]}),
                 ("cnn", {"channels": [16, 32], "convs_per_block": 1, "batch_norm": True,
                          "hidden": 64})]


def trained_like(architecture: str, args: dict) -> nn.Module:
    """A model with non-trivial batch-norm statistics, as a trained teacher has."""
    torch.manual_seed(0)
    model = build_model(architecture, args, SHAPE, 10)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model


def images(count: int) -> torch.Tensor:
    return torch.rand(count, *SHAPE, generator=torch.Generator().manual_seed(1))


def run(model: nn.Module, inputs: torch.Tensor, plan: PassPlan) -> torch.Tensor:
    with pass_threads(plan):
        return pass_predictor(model, plan)(inputs)


@pytest.mark.parametrize("architecture,args", ARCHITECTURES)
def test_the_nchw_float32_pass_is_bit_identical_to_predict(architecture: str, args: dict) -> None:
    model = trained_like(architecture, args)
    inputs = images(300)
    reference = predict(model, inputs)
    for threads, shard in ((1, 1024), (2, 128)):
        logits = run(model, inputs, PassPlan(CPU, threads, shard, channels_last=False))
        assert torch.equal(logits, reference), (threads, shard)


@pytest.mark.parametrize("architecture,args", ARCHITECTURES)
def test_the_channels_last_pass_is_faithful_and_independent_of_threads_and_shards(
        architecture: str, args: dict) -> None:
    """The cache must not depend on how busy the machine was: same bits for any thread
    count (and shard size), and within float32 rounding of predict's NCHW logits.

    (Batches of under 8 rows at 2 threads may sum differently in the dense layers, in
    ``loop.predict`` too; the pass's shapes are fixed by the dataset, not the machine.)"""
    model = trained_like(architecture, args)
    inputs = images(300)
    reference = predict(model, inputs)
    first = run(model, inputs, PassPlan(CPU, 1, 1024))
    for threads, shard in ((2, 1024), (2, 100), (1, 100), (1, 7)):
        assert torch.equal(run(model, inputs, PassPlan(CPU, threads, shard)), first)
    scale = reference.abs().max().item()
    assert (first - reference).abs().max().item() <= 1e-5 * max(scale, 1.0)
    assert torch.equal(first.argmax(1), reference.argmax(1))


def test_the_callers_teacher_keeps_its_layout_and_mode() -> None:
    model = trained_like(*ARCHITECTURES[0]).train()
    run(model, images(10), PassPlan(CPU, 1))
    assert model.training  # the copy was put in eval mode, not the caller's model
    weight = model[3].weight  # the second convolution: 32 input channels
    assert weight.is_contiguous() and not weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("rows,size", [(0, 4), (1, 4), (8, 4), (10, 4), (2500, 1024)])
def test_shards_cover_every_row_once_in_order(rows: int, size: int) -> None:
    bounds = shard_bounds(rows, size)
    covered = [row for start, stop in bounds for row in range(start, stop)]
    assert covered == list(range(rows))
    assert all(0 < stop - start <= size for start, stop in bounds)


class RowIndex(nn.Module):
    """Outputs each image's first pixel: the row's own index when the images hold it."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.flatten(1)[:, :1]


def test_the_pass_returns_rows_in_order_and_reports_each_shard() -> None:
    inputs = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1).expand(10, 1, 2, 2)
    reported: list[int] = []
    logits = pass_predictor(RowIndex(), PassPlan(CPU, 1, 4))(inputs, on_batch=reported.append)
    assert logits.flatten().tolist() == list(range(10))
    assert reported == [4, 4, 2]


def test_shard_meter_counts_shards_with_rate_and_eta() -> None:
    events: list[PhaseProgress] = []
    now = [100.0]
    meter = ShardMeter(events.append, shards=3, images=2500, clock=lambda: now[0])
    for rows, seconds in ((1000, 2.0), (1000, 2.0), (500, 1.0)):
        now[0] += seconds
        meter(rows)
    assert [(e.phase, e.step, e.shards, e.images) for e in events] == [
        ("cache", 1, 3, 1000), ("cache", 2, 3, 2000), ("cache", 3, 3, 2500)]
    assert [e.images_per_s for e in events] == [500.0, 500.0, 500.0]
    assert [e.eta_s for e in events] == [3.0, 1.0, 0.0]


def test_the_cache_writes_the_fast_pass_logits(tmp_path) -> None:
    model = trained_like(*ARCHITECTURES[2])
    train, test = images(50), images(20)
    plan = PassPlan(CPU, 1, 16)
    counted: list[int] = []
    got_train, got_test, origin = teacher_logits(model, train, test, "k", tmp_path,
                                                 on_batch=counted.append, plan=plan)
    assert origin == "computed" and counted == [16, 16, 16, 2, 16, 4]
    assert torch.equal(got_train, run(model, train, plan))
    assert torch.equal(got_test, run(model, test, plan))
    stored = torch.load(cache_path("k", tmp_path), weights_only=True)
    assert torch.equal(stored["train"], got_train)


def test_the_pass_runs_on_its_own_thread_count_and_restores_the_runs() -> None:
    seen: list[int] = []

    class Spy(nn.Module):
        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            seen.append(torch.get_num_threads())
            return inputs.flatten(1)

    with torch_threads(1):
        with pass_threads(PassPlan(CPU, 2)):
            pass_predictor(Spy(), PassPlan(CPU, 2))(images(2))
        assert torch.get_num_threads() == 1
    assert seen == [2]


def test_a_cuda_plan_keeps_the_cpu_threads_alone() -> None:
    """Device selection: a GPU pass does not touch the CPU thread count."""
    with torch_threads(1), pass_threads(PassPlan(torch.device("cuda"), 2)):
        assert torch.get_num_threads() == 1


def test_inference_copy_leaves_models_without_convolutions_as_they_are() -> None:
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    assert inference_copy(mlp, PassPlan(CPU, 1)) is mlp


def test_a_torchscript_teacher_runs_as_saved_and_matches_predict_exactly() -> None:
    model = torch.jit.script(trained_like(*ARCHITECTURES[2]).eval())
    inputs = images(40)
    assert torch.equal(run(model, inputs, PassPlan(CPU, 1, 16)), predict(model, inputs))


class Branchy(nn.Module):
    """A forward torch.fx cannot trace (control flow on a tensor's value)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.norm = nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        features = self.norm(self.conv(inputs))
        if features.sum() > 0:
            features = features * 2
        return features.flatten(1)


def test_batch_norms_are_folded_where_torch_fx_can_trace_and_kept_where_not() -> None:
    folded = inference_copy(trained_like(*ARCHITECTURES[0]), PassPlan(CPU, 1))
    assert not any(isinstance(module, nn.BatchNorm2d) for module in folded.modules())
    model = Branchy().eval()
    kept = inference_copy(model, PassPlan(CPU, 1))
    assert any(isinstance(module, nn.BatchNorm2d) for module in kept.modules())
    inputs = images(20)
    assert torch.allclose(run(model, inputs, PassPlan(CPU, 1)), predict(model, inputs),
                          atol=1e-5)


def test_a_forward_hook_on_the_teacher_sees_every_shard_of_the_pass() -> None:
    model = trained_like(*ARCHITECTURES[0])
    seen: list[int] = []
    model.register_forward_hook(lambda _module, _inputs, output: seen.append(output.shape[0]))
    run(model, images(40), PassPlan(CPU, 1, 16))
    assert seen == [16, 16, 8]


@pytest.mark.parametrize("architecture,args", ARCHITECTURES)
def test_the_exact_plan_gives_predicts_bits_and_the_fast_one_does_not(
        architecture: str, args: dict) -> None:
    """``data.teacher_pass: exact`` is the teacher's own forward; the default folds batch
    norms and changes the layout (the last bits move): the option has to matter."""
    from workbench.core.engine.teacher_pass import pass_plan

    model = trained_like(architecture, args)
    inputs = images(300)
    reference = predict(model, inputs)
    assert torch.equal(run(model, inputs, pass_plan(CPU, mode="exact")), reference)
    if architecture == "cnn" and args["batch_norm"] and args["convs_per_block"] == 2:
        assert not torch.equal(run(model, inputs, pass_plan(CPU)), reference)


def test_logits_of_each_pass_never_share_a_cache_file() -> None:
    from workbench.core.engine.teacher_cache import cache_key

    keys = {path: cache_key("w", "d", 10, path) for path in ("exact", "torch", "onnxruntime")}
    assert len(set(keys.values())) == 3
    assert cache_key("w", "d", 10) == keys["torch"]
