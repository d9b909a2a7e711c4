"""The Lineage tab's background job: a detection or an evaluation off the GUI thread.

Like the run worker, it only calls into core and reports back through signals, which
Qt queues to the GUI thread. Stopping goes through a RunControl the training loop
checks after each step; the thread is always joined, never terminated.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal

from workbench.core.errors import RunFailed, RunStopped, WorkbenchError
from workbench.core.stream.control import RunControl

# job(control, report_status) -> the result as plain data (its to_dict())
Job = Callable[[RunControl, Callable[[str], None]], dict[str, Any]]


class LineageWorker(QThread):
    """Runs one job. Signals: ``status(str)``, ``succeeded(dict)``, ``rejected(title, lines)``."""

    status = Signal(str)
    succeeded = Signal(object)
    rejected = Signal(str, object)

    def __init__(self, job: Job, threads: int | None = None) -> None:
        super().__init__()
        self.job = job
        self.threads = threads or os.cpu_count() or 1
        self.control = RunControl()

    def run(self) -> None:  # noqa: D401 - QThread entry point
        import torch

        torch.set_num_threads(self.threads)  # per thread: the GUI thread keeps its own
        try:
            self.succeeded.emit(self.job(self.control, self.status.emit))
        except RunStopped:
            self.rejected.emit("Stopped", ["the job was stopped; nothing was judged"])
        except RunFailed as failure:
            self.rejected.emit("A training run failed", [str(failure)])
        except WorkbenchError as problem:
            self.rejected.emit("Detection cannot start", [str(problem)])
        except Exception as failure:  # noqa: BLE001 - never let a job take the app down
            self.rejected.emit("Detection failed", [f"{type(failure).__name__}: {failure}"])

    def stop_and_join(self) -> None:
        self.control.request_stop()
        self.wait()
