"""The cache phase's shard reports: shards done, images/s and an ETA from the first shard."""
from __future__ import annotations

from workbench.core.stream.events import (PhaseEnded, PhasePlan, PhaseProgress, PhaseStarted,
                                          RunStarted, event_to_dict)
from workbench.core.stream.progress import RunProgress


def started(progress: RunProgress) -> None:
    plan = (PhasePlan("cache", 1, 4), PhasePlan("student", 1, 10))
    progress.update(RunStarted("id", "x", plan, "cpu", 0, 0.0))
    progress.update(PhaseStarted("cache", 1, 4))


def test_the_eta_comes_from_the_measured_rate_from_the_first_shard() -> None:
    progress = RunProgress(clock=lambda: 0.0)
    started(progress)
    progress.update(PhaseProgress("cache", 1, images=1000, images_per_s=500.0, eta_s=6.0,
                                  shards=4))
    assert progress.phase_eta_seconds() == 6.0  # without waiting for MIN_STEPS shards
    assert progress.describe() == ("caching teacher outputs · 25% · shard 1/4 · "
                                   "500 images/s · 6 s left in this phase")


def test_the_shard_report_ends_with_its_phase() -> None:
    progress = RunProgress(clock=lambda: 0.0)
    started(progress)
    progress.update(PhaseProgress("cache", 4, images=4000, images_per_s=800.0, eta_s=0.0,
                                  shards=4))
    progress.update(PhaseEnded("cache", 5.0))
    progress.update(PhaseStarted("student", 1, 10))
    assert progress.shard is None and "images/s" not in progress.describe()


def test_a_bare_phase_progress_keeps_the_step_pace() -> None:
    """Events recorded before shards were counted (no ``shards``) read as before."""
    progress = RunProgress(clock=lambda: 0.0)
    started(progress)
    progress.update(PhaseProgress("cache", 1))
    assert progress.shard is None and progress.phase_eta_seconds() is None


def test_shard_reports_are_plain_values() -> None:
    event = PhaseProgress("cache", 2, images=2048, images_per_s=1024.0, eta_s=1.5, shards=3)
    assert event_to_dict(event) == {"event": "phase_progress", "phase": "cache", "step": 2,
                                    "images": 2048, "images_per_s": 1024.0, "eta_s": 1.5,
                                    "shards": 3}
