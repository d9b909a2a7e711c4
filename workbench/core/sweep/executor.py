"""Run a sweep's pending cells: in this process, or in J spawned worker processes.

Each worker gets ``max(1, free_cores // J)`` torch threads and J is capped at
the free cores, so J × threads never exceeds them: oversubscribed cores make
every run slower than running one after another.
"""
from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from workbench.core.engine.threads import free_cores, usable_cores
from workbench.core.stream.control import RunControl
from workbench.core.sweep.cell_run import CellJob, CellResult, run_cell
from workbench.core.sweep.folder import SweepFolder
from workbench.core.sweep.grid import Cell
from workbench.core.sweep.plan import SweepPlan
from workbench.core.sweep.ray_backend import run_on_ray

CellDone = Callable[[Cell, CellResult], None]


@dataclass(frozen=True)
class ThreadPlan:
    jobs: int  # worker processes actually started
    threads: int | None  # torch threads per worker; None: one job, the engine chooses


def thread_plan(jobs: int, cores: int, free: int | None = None) -> ThreadPlan:
    """Workers and threads per worker for ``jobs`` asked on ``cores`` usable cores.

    Workers are capped at the cores and threads are ``max(1, free // workers)``,
    with ``free`` (<= cores) the cores other programs leave idle: workers ×
    threads never exceeds the cores.
    """
    cores = max(1, cores)
    free = cores if free is None else max(1, min(free, cores))
    workers = max(1, min(jobs, cores))
    if jobs == 1:
        return ThreadPlan(1, None)
    return ThreadPlan(workers, max(1, free // workers))


@dataclass(frozen=True)
class SweepOutcome:
    results: dict[str, CellResult]  # by cell id, resumed cells included
    skipped: int  # cells finished by an earlier invocation
    wall_s: float
    threads: ThreadPlan


def run_sweep(plan: SweepPlan, runs_dir: Path, jobs: int = 1, on_cell: CellDone | None = None,
              control: RunControl | None = None, cores: int | None = None,
              backend: str = "local") -> SweepOutcome:
    """Run every cell not finished yet; records each as it ends (so a rerun resumes).

    Args:
        jobs: worker processes (local) or the CPUs of the machine each Ray task plans for.
        cores: the usable and free cores to plan for (tests); measured when None.
        backend: "local" or "ray" (Ray tasks; the caller checks ``require_ray`` first).
    """
    started = time.perf_counter()
    folder = SweepFolder(runs_dir, plan)
    folder.write_plan()
    results = folder.finished()
    pending = [cell for cell in plan.cells if cell.cell_id not in results]
    threads = thread_plan(jobs, len(usable_cores()) if cores is None else cores,
                          free_cores() if cores is None else cores)

    def done(cell: Cell, result: CellResult) -> None:
        folder.record(cell, result)
        results[cell.cell_id] = result
        if on_cell is not None:
            on_cell(cell, result)

    shared = str(folder.path / "shared")
    jobs_for = {cell.cell_id: _job(plan, cell, runs_dir, threads.threads, shared)
                for cell in pending}
    if backend == "ray":
        run_on_ray(pending, jobs_for, threads.threads or 1, done)
    elif threads.jobs == 1:
        _run_here(pending, jobs_for, done, control or RunControl())
    else:
        _run_in_workers(pending, jobs_for, threads.jobs, done, control or RunControl())
    skipped = len(plan.cells) - len(pending)
    return SweepOutcome(results, skipped, time.perf_counter() - started, threads)


def _job(plan: SweepPlan, cell: Cell, runs_dir: Path, threads: int | None,
         shared: str) -> CellJob:
    return CellJob(plan.preset, tuple(plan.overrides(cell)), cell.cell_id, str(runs_dir), threads,
                   shared)


def _run_here(cells: list[Cell], jobs: dict[str, CellJob], done: CellDone,
              control: RunControl) -> None:
    for cell in cells:
        if control.stop_requested:
            return
        done(cell, run_cell(jobs[cell.cell_id], control))


def _run_in_workers(cells: list[Cell], jobs: dict[str, CellJob], workers: int, done: CellDone,
                    control: RunControl) -> None:
    """Spawned (not forked) workers: a fork of a process with torch threads can deadlock."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        waiting: dict[Future[CellResult], Cell] = {}
        queue = list(cells)
        while queue or waiting:
            while queue and len(waiting) < workers and not control.stop_requested:
                cell = queue.pop(0)
                waiting[pool.submit(run_cell, jobs[cell.cell_id])] = cell
            if not waiting:
                return
            finished, _ = wait(waiting, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                cell = waiting.pop(future)
                done(cell, _outcome(future, jobs[cell.cell_id]))


def _outcome(future: Future[CellResult], job: CellJob) -> CellResult:
    """The worker's result; a worker that died (or raised) makes a failed cell, not a crash."""
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - one cell's failure is recorded, the sweep goes on
        return CellResult(job.cell_id, "failed", None, None,
                          error=f"{type(error).__name__}: {error}")
