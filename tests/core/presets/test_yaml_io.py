"""Reading preset text: safe_load only, schema versions, ``--set`` overrides."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.presets.texts import GOOD
from workbench.core.errors import PresetError
from workbench.core.presets import experiment_from_text, load_any, load_experiment
from workbench.core.presets.yaml_io import SCHEMA_VERSION


def test_a_newer_schema_names_the_supported_version(tmp_path: Path) -> None:
    path = tmp_path / "future.yaml"
    path.write_text(GOOD.replace("schema: 1", "schema: 99"), encoding="utf-8")
    with pytest.raises(PresetError) as raised:
        load_experiment(path)
    [problem] = raised.value.problems
    assert problem.path == "schema"
    assert "99" in problem.message
    assert f"schema {SCHEMA_VERSION}" in problem.message
    assert "update" in problem.message


@pytest.mark.parametrize("version", ["-1", "'one'", "true"])
def test_a_nonsense_schema_is_refused(version: str) -> None:
    with pytest.raises(PresetError) as raised:
        experiment_from_text(GOOD.replace("schema: 1", f"schema: {version}"))
    assert [problem.path for problem in raised.value.problems] == ["schema"]


def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = GOOD.replace("name: tiny", f'name: !!python/object/apply:os.system ["echo hi > {marker}"]')
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    for load in (lambda: load_experiment(path), lambda: experiment_from_text(text)):
        with pytest.raises(PresetError) as raised:
            load()
        assert "not valid YAML" in str(raised.value)
        assert "line 3" in str(raised.value)
    assert not marker.exists()


def test_a_whole_file_tag_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(PresetError):
        experiment_from_text(f'!!python/object/apply:os.system ["echo hi > {marker}"]')
    assert not marker.exists()


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(PresetError, match="mapping"):
        experiment_from_text("- just\n- a list\n")


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(PresetError, match="line 2"):
        experiment_from_text("schema: 1\nname: a: b\nteacher: x\n")


def test_overrides_set_nested_values() -> None:
    preset = load_experiment("synthetic-quick", overrides=[
        "distill.alpha=0.25", "train.epochs=3", "data.train_limit=500", "train.baseline=false",
        "student={architecture: mlp, args: {hidden: [7, 5]}}"])
    assert preset.distill.alpha == 0.25
    assert preset.train.epochs == 3
    assert preset.data.train_limit == 500
    assert preset.train.baseline is False
    assert list(preset.student.args.hidden) == [7, 5]
    assert preset.distill.temperature == 4.0  # untouched values stay


def test_a_bad_override_is_refused_with_a_hint() -> None:
    with pytest.raises(PresetError) as raised:
        load_experiment("synthetic-quick", overrides=["noequals", "distill.alpha=0.3"])
    [problem] = raised.value.problems
    assert problem.path == "noequals"
    assert "KEY=VALUE" in problem.message


def test_override_values_are_validated_like_the_file() -> None:
    with pytest.raises(PresetError) as raised:
        load_experiment("synthetic-quick", overrides=["distill.alpha=1.5", "train.epochs=0",
                                                      "data.datset=synthetic"])
    paths = {problem.path for problem in raised.value.problems}
    assert paths == {"distill.alpha", "train.epochs", "data.datset"}


def test_override_inside_a_model_name_explains_why_it_cannot() -> None:
    with pytest.raises(PresetError) as raised:
        load_experiment("synthetic-quick", overrides=["student.args.hidden=[5]"])
    [problem] = raised.value.problems
    assert problem.path == "student.args.hidden"
    assert "synthetic-mlp" in problem.message


def test_overrides_do_not_touch_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    load_experiment(path, overrides=["train.epochs=7"])
    assert path.read_text(encoding="utf-8") == GOOD
    assert load_experiment(path).train.epochs != 7


def test_unknown_experiment_name_lists_the_known_ones() -> None:
    with pytest.raises(PresetError) as raised:
        load_experiment("no-such-experiment")
    assert "synthetic-quick" in str(raised.value)


def test_load_any_tells_models_from_experiments() -> None:
    assert load_any("synthetic-mlp").architecture == "mlp"
    assert load_any("synthetic-quick").name == "synthetic-quick"


SCHEMA_0 = """\
schema: 0
kind: experiment
name: old
teacher: synthetic-cnn
student: synthetic-mlp
alpha: 0.2
temperature: 6.0
data: {dataset: synthetic, val_size: 100}
"""


def test_schema_0_moves_flat_alpha_and_temperature_under_distill(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(SCHEMA_0, encoding="utf-8")
    preset = load_experiment(path)
    assert preset.distill.alpha == 0.2 and preset.distill.temperature == 6.0
    [note] = preset.notes
    assert "schema 0 to 1" in note and "distill" in note
    assert path.read_text(encoding="utf-8") == SCHEMA_0  # migration never rewrites the file


def test_schema_0_with_both_layouts_names_the_conflict() -> None:
    with pytest.raises(PresetError) as raised:
        experiment_from_text(SCHEMA_0 + "distill: {alpha: 0.4}\n")
    [problem] = raised.value.problems
    assert problem.path == "alpha" and "distill.alpha" in problem.message
