"""The student picker's "Suggest…" button: a few sizes relative to the teacher.

Core counts the teacher's parameters (``probe_teacher``) and proposes students of about
1/10, 1/30 and 1/100 of them for the dataset's input (``suggest_students``); choosing
one puts it in the student picker as an inline model.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from workbench.core.errors import WorkbenchError
from workbench.core.models import MODELS
from workbench.core.measure.teacher_probe import probe_teacher
from workbench.core.models.suggest import StudentSuggestion, suggest_students
from workbench.core.presets.model import ModelPreset

# (the teacher, the dataset's input shape, its class count), or None without a teacher
Context = Callable[[], tuple[ModelPreset | None, tuple[int, ...], int]]


def describe_args(architecture: str, args: Mapping[str, Any]) -> str:
    """``hidden [256]`` / ``channels [8, 16], hidden 32``: the args that differ from the
    architecture's declared defaults (all of them in the tooltip and the picker)."""
    defaults = {param.name: param.default for param in MODELS.get(architecture).params} \
        if architecture in MODELS else {}
    return ", ".join(f"{key} {value}" for key, value in args.items()
                     if key not in defaults or defaults[key] != value)


def suggestion_label(suggestion: StudentSuggestion) -> str:
    """``1/10 — mlp hidden [256] — 20,490 params (10.2x smaller)``."""
    args = describe_args(suggestion.architecture, suggestion.args)
    return (f"1/{suggestion.target} — {suggestion.architecture} {args}"
            f" — {suggestion.params:,} params ({suggestion.ratio:.1f}x smaller)")


class SuggestButton(QToolButton):
    """Lists suggestions when opened; ``chosen`` carries the inline model picked.

    Signals:
        chosen(dict): an inline model preset (core's ``StudentSuggestion.as_model``).
    """

    chosen = Signal(dict)

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setText("Suggest…")
        self.setToolTip("Students of about 1/10, 1/30 and 1/100 of the teacher's parameters, "
                        "for this dataset's input")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet("QToolButton::menu-indicator { image: none; }")  # "…" says menu
        self.menu_ = QMenu(self)
        self.menu_.setToolTipsVisible(True)
        self.menu_.aboutToShow.connect(self.fill)
        self.setMenu(self.menu_)
        self.suggestions: list[StudentSuggestion] = []

    def fill(self) -> list[StudentSuggestion]:
        """Rebuild the menu for the current teacher and dataset (also called by tests)."""
        self.menu_.clear()
        self.suggestions = []
        teacher, input_shape, num_classes = self.context()
        try:
            if teacher is None:
                raise WorkbenchError("choose a teacher first")
            probe = probe_teacher(teacher, input_shape, num_classes)
            if not probe.params:
                raise WorkbenchError(probe.note or "the teacher's parameter count is unknown")
            self.suggestions = suggest_students(probe.params, input_shape, num_classes)
        except WorkbenchError as error:
            self.menu_.addAction(f"No suggestions: {error}").setEnabled(False)
            return []
        header = self.menu_.addAction(f"Teacher: {probe.params:,} params")
        header.setEnabled(False)
        for suggestion in self.suggestions:
            action = self.menu_.addAction(suggestion_label(suggestion))
            action.triggered.connect(lambda _=False, s=suggestion:
                                     self.chosen.emit(s.as_model()))
            if suggestion.note:
                action.setToolTip(suggestion.note)
        return self.suggestions
