"""Bad presets: every problem reported at once, each with its dotted field path."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.presets.texts import GOOD
from workbench.core.errors import PresetError
from workbench.core.presets import experiment_from_dict, experiment_from_text, load_experiment


def problems_of(text: str) -> dict[str, str]:
    with pytest.raises(PresetError) as raised:
        experiment_from_text(text)
    paths = [problem.path for problem in raised.value.problems]
    assert len(paths) == len(set(paths)), f"a path is reported twice: {paths}"
    return {problem.path: problem.message for problem in raised.value.problems}


def test_a_good_preset_validates_with_defaults_filled_in() -> None:
    preset = experiment_from_text(GOOD)
    assert preset.name == "tiny"
    assert preset.data.dataset == "synthetic" and preset.data.val_size == 100
    assert preset.distill.method == "offline"
    assert 0.0 <= preset.distill.alpha <= 1.0 and preset.distill.temperature > 0
    assert preset.train.epochs >= 1 and preset.compare.latency_repeats >= 1


def test_all_problems_are_reported_at_once_with_their_paths() -> None:
    text = """\
schema: 1
name: bad
teacher: synthetic-cnn
student: {architecture: mlp, args: {hidden: 5}}
data: {dataset: synthetc}
distill: {method: offline, alpha: 1.5, temperature: 0}
train: {epochs: 0, lr: fast}
"""
    problems = problems_of(text)
    assert set(problems) == {"student.args.hidden", "data.dataset", "distill.alpha",
                             "distill.temperature", "train.epochs", "train.lr"}
    assert "did you mean 'synthetic'" in problems["data.dataset"]
    assert "1.5" in problems["distill.alpha"] and "<= 1" in problems["distill.alpha"]
    assert "> 0" in problems["distill.temperature"]
    assert ">= 1" in problems["train.epochs"]
    assert "fast" in problems["train.lr"]
    assert "list of integers" in problems["student.args.hidden"]


def test_the_error_message_lists_every_problem() -> None:
    with pytest.raises(PresetError) as raised:
        experiment_from_text(GOOD + "distill: {alpha: 1.5, temperature: 0}\ntrain: {epochs: 0}\n",
                             source="mine.yaml")
    message = str(raised.value)
    assert message.startswith("mine.yaml: 3 problems")
    for path in ("distill.alpha", "distill.temperature", "train.epochs"):
        assert f"- {path}: " in message


def test_unknown_keys_get_a_did_you_mean_at_every_level() -> None:
    text = GOOD.replace("data: {dataset: synthetic, val_size: 100}",
                        "data: {dataset: synthetic, val_sise: 100}") + \
        "tacher_train: {epochs: 1}\ntrain: {optimiser: sgd}\n"
    problems = problems_of(text)
    assert set(problems) == {"data.val_sise", "tacher_train", "train.optimiser"}
    assert "did you mean 'val_size'" in problems["data.val_sise"]
    assert "did you mean 'teacher_train'" in problems["tacher_train"]
    assert "did you mean 'optimizer'" in problems["train.optimiser"]


def test_wrong_types_are_reported() -> None:
    text = GOOD + "train: {epochs: 2.5, baseline: 'yes', batch_size: true}\n"
    problems = problems_of(text)
    assert set(problems) == {"train.epochs", "train.baseline", "train.batch_size"}
    assert "true or false" in problems["train.baseline"]


def test_unknown_registry_names_list_the_known_ones() -> None:
    text = """\
schema: 1
name: bad
teacher: {architecture: resnett}
student: synthetic-mlp
data: {dataset: imagenet-21k}
distill: {method: oflline}
"""
    problems = problems_of(text)
    assert set(problems) == {"teacher.architecture", "data.dataset", "distill.method"}
    assert "did you mean 'resnet'" in problems["teacher.architecture"]
    assert "cnn, mlp, resnet" in problems["teacher.architecture"]
    assert "synthetic" in problems["data.dataset"]
    assert "did you mean 'offline'" in problems["distill.method"]


def test_unknown_model_preset_name_lists_the_library() -> None:
    problems = problems_of(GOOD.replace("student: synthetic-mlp", "student: synthetic-mpl"))
    assert set(problems) == {"student"}
    assert "synthetic-mpl" in problems["student"]
    assert "synthetic-mlp" in problems["student"]  # the known names are listed


def test_missing_teacher_and_student_are_required() -> None:
    problems = problems_of("schema: 1\nname: lonely\n")
    assert {"teacher", "student"} <= set(problems)


def test_a_problem_inside_a_referenced_model_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken-mlp.yaml").write_text(
        "schema: 1\nkind: model\nname: broken-mlp\narchitecture: mlp\nargs: {hiden: [3]}\n",
        encoding="utf-8")
    (tmp_path / "exp.yaml").write_text(GOOD.replace("student: synthetic-mlp",
                                                    "student: broken-mlp.yaml"),
                                       encoding="utf-8")
    with pytest.raises(PresetError) as raised:
        load_experiment(tmp_path / "exp.yaml")
    [problem] = raised.value.problems
    assert problem.path.startswith("student -> ")
    assert "broken-mlp.yaml" in problem.path and problem.path.endswith("args.hiden")
    assert "did you mean 'hidden'" in problem.message


def test_inline_models_for_teacher_and_student() -> None:
    text = """\
schema: 1
name: inline
teacher: {architecture: cnn, args: {channels: [4, 8], hidden: 0}}
student: {architecture: mlp, args: {hidden: [7, 5]}}
data: {dataset: synthetic}
"""
    preset = experiment_from_text(text)
    assert preset.teacher.architecture == "cnn"
    assert list(preset.teacher.args.channels) == [4, 8]
    assert preset.teacher.args.hidden == 0
    assert preset.teacher.args.batch_norm is True  # default filled in
    assert preset.student.architecture == "mlp"
    assert list(preset.student.args.hidden) == [7, 5]
    assert preset.teacher.weights is None


def test_inline_model_problems_carry_the_role_in_their_path() -> None:
    text = GOOD.replace("student: synthetic-mlp",
                        "student: {architecture: mlp, args: {hidden: [0]}, colour: red}")
    problems = problems_of(text)
    assert set(problems) == {"student.args.hidden", "student.colour"}


def test_inline_weights_that_do_not_exist_name_the_file(tmp_path: Path) -> None:
    text = GOOD.replace("teacher: synthetic-cnn",
                        "teacher: {architecture: mlp, weights: nowhere.pt}")
    with pytest.raises(PresetError) as raised:
        experiment_from_text(text, base_dir=tmp_path)
    [problem] = raised.value.problems
    assert problem.path == "teacher.weights"
    assert str(tmp_path / "nowhere.pt") in problem.message


def test_to_dict_round_trips_through_validation(tmp_path: Path) -> None:
    preset = experiment_from_text(GOOD)
    again = experiment_from_dict(preset.to_dict(), "again", tmp_path)
    assert again.to_dict() == preset.to_dict()


def test_experiment_from_dict_checks_the_schema_version(tmp_path: Path) -> None:
    """Dicts (from the GUI or a run folder) are held to the same schema rule as files."""
    data = experiment_from_text(GOOD).to_dict()
    data["schema"] = 99
    with pytest.raises(PresetError) as raised:
        experiment_from_dict(data, "settings", tmp_path)
    assert "schema" in [problem.path for problem in raised.value.problems]
