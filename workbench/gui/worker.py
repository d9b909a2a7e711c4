"""The training thread: runs ``run_experiment`` off the GUI thread.

The worker owns nothing visible; it reports through the bridge's signals and,
at the very end, through ``finished_run`` with the exit code a front-end uses
(0 completed, 1 failed, 130 stopped, 2 bad preset or data).
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from workbench.core.stream.control import RunControl
from workbench.core.errors import DataError, PresetError, RunFailed
from workbench.core.presets.experiment import ExperimentPreset
from workbench.gui.bridge import EventBridge

EXIT_CODES = {"completed": 0, "failed": 1, "stopped": 130, "rejected": 2}


class RunWorker(QThread):
    """One run of one preset. Stop/pause go through ``control`` (thread safe).

    Signals:
        rejected: (title, list of "path: message" lines) when the preset or data
            fail before anything started.
        finished_run: (status, run_id, error or "").
    """

    rejected = Signal(str, object)
    finished_run = Signal(str, str, str)

    def __init__(self, preset: ExperimentPreset, runs_dir: Path, bridge: EventBridge,
                 threads: int | None = None) -> None:
        super().__init__()
        self.preset = preset
        self.runs_dir = Path(runs_dir)
        self.bridge = bridge
        self.threads = threads or preset.train.threads or os.cpu_count() or 1
        self.control = RunControl()
        self.status = "running"
        self.run_id = ""

    def run(self) -> None:  # noqa: D401 - QThread entry point
        import torch

        from workbench.core.engine.pipeline import run_experiment
        from workbench.core.runs.store import RunStore

        torch.set_num_threads(self.threads)  # per thread: the GUI thread keeps its own
        store = RunStore(self.runs_dir, self.preset)
        self.run_id = store.run_id
        error = ""
        try:
            result = run_experiment(self.preset, callbacks=[self.bridge], control=self.control,
                                    recorder=store)
            self.status = result.status
        except PresetError as problem:
            self.status = "rejected"
            self.rejected.emit("The preset cannot run", [str(p) for p in problem.problems])
        except DataError as problem:
            self.status = "rejected"
            self.rejected.emit("The dataset cannot be loaded", [str(problem)])
        except RunFailed as failure:
            self.status, error = "failed", str(failure)
        except Exception as failure:  # noqa: BLE001 - never let a run take the app down
            self.status, error = "failed", f"{type(failure).__name__}: {failure}"
        self.finished_run.emit(self.status, self.run_id, error)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

    def stop_and_join(self) -> None:
        """Ask the loop to stop, then wait for the thread (never ``terminate``)."""
        self.control.request_stop()
        self.wait()
