"""Where presets live: the user's own folder first, then the bundled ones, then any folder.

A user preset may hide a bundled one of the same name; the entry says so
(``shadows``) so front-ends can show it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.paths import bundled_presets_dir, user_config_dir
from workbench.core.presets.yaml_io import read_yaml

KIND_FOLDERS = {"model": "models", "experiment": "experiments"}


@dataclass(frozen=True, slots=True)
class PresetEntry:
    """One preset file found in a library folder."""

    name: str
    kind: str
    origin: str  # "user" | "bundled" | "path"
    path: Path
    shadows: Path | None = None  # the bundled file a user preset hides


def user_presets_dir() -> Path:
    """The user's own presets (``models/`` and ``experiments/``) in the config folder."""
    return user_config_dir() / "presets"


def user_kind_dir(kind: str) -> Path:
    """``<user presets>/models`` or ``<user presets>/experiments``."""
    return user_presets_dir() / KIND_FOLDERS[kind]


def library_roots() -> list[tuple[str, Path]]:
    return [("user", user_presets_dir()), ("bundled", bundled_presets_dir())]


def list_presets(kind: str | None = None,
                 extra_folders: tuple[Path, ...] = ()) -> list[PresetEntry]:
    """All presets, user ones first; a user preset with a bundled name notes what it hides.

    Args:
        kind: only this kind ("model" or "experiment"), or both.
        extra_folders: more folders to list (origin "path"), each holding
            ``models/`` and ``experiments/`` or the YAML files themselves.
    """
    entries: list[PresetEntry] = []
    for preset_kind, folder_name in KIND_FOLDERS.items():
        if kind not in (None, preset_kind):
            continue
        seen: dict[str, PresetEntry] = {}
        for origin, root in library_roots():
            for path in sorted((root / folder_name).glob("*.yaml")):
                name = path.stem
                if name in seen:
                    seen[name] = PresetEntry(name, preset_kind, seen[name].origin,
                                             seen[name].path, shadows=path)
                    continue
                seen[name] = PresetEntry(name, preset_kind, origin, path)
        entries += sorted(seen.values(), key=lambda entry: entry.name)
        entries += _folder_entries(extra_folders, preset_kind, folder_name)
    return entries


def _folder_entries(folders: tuple[Path, ...], kind: str, folder_name: str) -> list[PresetEntry]:
    """Presets of ``kind`` in arbitrary folders, told apart by their declared ``kind``."""
    entries: list[PresetEntry] = []
    for folder in folders:
        paths = sorted((folder / folder_name).glob("*.yaml")) + sorted(folder.glob("*.yaml"))
        for path in paths:
            try:
                declared = read_yaml(path).get("kind", "experiment")
            except WorkbenchError:
                declared = None
            if declared == kind:
                entries.append(PresetEntry(path.stem, kind, "path", path))
    return entries


def looks_like_path(reference: str) -> bool:
    return "/" in reference or "\\" in reference or reference.endswith((".yaml", ".yml"))


def find_preset(reference: str, kind: str, relative_to: Path | None = None) -> Path | None:
    """Resolve a preset name or path to a file, or None.

    Paths are taken relative to ``relative_to`` (the referencing preset's folder)
    and then to the current folder.
    """
    if looks_like_path(reference):
        candidates = [Path(reference).expanduser()]
        if relative_to is not None and not Path(reference).is_absolute():
            candidates.insert(0, relative_to / reference)
        return next((path for path in candidates if path.is_file()), None)
    for entry in list_presets(kind):
        if entry.name == reference:
            return entry.path
    return None


def preset_names(kind: str) -> list[str]:
    return [entry.name for entry in list_presets(kind)]
