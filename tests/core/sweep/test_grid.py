"""Grid parsing and expansion: the cells a sweep runs, and the ids resume relies on."""
from __future__ import annotations

import pytest

from workbench.core.errors import PresetError
from workbench.core.sweep.grid import Axis, expand, parse_axis, parse_grid, seeds_from
from workbench.core.sweep.plan import SweepPlan


def test_cross_product_times_seeds_with_seeds_varying_fastest() -> None:
    axes = parse_grid(["distill.alpha=0.1,0.5,0.9", "distill.temperature=2,4"])
    cells = expand(axes, seeds_from(7, 2))
    assert len(cells) == 3 * 2 * 2
    assert cells[0].overrides == ["distill.alpha=0.1", "distill.temperature=2", "train.seed=7"]
    assert cells[1].overrides == ["distill.alpha=0.1", "distill.temperature=2", "train.seed=8"]
    assert cells[2].values == (("distill.alpha", "0.1"), ("distill.temperature", "4"))
    assert len({cell.cell_id for cell in cells}) == 12
    assert {cell.config_key for cell in cells} == {
        f"distill.alpha={a},distill.temperature={t}" for a in ("0.1", "0.5", "0.9")
        for t in ("2", "4")}


def test_cell_id_is_stable_and_depends_on_seed() -> None:
    axes = (Axis("distill.alpha", ("0.5",)),)
    first, second = expand(axes, (0, 1))
    assert first.cell_id == expand(axes, (0,))[0].cell_id
    assert first.cell_id != second.cell_id


@pytest.mark.parametrize("text, named", [("distill.alpha", "distill.alpha"),
                                         ("distill.alpha=", "distill.alpha"),
                                         ("distill.alpha=0.1,,0.3", "distill.alpha"),
                                         ("distill.alpha=0.1,0.1", "distill.alpha"),
                                         ("=0.1", "=0.1")])
def test_malformed_axis_names_the_key(text: str, named: str) -> None:
    with pytest.raises(PresetError) as caught:
        parse_axis(text)
    assert caught.value.problems[0].path == named


def test_a_key_swept_twice_or_the_seed_is_refused() -> None:
    with pytest.raises(PresetError, match="swept twice"):
        parse_grid(["distill.alpha=0.1", "distill.alpha=0.2"])
    with pytest.raises(PresetError, match="--seeds"):
        parse_grid(["train.seed=1,2"])


def test_sweep_id_follows_preset_grid_and_seeds() -> None:
    axes = (Axis("distill.alpha", ("0.1", "0.5")),)
    plan = SweepPlan("fashion-kd", "fashion-kd", axes, (0, 1))
    assert plan.sweep_id == SweepPlan("fashion-kd", "fashion-kd", axes, (0, 1)).sweep_id
    assert plan.sweep_id.startswith("fashion-kd-")
    assert plan.sweep_id != SweepPlan("fashion-kd", "fashion-kd", axes, (0, 1, 2)).sweep_id
    other = (Axis("distill.alpha", ("0.1", "0.6")),)
    assert plan.sweep_id != SweepPlan("fashion-kd", "fashion-kd", other, (0, 1)).sweep_id
