"""What differs between presets (or run configs), as dotted paths.

The one flatten and the one comparison rule of the workbench: ``presets diff``
and the run history's config table both use them, so they always agree.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.files import sha256_file
from workbench.core.presets.load import load_any

ABSENT = "(absent)"  # shown where a mapping lacks a key
_MISSING = object()  # compared instead, so a value that is the text "(absent)" still differs


@dataclass(frozen=True, slots=True)
class Difference:
    """One key whose value differs; ``ABSENT`` where one side lacks the key."""

    path: str
    left: Any
    right: Any


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay whole values.

    An empty mapping is a value of its own (``{"a": {}}`` -> ``{"a": {}}``):
    dropping it would make ``a: {}`` and a missing ``a`` look the same.
    """
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def differing_values(mappings: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Any]]]:
    """The dotted keys whose values differ between ``mappings``, each with every value.

    Keys come in a stable order (the first mapping's, then new ones as they
    appear); ``ABSENT`` stands where a mapping lacks the key.
    """
    flats = [flatten(mapping) for mapping in mappings]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    differing = []
    for key in keys:
        values = [flat.get(key, _MISSING) for flat in flats]
        if any(value != values[0] for value in values[1:]):
            differing.append((key, [ABSENT if value is _MISSING else value for value in values]))
    return differing


def diff_mappings(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    """Only the keys that differ, in a stable order (left's keys first)."""
    return [Difference(key, *values) for key, values in differing_values([left, right])]


def diff_presets(left: str | Path, right: str | Path) -> list[Difference]:
    """Resolve both presets (names or paths, model presets inlined) and compare them.

    Weights are compared by content: the same file in two places is no difference.
    """
    differences = diff_mappings(load_any(left).to_dict(), load_any(right).to_dict())
    return [difference for difference in differences
            if not (difference.path.split(".")[-1] == "weights"
                    and _same_file(difference.left, difference.right))]


def _same_file(left: Any, right: Any) -> bool:
    if not (isinstance(left, str) and isinstance(right, str)):
        return False
    try:
        return sha256_file(Path(left)) == sha256_file(Path(right))
    except OSError:
        return False
