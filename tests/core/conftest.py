"""Shared fixtures for the headless core tests.

Every test runs with its own cache, config, data and runs folders (under
``tmp_path``), so nothing reads or writes the user's real folders, and the
in-memory teacher-logits cache starts empty.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workbench.core.data import locate


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Point every user folder the workbench knows at a fresh temporary folder."""
    folders = {name: tmp_path / f"wb-{name}" for name in ("cache", "config", "data", "runs")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(folders["cache"]))
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(folders["config"]))
    monkeypatch.setenv("WORKBENCH_DATA", str(folders["data"]))
    monkeypatch.setenv("WORKBENCH_RUNS_DIR", str(folders["runs"]))
    monkeypatch.delenv("WORKBENCH_DATA_MIRROR", raising=False)
    # Debian's dataset packages may be installed here; tests must not find them.
    monkeypatch.setattr(locate, "DEBIAN_DATA_DIR", tmp_path / "wb-debian")
    yield folders


# --- tiny end-to-end runs -------------------------------------------------------------

# synthetic-quick made tiny: 1,000 training rows (8 steps of 128), 200 validation rows.
# One thread: on a busy 2-core machine oversubscribed threads make tiny steps slow.
TINY = ["data.train_limit=1200", "data.val_size=200", "train.epochs=2",
        "teacher_train.epochs=1", "compare.latency_repeats=3", "compare.warmup=1",
        "compare.throughput_batch=32", "train.threads=1"]

_SYNTHETIC: dict[tuple[object, ...], object] = {}


@pytest.fixture(scope="session")
def memoized_synthetic() -> Iterator[None]:
    """Draw each synthetic dataset once per session (it is a pure function of its seed)."""
    from workbench.core.data import synthetic

    original = synthetic.make_synthetic

    def remembered(*args: object, **kwargs: object):
        key = args + tuple(sorted(kwargs.items()))
        if key not in _SYNTHETIC:
            _SYNTHETIC[key] = original(*args, **kwargs)
        return _SYNTHETIC[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synthetic, "make_synthetic", remembered)
        yield


def tiny_preset(*overrides: str):
    from workbench.core.presets import load_experiment

    return load_experiment("synthetic-quick", overrides=TINY + list(overrides))


def stop_after(control: Any, phase: str, epoch: int):
    """An event consumer that asks ``control`` (a RunControl) to stop once ``phase`` has
    ended ``epoch``."""
    from workbench.core.stream.events import EpochEnded

    def consumer(event: Any) -> None:
        if isinstance(event, EpochEnded) and (event.phase, event.epoch) == (phase, epoch):
            control.request_stop()
    return consumer


@dataclass(frozen=True)
class RecordedRun:
    """A finished run: its result, every event in order, and its run folder."""

    preset: Any
    result: Any
    events: list[Any]
    runs_dir: Path

    @property
    def folder(self) -> Path:
        return self.runs_dir / self.result.run_id


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory,
             memoized_synthetic: None) -> RecordedRun:
    """One tiny synthetic-quick run (alpha 0.5, with baseline) recorded by a RunStore.

    Shared by the event, run-store and determinism tests so the suite stays fast.
    """
    from workbench.core.engine.pipeline import run_experiment
    from workbench.core.runs.store import RunStore

    base = tmp_path_factory.mktemp("tiny-run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_CACHE_DIR", str(base / "cache"))
        patch.setenv("WORKBENCH_CONFIG_DIR", str(base / "config"))
        patch.setenv("WORKBENCH_DATA", str(base / "data"))
        patch.setenv("WORKBENCH_RUNS_DIR", str(base / "runs"))
        preset = tiny_preset()
        events: list[Any] = []
        store = RunStore(base / "runs", preset)
        result = run_experiment(preset, callbacks=[events.append], recorder=store)
    return RecordedRun(preset, result, events, base / "runs")
