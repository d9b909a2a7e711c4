"""Sweep wall time at ``--jobs 1`` vs ``--jobs 2``: the same cells, side by side in one run.

The issue's goal is <= 0.6x for a 3 x 3 x 2-seed fashion-kd sweep at 5 epochs;
``--small`` runs a 2 x 2 x 1 sweep at 2 epochs for a busy machine. Each variant
gets its own runs folder (so nothing resumes); the teacher's outputs are cached
before timing so both variants read them from disk.

    .venv/bin/python benchmarks/sweep_parallel.py [--small] [--out results/sweep_parallel.md]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from workbench.core.engine.threads import free_cores, usable_cores
from workbench.core.sweep.executor import run_sweep
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import make_plan

FULL = (["distill.alpha=0.1,0.5,0.9", "distill.temperature=1,4,8"], 2, 5)
SMALL = (["distill.alpha=0.1,0.9", "distill.temperature=2,8"], 1, 2)


def timed_sweep(grid: list[str], seeds: int, epochs: int, jobs: int, base: Path) -> float:
    plan = make_plan("fashion-kd", parse_grid(grid), seeds, (f"train.epochs={epochs}",))
    started = time.perf_counter()
    outcome = run_sweep(plan, base / f"jobs{jobs}" / "runs", jobs=jobs)
    failed = [r for r in outcome.results.values() if r.status != "completed"]
    assert not failed, failed
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    grid, seeds, epochs = SMALL if args.small else FULL
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        timed_sweep(grid[:1], 1, 1, 1, base / "warm")  # teacher outputs onto disk
        free_before = free_cores(0.5)
        one = timed_sweep(grid, seeds, epochs, 1, base)
        two = timed_sweep(grid, seeds, epochs, 2, base)
    runs = 1
    for axis in parse_grid(grid):
        runs *= len(axis.values)
    lines = [f"# Sweep --jobs 2 vs --jobs 1 (fashion-kd, {' × '.join(grid)}, {seeds} seed(s), "
             f"{epochs} epochs: {runs * seeds} runs)", "",
             f"usable cores: {len(usable_cores())}, free before timing: {free_before}", "",
             "| jobs | wall s | ratio to jobs 1 |", "|---|---|---|",
             f"| 1 | {one:.1f} | 1.00 |", f"| 2 | {two:.1f} | {two / one:.2f} |"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
