"""Param.check and check_mapping: one declaration drives every check."""
from __future__ import annotations

import pytest

from workbench.core.errors import Problem
from workbench.core.config.params import Param, check_mapping


@pytest.mark.parametrize(("value", "allowed"), [(0.0, True), (-0.001, False), (1.0, True),
                                                (1.0001, False), (0.5, True)])
def test_inclusive_bounds(value: float, allowed: bool) -> None:
    param = Param("alpha", "float", 0.5, "weight", minimum=0.0, maximum=1.0)
    assert (param.check(value) is None) is allowed


@pytest.mark.parametrize(("value", "allowed"), [(0.0, False), (1e-9, True), (-1.0, False),
                                                (100.0, True), (100.5, False)])
def test_exclusive_minimum_rejects_the_minimum_itself(value: float, allowed: bool) -> None:
    param = Param("temperature", "float", 4.0, "T", minimum=0.0, exclusive_minimum=True,
                  maximum=100.0)
    assert (param.check(value) is None) is allowed


def test_describe_spells_out_the_bounds() -> None:
    exclusive = Param("temperature", "float", 4.0, "T", minimum=0.0, exclusive_minimum=True,
                      maximum=100.0)
    inclusive = Param("epochs", "int", 1, "passes", minimum=1)
    assert "> 0" in exclusive.describe() and "<= 100" in exclusive.describe()
    assert ">= 1" in inclusive.describe()
    message = exclusive.check(0.0)
    assert message is not None and "> 0" in message and "0.0" in message


def test_int_rejects_bool_and_float() -> None:
    param = Param("epochs", "int", 1, "passes", minimum=0)
    assert param.check(3) is None
    assert param.check(True) is not None
    assert param.check(False) is not None
    assert param.check(3.0) is not None
    assert param.check("3") is not None


def test_float_accepts_int_but_not_bool_or_text() -> None:
    param = Param("lr", "float", 0.1, "learning rate", minimum=0.0)
    assert param.check(2) is None
    assert param.check(True) is not None
    assert param.check("0.1") is not None


def test_bool_rejects_numbers() -> None:
    param = Param("flag", "bool", True, "a switch")
    assert param.check(False) is None
    assert param.check(1) is not None
    assert param.check("yes") is not None


@pytest.mark.parametrize(("value", "allowed"), [
    ([1, 2, 3], True), ([], True), ([1, True], False), ([1, 2.0], False), ("1,2", False),
    ((1, 2), False), ([0], False), ([1, 5000], False), (3, False)])
def test_int_list(value: object, allowed: bool) -> None:
    param = Param("hidden", "int_list", [1], "layer sizes", minimum=1, maximum=4096)
    assert (param.check(value) is None) is allowed


def test_null_only_when_nullable() -> None:
    assert Param("root", "str", None, "folder", nullable=True).check(None) is None
    message = Param("name", "str", "x", "name").check(None)
    assert message is not None and "null" in message


def test_choices() -> None:
    param = Param("optimizer", "str", "adam", "optimizer", choices=("adam", "sgd"))
    assert param.check("sgd") is None
    message = param.check("rmsprop")
    assert message is not None and "adam, sgd" in message and "rmsprop" in message


def test_nan_is_not_in_range() -> None:
    param = Param("alpha", "float", 0.5, "weight", minimum=0.0, maximum=1.0)
    assert param.check(float("nan")) is not None


PARAMS = (Param("epochs", "int", 10, "passes", minimum=1),
          Param("lr", "float", 0.1, "learning rate", minimum=0.0, exclusive_minimum=True),
          Param("name", "str", None, "what to call it"))


def test_check_mapping_fills_defaults_and_converts_int_to_float() -> None:
    problems: list[Problem] = []
    values = check_mapping({"lr": 1, "name": "x"}, PARAMS, "train", problems)
    assert problems == []
    assert values == {"epochs": 10, "lr": 1.0, "name": "x"}
    assert isinstance(values["lr"], float)


def test_check_mapping_reports_every_problem_with_its_path() -> None:
    problems: list[Problem] = []
    check_mapping({"epochs": 0, "lr": 0, "epochz": 3}, PARAMS, "train", problems)
    by_path = {problem.path: problem.message for problem in problems}
    assert set(by_path) == {"train.epochs", "train.lr", "train.epochz", "train.name"}
    assert "did you mean 'epochs'" in by_path["train.epochz"]
    assert "required" in by_path["train.name"]


def test_check_mapping_rejects_a_non_mapping() -> None:
    problems: list[Problem] = []
    values = check_mapping([1, 2], PARAMS, "train", problems)
    assert [problem.path for problem in problems] == ["train"]
    assert values["epochs"] == 10


def test_an_int_without_a_maximum_is_still_held_to_64_bits() -> None:
    param = Param("seed", "int", 0, "seed", minimum=0)
    assert param.check(2**63 - 1) is None
    message = param.check(10**23)
    assert message is not None and "<= 9223372036854775807" in message
    assert "100000000000000000000000" in message


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_number_must_be_finite_even_without_bounds(value: float) -> None:
    assert Param("scale", "float", 1.0, "scale").check(value) is not None


def test_an_int_list_has_a_length_limit() -> None:
    param = Param("hidden", "int_list", [1], "layer sizes", minimum=1, max_items=3)
    assert param.check([1, 2, 3]) is None
    message = param.check([1, 2, 3, 4])
    assert message is not None and "at most 3" in message


def test_integral_floats_become_ints_and_fractions_are_refused() -> None:
    params = (Param("epochs", "int", 1, "passes", minimum=1),
              Param("hidden", "int_list", [1], "sizes", minimum=1))
    problems: list[Problem] = []
    values = check_mapping({"epochs": 1e3, "hidden": [6.0, 7]}, params, "train", problems)
    assert problems == []
    assert values == {"epochs": 1000, "hidden": [6, 7]}
    assert type(values["epochs"]) is int and all(type(item) is int for item in values["hidden"])
    check_mapping({"epochs": 1e-3, "hidden": [1.5]}, params, "train", problems)
    assert {problem.path for problem in problems} == {"train.epochs", "train.hidden"}


def test_messages_about_huge_values_stay_short() -> None:
    problems: list[Problem] = []
    check_mapping({"epochs": list(range(100_000)), "lr": "x" * 100_000, "k" * 5000: 1},
                  PARAMS, "train", problems)
    assert len(problems) == 4  # epochs, lr, the unknown key, the missing name
    assert all(len(str(problem)) < 400 for problem in problems)
