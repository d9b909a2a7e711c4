"""Experiment presets: teacher, student, data, distillation, training, comparison."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.data import DATASETS
from workbench.core.distill import METHODS
from workbench.core.errors import PresetError, Problem
from workbench.core.config.params import check_mapping, unknown_key_message
from workbench.core.presets.library import find_preset
from workbench.core.presets.model import (ONNX_SUFFIXES, OUTPUT_SUFFIXES, TORCHSCRIPT_SUFFIXES,
                                          ModelPreset, file_kind, validate_model)
from workbench.core.presets.schema import (DISTILL_METHOD, EXPERIMENT_FIELDS, EXPERIMENT_TOP,
                                           MODEL_ROLES, SCHEMA_VERSION, SECTIONS)
from workbench.core.config.section import Section
from workbench.core.presets.yaml_io import migrate, read_yaml
from workbench.core.distill.teachers import TEACHER_PARAMS
from workbench.core.presets.teachers import (check_teaching, resolve_assistants, resolve_team,
                                             team_to_dict)

_OWN_FIELDS = tuple(param.name for param in EXPERIMENT_FIELDS)


@dataclass(frozen=True)
class ExperimentPreset:
    """A validated experiment: every name resolved, every default filled in."""

    name: str
    description: str
    teacher: ModelPreset
    student: ModelPreset
    data: Section
    distill: Section
    train: Section
    teacher_train: Section
    compare: Section
    source: str
    notes: tuple[str, ...] = field(default=())
    green: Section = field(default_factory=lambda: Section(  # absent: every default
        {param.name: param.default for param in SECTIONS["green"]}))
    more_teachers: tuple[ModelPreset, ...] = ()  # teacher: [a, b, ...] -> teacher is a
    assistants: tuple[ModelPreset, ...] = ()  # distill.assistants, resolved

    @property
    def teachers(self) -> tuple[ModelPreset, ...]:
        """Every teacher, in the preset's order (one unless ``teacher:`` is a list)."""
        return (self.teacher, *self.more_teachers)

    def to_dict(self) -> dict[str, Any]:
        """The resolved preset, self-contained (models inlined): what a run folder keeps."""
        return {"schema": SCHEMA_VERSION, "kind": "experiment", "name": self.name,
                "description": self.description, "teacher": team_to_dict(self.teachers),
                "student": self.student.to_dict(), "data": self.data.to_dict(),
                "distill": {**self.distill.to_dict(), **({"assistants": [
                    model.to_dict() for model in self.assistants]} if self.assistants else {})}, "train": self.train.to_dict(),
                "teacher_train": self.teacher_train.to_dict(),
                "compare": self.compare.to_dict(), "green": self.green.to_dict()}


def validate_experiment(raw: Mapping[str, Any], source: str, base_dir: Path,
                        notes: tuple[str, ...] = ()) -> ExperimentPreset:
    """Validate everything and raise one PresetError listing every problem."""
    problems: list[Problem] = []
    for key in raw:
        if key not in EXPERIMENT_TOP:
            problems.append(Problem(str(key), unknown_key_message(key, EXPERIMENT_TOP)))
    top = check_mapping({k: raw[k] for k in raw if k in _OWN_FIELDS}, EXPERIMENT_FIELDS, "",
                        problems)
    team = resolve_team(raw.get("teacher"), base_dir, problems, _resolve_model)
    models = {role: _resolve_model(raw.get(role), role, base_dir, problems)
              for role in MODEL_ROLES if role != "teacher"}
    models["teacher"] = None if team is None else team[0]
    sections = {name: Section(check_mapping(raw.get(name), params, name, problems))
                for name, params in SECTIONS.items() if name != "data"}
    sections["data"] = _check_data(raw.get("data"), problems, base_dir)
    distill = _check_distill(raw.get("distill"), problems)
    assistants = resolve_assistants(distill, base_dir, problems, _resolve_model)
    check_teaching(team, distill, problems)
    student = models["student"]
    if student is not None and student.black_box:
        problems.append(Problem("student", f"a '{student.architecture}' file can only be a "
                                "teacher; the student needs an architecture to train"))
    if problems:
        raise PresetError(source, problems)
    return ExperimentPreset(name=top["name"], description=top["description"],
                            teacher=models["teacher"], student=models["student"],
                            distill=distill, source=source, notes=notes, **sections,
                            more_teachers=tuple((team or ())[1:]), assistants=assistants)


