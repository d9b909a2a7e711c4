"""The Lineage tab: did a suspect learn from a teacher, and how well does detection work?

Pick a suspect and a teacher (a run, a preset or a file), give references or let the
tab train them, and see each metric against the references, the verdict and its
false-positive rate. An evaluation (run here, or opened from the JSON that
``workbench detect --evaluate --json`` prints) shows ROC curves and the defenses'
accuracy-vs-AUC trade-off. Every number comes from ``workbench.core.lineage``.
"""
from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from workbench.core.lineage.report import LABELS
from workbench.core.lineage.study import run_study
from workbench.core.lineage.subjects import known_targets
from workbench.core.lineage.workflow import DetectRequest, run_detection
from workbench.core.presets.library import list_presets
from workbench.core.stream.control import RunControl
from workbench.gui import dialogs
from workbench.gui.panels.lineage_plots import RocPlot, StripPlot, TradeOffPlot
from workbench.gui.panels.lineage_worker import Job, LineageWorker

TABLE_COLUMNS = ("metric", "suspect", "z", "weight")
OWN_PRESET = "(the suspect run's own preset)"


def _target_box(runs_dir: Path) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    _compact(box)
    for label, target in known_targets(runs_dir):
        box.addItem(label, target)
    box.setCurrentIndex(-1)
    box.lineEdit().setPlaceholderText("run id, model preset, or a file (Browse…)")
    return box


def _compact(box: QComboBox) -> None:
    """Long run ids and preset names must not widen the window past 1024 px."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)


def _wrapping_form() -> QFormLayout:
    """A form whose labels move above their fields when the tab is narrow (1024 px screens)."""
    form = QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def target_text(box: QComboBox) -> str:
    """The target a picker names: an offered item's target, or what the user typed."""
    index = box.findText(box.currentText())
    return str(box.itemData(index)) if index >= 0 else box.currentText().strip()


