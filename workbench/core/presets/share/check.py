"""Checking an unpacked bundle's presets before anything reaches the user's folder.

YAML is read with ``yaml.safe_load`` only, weights with ``weights_only=True``
only; references must stay inside the bundle; the experiment is validated
whole against the bundled models.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.models.weights import read_state_dict
from workbench.core.errors import PresetError, Problem
from workbench.core.presets.share.manifest import Manifest
from workbench.core.presets.share.weights_fit import weights_fit_problem
from workbench.core.presets.experiment import validate_experiment
from workbench.core.presets.model import ModelPreset, validate_model
from workbench.core.presets.references import (experiment_reference_problems,
                                               model_weights_problem)
from workbench.core.presets.yaml_io import migrate, read_yaml


@dataclass(frozen=True)
class StagedBundle:
    """A checked bundle in its staging folder: raw mappings ready to be written."""

    name: str
    experiment: dict[str, Any]
    models: dict[str, dict[str, Any]]  # only the models the experiment uses
    validated: dict[str, ModelPreset]
    staging: Path
    notes: tuple[str, ...]

    def weights_file(self, model: str) -> Path | None:
        weights = self.models[model].get("weights")
        return None if weights is None else self.staging / "models" / weights


def check_staged(staging: Path, manifest: Manifest, source: str) -> StagedBundle:
    """Every check on the unpacked files; raises one PresetError naming every problem."""
    problems: list[Problem] = []
    notes: list[str] = []
    entries = sorted(manifest.files)
    weights_files = {entry.split("/", 1)[1] for entry in entries if entry.endswith(".pt")}
    extra = [entry for entry in entries if entry.startswith("experiments/")
             and entry != manifest.preset]
    problems += [Problem(entry, "a bundle holds one experiment; this one is extra")
                 for entry in extra]
    models: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.startswith("models/") and entry.endswith(".yaml"):
            model = _read_preset(staging, entry, "model", source, notes, problems)
            if model is not None:
                models[Path(entry).stem] = model
                if problem := model_weights_problem(model, weights_files):
                    problems.append(Problem(f"{entry}: {problem.path}", problem.message))
    experiment = _read_preset(staging, manifest.preset, "experiment", source, notes, problems)
    if problems or experiment is None:
        raise PresetError(source, problems)
    problems += [Problem(f"{manifest.preset}: {p.path}", p.message)
                 for p in experiment_reference_problems(experiment, set(models))]
    if problems:
        raise PresetError(source, problems)
    used = {experiment[role] for role in ("teacher", "student")
            if isinstance(experiment.get(role), str)}
    used_weights = {models[name].get("weights") for name in used}
    problems += [Problem(f"models/{name}", "is not used by the experiment")
                 for name in sorted(weights_files - used_weights)]
    problems += _weights_problems(staging, sorted(weights_files & used_weights))
    if problems:
        raise PresetError(source, problems)
    validated = _validate(staging, manifest.preset, experiment,
                          {name: models[name] for name in used}, source)
    _raise_if_weights_misfit(staging, validated, {name: models[name] for name in used}, source)
    return StagedBundle(name=Path(manifest.preset).stem, experiment=experiment,
                        models={name: models[name] for name in used}, validated=validated,
                        staging=staging, notes=tuple(notes))


def _read_preset(staging: Path, entry: str, kind: str, source: str, notes: list[str],
                 problems: list[Problem]) -> dict[str, Any] | None:
    where = f"{source}: {entry}"
    try:
        data, migrated = migrate(read_yaml(staging / entry, where), where)  # limits, encodings
    except PresetError as error:
        problems += [Problem(f"{entry}: {p.path}" if p.path else entry, p.message)
                     for p in error.problems]
        return None
    notes += migrated
    if data.get("kind", "experiment") != kind:
        problems.append(Problem(f"{entry}: kind", f"must be '{kind}' in this folder"))
        return None
    if data.get("name") != Path(entry).stem:
        problems.append(Problem(f"{entry}: name", f"must match its file name "
                                f"('{Path(entry).stem}'), got {data.get('name')!r}"))
        return None
    return data


def _weights_problems(staging: Path, names: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for name in names:
        try:
            read_state_dict(staging / "models" / name)  # weights_only=True, nothing else
        except PresetError as error:
            problems += [Problem(f"models/{name}", p.message) for p in error.problems]
    return problems


def _raise_if_weights_misfit(staging: Path, validated: dict[str, ModelPreset],
                             models: dict[str, dict[str, Any]], source: str) -> None:
    """Refuse weights that load as tensors but do not fit their model's architecture."""
    problems: list[Problem] = []
    for name, model in sorted(validated.items()):
        weights = models[name].get("weights")
        if weights is None:
            continue
        state, meta = read_state_dict(staging / "models" / weights)
        reason = weights_fit_problem(model.architecture, model.args.to_dict(), state, meta)
        if reason:
            problems.append(Problem(f"models/{weights}", f"weights of model '{name}' {reason}"))
    if problems:
        raise PresetError(source, problems)


def _validate(staging: Path, entry: str, experiment: dict[str, Any],
              models: dict[str, dict[str, Any]], source: str) -> dict[str, ModelPreset]:
    """Validate the bundled models and the experiment with those models inlined."""
    problems: list[Problem] = []
    validated: dict[str, ModelPreset] = {}
    for name, raw in models.items():
        model = validate_model(raw, "", staging / "models", f"models/{name}.yaml", problems,
                               standalone=True)
        if model is not None:
            validated[name] = model
    if problems:
        raise PresetError(source, [Problem(f"models: {p.path}", p.message) for p in problems])
    inlined = copy.deepcopy(experiment)
    for role in ("teacher", "student"):
        if isinstance(inlined.get(role), str):
            model = dict(models[inlined[role]])
            weights = validated[inlined[role]].weights
            model["weights"] = None if weights is None else str(weights)
            inlined[role] = model
    try:
        validate_experiment(inlined, f"{source}: {entry}", staging / "experiments")
    except PresetError as error:
        raise PresetError(error.source, error.problems) from None
    return validated
