"""Saving and exporting experiment settings as preset files, validated before writing."""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from workbench.core.config.names import check_name
from workbench.core.errors import PresetClash, PresetError, Problem
from workbench.core.files import atomic_write_text, os_reason
from workbench.core.paths import bundled_presets_dir
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.model import ModelPreset
from workbench.core.presets.library import find_preset, user_presets_dir
from workbench.core.presets.load import experiment_from_dict

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def settings_from_preset(preset: ExperimentPreset) -> dict[str, Any]:
    """A raw, editable mapping of a validated preset.

    Library models stay referenced by name (so a saved preset is shareable);
    other models are inlined.
    """
    settings = preset.to_dict()
    teachers = [_reference(model) for model in preset.teachers]
    settings["teacher"] = teachers[0] if len(teachers) == 1 else teachers
    settings["student"] = _reference(preset.student)
    if preset.assistants:
        settings["distill"]["assistants"] = [_reference(model) for model in preset.assistants]
    return settings


def _reference(model: ModelPreset) -> str | dict[str, Any]:
    """A library model's name; any other model inlined."""
    path = find_preset(model.name, "model")
    if path is not None and Path(path).resolve() == Path(model.source).resolve():
        return model.name
    return model.to_dict()


def validate_settings(settings: dict[str, Any], source: str = "<window>") -> ExperimentPreset:
    """Validate settings as a whole preset; raises PresetError listing every problem."""
    return experiment_from_dict(copy.deepcopy(settings), source,
                                bundled_presets_dir() / "experiments")


def _check_name(name: str) -> None:
    if reason := check_name(name):
        raise PresetError("<save>", [Problem("name", reason)])


def write_experiment(settings: dict[str, Any], path: Path) -> Path:
    """Validate, then write ``settings`` as YAML at ``path`` (atomically).

    Raises:
        PresetError: the settings are invalid, or ``path`` cannot be written
            (read-only place, full disk); an earlier file there is left as it was.
    """
    validate_settings(settings, str(path))
    path = Path(path)
    try:
        atomic_write_text(path, yaml.safe_dump(settings, sort_keys=False))
    except OSError as error:
        raise PresetError(str(path), [Problem("", f"cannot write the preset "
                                              f"({os_reason(error)}); choose another "
                                              "place")]) from None
    return path


def save_user_experiment(settings: dict[str, Any], name: str,
                         overwrite: bool = False) -> Path:
    """Save as ``<user presets>/experiments/<name>.yaml``; refuses to overwrite unless asked."""
    _check_name(name)
    settings = {**settings, "name": name}
    path = user_presets_dir() / "experiments" / f"{name}.yaml"
    if path.exists() and not overwrite:
        raise PresetClash(str(path), [Problem("name", f"a preset named '{name}' already "
                                              "exists; pick another name or overwrite it")])
    return write_experiment(settings, path)
