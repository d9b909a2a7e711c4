"""The console reporter shows the cache phase's shards, rate and ETA."""
from __future__ import annotations

import io

from workbench.cli.console import ConsoleReporter
from workbench.core.stream.events import PhaseEnded, PhasePlan, PhaseProgress, PhaseStarted, RunStarted


def reported(interactive: bool, shards: int = 8) -> str:
    stream = io.StringIO()
    console = ConsoleReporter(stream, interactive=interactive, rate=1e9)
    console(RunStarted("id", "x", (PhasePlan("cache", 1, shards),), "cpu", 0, 0.0))
    console(PhaseStarted("cache", 1, shards))
    for shard in range(1, shards + 1):
        console(PhaseProgress("cache", shard, images=1000 * shard, images_per_s=2000.0,
                              eta_s=(shards - shard) / 2, shards=shards))
    console(PhaseEnded("cache", 4.0, {"origin": "computed"}))
    return stream.getvalue()


def test_piped_output_has_a_line_per_quarter_of_the_shards() -> None:
    lines = reported(interactive=False).splitlines()
    progress = [line for line in lines if "shard" in line]
    assert [line.split(" · ")[2] for line in progress] == ["shard 2/8", "shard 4/8", "shard 6/8"]
    assert "2,000 images/s" in progress[0] and "3 s left in this phase" in progress[0]
    assert lines[-1] == ("caching teacher outputs: done in 4 s (computed), "
                         "8,000 images at 2,000 images/s")


def test_a_terminal_redraws_the_bar_with_the_shard_and_rate() -> None:
    text = reported(interactive=True)
    assert "shard 8/8 · 2,000 images/s" in text


def test_a_lowered_thread_count_is_one_line_saying_why() -> None:
    from workbench.core.stream.events import ThreadsChanged

    stream = io.StringIO()
    console = ConsoleReporter(stream, interactive=False, rate=1e9)
    console(ThreadsChanged("student", 2, 480, 2, 1, 1.1, 3.7))
    assert stream.getvalue().strip() == (
        "another program took a core: distilling the student goes on with 1 torch thread "
        "instead of 2 (a step took 3.7 ms, 1.1 ms before)")
