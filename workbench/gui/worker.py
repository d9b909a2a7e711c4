"""The training thread: runs ``run_experiment`` off the GUI thread.

The worker owns nothing visible and keeps no status of its own: how a run
ends travels through the event stream (``RunEnded``, via the window's bridge).
Only errors raised before the run starts, when there is no stream yet, come
out as ``rejected``. The window reads the end from the stream and joins the
thread on ``finished``.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QThread, Signal

from workbench.core.errors import DataError, PresetError, RunFailed
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import Event
from workbench.core.stream.status import RunOutcome

if TYPE_CHECKING:
    from workbench.core.engine.teacher_cache import TeacherLogitsCache
    from workbench.core.runs.resume import ResumeStart


class RunWorker(QThread):
    """One run of one preset. Stop/pause go through ``control`` (thread safe).

    Signals:
        rejected: (title, list of "path: message" lines) when the preset, the data
            or anything else fails before the run started (nothing was written).
    """

    rejected = Signal(str, object)

    def __init__(self, preset: ExperimentPreset, runs_dir: Path,
                 consumer: Callable[[Event], None], threads: int | None = None,
                 cache: TeacherLogitsCache | None = None,
                 resume: ResumeStart | None = None) -> None:
        super().__init__()
        self.preset = preset
        self.cache = cache  # the window's, kept for the session
        self.resume = resume  # continue a stopped or crashed run (core.runs.resume)
        self.runs_dir = Path(runs_dir)
        self.consumer = consumer
        self.threads = threads or preset.train.threads or os.cpu_count() or 1
        self.control = RunControl()

    def run(self) -> None:  # noqa: D401 - QThread entry point
        import torch

        from workbench.core.engine.pipeline import run_experiment
        from workbench.core.runs.disk import RunsFolderUnwritable, check_runs_folder
        from workbench.core.runs.store import RunStore

        torch.set_num_threads(self.threads)  # per thread: the GUI thread keeps its own
        outcome = RunOutcome()
        store = RunStore(self.runs_dir, self.preset) if self.resume is None else self.resume.store
        state = None if self.resume is None else self.resume.state
        try:
            check_runs_folder(self.runs_dir)
            run_experiment(self.preset, callbacks=[self.consumer, outcome], control=self.control,
                           recorder=store, cache=self.cache, resume_state=state)
        except RunsFolderUnwritable as problem:
            self.rejected.emit("The runs folder cannot be written", [str(problem)])
        except PresetError as problem:
            self.rejected.emit("The preset cannot run", [str(p) for p in problem.problems])
        except DataError as problem:
            self.rejected.emit("The dataset cannot be loaded", [str(problem)])
        except RunFailed as failure:
            if outcome.ended is None:  # its folder could not be written: no RunEnded came
                self.rejected.emit("The run could not be recorded", [str(failure)])
            # otherwise its RunEnded("failed") already went down the stream
        except Exception as failure:  # noqa: BLE001 - never let a run take the app down
            # run_experiment turns every error after the start into RunFailed, so this
            # one came before the start: there is no RunEnded to carry it.
            self.rejected.emit("The run could not start", [f"{type(failure).__name__}: {failure}"])

    def stop_and_join(self) -> None:
        """Ask the loop to stop, then wait for the thread (never ``terminate``)."""
        self.control.request_stop()
        self.wait()
