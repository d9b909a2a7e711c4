"""Cooperative stop and pause, safe to call from any thread."""
from __future__ import annotations

import threading

from workbench.core.errors import RunStopped


class RunControl:
    """Flags the training loop checks after every step.

    A GUI or a signal handler calls ``request_stop``/``pause``/``resume`` from
    another thread; the loop calls ``checkpoint``, which raises ``RunStopped``
    or blocks while paused.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self, on_pause=None) -> None:
        """Raise ``RunStopped`` if asked to stop; block while paused.

        Args:
            on_pause: called with True when the loop starts waiting, False when it goes on.
        """
        if self._stop.is_set():
            raise RunStopped()
        if self._running.is_set():
            return
        if on_pause:
            on_pause(True)
        while not self._running.wait(0.1):
            pass
        if on_pause:
            on_pause(False)
        if self._stop.is_set():
            raise RunStopped()
