"""A resource strip: CPU %, process memory, and GPU memory on CUDA, about once a second."""
from __future__ import annotations

import psutil
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget


def _gpu_text() -> str:
    import torch

    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return ""
    used = torch.cuda.memory_allocated() / 2**20
    reserved = torch.cuda.memory_reserved() / 2**20
    return f"   GPU {used:,.0f} / {reserved:,.0f} MiB"


class ResourceStrip(QLabel):
    """``CPU 143% · RAM 612 MiB`` for this process, refreshed by a 1 Hz timer."""

    def __init__(self, parent: QWidget | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self.process = psutil.Process()
        self.process.cpu_percent(None)  # first call primes the counter
        self.setToolTip("CPU use of this process (100% = one core) and its resident memory")
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        try:
            cpu = self.process.cpu_percent(None)
            memory = self.process.memory_info().rss / 2**20
        except psutil.Error:
            return
        self.setText(f"CPU {cpu:.0f}%   RAM {memory:,.0f} MiB{_gpu_text()}")
