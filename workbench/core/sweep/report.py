"""The sweep's result as one plain object (the CLI's ``--json``, the tables, the window)."""
from __future__ import annotations

from typing import Any

from workbench.core.sweep.aggregate import best, summarize
from workbench.core.sweep.executor import SweepOutcome
from workbench.core.sweep.folder import SweepFolder
from workbench.core.sweep.plan import SweepPlan
from workbench.core.sweep.tables import table_rows


def finish(plan: SweepPlan, folder: SweepFolder, outcome: SweepOutcome) -> dict[str, Any]:
    """Write the results tables and return the documented ``--json`` object."""
    summaries = summarize(plan.cells, outcome.results)
    folder.write_tables(table_rows(summaries))
    top = best(summaries)
    failed = sum(1 for result in outcome.results.values() if result.status != "completed")
    return {**plan.to_dict(), "sweep_dir": str(folder.path),
            "cells": [summary.to_dict() for summary in summaries],
            "best": None if top is None else top.to_dict(),
            "runs": len(plan.cells), "resumed": outcome.skipped, "failed": failed,
            "jobs": outcome.threads.jobs, "threads_per_job": outcome.threads.threads,
            "wall_s": outcome.wall_s}
