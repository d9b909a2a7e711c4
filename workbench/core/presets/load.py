"""Load presets by name or path, with ``--set`` overrides, into validated objects."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.errors import PresetError, Problem
from workbench.core.presets.experiment import ExperimentPreset, validate_experiment
from workbench.core.presets.library import find_preset, preset_names
from workbench.core.presets.model import ModelPreset, validate_model
from workbench.core.presets.yaml_io import apply_overrides, migrate, parse_yaml, read_yaml


def locate(reference: str, kind: str) -> Path:
    path = find_preset(reference, kind)
    if path is None:
        known = ", ".join(preset_names(kind)) or "none"
        raise PresetError(reference, [Problem("", f"no {kind} preset named or found at "
                                              f"'{reference}' (known {kind}s: {known})")])
    return path


def load_experiment(reference: str | Path, overrides: list[str] | None = None) -> ExperimentPreset:
    """Load an experiment preset (bundled/user name or file path) and validate it whole."""
    path = locate(str(reference), "experiment")
    data, notes = migrate(read_yaml(path), str(path))
    return experiment_from_dict(data, str(path), path.parent, overrides, tuple(notes))


def experiment_from_text(text: str, source: str = "<text>", base_dir: Path | None = None,
                         overrides: list[str] | None = None) -> ExperimentPreset:
    data, notes = migrate(parse_yaml(text, source), source)
    return experiment_from_dict(data, source, base_dir or Path.cwd(), overrides, tuple(notes))


def experiment_from_dict(data: dict[str, Any], source: str, base_dir: Path,
                         overrides: list[str] | None = None,
                         notes: tuple[str, ...] = ()) -> ExperimentPreset:
    data, migrated = migrate(data, source)  # a no-op for a current preset
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_experiment(data, source, base_dir, tuple(notes) + tuple(migrated))


def load_model_preset(reference: str | Path) -> ModelPreset:
    path = locate(str(reference), "model")
    data, _ = migrate(read_yaml(path), str(path))
    problems: list[Problem] = []
    model = validate_model(data, "", path.parent, str(path), problems, standalone=True)
    if problems or model is None:
        raise PresetError(str(path), problems)
    return model


def load_any(reference: str | Path) -> ExperimentPreset | ModelPreset:
    """Load a preset of either kind (for ``presets validate`` and ``show``)."""
    reference = str(reference)
    for kind in ("experiment", "model"):
        path = find_preset(reference, kind)
        if path is not None:
            declared = read_yaml(path).get("kind", "experiment")
            if declared == "model":
                return load_model_preset(path)
            return load_experiment(path)
    return load_experiment(reference)  # raises the "not found" message
