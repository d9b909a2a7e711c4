"""A run's own random stream, kept apart from torch's process-wide generator.

Weight initialisation and dropout draw from torch's default generators, and take no
generator argument. A run keeps the state of its own stream (CPU, plus its device's
when that is an accelerator) and installs it only while it builds or trains a model,
inside ``torch.random.fork_rng``: the process's generators are left as they were
found, and the draws are exactly those of a process that called
``torch.manual_seed(seed)`` before building each model — the same weights and the
same dropout masks, bit for bit.

The process generator is still swapped for the duration of a block, so two runs
training at once in one process would interleave their draws; torch has no
per-thread default generator.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


class RunRandom:
    """The run's random stream: reseeded before each model is built, continued by fits."""

    def __init__(self, device: torch.device, seed: int) -> None:
        accelerated = device.type != "cpu"
        self._device = _indexed(device) if accelerated else None
        self._device_type = device.type if accelerated else None
        self._states = self._seeded(seed)

    @contextmanager
    def reseeded(self, seed: int) -> Iterator[None]:
        """Draw from a stream freshly seeded with ``seed`` (what ``torch.manual_seed`` did)."""
        self._states = self._seeded(seed)
        with self.continued():
            yield

    @contextmanager
    def continued(self) -> Iterator[None]:
        """Draw from where the run's stream last stopped; keep where this block stops."""
        devices = [] if self._device is None else [self._device]
        with torch.random.fork_rng(devices=devices, device_type=self._device_type):
            self._install(self._states)
            try:
                yield
            finally:
                self._states = self._read()

    def live_states(self) -> list[torch.Tensor]:
        """The stream's state right now; call it inside ``continued`` (for a resume state)."""
        return self._read()

    def states(self) -> list[torch.Tensor]:
        """Where the stream stands between blocks (a copy): what the next block draws from."""
        return [state.clone() for state in self._states]

    def restore(self, states: list[torch.Tensor]) -> None:
        """Continue from ``states`` (read by ``live_states``, e.g. from a resume state)."""
        if len(states) != len(self._states):
            raise ValueError(f"{len(states)} random states for a stream of {len(self._states)}")
        self._states = [state.clone() for state in states]

    def _seeded(self, seed: int) -> list[torch.Tensor]:
        states = [torch.Generator().manual_seed(seed).get_state()]
        if self._device is not None:
            states.append(torch.Generator(device=self._device).manual_seed(seed).get_state())
        return states

    def _install(self, states: list[torch.Tensor]) -> None:
        torch.set_rng_state(states[0])
        if self._device is not None:
            self._module().set_rng_state(states[1], self._device)

    def _read(self) -> list[torch.Tensor]:
        states = [torch.get_rng_state()]
        if self._device is not None:
            states.append(self._module().get_rng_state(self._device))
        return states

    def _module(self):  # noqa: ANN202 - torch.cuda / torch.mps, no common type
        return torch.get_device_module(self._device_type)


def _indexed(device: torch.device) -> torch.device:
    """``cuda`` means the current CUDA device; name it, so fork and install agree."""
    if device.index is not None or device.type != "cuda":
        return device
    return torch.device("cuda", torch.cuda.current_device())
