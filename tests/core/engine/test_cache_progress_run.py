"""A real run's cache phase: one report per shard, counting every image once, with a rate."""
from __future__ import annotations

from workbench.core.stream.events import PhaseProgress, RunStarted

from tests.core.conftest import RecordedRun


def test_the_cache_phase_reports_every_shard_of_its_plan(tiny_run: RecordedRun) -> None:
    started = tiny_run.events[0]
    assert isinstance(started, RunStarted)
    planned = {plan.phase: plan.steps_per_epoch for plan in started.plan}["cache"]
    shards = [event for event in tiny_run.events if isinstance(event, PhaseProgress)]
    assert [event.step for event in shards] == list(range(1, planned + 1))
    assert {event.shards for event in shards} == {planned}
    summary = tiny_run.result.summary["dataset"]
    images = summary["train"] + summary["val"] + summary["test"]
    assert shards[-1].images == images and shards[-1].eta_s == 0.0
    assert all(later.images > earlier.images for earlier, later in zip(shards, shards[1:]))
    assert all(event.images_per_s > 0 and event.eta_s is not None for event in shards)
