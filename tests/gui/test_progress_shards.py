"""The window's progress line during the teacher pass: shards, images/s, time left."""
from __future__ import annotations

from workbench.core.stream.events import PhasePlan, PhaseProgress, PhaseStarted, RunStarted
from workbench.gui.panels.progress import ProgressPanel


def test_the_progress_line_shows_shards_rate_and_eta_from_the_first_shard(qtbot):
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    panel.start()
    panel.update_from(RunStarted("r", "x", (PhasePlan("cache", 1, 69),
                                            PhasePlan("student", 1, 100)), "cpu", 0, 0.0))
    panel.update_from(PhaseStarted("cache", 1, 69))
    panel.update_from(PhaseProgress("cache", 1, images=1024, images_per_s=3400.0,
                                    eta_s=20.3, shards=69))
    panel.refresh()
    assert panel.label.text() == ("caching teacher outputs · 1% · shard 1/69 · 3,400 images/s · "
                                  "20 s left in this phase")
    assert panel.bar.value() == int(1000 * 1 / 169)


def test_the_progress_line_says_when_a_core_was_taken_and_its_tooltip_why(qtbot):
    from workbench.core.stream.events import ThreadsChanged

    panel = ProgressPanel()
    qtbot.addWidget(panel)
    panel.start()
    panel.update_from(RunStarted("r", "x", (PhasePlan("student", 2, 100),), "cpu", 0, 0.0))
    panel.update_from(PhaseStarted("student", 2, 100))
    assert "thread" not in panel.label.text() and panel.label.toolTip() == ""
    notes: list[str] = []
    panel.note.connect(notes.append)
    panel.update_from(ThreadsChanged("student", 1, 60, 2, 1, 1.1, 3.7))
    panel.refresh()
    assert len(notes) == 1 and notes[0] == panel.label.toolTip()
    assert "1 thread (a core was taken)" in panel.label.text()
    assert "another program took a core" in panel.label.toolTip()
    assert "instead of 2" in panel.label.toolTip()
    panel.start()  # the next run starts without the last one's note
    assert panel.label.toolTip() == ""


def test_the_window_status_bar_says_why_the_run_uses_fewer_threads(window):
    from workbench.core.stream.events import ThreadsChanged

    window.bridge(ThreadsChanged("student", 1, 60, 2, 1, 1.1, 3.7))
    assert window.status_label.text().startswith("another program took a core: distilling the "
                                                 "student goes on with 1 torch thread instead of 2")
