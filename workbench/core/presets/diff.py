"""What differs between two presets, as dotted paths, both resolved with defaults."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.presets.load import load_any

ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class Difference:
    """One key whose value differs; ``ABSENT`` where one side lacks the key."""

    path: str
    left: Any
    right: Any


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay whole values."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def diff_mappings(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[Difference]:
    """Only the keys that differ, in a stable order (left's keys first)."""
    flat_left, flat_right = flatten(left), flatten(right)
    keys = list(flat_left) + [key for key in flat_right if key not in flat_left]
    return [Difference(key, flat_left.get(key, ABSENT), flat_right.get(key, ABSENT))
            for key in keys if flat_left.get(key, ABSENT) != flat_right.get(key, ABSENT)]


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
        return _digest(Path(left)) == _digest(Path(right))
    except OSError:
        return False


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
