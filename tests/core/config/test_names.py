"""The one name rule: a name is one safe path component, on every system."""
from __future__ import annotations

import pytest

from workbench.core.config.names import NAME_MAX_CHARS, check_name, is_name
from workbench.core.config.params import Param


@pytest.mark.parametrize("name", ["a", "fashion-kd", "v1.2_b", "A" * NAME_MAX_CHARS, "9lives",
                                  "con-test", "nul2"])
def test_plain_names_pass(name: str) -> None:
    assert check_name(name) is None
    assert is_name(name)


@pytest.mark.parametrize("name", [
    "x/../../escaped", "../up", "..", "a..b", "a/b", "a\\b", "/abs", "C:evil", "a b", "",
    ".hidden", "-flag", "_x", "a\x00b", "tab\there", "é", "A" * (NAME_MAX_CHARS + 1),
    "a" * 300, "CON", "con.yaml", "Lpt1", "aux.2", 5, None, ["x"], {"a": 1}])
def test_anything_that_could_leave_its_folder_or_break_a_file_system_fails(name: object) -> None:
    reason = check_name(name)
    assert reason is not None
    assert "must be a name" in reason and "letters, digits" in reason


def test_a_long_name_says_its_length_and_stays_short_in_the_message() -> None:
    reason = check_name("b" * 300)
    assert reason is not None
    assert "300 characters" in reason and f"at most {NAME_MAX_CHARS}" in reason
    assert len(reason) < 300


def test_a_nul_is_shown_escaped_not_raw() -> None:
    reason = check_name("a\x00b")
    assert reason is not None and "\\x00" in reason and "\x00" not in reason


def test_the_name_kind_of_param_uses_the_rule() -> None:
    param = Param("name", "name", None, "preset name")
    assert param.check("ok-name") is None
    assert param.check("x/../y") == check_name("x/../y")
    assert "letters, digits" in param.describe()
