"""The bridge batches steps without reordering events; buffers grow and track changes."""
from __future__ import annotations

import threading

import numpy as np

from workbench.core.stream.events import EpochEnded, RunEnded, StepEnded
from workbench.gui.bridge import EventBridge
from workbench.gui.plots.buffers import GrowingSeries


def test_bridge_delivers_steps_in_order_from_another_thread(qtbot):
    bridge = EventBridge(interval=10.0)  # a long interval: only other events flush
    received: list = []
    bridge.steps.connect(lambda batch: received.append(("steps", [s.step for s in batch])))
    bridge.event.connect(lambda event: received.append(("event", type(event).__name__)))

    def produce() -> None:
        for step in range(1, 6):
            bridge(StepEnded("student", 1, step, 1.0, 1.0, 0.0))
        bridge(EpochEnded("student", 1, {"val_acc": 0.5}))
        bridge(RunEnded("completed", {}))

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(received) == 4, timeout=5000)
    assert received == [("steps", [1]), ("steps", [2, 3, 4, 5]),
                        ("event", "EpochEnded"), ("event", "RunEnded")]


def test_growing_series_doubles_and_reports_changes():
    series = GrowingSeries(capacity=2, smoothing=0.5)
    for index in range(5):
        series.append(index, float(index))
    x, y = series.view()
    assert series.x.shape[0] == 8 and x.tolist() == [0, 1, 2, 3, 4]
    assert series.take_dirty() and not series.take_dirty()
    _, smooth = series.view(smoothed=True)
    assert smooth[0] == 0.0 and smooth[1] == 0.5


def test_growing_series_keeps_nan_points_but_smooths_over_them():
    series = GrowingSeries(smoothing=0.5)
    series.append(1, 2.0)
    series.append(2, float("nan"))
    series.append(3, 4.0)
    _, values = series.view()
    assert np.isnan(values[1])
    _, smooth = series.view(smoothed=True)
    assert smooth.tolist() == [2.0, 2.0, 3.0]


def test_extend_is_the_same_as_appending_one_by_one():
    values = [2.0, float("nan"), 4.0, 1.0, 3.0, float("inf"), 0.5]
    one_by_one, bulk = GrowingSeries(capacity=2, smoothing=0.7), GrowingSeries(capacity=2,
                                                                                smoothing=0.7)
    for index, value in enumerate(values):
        one_by_one.append(index, value)
    bulk.extend(range(3), values[:3])
    bulk.extend([], [])
    bulk.extend(range(3, len(values)), values[3:])
    for smoothed in (False, True):
        np.testing.assert_array_equal(bulk.view(smoothed)[0], one_by_one.view(smoothed)[0])
        np.testing.assert_array_equal(bulk.view(smoothed)[1], one_by_one.view(smoothed)[1])
    assert bulk.size == len(values) and bulk.take_dirty()


def test_interleaved_peers_in_one_batch_keep_their_step_positions(qtbot):
    from workbench.gui.plots.live_curves import LiveCurves

    curves = LiveCurves()
    qtbot.addWidget(curves)
    batch = [StepEnded(phase, 1, step, float(step), 0.0, 0.0)
             for step in (1, 2) for phase in ("student", "peer-2")]
    curves.add_steps(batch)
    curves.add_steps([StepEnded("student", 1, 3, 3.0, 0.5, 0.25)])
    curves.redraw(force=True)
    assert list(curves.curves["student:loss"].xData) == [1.0, 3.0, 5.0]
    assert list(curves.curves["peer-2:loss"].xData) == [2.0, 4.0]
    assert list(curves.curves["student:loss"].yData) == [1.0, 2.0, 3.0]
    assert list(curves.curves["student:soft"].yData) == [0.0, 0.0, 0.25]


def test_live_curves_grow_a_curve_for_a_phase_a_method_adds(qtbot):
    from workbench.core.stream.events import PhasePlan, PhaseStarted, RunStarted
    from workbench.gui.plots.live_curves import LiveCurves

    curves = LiveCurves()
    qtbot.addWidget(curves)
    plan = (PhasePlan("student", 1, 2), PhasePlan("peer-2", 1, 2))
    curves.add_event(RunStarted("id", "x", plan, "cpu", 0, 0.0))
    for phase in ("student", "peer-2"):
        curves.add_event(PhaseStarted(phase, 1, 2))
        curves.add_steps([StepEnded(phase, 1, step, 1.0, 0.5, 0.5) for step in (1, 2)])
        curves.add_event(EpochEnded(phase, 1, {"train_acc": 0.5, "val_acc": 0.6}))
    curves.add_event(RunEnded("completed", {}))
    assert curves.point_count("peer-2:loss") == 2
    assert curves.point_count("peer-2:val_acc") == 1
    assert curves.point_count("student:loss") == 2
    assert list(curves.curves["peer-2:loss"].xData) == [3.0, 4.0]


def test_slow_redraws_stretch_the_redraw_interval(qtbot, monkeypatch):
    from workbench.gui.plots import live_curves

    curves = live_curves.LiveCurves()
    qtbot.addWidget(curves)
    curves.timer.start(live_curves.REDRAW_MS)
    ticks = iter([0.0, 0.030])  # the redraw "took" 30 ms
    monkeypatch.setattr(live_curves.time, "perf_counter", lambda: next(ticks))
    curves.series["student:loss"].append(1.0, 2.0)
    curves.redraw(force=True)
    assert curves.timer.interval() == int(30 / live_curves.REDRAW_BUDGET)
    curves.timer.stop()
