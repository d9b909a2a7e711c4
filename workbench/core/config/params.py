"""Declared parameters: one description drives validation, defaults, help and GUI controls.

Architectures, distillation methods and preset sections all declare their
fields as ``Param`` tuples, so adding a field in one place adds its check,
its default and its control everywhere.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import Problem

KINDS = ("int", "float", "bool", "str", "int_list", "any")


@dataclass(frozen=True, slots=True)
class Param:
    """One declared field.

    Args:
        name: key in the mapping.
        kind: one of ``KINDS``.
        default: value used when the key is absent.
        help: one line for people (shown in errors, ``--help`` and tooltips).
        minimum / maximum: inclusive bounds for numbers (and list items).
        choices: allowed values for strings.
        nullable: whether ``null`` is allowed.
        exclusive_minimum: the minimum itself is not allowed (e.g. T > 0).
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

    def describe(self) -> str:
        """What is allowed, in words, for error messages."""
        if self.choices:
            allowed = "one of " + ", ".join(self.choices)
        elif self.kind in ("int", "float", "int_list"):
            noun = {"int": "an integer", "float": "a number",
                    "int_list": "a list of integers"}[self.kind]
            low = "" if self.minimum is None else (
                f"> {self.minimum:g}" if self.exclusive_minimum else f">= {self.minimum:g}")
            high = "" if self.maximum is None else f"<= {self.maximum:g}"
            bounds = " and ".join(part for part in (low, high) if part)
            allowed = noun + (f" {bounds}" if bounds else "")
        else:
            allowed = {"bool": "true or false", "str": "a string", "any": "any value"}[self.kind]
        return allowed + (" (or null)" if self.nullable else "")

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not allowed, or None when it is."""
        if value is None:
            return None if self.nullable else f"must be {self.describe()}, got null"
        if self.kind == "any":
            return None
        if self.kind == "int_list":
            if not isinstance(value, list) or not all(_is_int(item) for item in value):
                return f"must be {self.describe()}, got {value!r}"
            bad = [item for item in value if not self._in_range(item)]
            return f"must be {self.describe()}, got {value!r}" if bad else None
        if not _matches_kind(self.kind, value):
            return f"must be {self.describe()}, got {value!r}"
        if self.choices and value not in self.choices:
            return f"must be {self.describe()}, got {value!r}"
        if self.kind in ("int", "float") and not self._in_range(value):
            return f"must be {self.describe()}, got {value!r}"
        return None

    def _in_range(self, value: float) -> bool:
        if self.minimum is not None:
            if value < self.minimum or (self.exclusive_minimum and value == self.minimum):
                return False
        return self.maximum is None or value <= self.maximum


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


def check_mapping(raw: Any, params: Sequence[Param], path: str,
                  problems: list[Problem]) -> dict[str, Any]:
    """Validate ``raw`` against ``params``; append problems, return values with defaults.

    Unknown keys are problems (with a "did you mean" hint), never ignored.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, f"must be a mapping of keys to values, got {raw!r}"))
        return {param.name: param.default for param in params}
    by_name = {param.name: param for param in params}
    for key in raw:
        if key not in by_name:
            problems.append(Problem(_join(path, str(key)), unknown_key_message(key, by_name)))
    values: dict[str, Any] = {}
    for param in params:
        if param.name not in raw and param.default is None and not param.nullable:
            problems.append(Problem(_join(path, param.name),
                                    f"is required ({param.help}: {param.describe()})"))
            values[param.name] = None
            continue
        value = raw.get(param.name, param.default)
        if isinstance(value, int) and param.kind == "float" and not isinstance(value, bool):
            value = float(value)
        reason = param.check(value)
        if reason:
            problems.append(Problem(_join(path, param.name), reason))
        values[param.name] = value
    return values


def unknown_key_message(key: Any, allowed: Mapping[str, Any] | Sequence[str]) -> str:
    names = list(allowed)
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(names) or 'none'})"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
