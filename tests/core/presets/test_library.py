"""The preset library: the user's folder first, then the bundled presets."""
from __future__ import annotations

from pathlib import Path

from workbench.core.presets import load_experiment, load_model_preset
from workbench.core.presets.library import list_presets, user_presets_dir


def test_user_presets_live_under_the_config_folder(isolated_folders: dict[str, Path]) -> None:
    assert user_presets_dir() == isolated_folders["config"] / "presets"


def test_a_user_preset_shadows_the_bundled_one(isolated_folders: dict[str, Path]) -> None:
    folder = user_presets_dir() / "models"
    folder.mkdir(parents=True)
    (folder / "synthetic-mlp.yaml").write_text(
        "schema: 1\nkind: model\nname: synthetic-mlp\narchitecture: mlp\nargs: {hidden: [3]}\n",
        encoding="utf-8")
    [entry] = [entry for entry in list_presets("model") if entry.name == "synthetic-mlp"]
    assert entry.origin == "user"
    assert entry.shadows is not None and entry.shadows.name == "synthetic-mlp.yaml"
    assert list(load_model_preset("synthetic-mlp").args.hidden) == [3]
    assert list(load_experiment("synthetic-quick").student.args.hidden) == [3]


def test_any_folder_can_be_listed_with_origin_path(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "theirs.yaml").write_text(
        "schema: 1\nkind: model\nname: theirs\narchitecture: mlp\n", encoding="utf-8")
    (folder / "exp.yaml").write_text("schema: 1\nkind: experiment\nname: exp\n",
                                     encoding="utf-8")
    entries = {(entry.name, entry.kind): entry.origin
               for entry in list_presets(extra_folders=(folder,))}
    assert entries[("theirs", "model")] == "path"
    assert entries[("exp", "experiment")] == "path"
    assert entries[("synthetic-quick", "experiment")] == "bundled"
