"""The sweep folder ``sweeps/<id>/`` next to the runs folder: plan, one record per cell, tables.

Cell records are written as each cell ends, so an interrupted sweep knows
which cells are done; the runs themselves stay ordinary run folders.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from workbench.core.files import atomic_write_json, atomic_write_text
from workbench.core.sweep.cell_run import CellResult
from workbench.core.sweep.grid import Cell
from workbench.core.sweep.plan import SweepPlan


def sweeps_dir(runs_dir: Path) -> Path:
    """``<runs folder>/../sweeps``: beside the runs, not inside (run listings stay runs only)."""
    return Path(runs_dir).resolve().parent / "sweeps"


class SweepFolder:
    def __init__(self, runs_dir: Path, plan: SweepPlan, path: Path | None = None) -> None:
        self.plan = plan
        self.path = Path(path) if path is not None else sweeps_dir(runs_dir) / plan.sweep_id

    def write_plan(self) -> None:
        atomic_write_text(self.path / "plan.yaml", yaml.safe_dump(self.plan.to_dict(),
                                                                  sort_keys=False))

    def record(self, cell: Cell, result: CellResult) -> None:
        payload = {"values": dict(cell.values), "seed": cell.seed, **result.to_dict()}
        atomic_write_json(self.path / "cells" / f"{cell.cell_id}.json", payload)

    def finished(self) -> dict[str, CellResult]:
        """Completed cells by id; unreadable, failed or stopped records run again."""
        done: dict[str, CellResult] = {}
        for cell in self.plan.cells:
            result = _read(self.path / "cells" / f"{cell.cell_id}.json")
            if result is not None and result.status == "completed":
                done[cell.cell_id] = result
        return done

    def write_tables(self, rows: list[dict[str, Any]]) -> None:
        """``results.csv`` and ``results.md``: one row per configuration, mean ± std over seeds."""
        from workbench.core.sweep.tables import csv_text, markdown_text

        atomic_write_text(self.path / "results.csv", csv_text(rows))
        atomic_write_text(self.path / "results.md", markdown_text(rows))


def open_sweep(path: Path) -> tuple[SweepPlan, dict[str, CellResult]]:
    """A sweep folder read back: its plan and its completed cells (for a window or a picture)."""
    from workbench.core.sweep.grid import Axis

    data = yaml.safe_load((Path(path) / "plan.yaml").read_text(encoding="utf-8"))
    axes = tuple(Axis(str(key), tuple(str(value) for value in values))
                 for key, values in (data.get("grid") or {}).items())
    plan = SweepPlan(str(data["preset"]), str(data["sweep_id"]).rsplit("-", 1)[0], axes,
                     tuple(int(seed) for seed in data["seeds"]),
                     tuple(str(item) for item in data.get("set") or ()))
    return plan, SweepFolder(Path(path), plan, path=Path(path)).finished()


def _read(path: Path) -> CellResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = CellResult.__dataclass_fields__
        return CellResult(**{key: data.get(key) for key in fields})
    except (OSError, ValueError, TypeError):
        return None