def _check_data(raw: Any, problems: list[Problem], base_dir: Path) -> Section:
    """The shared data fields plus the chosen dataset's own declared Params (flat in data:).

    A relative ``data.root`` is relative to the preset's folder, as weights files are."""
    shared = SECTIONS["data"]
    if raw is not None and not isinstance(raw, Mapping):
        return Section(check_mapping(raw, shared, "data", problems))  # says: not a mapping
    raw = raw or {}
    dataset = raw.get("dataset", next(p.default for p in shared if p.name == "dataset"))
    if dataset not in DATASETS:
        problems.append(Problem("data.dataset", DATASETS.unknown_message(dataset)))
        names = {param.name for param in shared}  # its own keys cannot be checked: no dataset
        values = check_mapping({k: v for k, v in raw.items() if k in names}, shared, "data",
                               [])
        return Section({**values, "dataset": dataset})
    values = check_mapping(raw, shared + DATASETS.get(dataset).params, "data", problems)
    if isinstance(values.get("root"), str) and values["root"]:
        root = Path(values["root"]).expanduser()
        values["root"] = os.path.abspath(root if root.is_absolute() else base_dir / root)
    return Section(values)


def _check_distill(raw: Any, problems: list[Problem]) -> Section:
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        problems.append(Problem("distill", f"must be a mapping, got {raw!r}"))
        return Section({})
    method = raw.get(DISTILL_METHOD.name, DISTILL_METHOD.default)
    if method not in METHODS:
        problems.append(Problem("distill.method", METHODS.unknown_message(method)))
        return Section({"method": method})
    params = (DISTILL_METHOD,) + METHODS.get(method).params + TEACHER_PARAMS
    return Section(check_mapping(raw, params, "distill", problems))


def _resolve_model(reference: Any, role: str, base_dir: Path,
                   problems: list[Problem]) -> ModelPreset | None:
    if reference is None:
        problems.append(Problem(role, "is required: a model preset name, a path, or a mapping"))
        return None
    if isinstance(reference, Mapping):
        return validate_model(reference, role, base_dir, f"{role} (inline)", problems,
                              standalone=False)
    if not isinstance(reference, str):
        problems.append(Problem(role, f"must be a model preset name or path, got {reference!r}"))
        return None
    if reference.lower().endswith(TORCHSCRIPT_SUFFIXES + OUTPUT_SUFFIXES + ONNX_SUFFIXES):
        kind = file_kind(reference)
        name = Path(reference).stem
        return validate_model({"architecture": kind, "weights": reference, "name": name},
                              role, base_dir, f"{role} ({kind} file)", problems,
                              standalone=False)
    path = find_preset(reference, "model", relative_to=base_dir)
    if path is None:
        from workbench.core.presets.library import preset_names

        problems.append(Problem(role, f"model preset '{reference}' not found "
                                f"(known: {', '.join(preset_names('model'))})"))
        return None
    try:
        data, _ = migrate(read_yaml(path), str(path))
    except PresetError as error:
        problems += [Problem(f"{role} -> {path}" + (f": {p.path}" if p.path else ""), p.message)
                     for p in error.problems]
        return None
    nested: list[Problem] = []
    model = validate_model(data, "", path.parent, str(path), nested, standalone=True)
    problems += [Problem(f"{role} -> {path}: {p.path}", p.message) for p in nested]
    return model
