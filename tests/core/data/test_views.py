"""Fixed augmented views: each view is what it says, reproducible, and carries its own target."""
from __future__ import annotations

import torch

from workbench.core.data.views import (MAX_SHIFT, ViewTrainSet, make_views, predict_views, render,
                                       view_of)


def images(count: int = 4) -> torch.Tensor:
    return torch.arange(count * 2 * 6 * 6, dtype=torch.float32).view(count, 2, 6, 6)


def test_render_flips_then_shifts_each_row_with_edges_repeated() -> None:
    x = images(2)
    out = render(x, torch.tensor([False, True]), torch.tensor([[0, 0], [1, -2]]))
    assert torch.equal(out[0], x[0])
    flipped = x[1].flip(2)
    # shifted down by 1 (row 0 repeats the edge row) and left by 2 (last columns repeat)
    assert torch.equal(out[1][:, 1:, :4], flipped[:, :5, 2:])
    assert torch.equal(out[1][:, 0, :4], flipped[:, 0, 2:])
    assert torch.equal(out[1][:, 1:, 4], flipped[:, :5, 5])


def test_view_zero_is_the_image_and_views_are_fixed_by_the_seed() -> None:
    plan = make_views(4, 50, seed=7)
    assert not plan.flips[0].any() and not plan.shifts[0].any()
    again, other = make_views(4, 50, seed=7), make_views(4, 50, seed=8)
    assert torch.equal(plan.flips, again.flips) and torch.equal(plan.shifts, again.shifts)
    assert not torch.equal(plan.shifts, other.shifts)
    assert plan.shifts.abs().max() <= MAX_SHIFT and plan.flips[1:].any()


def test_a_batch_pairs_each_view_with_the_target_of_that_view() -> None:
    x = images(5)
    plan = make_views(3, 5, seed=1)
    rows = torch.tensor([1, 3, 4])
    # the target of (view v, image i) is row v * 5 + i of a views tensor
    marks = torch.arange(15, dtype=torch.float32).unsqueeze(1)
    train = ViewTrainSet(x, torch.arange(5), rows, {"probs": marks}, plan=plan)
    assert len(train) == 9 and train.images == 3
    batch = train.take(torch.tensor([0, 4, 8]))  # (view 0, row 1), (view 1, row 3), (view 2, row 4)
    assert batch.extras["probs"].squeeze(1).tolist() == [1.0, 8.0, 14.0]
    assert batch.labels.tolist() == [1, 3, 4]
    for slot, (view, row) in enumerate([(0, 1), (1, 3), (2, 4)]):
        assert torch.equal(batch.inputs[slot], view_of(x, plan, view, torch.tensor([row]))[0])


def test_predict_views_lays_outputs_out_view_by_view() -> None:
    x = images(3)
    plan = make_views(2, 3, seed=2)
    out = predict_views(lambda chunk: chunk.flatten(1).sum(1, keepdim=True), x, plan, chunk=2)
    assert out.shape == (6, 1)
    second = view_of(x, plan, 1, torch.arange(3)).flatten(1).sum(1, keepdim=True)
    assert torch.equal(out[3:], second) and torch.equal(out[:3], x.flatten(1).sum(1, keepdim=True))
