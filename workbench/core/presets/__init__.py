"""Presets: YAML (safe_load only), schema version 1, validated whole."""
from __future__ import annotations

from workbench.core.presets.experiment import ExperimentPreset
from workbench.core.presets.load import (experiment_from_dict, experiment_from_text,
                                         load_any, load_experiment, load_model_preset)
from workbench.core.presets.model import ModelPreset

__all__ = ["ExperimentPreset", "ModelPreset", "experiment_from_dict", "experiment_from_text",
           "load_any", "load_experiment", "load_model_preset"]
