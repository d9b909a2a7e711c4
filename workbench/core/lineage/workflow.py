"""The whole detection a front-end asks for: check the targets, train references if
asked, then judge. The command line and the window both call ``run_detection``."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.lineage.detection import Detection, detect
from workbench.core.lineage.metrics import HIGH_TEMPERATURE
from workbench.core.lineage.probe import LineageError
from workbench.core.lineage.references import is_preset_teacher, train_pairs, work_folder
from workbench.core.lineage.subjects import Subject, resolve_subject
from workbench.core.lineage.verdict import DEFAULT_LEVEL
from workbench.core.presets.load import load_experiment
from workbench.core.runs.store import find_run
from workbench.core.stream.control import RunControl
from workbench.core.stream.events import Event


@dataclass(frozen=True)
class DetectRequest:
    """What to compare, against what, and how (the options of ``workbench detect``)."""

    suspect: str
    teacher: str
    references: tuple[str, ...] = ()
    distilled: tuple[str, ...] = ()
    train_references: int = 0
    preset: str | None = None  # for train_references; default: the suspect run's own
    overrides: tuple[str, ...] = ()
    dataset: str | None = None
    probe_size: int | None = None
    high_temperature: float = HIGH_TEMPERATURE
    level: float = DEFAULT_LEVEL
    runs_dir: Path = field(default_factory=Path)


def check_request(request: DetectRequest) -> Subject:
    """Everything that can be wrong before training: returns the resolved teacher.

    Raises:
        LineageError / PresetError: one message naming the bad target or option.
    """
    if not request.suspect or not request.teacher:
        raise LineageError("give a SUSPECT and --teacher TEACHER (or --evaluate PRESET)")
    if not 0 < request.level < 1:
        raise LineageError(f"--level {request.level}: give a false-positive rate between 0 "
                           "and 1")
    teacher = resolve_subject(request.teacher, "teacher", request.runs_dir)
    resolve_subject(request.suspect, "suspect", request.runs_dir)
    if not request.references and not request.train_references:
        raise LineageError("no references: give --references R... (models that never saw "
                           "the teacher) or --train-references K")
    if request.train_references:
        load_experiment(training_preset(request), list(request.overrides))
    return teacher


def training_preset(request: DetectRequest) -> str:
    """``request.preset``, or the suspect run's own preset (kept in its folder)."""
    if request.preset:
        return request.preset
    info = find_run(request.runs_dir, request.suspect)
    if info is None or not (info.path / "preset.yaml").is_file():
        raise LineageError("--train-references needs --preset (an experiment preset whose "
                           "student architecture and data the references copy) when the "
                           "suspect is not a run")
    return str(info.path / "preset.yaml")


def run_detection(request: DetectRequest, work_dir: Path | None = None, *,
                  callbacks: Sequence[Callable[[Event], None]] = (),
                  control: RunControl | None = None,
                  on_status: Callable[[str], None] | None = None) -> Detection:
    """Check, train the references asked for (into ``work_dir``, else a temporary
    folder), and judge.

    Raises:
        LineageError / PresetError: bad input, before anything is trained.
        RunFailed / RunStopped: a reference run failed or was stopped.
    """
    status = on_status or (lambda message: None)
    teacher = check_request(request)
    references, distilled = list(request.references), list(request.distilled)
    with work_folder(work_dir) as folder:
        if request.train_references:
            trained, known = _train(request, folder, teacher, callbacks, control, status)
            references += trained
            distilled += known
        return detect(request.suspect, request.teacher, references, distilled,
                      runs_dir=request.runs_dir, dataset=request.dataset,
                      probe_size=request.probe_size,
                      high_temperature=request.high_temperature, level=request.level,
                      on_status=status)


def _train(request: DetectRequest, work_dir: Path, teacher: Subject,
           callbacks: Sequence[Callable[[Event], None]], control: RunControl | None,
           status: Callable[[str], None]) -> tuple[list[str], list[str]]:
    preset_path = training_preset(request)
    preset = load_experiment(preset_path, list(request.overrides))
    count = request.train_references
    status(f"training {count} reference run(s) of {preset.name}")
    pairs = train_pairs(preset_path, count, work_dir, request.overrides, callbacks=callbacks,
                        control=control,
                        on_start=lambda i, n, seed: status(f"reference run {i + 1}/{n} "
                                                           f"(seed {seed})"))
    references = [str(pair.reference) for pair in pairs if pair.reference is not None]
    if not is_preset_teacher(preset, teacher):
        status("the preset's teacher is not TEACHER: its students are not used as known "
               "distilled models")
        return references, []
    return references, [str(pair.distilled) for pair in pairs]
