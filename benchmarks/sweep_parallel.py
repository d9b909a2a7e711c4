"""Sweep wall time at ``--jobs 1`` vs ``--jobs 2``: the same cells, side by side in one run.

The issue's goal is <= 0.6x for a 3 x 3 x 2-seed fashion-kd sweep at 5 epochs;
``--small`` runs a 2 x 2 x 1 sweep at 2 epochs. Each variant gets its own runs
folder (so nothing resumes); the teacher's outputs are cached before timing so
both variants read them from disk.

Besides the wall times it prints where the time went (the profile behind the
ratio): each phase's total over the runs (from the runs' own ``timings``), the
time inside runs that no phase counts (dataset, models, writing), the time
outside runs (worker start, scheduling), the CPU seconds this process and its
workers used, and the load other programs put on the machine meanwhile, which
bounds what a second worker can win: with L other busy processes on C cores a
fair scheduler gives J workers ``min(J, C·J/(L+J))`` cores.

    .venv/bin/python benchmarks/sweep_parallel.py [--small] [--out results/sweep_parallel.md]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from workbench.core.engine.threads import free_cores, usable_cores
from workbench.core.stream.control import RunControl
from workbench.core.sweep import executor
from workbench.core.sweep.cell_run import CellJob, CellResult, run_cell
from workbench.core.sweep.executor import run_sweep
from workbench.core.sweep.grid import parse_grid
from workbench.core.sweep.plan import make_plan

FULL = (["distill.alpha=0.1,0.5,0.9", "distill.temperature=1,4,8"], 2, 5)
SMALL = (["distill.alpha=0.1,0.9", "distill.temperature=2,8"], 1, 2)
PHASES = ("cache_s", "student_s", "baseline_s", "benchmark_s")


def autogroup() -> str:
    """Linux's autogroup shares the CPU between sessions, not processes: with it on, a
    second worker in the same session gets no more of a contended machine than one."""
    try:
        enabled = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip()
    except OSError:
        return "autogroup: unknown"
    return f"autogroup scheduling: {'on' if enabled == '1' else 'off'}"


def _cpu_s() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_timed_cell(job: CellJob, control: RunControl | None = None) -> CellResult:
    """``run_cell``, plus the CPU seconds the cell cost its process (in its run folder):
    CPU time does not grow when other programs take the cores, wall time does."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    before, started = own.ru_utime + own.ru_stime, time.perf_counter()
    result = run_cell(job, control)
    own = resource.getrusage(resource.RUSAGE_SELF)
    if result.run_dir:
        (Path(result.run_dir) / "cpu.json").write_text(json.dumps(
            {"cpu_s": own.ru_utime + own.ru_stime - before,
             "wall_s": time.perf_counter() - started}))
    return result


def timed_sweep(grid: list[str], seeds: int, epochs: int, jobs: int, base: Path) -> dict[str, Any]:
    plan = make_plan("fashion-kd", parse_grid(grid), seeds, (f"train.epochs={epochs}",))
    load_before, cpu_before = os.getloadavg()[0], _cpu_s()
    started = time.perf_counter()
    outcome = run_sweep(plan, base / f"jobs{jobs}" / "runs", jobs=jobs)
    wall = time.perf_counter() - started
    failed = [r for r in outcome.results.values() if r.status != "completed"]
    assert not failed, failed
    summaries = [json.loads((Path(r.run_dir) / "summary.json").read_text())
                 for r in outcome.results.values() if r.run_dir]
    phases = {name: sum(s["timings"].get(name, 0.0) for s in summaries) for name in PHASES}
    in_runs = sum(s["ended"] - s["started"] for s in summaries)
    cells = [json.loads((Path(r.run_dir) / "cpu.json").read_text())
             for r in outcome.results.values() if r.run_dir]
    return {"jobs": jobs, "wall": wall, "phases": phases, "in_runs": in_runs,
            "unphased": in_runs - sum(phases.values()), "cpu": _cpu_s() - cpu_before,
            "cell_cpu": sum(c["cpu_s"] for c in cells),
            "cell_wall": sum(c["wall_s"] for c in cells),
            "load": (load_before, os.getloadavg()[0]), "threads": outcome.threads,
            "threads_used": sorted({r.threads_used for r in outcome.results.values()})}


