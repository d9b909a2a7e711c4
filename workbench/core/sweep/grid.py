"""A sweep's grid: ``KEY=V1,V2`` axes, expanded to cells (one per combination and seed)."""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass

from workbench.core.errors import PresetError, Problem


@dataclass(frozen=True)
class Axis:
    """One swept key and its values, kept as the text the user typed (YAML-parsed later)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One run of the sweep: a combination of the axes' values and one seed."""

    values: tuple[tuple[str, str], ...]  # (key, value) in axis order
    seed: int

    @property
    def overrides(self) -> list[str]:
        """``--set`` strings for this cell, the seed last."""
        return [f"{key}={value}" for key, value in self.values] + [f"train.seed={self.seed}"]

    @property
    def config_key(self) -> str:
        """The cell's settings without the seed: the group its seeds are averaged over."""
        return ",".join(f"{key}={value}" for key, value in self.values)

    @property
    def cell_id(self) -> str:
        """Stable id from the overrides and the seed: how resume knows a finished cell."""
        text = json.dumps([list(self.values), self.seed])
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def parse_axis(text: str) -> Axis:
    """``distill.alpha=0.1,0.5`` -> Axis; raises PresetError naming the key when malformed."""
    key, sep, values_text = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise PresetError("--grid", [Problem(text, "expected KEY=V1,V2,..., "
                                             "e.g. distill.alpha=0.1,0.5,0.9")])
    values = tuple(value.strip() for value in values_text.split(","))
    if not values_text.strip() or any(not value for value in values):
        raise PresetError("--grid", [Problem(key, "needs one or more comma-separated "
                                             f"values, got '{values_text}'")])
    if len(set(values)) != len(values):
        raise PresetError("--grid", [Problem(key, f"repeats a value: '{values_text}'")])
    return Axis(key, values)


def parse_grid(texts: list[str]) -> tuple[Axis, ...]:
    """Every ``--grid`` argument; a key given twice is an error (which values would win?)."""
    axes = tuple(parse_axis(text) for text in texts)
    keys = [axis.key for axis in axes]
    for key in keys:
        if keys.count(key) > 1:
            raise PresetError("--grid", [Problem(key, "is swept twice; give its values "
                                                 "in one --grid")])
    if "train.seed" in keys:
        raise PresetError("--grid", [Problem("train.seed", "is set by --seeds; sweep "
                                             "other keys")])
    return axes


def seeds_from(base_seed: int, count: int) -> tuple[int, ...]:
    """``count`` seeds starting at the preset's own: base, base + 1, ..."""
    return tuple(base_seed + offset for offset in range(count))


def expand(axes: tuple[Axis, ...], seeds: tuple[int, ...]) -> list[Cell]:
    """The cross product of the axes, times the seeds; seeds vary fastest."""
    combos = itertools.product(*[[(axis.key, value) for value in axis.values] for axis in axes])
    return [Cell(tuple(combo), seed) for combo in combos for seed in seeds]
