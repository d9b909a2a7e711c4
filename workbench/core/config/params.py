"""Declared parameters: one description drives validation, defaults, help and GUI controls.

Architectures, distillation methods and preset sections all declare their
fields as ``Param`` tuples, so adding a field in one place adds its check,
its default and its control everywhere.
"""
from __future__ import annotations

import difflib
import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.config.names import NAME_RULE, check_name
from workbench.core.errors import Problem

KINDS = ("int", "float", "bool", "str", "name", "int_list", "any")
# Every integer fits a signed 64-bit slot (torch seeds, tensor sizes, JSON readers):
# an int Param without its own maximum is held to this one.
INT_CEILING = 2**63 - 1
INT_LIST_MAX_ITEMS = 64  # default length limit of an int_list (layer sizes, blocks)

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = 60
_SHOWN.maxother = 60
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = 8
_SHOWN.maxlevel = 3


def shown(value: Any) -> str:
    """``repr`` cut short, so a message about a huge value stays one readable line."""
    return _SHOWN.repr(value)


@dataclass(frozen=True, slots=True)
class Param:
    """One declared field.

    Args:
        name: key in the mapping.
        kind: one of ``KINDS``; ``name`` is a string that becomes a file name
            (see ``workbench.core.config.names``).
        default: value used when the key is absent.
        help: one line for people (shown in errors, ``--help`` and tooltips).
        minimum / maximum: inclusive bounds for numbers (and list items); an
            integer without a maximum is still held to ``INT_CEILING``.
        choices: allowed values for strings.
        nullable: whether ``null`` is allowed.
        exclusive_minimum: the minimum itself is not allowed (e.g. T > 0).
        max_items: longest allowed ``int_list``.
    """

    name: str
    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False
    exclusive_minimum: bool = False
    max_items: int = INT_LIST_MAX_ITEMS

    @property
    def upper(self) -> float | None:
        """The effective maximum: the declared one, or ``INT_CEILING`` for integers."""
        if self.maximum is None and self.kind in ("int", "int_list"):
            return INT_CEILING
        return self.maximum

    def describe(self) -> str:
        """What is allowed, in words, for error messages."""
        if self.choices:
            allowed = "one of " + ", ".join(self.choices)
        elif self.kind in ("int", "float", "int_list"):
            noun = {"int": "an integer", "float": "a number",
                    "int_list": "a list of integers"}[self.kind]
            low = "" if self.minimum is None else (
                f"> {self._number(self.minimum)}" if self.exclusive_minimum
                else f">= {self._number(self.minimum)}")
            high = "" if self.upper is None else f"<= {self._number(self.upper)}"
            bounds = " and ".join(part for part in (low, high) if part)
            allowed = noun + (f" {bounds}" if bounds else "")
            if self.kind == "int_list":
                allowed += f" (at most {self.max_items} of them)"
        elif self.kind == "name":
            allowed = f"a name ({NAME_RULE})"
        else:
            allowed = {"bool": "true or false", "str": "a string", "any": "any value"}[self.kind]
        return allowed + (" (or null)" if self.nullable else "")

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not allowed, or None when it is."""
        if value is None:
            return None if self.nullable else f"must be {self.describe()}, got null"
        if self.kind == "any":
            return None
        if self.kind == "name":
            return check_name(value)
        refused = f"must be {self.describe()}, got {shown(value)}"
        if self.kind == "int_list":
            if not isinstance(value, list) or len(value) > self.max_items:
                return refused
            fine = all(_is_int(item) and self._in_range(item) for item in value)
            return None if fine else refused
        if not _matches_kind(self.kind, value):
            return refused
        if self.choices and value not in self.choices:
            return refused
        if self.kind in ("int", "float") and not self._in_range(value):
            return refused
        return None

    def _in_range(self, value: float) -> bool:
        if not math.isfinite(value):
            return False  # NaN slips through every comparison; inf is no setting either
        if self.minimum is not None:
            if value < self.minimum or (self.exclusive_minimum and value == self.minimum):
                return False
        return self.upper is None or value <= self.upper

    def _number(self, bound: float) -> str:
        return str(int(bound)) if self.kind in ("int", "int_list") else f"{bound:g}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches_kind(kind: str, value: Any) -> bool:
    if kind == "int":
        return _is_int(value)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)


def coerce(param: Param, value: Any) -> Any:
    """Numbers as people write them: ``lr: 1`` is 1.0, ``epochs: 1e3`` is 1000.

    A float with a fraction stays a float for an int field, so the check refuses it.
    """
    if param.kind == "float" and _is_int(value):
        return float(value)
    if param.kind == "int" and _is_integral_float(value):
        return int(value)
    if param.kind == "int_list" and isinstance(value, list):
        return [int(item) if _is_integral_float(item) else item for item in value]
    return value


def _is_integral_float(value: Any) -> bool:
    return isinstance(value, float) and value.is_integer()  # False for inf and NaN


def check_mapping(raw: Any, params: Sequence[Param], path: str,
                  problems: list[Problem]) -> dict[str, Any]:
    """Validate ``raw`` against ``params``; append problems, return values with defaults.

    Unknown keys are problems (with a "did you mean" hint), never ignored.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, f"must be a mapping of keys to values, got {shown(raw)}"))
        return {param.name: param.default for param in params}
    by_name = {param.name: param for param in params}
    for key in raw:
        if key not in by_name:
            problems.append(Problem(_join(path, _key_text(key)),
                                    unknown_key_message(key, by_name)))
    values: dict[str, Any] = {}
    for param in params:
        if param.name not in raw and param.default is None and not param.nullable:
            problems.append(Problem(_join(path, param.name),
                                    f"is required ({param.help}: {param.describe()})"))
            values[param.name] = None
            continue
        value = coerce(param, raw.get(param.name, param.default))
        reason = param.check(value)
        if reason:
            problems.append(Problem(_join(path, param.name), reason))
        values[param.name] = value
    return values


def unknown_key_message(key: Any, allowed: Mapping[str, Any] | Sequence[str]) -> str:
    names = list(allowed)
    close = difflib.get_close_matches(str(key), names, n=1) if isinstance(key, str) else []
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(names) or 'none'})"


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) and len(key) <= _SHOWN.maxstring else shown(key)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
