"""Dialogs for people: problems listed with their field paths, never a traceback.

Dialogs are opened non-blocking (``open``) so the event loop keeps running;
the most recent one is kept in ``LAST`` for tests and for the screenshot mode.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.core.errors import PresetError

LAST: list[QMessageBox] = []


def show_error(parent: QWidget | None, title: str, problems: Sequence[str],
               intro: str = "") -> QMessageBox:
    """A non-blocking error box listing each problem on its own line."""
    box = QMessageBox(QMessageBox.Icon.Warning, title,
                      intro or (f"{len(problems)} problem(s):" if len(problems) > 1 else title),
                      QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText("\n".join(f"• {problem}" for problem in problems))
    box.setObjectName("problems-dialog")
    box.open()
    LAST[:] = [box]
    return box


def show_preset_error(parent: QWidget | None, error: PresetError, what: str) -> QMessageBox:
    """The problems of an invalid preset; nothing in the session is changed by it."""
    problems = [str(problem) for problem in error.problems]
    return show_error(parent, f"{what}: the preset is not valid", problems,
                      f"{error.source} has {len(problems)} problem(s). Nothing was changed.")


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """A yes/no question (blocking; tests replace this function)."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
