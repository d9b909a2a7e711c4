"""A sweep's plan: preset, axes and seeds; its id; every cell's preset checked before any run."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import PresetError, Problem
from workbench.core.presets import ExperimentPreset, load_experiment
from workbench.core.sweep.grid import Axis, Cell, expand, seeds_from


@dataclass(frozen=True)
class SweepPlan:
    """What to run. The id hashes preset + grid + seeds, so the same command finds its folder."""

    preset: str  # name or path, as given
    preset_name: str
    axes: tuple[Axis, ...]
    seeds: tuple[int, ...]
    base_overrides: tuple[str, ...] = ()  # ``--set`` for every cell, before the cell's own

    @property
    def sweep_id(self) -> str:
        text = json.dumps([self.preset, [[axis.key, list(axis.values)] for axis in self.axes],
                           list(self.seeds), list(self.base_overrides)])
        return f"{self.preset_name}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"

    @property
    def cells(self) -> list[Cell]:
        return expand(self.axes, self.seeds)

    def to_dict(self) -> dict[str, Any]:
        return {"sweep_id": self.sweep_id, "preset": self.preset,
                "grid": {axis.key: list(axis.values) for axis in self.axes},
                "seeds": list(self.seeds), "set": list(self.base_overrides)}

    def overrides(self, cell: Cell) -> list[str]:
        """Every override of one cell: the sweep's ``--set`` first, then the cell's."""
        return list(self.base_overrides) + cell.overrides


def make_plan(preset: str, axes: tuple[Axis, ...], seed_count: int,
              base_overrides: tuple[str, ...] = ()) -> SweepPlan:
    """Build the plan and validate every cell's preset; raises PresetError naming each bad key.

    Nothing runs until all cells are known to be valid, so a typo in the last
    value cannot waste the hours spent on the first cells.
    """
    if seed_count < 1:
        raise PresetError("--seeds", [Problem("--seeds", f"must be 1 or more, got {seed_count}")])
    base = load_experiment(preset, list(base_overrides))
    plan = SweepPlan(preset, base.name, axes, seeds_from(base.train.seed, seed_count),
                     tuple(base_overrides))
    problems: list[Problem] = []
    for cell in expand(axes, plan.seeds[:1]):  # seeds only change train.seed
        try:
            load_experiment(preset, plan.overrides(cell))
        except PresetError as error:
            problems += [Problem(_named(problem, cell), problem.message)
                         for problem in error.problems if problem not in problems]
    if problems:
        raise PresetError("--grid", _unique(problems))
    return plan


def cell_preset(plan: SweepPlan, cell: Cell) -> ExperimentPreset:
    return load_experiment(plan.preset, plan.overrides(cell))


def _named(problem: Problem, cell: Cell) -> str:
    """The field path, or the cell's settings when the problem has no path of its own."""
    return problem.path or cell.config_key


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: list[Problem] = []
    for problem in problems:
        if problem not in seen:
            seen.append(problem)
    return seen
