"""Issue 18: the window fits a 1024×640 screen with every tab, Lineage and Sweep included."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

SCREEN_WIDTH, SCREEN_HEIGHT = 1024, 640


def test_the_window_fits_1024_by_640_with_every_tab(window):
    names = [window.tabs.tabText(index) for index in range(window.tabs.count())]
    assert {"Train", "Compare", "Runs", "Lineage", "Sweep"} <= set(names)
    hint = window.minimumSizeHint()
    assert hint.width() <= SCREEN_WIDTH, f"{hint.width()} px wide"
    assert hint.height() <= SCREEN_HEIGHT, f"{hint.height()} px high"


def test_each_tab_fits_beside_the_settings_panel(window):
    splitter = window.centralWidget()
    settings_width = splitter.widget(0).minimumWidth() + splitter.handleWidth()
    for index in range(window.tabs.count()):
        tab: QWidget = window.tabs.widget(index)
        width = tab.minimumSizeHint().width()
        frame = 30  # the tab frame and the right column's margins (22 px measured)
        assert settings_width + width + frame <= SCREEN_WIDTH, (window.tabs.tabText(index), width)


def test_the_lineage_pickers_wrap_instead_of_widening_the_window(window, qtbot):
    window.resize(SCREEN_WIDTH, SCREEN_HEIGHT)
    window.tabs.setCurrentWidget(window.lineage)
    with qtbot.waitExposed(window):
        window.show()
    lineage = window.lineage
    assert window.width() <= SCREEN_WIDTH
    assert lineage.width() >= lineage.minimumSizeHint().width()
    for picker in (lineage.suspect, lineage.teacher, lineage.preset, lineage.eval_preset):
        assert picker.isVisible()
        right_edge = picker.mapTo(lineage, picker.rect().topRight()).x()
        assert right_edge <= lineage.width(), picker.currentText()
