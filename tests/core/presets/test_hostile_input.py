"""Presets written to hurt: names that leave their folder, absurd values, shared bombs."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.presets.share.bundle_helpers import (read_entries, snapshot,
                                                     write_weighted_user_preset, write_zip)
from tests.core.presets.test_yaml_limits import alias_bomb
from tests.core.presets.texts import GOOD
from workbench.core.errors import PresetError
from workbench.core.presets import experiment_from_text, load_experiment
from workbench.core.presets.library import user_presets_dir
from workbench.core.presets.load import load_model_preset
from workbench.core.presets.save import save_user_experiment, settings_from_preset
from workbench.core.presets.share.bundle import export_bundle
from workbench.core.presets.share.importer import import_bundle

ESCAPES = ["x/../../escaped", "../escaped", "..", "/tmp/escaped", "a\\..\\b", "a\x00b",
           "b" * 300, "CON", ""]


def problems_of(load: object) -> dict[str, str]:
    with pytest.raises(PresetError) as raised:
        load()  # type: ignore[operator]
    return {problem.path: problem.message for problem in raised.value.problems}


@pytest.mark.parametrize("name", ESCAPES)
def test_an_experiment_name_that_is_no_plain_name_is_refused(name: str) -> None:
    text = GOOD.replace("name: tiny", f"name: {name!r}".replace("'", '"')
                        .replace("\\x00", "\\0"))
    problems = problems_of(lambda: experiment_from_text(text))
    assert set(problems) == {"name"}
    assert "must be a name" in problems["name"]


@pytest.mark.parametrize("name", ["x/../../escaped", "a" * 65, "a b"])
def test_an_override_cannot_slip_a_bad_name_in(name: str) -> None:
    problems = problems_of(lambda: load_experiment("synthetic-quick", [f"name={name}"]))
    assert set(problems) == {"name"}


def test_a_model_preset_name_follows_the_same_rule(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("schema: 1\nkind: model\nname: ../../evil\narchitecture: mlp\n",
                    encoding="utf-8")
    problems = problems_of(lambda: load_model_preset(path))
    assert set(problems) == {"name"} and "must be a name" in problems["name"]


def test_an_inline_model_name_is_a_label_and_may_hold_spaces() -> None:
    text = GOOD.replace("student: synthetic-mlp",
                        "student: {architecture: mlp, name: my student v2}")
    assert experiment_from_text(text).student.name == "my student v2"


@pytest.mark.parametrize("name", ["../escaped", "a/b", "c" * 65])
def test_save_as_refuses_a_bad_name_and_writes_nothing(name: str, tmp_path: Path) -> None:
    settings = settings_from_preset(experiment_from_text(GOOD))
    before = snapshot(tmp_path)
    problems = problems_of(lambda: save_user_experiment(settings, name))
    assert set(problems) == {"name"} and "must be a name" in problems["name"]
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["../escaped", "x" * 65, "nul"])
def test_import_as_refuses_a_bad_name_and_writes_nothing(name: str, tmp_path: Path) -> None:
    write_weighted_user_preset(user_presets_dir())
    bundle = export_bundle("mine", tmp_path / "mine.wbpreset").path
    before = snapshot(tmp_path)
    problems = problems_of(lambda: import_bundle(bundle, as_name=name))
    assert set(problems) == {"--as"} and "must be a name" in problems["--as"]
    assert snapshot(tmp_path) == before


def test_export_refuses_a_preset_whose_name_is_no_name(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(GOOD.replace("name: tiny", "name: ../odd"), encoding="utf-8")
    problems = problems_of(lambda: export_bundle(path, tmp_path / "odd.wbpreset"))
    assert set(problems) == {"name"}
    assert not (tmp_path / "odd.wbpreset").exists()


def test_a_bundle_carrying_an_alias_bomb_is_refused_by_the_same_reader(tmp_path: Path) -> None:
    write_weighted_user_preset(user_presets_dir())
    entries = read_entries(export_bundle("mine", tmp_path / "mine.wbpreset").path)
    entries["experiments/mine.yaml"] += alias_bomb().replace("a0:", "x0:").encode()
    bad = write_zip(tmp_path / "bomb.wbpreset", entries)
    before = snapshot(user_presets_dir())
    with pytest.raises(PresetError) as raised:
        import_bundle(bad)
    assert "values once aliases are expanded" in str(raised.value)
    assert "experiments/mine.yaml" in str(raised.value)
    assert len(str(raised.value)) < 500
    assert snapshot(user_presets_dir()) == before


@pytest.mark.parametrize(("override", "path"), [
    ("train.seed=100000000000000000000000", "train.seed"),
    ("data.seed=-1", "data.seed"),
    ("data.val_size=99999999999999999999", "data.val_size"),
    ("data.train_limit=1e30", "data.train_limit"),
    ("distill.method=[x]", "distill.method"),
    ("distill.method={a: 1}", "distill.method"),
    ("data.dataset=[synthetic]", "data.dataset"),
    ("student={architecture: [mlp]}", "student.architecture"),
    ("distill.alpha=.nan", "distill.alpha"),
    ("distill.temperature=.inf", "distill.temperature"),
    ("student={architecture: mlp, args: {hidden: [" + ", ".join(["8"] * 65) + "]}}",
     "student.args.hidden"),
])
def test_absurd_values_are_problems_at_their_path(override: str, path: str) -> None:
    problems = problems_of(lambda: load_experiment("synthetic-quick", [override]))
    assert set(problems) == {path}
    assert len(problems[path]) < 300


def test_every_problem_is_still_reported_at_once() -> None:
    text = GOOD.replace("name: tiny", "name: ../tiny") + (
        "distill: {method: [x]}\n"
        "train: {seed: 100000000000000000000000, lr: 1e-3, epochs: 1e-3}\n"
        "data: {dataset: synthetic, val_size: 100, seed: .nan}\n")
    problems = problems_of(lambda: experiment_from_text(text))
    assert set(problems) == {"name", "distill.method", "train.seed", "train.epochs", "data.seed"}


@pytest.mark.parametrize(("override", "fragment"), [
    ("name=" + "[" * 60 + "]" * 60, "nested deeper than 50"),
    ("description=" + alias_bomb().replace("\n", ", ").join("{}"), "aliases are expanded"),
    ("a" + ".a" * 60 + "=1", "more than 50 parts"),
])
def test_overrides_go_through_the_same_limits(override: str, fragment: str) -> None:
    with pytest.raises(PresetError) as raised:
        load_experiment("synthetic-quick", [override])
    assert raised.value.source == "--set"
    assert fragment in str(raised.value)