def _profile(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| | " + " | ".join(f"jobs {row['jobs']}" for row in rows) + " |",
             "|---|" + "---|" * len(rows)]

    def line(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    line("wall s", [f"{row['wall']:.1f}" for row in rows])
    for name in PHASES:
        line(f"{name[:-2]} phase, summed over runs, s",
             [f"{row['phases'][name]:.1f}" for row in rows])
    line("in runs but no phase (data, models, files), s",
         [f"{row['unphased']:.1f}" for row in rows])
    line("run time summed over runs, s", [f"{row['in_runs']:.1f}" for row in rows])
    line("CPU s (this process + workers)", [f"{row['cpu']:.1f}" for row in rows])
    line("CPU s inside cells", [f"{row['cell_cpu']:.1f}" for row in rows])
    line("CPU s outside cells (worker start, imports, scheduling)",
         [f"{row['cpu'] - row['cell_cpu']:.1f}" for row in rows])
    line("cells' wall s, summed", [f"{row['cell_wall']:.1f}" for row in rows])
    line("cores used on average (CPU s / wall s)",
         [f"{row['cpu'] / row['wall']:.2f}" for row in rows])
    line("torch threads per run", [str(row["threads_used"]) for row in rows])
    line("1-min load average before → after", [f"{a:.1f} → {b:.1f}" for a, b in
                                              (row["load"] for row in rows)])
    return lines


def _fixed_loop(barrier: Any, queue: Any, steps: int) -> None:
    """A 1-thread MLP training loop on one batch: CPU work with no data, files or start-up."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters())
    inputs, labels = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))

    def step() -> None:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()

    for _ in range(20):
        step()
    barrier.wait()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    queue.put(time.perf_counter() - started)


def _side_by_side(copies: int, steps: int) -> float:
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(copies), context.Queue()
    workers = [context.Process(target=_fixed_loop, args=(barrier, queue, steps))
               for _ in range(copies)]
    for worker in workers:
        worker.start()
    seconds = max(queue.get() for _ in workers)
    for worker in workers:
        worker.join()
    return seconds


def ceiling(rounds: int = 3, steps: int = 3000) -> list[str]:
    """The best ``--jobs 2`` / ``--jobs 1`` any CPU-bound work can reach here: the same
    fixed loop alone and as two copies at once (started together), rounds alternating."""
    ratios = []
    for _ in range(rounds):
        alone, pair = _side_by_side(1, steps), _side_by_side(2, steps)
        ratios.append(pair / (2 * alone))
    return [f"Ceiling: a fixed 1-thread training loop, two copies at once vs one alone, "
            f"{rounds} rounds: the same work in **{statistics.median(ratios):.2f}×** the time "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}): what two workers can reach "
            f"when nothing but computing is shared."]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    grid, seeds, epochs = SMALL if args.small else FULL
    executor.run_cell = cpu_timed_cell  # type: ignore[assignment]  # workers pickle it by name
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
             f"usable cores: {len(usable_cores())}, free before timing: {free_before}, "
             f"{autogroup()}", "",
             "| jobs | wall s | ratio to jobs 1 |", "|---|---|---|",
             f"| 1 | {one['wall']:.1f} | 1.00 |",
             f"| 2 | {two['wall']:.1f} | {two['wall'] / one['wall']:.2f} |", "",
             "## Where the time went", "", *_profile([one, two]), "",
             f"CPU-bound projection for two idle cores (wall = CPU s at jobs 1, CPU s / 2 at "
             f"jobs 2, i.e. perfect balance and no slowdown from sharing caches): "
             f"**{two['cpu'] / (2 * one['cpu']):.2f}×**", "", *ceiling()]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
