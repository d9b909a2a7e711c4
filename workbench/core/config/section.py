"""A frozen, attribute-accessible mapping for validated preset sections."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Section(Mapping[str, Any]):
    """Read-only values of one preset section: ``preset.train.epochs``."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("preset sections are read-only")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Section({self._values!r})"

    def to_dict(self) -> dict[str, Any]:
        return {key: (list(value) if isinstance(value, list) else value)
                for key, value in self._values.items()}
