"""What the window costs a training run: throughput ratio and event-loop stalls.

Runs the same preset headless (``run_experiment`` in the main thread, as the CLI
does) and from the window (worker thread + bridge + live plots), alternating, and
prints, side by side:

* training throughput with the window open and plotting / headless
  (optimizer steps per second over the teacher, student and baseline phases;
  goal >= 0.95), and
* the GUI event loop's stalls while training, from a 5 ms QTimer heartbeat
  (goal p99 < 50 ms), in separate window runs (the heartbeat itself costs the
  training thread GIL hand-offs).

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 python benchmarks/gui_overhead.py            # or QT_QPA_PLATFORM=offscreen
    python benchmarks/gui_overhead.py --repeats 3 --set train.epochs=4

On a machine shared with other work, add ``--set train.threads=1``: with the
default (all cores) OpenMP spin-waiting against the other processes makes
single runs swing 5-10x either way, which drowns the window's own cost.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TRAINING = ("teacher", "student", "baseline")
HEARTBEAT_MS = 5


PHASE_SECONDS: dict[str, dict[str, list[float]]] = {"headless": {}, "window": {},
                                                     "heartbeat": {}}


def steps_per_second(summary: dict[str, Any], plan: dict[str, int], where: str) -> float:
    """Optimizer steps per second over the training phases of one run."""
    timings = summary["timings"]
    for phase in TRAINING:
        if plan.get(phase):
            PHASE_SECONDS[where].setdefault(phase, []).append(timings.get(f"{phase}_s", 0.0))
    if os.environ.get("WB_BENCH_VERBOSE"):
        print("  timings", {key: round(value, 2) for key, value in timings.items()})
    seconds = sum(timings.get(f"{phase}_s", 0.0) for phase in TRAINING)
    return sum(plan.get(phase, 0) for phase in TRAINING) / seconds


def plan_steps(events: list[Any]) -> dict[str, int]:
    from workbench.core.stream.events import RunStarted

    started = next(event for event in events if isinstance(event, RunStarted))
    return {p.phase: p.epochs * p.steps_per_epoch for p in started.plan}


def headless_run(preset: Any, runs_dir: Path) -> float:
    from workbench.core.engine.pipeline import run_experiment
    from workbench.core.runs.store import RunStore

    events: list[Any] = []
    result = run_experiment(preset, callbacks=[events.append],
                            recorder=RunStore(runs_dir, preset))
    return steps_per_second(result.summary, plan_steps(events), "headless")


def window_run(app: Any, window: Any, heartbeat_on: bool) -> tuple[float, list[float]]:
    """One run from the window; returns (steps/s, heartbeat stalls in ms).

    The heartbeat wakes the GUI thread every 5 ms, and each wake-up takes the GIL
    from the training thread, so throughput is measured in runs without it.
    """
    from workbench.core.stream.events import RunEnded, RunStarted

    captured: dict[str, Any] = {}

    def report(gap: float) -> None:
        if os.environ.get("WB_BENCH_VERBOSE") and gap > 30:
            progress = window.progress.progress
            print(f"  stall {gap:.0f} ms in {progress.phase} step {progress.phase_steps}")

    heartbeat, clock, gaps = make_heartbeat(report)

    def on_event(event: Any) -> None:
        if isinstance(event, RunStarted):
            captured["plan"] = {p.phase: p.epochs * p.steps_per_epoch for p in event.plan}
            clock.start()
            if heartbeat_on:
                heartbeat.start()
        elif isinstance(event, RunEnded):
            heartbeat.stop()
            captured["summary"] = dict(event.summary)

    window.run_finished.connect(lambda *_: app.exit(0))
    window.bridge.event.connect(on_event)  # the bridge outlives runs: disconnect after
    window.start_run()
    app.exec()
    window.run_finished.disconnect()
    window.bridge.event.disconnect(on_event)
    stalls = [max(0.0, gap - HEARTBEAT_MS) for gap in gaps[1:]]
    speed = steps_per_second(captured["summary"], captured["plan"],
                             "window" if not heartbeat_on else "heartbeat")
    return speed, stalls


def make_heartbeat(on_gap: Callable[[float], None] | None = None) -> tuple[Any, Any, list[float]]:
    """A HEARTBEAT_MS timer recording the gap (ms) between its beats; start the clock first."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    gaps: list[float] = []
    clock = QElapsedTimer()
    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)

    def beat() -> None:
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()
        if on_gap is not None:
            on_gap(gaps[-1])

    heartbeat.timeout.connect(beat)
    return heartbeat, clock, gaps


