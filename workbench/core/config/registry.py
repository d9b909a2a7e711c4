"""One generic registry: names in presets map to registered factories."""
from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from workbench.core.config.params import Param, shown

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A registered factory with its declared parameters."""

    name: str
    factory: T
    params: tuple[Param, ...]
    help: str


class Registry(Generic[T]):
    """Name -> factory, with declared parameters so presets can be checked early."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, *, params: Sequence[Param] = (),
                 help: str = "") -> Callable[[T], T]:
        def decorate(factory: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is already registered")
            self._entries[name] = Entry(name, factory, tuple(params), help)
            return factory

        return decorate

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries  # a list is no name (nor hashable)

    def get(self, name: str) -> Entry[T]:
        if name not in self:
            raise KeyError(self.unknown_message(name))
        return self._entries[name]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def unknown_message(self, name: object) -> str:
        if not isinstance(name, str):
            return (f"must be the name of a registered {self.kind}, got {shown(name)} "
                    f"(known: {', '.join(self.names())})")
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown {self.kind} {shown(name)}{hint} (known: {', '.join(self.names())})"
