"""The preset reader: limits before, while and after parsing; encodings; YAML 1.2 floats."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from tests.core.presets.texts import GOOD
from workbench.core.errors import PresetError
from workbench.core.presets import experiment_from_text, load_experiment
from workbench.core.presets.yaml_reader import PRESET_LIMITS, YamlLimits, load_yaml


def alias_bomb(levels: int = 9, fan_out: int = 9) -> str:
    """The "billion laughs": each level lists the previous one ``fan_out`` times."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def only_problem(load: object) -> str:
    with pytest.raises(PresetError) as raised:
        load()  # type: ignore[operator]
    [problem] = raised.value.problems
    return str(problem)


def test_the_billion_laughs_is_refused_by_its_expanded_size() -> None:
    text = alias_bomb()
    assert len(text) < 1000  # tiny on disk, 9**9 values once expanded
    message = only_problem(lambda: load_yaml(text, "bomb.yaml"))
    assert "refused by the preset reader" in message
    assert f"more than {PRESET_LIMITS.max_values:,} values once aliases are expanded" in message
    assert len(message) < 300


def test_many_aliases_are_refused_by_their_count() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    assert "more than 100 aliases" in only_problem(lambda: load_yaml(text, "many.yaml"))


def test_a_self_containing_alias_is_refused() -> None:
    assert "endless" in only_problem(lambda: load_yaml("a: &a [1, *a]\n", "loop.yaml"))


def test_deep_nesting_is_refused_before_python_runs_out_of_stack() -> None:
    message = only_problem(lambda: load_yaml("[" * 500 + "]" * 500, "deep.yaml"))
    assert "nested deeper than 50 levels" in message and "line 1" in message


def test_nesting_built_from_aliases_counts_too() -> None:
    text = "a: &a " + "[" * 30 + "1" + "]" * 30 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    message = only_problem(lambda: load_yaml(text, "deep.yaml"))
    assert "nested deeper than 50 levels once aliases are expanded" in message


def test_too_many_values_are_refused_while_parsing() -> None:
    text = "".join(f"l{index}: [" + "1, " * 9_999 + "]\n" for index in range(11))
    message = only_problem(lambda: load_yaml(text, "flat.yaml"))
    assert f"more than {PRESET_LIMITS.max_values:,} values (line" in message


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert load_yaml("[" * 49 + "1" + "]" * 49, "ok.yaml") is not None


@pytest.mark.parametrize(("text", "limit"), [
    ("description: " + "x" * 10_001 + "\n", "a value longer than 10,000 characters"),
    ("hidden: [" + ", ".join(["1"] * 10_001) + "]\n", "more than 10,000 entries"),
])
def test_values_too_long_are_refused(text: str, limit: str) -> None:
    assert limit in only_problem(lambda: load_yaml(text, "big.yaml"))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(GOOD.encode() + b"#" * (1024 * 1024))
    message = only_problem(lambda: load_experiment(path))
    assert "the file is larger than 1 MiB" in message


def test_limits_are_settable() -> None:
    small = YamlLimits(max_depth=2)
    assert "nested deeper than 2" in only_problem(lambda: load_yaml("[[[1]]]", "x", small))


def test_an_integer_too_long_for_python_is_a_message() -> None:
    message = only_problem(lambda: load_yaml("seed: " + "9" * 5000 + "\n", "x.yaml"))
    assert "cannot be read" in message and "set_int_max_str_digits" not in message


def test_an_impossible_date_is_a_message() -> None:
    assert "month" in only_problem(lambda: load_yaml("when: 2020-13-45\n", "x.yaml"))


def test_anchors_and_merge_keys_within_the_limits_still_work() -> None:
    text = GOOD + "train: &recipe {epochs: 2, lr: 0.01}\nteacher_train: {<<: *recipe, epochs: 3}\n"
    preset = experiment_from_text(text)
    assert preset.teacher_train.epochs == 3 and preset.teacher_train.lr == 0.01


@pytest.mark.parametrize("written", ["1e-3", "1E-3", "1.0e-3", "0.001", "1e-03", "+1e-3"])
def test_exponent_floats_are_numbers(written: str) -> None:
    preset = experiment_from_text(GOOD + f"train: {{lr: {written}}}\n")
    assert preset.train.lr == pytest.approx(0.001)


@pytest.mark.parametrize(("written", "value"), [("1e3", 1000.0), (".5", 0.5), ("2.5E1", 25.0),
                                                ("1_0e1", 100.0)])
def test_yaml_12_floats_are_read_as_floats(written: str, value: float) -> None:
    assert load_yaml(f"x: {written}", "x") == {"x": value}


def test_quoted_numbers_stay_strings_and_are_refused_for_numbers() -> None:
    with pytest.raises(PresetError) as raised:
        experiment_from_text(GOOD + "train: {lr: '1e-3'}\n")
    assert [problem.path for problem in raised.value.problems] == ["train.lr"]


def test_ints_stay_ints() -> None:
    assert load_yaml("a: 12\nb: -3\nc: 0x10\n", "x") == {"a": 12, "b": -3, "c": 16}


def test_an_int_field_takes_1e3_but_not_1e_minus_3() -> None:
    assert experiment_from_text(GOOD + "train: {epochs: 1e3}\n").train.epochs == 1000
    with pytest.raises(PresetError) as raised:
        experiment_from_text(GOOD + "train: {epochs: 1e-3}\n")
    assert [problem.path for problem in raised.value.problems] == ["train.epochs"]


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_utf8_and_utf16_with_a_byte_order_mark_are_read(tmp_path: Path, codec: str) -> None:
    text = GOOD.replace("name: tiny", "name: tiny\ndescription: Ünïcode · 模型")
    data = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):  # these codecs write no BOM: add it
        data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + data
    path = tmp_path / "enc.yaml"
    path.write_bytes(data)
    assert load_experiment(path).description == "Ünïcode · 模型"


@pytest.mark.parametrize(("codec", "reason"), [
    ("latin-1", "it is not UTF-8 (Latin-1 or Windows-1252, perhaps): byte 0xdc on line 4"),
    ("utf-16-le", "NUL bytes (UTF-16 without a byte-order mark, perhaps)"),
    ("utf-32", "it is UTF-32 text"),
])
def test_other_encodings_are_refused_naming_the_file(tmp_path: Path, codec: str,
                                                     reason: str) -> None:
    path = tmp_path / "enc.yaml"
    path.write_bytes(GOOD.replace("name: tiny", "name: tiny\ndescription: Ünï").encode(codec))
    with pytest.raises(PresetError) as raised:
        load_experiment(path)
    [problem] = raised.value.problems
    assert raised.value.source == str(path)
    assert reason in problem.message and "save it as UTF-8" in problem.message
