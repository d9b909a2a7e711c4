"""The schema is declared once: everything the app writes or defaults comes from it."""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.core.presets.share.bundle_helpers import read_entries
from workbench.core.presets import load_experiment
from workbench.core.presets.load import experiment_from_dict
from workbench.core.presets.save import settings_from_preset, validate_settings, write_experiment
from workbench.core.presets.schema import DISTILL_METHOD, EXPERIMENT_TOP, SCHEMA_VERSION
from workbench.core.presets.share.bundle import export_bundle
from workbench.core.presets.yaml_io import migrate


def test_every_preset_the_app_writes_declares_the_current_schema(tmp_path: Path) -> None:
    preset = load_experiment("synthetic-quick")
    resolved = preset.to_dict()
    assert resolved["schema"] == SCHEMA_VERSION
    assert resolved["teacher"]["schema"] == resolved["student"]["schema"] == SCHEMA_VERSION
    saved = write_experiment(settings_from_preset(preset), tmp_path / "saved.yaml")
    assert yaml.safe_load(saved.read_text(encoding="utf-8"))["schema"] == SCHEMA_VERSION
    bundle = export_bundle("synthetic-quick", tmp_path / "quick.wbpreset").path
    models = {name: yaml.safe_load(data) for name, data in read_entries(bundle).items()
              if name.startswith("models/")}
    assert models and {model["schema"] for model in models.values()} == {SCHEMA_VERSION}


def test_a_resolved_preset_needs_no_migration_and_validates_as_it_is() -> None:
    resolved = load_experiment("synthetic-quick").to_dict()
    data, notes = migrate(dict(resolved), "<resolved>")
    assert notes == [] and data == resolved
    assert set(resolved) == set(EXPERIMENT_TOP)
    again = experiment_from_dict(resolved, "<resolved>", Path.cwd())
    assert again.to_dict() == resolved


def test_the_distill_method_defaults_to_the_schema_declaration() -> None:
    settings = settings_from_preset(load_experiment("synthetic-quick"))
    settings["distill"].pop("method", None)
    assert validate_settings(settings).distill["method"] == DISTILL_METHOD.default
