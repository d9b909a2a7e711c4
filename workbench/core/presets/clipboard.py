"""Presets as YAML text, for "Copy as YAML" and "Paste preset".

Pasted text is treated like any shared file: ``yaml.safe_load`` only, every
field validated, and no references to files (model paths, weights, a dataset
folder) unless the caller trusts the text.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from workbench.core.errors import PresetError
from workbench.core.paths import bundled_presets_dir
from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.load import experiment_from_dict
from workbench.core.presets.references import experiment_reference_problems
from workbench.core.presets.save import settings_from_preset, validate_settings
from workbench.core.presets.yaml_io import migrate, parse_yaml


def preset_to_yaml_text(preset: ExperimentPreset | Mapping[str, Any]) -> str:
    """YAML text of a preset (or of raw settings, validated first); library models by name."""
    if isinstance(preset, ExperimentPreset):
        settings = settings_from_preset(preset)
    else:
        settings = dict(preset)
        validate_settings(settings)
    return yaml.safe_dump(settings, sort_keys=False)


def preset_from_yaml_text(text: str, source: str = "<pasted text>", *,
                          allow_file_references: bool = False) -> ExperimentPreset:
    """Parse and validate pasted experiment YAML.

    Args:
        text: the YAML text.
        source: what to call it in messages.
        allow_file_references: accept model paths, weights files and ``data.root``
            (only for text the user wrote themselves).

    Raises:
        PresetError: every problem, with its field path.
    """
    data, notes = migrate(parse_yaml(text, source), source)
    if not allow_file_references:
        problems = experiment_reference_problems(data, bundled_models=None)
        if problems:
            raise PresetError(source, problems)
    base_dir = Path.cwd() if allow_file_references else bundled_presets_dir() / "experiments"
    return experiment_from_dict(data, source, base_dir, notes=tuple(notes))
