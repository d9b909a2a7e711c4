"""Reading preset files: safe YAML within limits (``yaml_reader``), migrations, ``--set``."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.config.params import shown
from workbench.core.errors import PresetError, Problem
from workbench.core.presets.schema import SCHEMA_VERSION
from workbench.core.presets.yaml_reader import (OVERRIDE_LIMITS, NotYaml, load_yaml,
                                                read_text)

FLAT_DISTILL_KEYS = ("alpha", "temperature")  # schema 0 kept these at the top


@dataclass(frozen=True, slots=True)
class Migration:
    """Upgrades a raw preset mapping from one schema version to the next.

    Args:
        what: what changed, in words, for the note shown to people.
        upgrade: takes a copy of the raw mapping and returns the upgraded one.
    """

    what: str
    upgrade: Callable[[dict[str, Any]], dict[str, Any]]


def _flat_distill_to_section(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 0 kept ``alpha`` and ``temperature`` at the top; schema 1 has ``distill``."""
    moved = {key: data.pop(key) for key in FLAT_DISTILL_KEYS if key in data}
    if not moved:
        return data
    distill = data.get("distill")
    distill = {} if distill is None else distill
    if not isinstance(distill, dict):
        return {**data, "distill": distill, **moved}  # validation names the bad section
    clashes = sorted(key for key in moved if key in distill)
    if clashes:
        raise PresetError("schema 0", [Problem(key, "set both at the top (schema 0) and "
                                               f"under distill; keep only distill.{key}")
                                       for key in clashes])
    data["distill"] = {**distill, **moved}
    return data


# version -> how a raw mapping of that version becomes the next version.
MIGRATIONS: dict[int, Migration] = {
    0: Migration("moved top-level alpha/temperature under distill", _flat_distill_to_section),
}
OLDEST_SCHEMA = min(MIGRATIONS)


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse preset text (safe_load within ``PRESET_LIMITS``); it must be a mapping."""
    data = load_yaml(text, source)
    if not isinstance(data, dict):
        raise PresetError(source, [Problem("", "a preset must be a YAML mapping of keys "
                                           f"to values, got {type(data).__name__}")])
    return data


def read_yaml(path: Path, source: str | None = None) -> dict[str, Any]:
    """Read a preset file: size, encoding and YAML limits checked, errors naming ``source``."""
    source = str(path) if source is None else source
    return parse_yaml(read_text(path, source), source)


def migrate(data: dict[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """Bring a raw preset to the current schema; returns it with notes for people.

    Older versions are upgraded step by step (each step adds a note); a newer
    version is refused with the version this app supports.
    """
    version = data.get("schema")
    if version is None:
        return data, []  # validation reports the missing field
    if not isinstance(version, int) or isinstance(version, bool) or version < OLDEST_SCHEMA:
        raise PresetError(source, [Problem("schema", f"must be an integer from {OLDEST_SCHEMA} "
                                           f"to {SCHEMA_VERSION}, got {version!r}")])
    if version > SCHEMA_VERSION:
        raise PresetError(source, [Problem(
            "schema", f"version {version} is newer than this app supports "
            f"(schema {SCHEMA_VERSION}); update Distill Workbench to load it")])
    notes = []
    while version < SCHEMA_VERSION:
        step = MIGRATIONS[version]
        try:
            data = step.upgrade(dict(data))
        except PresetError as error:
            raise PresetError(source, error.problems) from None
        notes.append(f"{source}: migrated from schema {version} to {version + 1} "
                     f"({step.what}); save it again to keep the new layout")
        version += 1
        data["schema"] = version
    return data, notes


def set_dotted(data: dict[str, Any], dotted: str, value: Any, problems: list[Problem]) -> None:
    """Set ``a.b.c`` in nested mappings, creating mappings on the way."""
    keys = dotted.split(".")
    if len(keys) > OVERRIDE_LIMITS.max_depth:
        problems.append(Problem(shown(dotted), f"a key of more than "
                                f"{OVERRIDE_LIMITS.max_depth} parts names no preset field"))
        return
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            where = ".".join(keys[:depth + 1])
            problems.append(Problem(dotted, f"cannot set inside '{where}', which is "
                                    f"{shown(child)}, not a mapping"))
            return
        node = child
    node[keys[-1]] = value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``KEY=VALUE`` strings (values parsed as YAML scalars/lists) to a copy."""
    import copy

    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep or not key.strip():
            problems.append(Problem(override, "expected KEY=VALUE, e.g. distill.alpha=0.3"))
            continue
        try:
            value = load_yaml(text, f"--set {key.strip()}", OVERRIDE_LIMITS) \
                if text.strip() else None
        except NotYaml:
            value = text  # e.g. "name=a: b": meant as text
        except PresetError as error:
            problems += [Problem(key.strip(), problem.message) for problem in error.problems]
            continue
        set_dotted(result, key.strip(), value, problems)
    if problems:
        raise PresetError("--set", problems)
    return result