class LineagePanel(QWidget):
    """The Lineage tab. ``worker`` is the job in flight (joined when it ends)."""

    def __init__(self, runs_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.worker: LineageWorker | None = None
        self.result: dict[str, Any] = {}
        self.suspect, self.teacher = _target_box(self.runs_dir), _target_box(self.runs_dir)
        self.references, self.distilled = QLineEdit(), QLineEdit()
        self.references.setPlaceholderText("targets that never saw the teacher, space-separated")
        self.distilled.setPlaceholderText("optional: targets known to be distilled from it")
        self.train_count, self.students, self.probe = QSpinBox(), QSpinBox(), QSpinBox()
        self.train_count.setRange(0, 50)
        self.students.setRange(3, 50)
        self.students.setValue(5)
        self.probe.setRange(0, 1_000_000)
        self.probe.setSpecialValueText("all test images")
        self.preset, self.eval_preset = QComboBox(), QComboBox()
        _compact(self.preset)
        _compact(self.eval_preset)
        self.preset.addItem(OWN_PRESET, None)
        for entry in list_presets("experiment"):
            self.preset.addItem(entry.name, str(entry.path))
            self.eval_preset.addItem(entry.name, str(entry.path))
        self.defenses = QLineEdit()
        self.defenses.setPlaceholderText("e.g. distill.teacher_noise=1 distill.top_k=2")
        self.buttons = {name: QPushButton(name) for name in
                        ("Detect", "Evaluate", "Stop", "Open result…")}
        self.status = QLabel("Pick a suspect and a teacher.")
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.strips, self.roc, self.tradeoff = StripPlot(), RocPlot(), TradeOffPlot()
        self.views = QTabWidget()
        self._build_layout()
        self._connect()

    # --- construction ----------------------------------------------------------------------
    def _build_layout(self) -> None:
        judge, measure = _wrapping_form(), _wrapping_form()
        judge.addRow("Suspect", self._with_browse(self.suspect))
        judge.addRow("Teacher", self._with_browse(self.teacher))
        judge.addRow("References", self.references)
        judge.addRow("Known distilled", self.distilled)
        training = QHBoxLayout()
        training.addWidget(self.train_count)
        training.addWidget(QLabel("runs of"))
        training.addWidget(self.preset, 1)
        judge.addRow("Train references", training)
        judge.addRow("Probe images", self.probe)
        measure.addRow("Preset", self.eval_preset)
        measure.addRow("Students", self.students)
        measure.addRow("Defenses", self.defenses)
        inputs = QHBoxLayout()
        for title, form, weight in (("Did the suspect learn from the teacher?", judge, 3),
                                    ("How well does detection work?", measure, 2)):
            box = QGroupBox(title)
            box.setLayout(form)
            inputs.addWidget(box, weight)
        actions = QHBoxLayout()
        for button in self.buttons.values():
            actions.addWidget(button)
        actions.addWidget(self.status, 1)
        detection = QWidget()
        detection_layout = QHBoxLayout(detection)
        detection_layout.addWidget(self.table, 2)
        detection_layout.addWidget(self.strips, 3)
        evaluation_view = QWidget()
        evaluation_layout = QHBoxLayout(evaluation_view)
        evaluation_layout.addWidget(self.roc)
        evaluation_layout.addWidget(self.tradeoff)
        self.views.addTab(detection, "Detection")
        self.views.addTab(evaluation_view, "Evaluation")
        layout = QVBoxLayout(self)
        layout.addLayout(inputs)
        layout.addLayout(actions)
        layout.addWidget(self.verdict)
        layout.addWidget(self.views, 1)

    def _with_browse(self, box: QComboBox) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(box, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(box))
        row.addWidget(browse)
        return row

    def _connect(self) -> None:
        self.buttons["Detect"].clicked.connect(self.start_detection)
        self.buttons["Evaluate"].clicked.connect(self.start_evaluation)
        self.buttons["Stop"].clicked.connect(self.stop)
        self.buttons["Open result…"].clicked.connect(self._open_dialog)
        self.buttons["Stop"].setEnabled(False)

    # --- jobs ------------------------------------------------------------------------------
    def detect_request(self) -> DetectRequest:
        return DetectRequest(
            target_text(self.suspect), target_text(self.teacher),
            tuple(self.references.text().split()), tuple(self.distilled.text().split()),
            self.train_count.value(), self.preset.currentData(),
            probe_size=self.probe.value() or None, runs_dir=self.runs_dir)

    def start_detection(self) -> bool:
        request = self.detect_request()

        def job(control: RunControl, status: Any) -> dict[str, Any]:
            return run_detection(request, control=control, on_status=status).to_dict()

        return self._start(job, "detecting…")

    def start_evaluation(self) -> bool:
        preset, students = self.eval_preset.currentData(), self.students.value()
        defenses = tuple(self.defenses.text().split())
        probe = self.probe.value() or None

        def job(control: RunControl, status: Any) -> dict[str, Any]:
            return run_study(preset, students, defenses=defenses, probe_size=probe,
                             control=control, on_status=status).to_dict()

        return self._start(job, f"evaluating {self.eval_preset.currentText()}…")

    def _start(self, job: Job, message: str) -> bool:
        if self.worker is not None:
            return False
        self.worker = LineageWorker(job)
        self.worker.status.connect(self.status.setText)
        self.worker.succeeded.connect(self.show_result)
        self.worker.rejected.connect(self._on_rejected)
        self.worker.finished.connect(self._on_finished)
        self._set_busy(True)
        self.status.setText(message)
        self.worker.start()
        return True

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.control.request_stop()
            self.status.setText("stopping after this step…")

    def stop_and_join(self) -> None:
        """Stop a job in flight and wait for its thread (the window calls this on close)."""
        if self.worker is not None:
            self.worker.stop_and_join()
            self._on_finished()

    def _on_rejected(self, title: str, problems: list[str]) -> None:
        self.status.setText(title)
        dialogs.show_error(self, title, problems)

    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for name, button in self.buttons.items():
            button.setEnabled(busy if name == "Stop" else not busy)

    # --- results ---------------------------------------------------------------------------
    def show_result(self, result: Mapping[str, Any]) -> None:
        """A detection (has ``readings``) or an evaluation (has ``evaluations``)."""
        self.result = dict(result)
        if "readings" in result:
            self.show_detection(result)
        elif "evaluations" in result:
            self.show_study(result)
        else:
            raise ValueError("neither a detection nor an evaluation")

    def show_detection(self, detection: Mapping[str, Any]) -> None:
        decision = detection["decision"]
        color = "#D55E00" if decision["learned"] else "#009E73"
        details = html.escape(f"{detection['suspect']} vs {detection['teacher']}; "
                              f"{_p_line(decision)}")
        self.verdict.setText(f"<b style='color:{color}'>{decision['verdict']}</b> — {details}")
        readings = detection["readings"]
        self.table.setRowCount(len(readings))
        for row, reading in enumerate(readings):
            weight = "-" if reading["weight"] is None else f"{reading['weight']:+.2f}"
            for column, text in enumerate((reading["label"], f"{reading['value']:.4g}",
                                           f"{reading['z']:+.2f}", weight)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.strips.show(readings)
        self.views.setCurrentIndex(0)
        self.status.setText(f"probe: {detection['probe_size']} {detection['probe']} images")

    def show_study(self, study: Mapping[str, Any]) -> None:
        first = study["evaluations"][0]
        self.roc.show(first["roc"], first["auc"], LABELS)
        self.tradeoff.show(study["tradeoff"])
        self.verdict.setText(f"<b>{html.escape(study['preset'])}</b>: combined ROC-AUC "
                             f"{first['auc']['combined']:.3f} over {study['students']} "
                             f"distilled and {study['students']} independent students")
        self.views.setCurrentIndex(1)

    def open_result(self, path: Path) -> bool:
        try:
            self.show_result(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            dialogs.show_error(self, "Cannot open the result", [f"{path}: {error}"],
                               "Open the JSON that `workbench detect ... --json` printed.")
            return False
        return True

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a detection or evaluation", "",
                                              "JSON (*.json)")
        if path:
            self.open_result(Path(path))

    def _browse(self, box: QComboBox) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Pick a model or recorded outputs", "",
                                              "Models and outputs (*.pt *.pth *.ts *.jit "
                                              "*.npy *.npz *.csv);;All files (*)")
        if path:
            box.setEditText(path)


def _p_line(decision: Mapping[str, Any]) -> str:
    if decision["p_gaussian"] is None:
        return "too few references for a p-value (give 3 or more)"
    return (f"p = {_p(decision['p_gaussian'])} (empirical {_p(decision['p_empirical'])} from "
            f"{decision['null_count']} references); the threshold flags "
            f"{decision['false_positive_rate']:.0%} of independent models")


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else "< 0.0001"