def idle_stalls(app: Any, seconds: float) -> list[float]:
    """The same heartbeat with nothing training: what this machine's load costs anyway."""
    from PySide6.QtCore import QTimer

    heartbeat, clock, gaps = make_heartbeat()
    clock.start()
    heartbeat.start()
    QTimer.singleShot(int(seconds * 1000), lambda: app.exit(0))
    app.exec()
    heartbeat.stop()
    return [max(0.0, gap - HEARTBEAT_MS) for gap in gaps[1:]]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="synthetic-quick")
    parser.add_argument("--set", action="append", default=[], dest="overrides",
                        metavar="KEY=VALUE")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    for name in ("RUNS", "CACHE", "CONFIG"):
        os.environ[f"WORKBENCH_{name}_DIR"] = str(scratch / name.lower())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "qs"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.core.presets.load import load_experiment
    from workbench.core.presets.save import settings_from_preset
    from workbench.gui import theme
    from workbench.gui.main_window import MainWindow

    theme.apply_plot_theme(app)
    preset = load_experiment(args.preset, args.overrides)
    settings = settings_from_preset(preset)
    window = MainWindow(scratch / "runs")
    window.show()
    window.experiment.load(settings)  # once: loading starts the soft-label preview job
    window.preview.pool.waitForDone()
    app.processEvents()
    headless, windowed, stalls, idle = [], [], [], []
    for repeat in range(args.repeats):
        idle += idle_stalls(app, 3.0)
        headless.append(headless_run(preset, scratch / "runs"))
        windowed.append(window_run(app, window, heartbeat_on=False)[0])
        _, gaps = window_run(app, window, heartbeat_on=True)
        stalls += gaps
        print(f"repeat {repeat + 1}: headless {headless[-1]:.1f} steps/s, "
              f"window {windowed[-1]:.1f} steps/s, longest stall {max(gaps, default=0):.1f} ms",
              flush=True)
    ratio = statistics.median(windowed) / statistics.median(headless)
    p99 = percentile(stalls, 0.99)
    for phase, seconds in PHASE_SECONDS["headless"].items():
        windowed_seconds = statistics.median(PHASE_SECONDS["window"][phase])
        print(f"  {phase:<8} phase: headless {statistics.median(seconds):6.2f} s, window "
              f"{windowed_seconds:6.2f} s -> window/headless throughput "
              f"{statistics.median(seconds) / windowed_seconds:.3f}")
    print(f"\npreset {preset.name}, {args.repeats} runs each way, "
          f"platform {app.platformName()}, {os.cpu_count()} cores")
    print(f"training throughput, window / headless: {ratio:.3f} "
          f"(median {statistics.median(windowed):.1f} vs {statistics.median(headless):.1f} "
          f"steps/s; goal >= 0.95) {'OK' if ratio >= 0.95 else 'BELOW GOAL'}")
    print(f"event-loop stall while training: p50 {percentile(stalls, 0.5):.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(stalls, default=0):.1f} ms over {len(stalls)} beats "
          f"(goal p99 < 50 ms) {'OK' if p99 < 50 else 'ABOVE GOAL'}")
    print(f"same heartbeat with nothing training (machine noise): p50 "
          f"{percentile(idle, 0.5):.1f} ms, p99 {percentile(idle, 0.99):.1f} ms, "
          f"max {max(idle, default=0):.1f} ms over {len(idle)} beats")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
