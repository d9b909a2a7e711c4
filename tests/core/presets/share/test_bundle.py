"""Share bundles: export, import into a user folder, clashes, provenance."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.core.presets.share.bundle_helpers import read_entries, snapshot, write_weighted_user_preset
from workbench.core.errors import PresetError
from workbench.core.presets import load_experiment
from workbench.core.presets.share.bundle import export_bundle
from workbench.core.presets.share.manifest import BUNDLE_SCHEMA, sha256_hex
from workbench.core.presets.share.importer import import_bundle
from workbench.core.presets.library import user_presets_dir


def test_manifest_lists_every_file_with_its_hash_and_provenance(tmp_path: Path) -> None:
    bundle = export_bundle("synthetic-quick", tmp_path / "quick.wbpreset").path
    entries = read_entries(bundle)
    manifest = json.loads(entries.pop("manifest.json"))
    assert manifest["schema"] == BUNDLE_SCHEMA and manifest["app_version"]
    assert manifest["created"] and manifest["preset"] == "experiments/synthetic-quick.yaml"
    assert set(manifest["files"]) == set(entries) == {
        "experiments/synthetic-quick.yaml", "models/synthetic-cnn.yaml",
        "models/synthetic-mlp.yaml"}
    for name, data in entries.items():
        assert manifest["files"][name] == {"sha256": sha256_hex(data), "size": len(data)}
    source = Path(load_experiment("synthetic-quick").source)
    assert manifest["derived_from"] == {"name": "synthetic-quick", "origin": "bundled",
                                        "sha256": sha256_hex(source.read_bytes())}


def test_export_never_overwrites_silently(tmp_path: Path) -> None:
    target = tmp_path / "quick.wbpreset"
    target.write_bytes(b"mine")
    with pytest.raises(PresetError, match="--replace"):
        export_bundle("synthetic-quick", target)
    assert target.read_bytes() == b"mine"
    export_bundle("synthetic-quick", target, replace=True)
    assert target.read_bytes() != b"mine"


def test_weights_travel_and_land_next_to_their_model(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write_weighted_user_preset(user_presets_dir())
    weights = (user_presets_dir() / "models" / "my-teacher.pt").read_bytes()
    bundle = export_bundle("mine", tmp_path / "mine.wbpreset", with_weights=True).path
    entries = read_entries(bundle)
    assert entries["models/my-teacher.pt"] == weights
    assert yaml.safe_load(entries["models/my-teacher.yaml"])["weights"] == "my-teacher.pt"

    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "fresh"))
    result = import_bundle(bundle)
    folder = tmp_path / "fresh" / "presets"
    assert (folder / "models" / "my-teacher.pt").read_bytes() == weights
    assert set(result.written) == {folder / "models" / "my-teacher.pt",
                                   folder / "models" / "my-teacher.yaml",
                                   folder / "experiments" / "mine.yaml"}
    assert result.reused == ("synthetic-mlp",)  # identical to the bundled model
    preset = load_experiment("mine")
    assert preset.teacher.weights == folder / "models" / "my-teacher.pt"
    assert preset.distill.temperature == 3.0


def test_without_weights_the_model_trains_and_a_note_says_so(tmp_path: Path) -> None:
    write_weighted_user_preset(user_presets_dir())
    result = export_bundle("mine", tmp_path / "mine.wbpreset")
    assert any("my-teacher" in note and "--with-weights" in note for note in result.notes)
    entries = read_entries(result.path)
    assert "models/my-teacher.pt" not in entries
    assert yaml.safe_load(entries["models/my-teacher.yaml"])["weights"] is None


def test_a_name_clash_fails_with_a_hint_and_replace_overwrites(tmp_path: Path) -> None:
    bundle = export_bundle("synthetic-quick", tmp_path / "quick.wbpreset").path
    with pytest.raises(PresetError, match="--as NAME") as raised:
        import_bundle(bundle)  # the bundled experiment of that name
    assert "synthetic-quick" in str(raised.value)
    assert snapshot(user_presets_dir()) == {}
    import_bundle(bundle, as_name="shared")
    before = snapshot(user_presets_dir())
    with pytest.raises(PresetError, match="already exists"):
        import_bundle(bundle, as_name="shared")
    assert snapshot(user_presets_dir()) == before
    result = import_bundle(bundle, as_name="shared", replace=True)
    assert any("replaced" in note for note in result.notes)
    assert load_experiment("shared").name == "shared"


def test_a_different_model_with_a_bundled_name_shadows_only_when_told(tmp_path: Path) -> None:
    folder = user_presets_dir()
    write_weighted_user_preset(folder, model="synthetic-cnn", experiment="odd")
    bundle = export_bundle("odd", tmp_path / "odd.wbpreset", with_weights=True).path
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    with pytest.raises(PresetError, match="bundled model preset"):
        import_bundle(bundle)
    assert snapshot(folder) == {}
    result = import_bundle(bundle, replace=True)
    assert any("shadows the bundled one" in note for note in result.notes)


def test_as_name_must_be_a_plain_name(tmp_path: Path) -> None:
    bundle = export_bundle("synthetic-quick", tmp_path / "quick.wbpreset").path
    with pytest.raises(PresetError, match="--as"):
        import_bundle(bundle, as_name="../escape")
    assert snapshot(user_presets_dir()) == {}
