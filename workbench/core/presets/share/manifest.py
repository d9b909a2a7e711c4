"""The share bundle's layout, manifest and limits (a zip, usually ``*.wbpreset``).

Layout: ``manifest.json``, ``experiments/<name>.yaml``, ``models/<name>.yaml``
and optionally ``models/<name>.pt``. The manifest records the bundle format
version, the app version, the creation time, a sha256 and size per file, and
the hash of the preset the bundle was derived from (provenance).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import PresetError, Problem

BUNDLE_FORMAT = "distill-workbench-preset-bundle"
BUNDLE_SCHEMA = 1
BUNDLE_SUFFIX = ".wbpreset"
MANIFEST_NAME = "manifest.json"
ENTRY_PATTERN = re.compile(r"^(experiments/[A-Za-z0-9][A-Za-z0-9_.-]*\.yaml"
                           r"|models/[A-Za-z0-9][A-Za-z0-9_.-]*\.(yaml|pt))$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class BundleLimits:
    """How much a bundle may unpack to; checked on declared sizes and on bytes read."""

    max_total_bytes: int = 512 * 1024 * 1024
    max_file_bytes: int = 512 * 1024 * 1024
    max_entries: int = 64
    max_manifest_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class Manifest:
    """What a bundle declares about itself; ``files`` maps entry name -> (sha256, size)."""

    preset: str
    files: dict[str, tuple[str, int]]
    app_version: str = ""
    created: str = ""
    derived_from: dict[str, Any] = field(default_factory=dict)
    schema: int = BUNDLE_SCHEMA

    def to_json(self) -> str:
        return json.dumps({
            "format": BUNDLE_FORMAT, "schema": self.schema, "app_version": self.app_version,
            "created": self.created, "preset": self.preset, "derived_from": self.derived_from,
            "files": {name: {"sha256": digest, "size": size}
                      for name, (digest, size) in sorted(self.files.items())}}, indent=2)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_manifest(text: bytes, source: str) -> Manifest:
    """Read and check a manifest (JSON data only); every problem reported at once."""
    def refuse(path: str, message: str) -> PresetError:
        return PresetError(source, [Problem(path, message)])

    try:
        raw = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise refuse(MANIFEST_NAME, f"is not valid JSON: {error}") from None
    except RecursionError:  # "[[[[..." : json has no depth limit of its own
        raise refuse(MANIFEST_NAME, "is nested too deeply to be a manifest") from None
    if not isinstance(raw, dict) or raw.get("format") != BUNDLE_FORMAT:
        raise refuse(MANIFEST_NAME, f"is not a Distill Workbench preset bundle manifest "
                     f"(format must be '{BUNDLE_FORMAT}')")
    schema = raw.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise refuse(f"{MANIFEST_NAME}: schema", f"must be a positive integer, got {schema!r}")
    if schema > BUNDLE_SCHEMA:
        raise refuse(f"{MANIFEST_NAME}: schema", f"bundle version {schema} is newer than this "
                     f"app supports (version {BUNDLE_SCHEMA}); update Distill Workbench")
    problems: list[Problem] = []
    files = _parse_files(raw.get("files"), problems)
    preset = raw.get("preset")
    if not (isinstance(preset, str) and preset.startswith("experiments/") and preset in files):
        problems.append(Problem(f"{MANIFEST_NAME}: preset", "must name the experiment file "
                                f"listed in files, got {preset!r}"))
    if problems:
        raise PresetError(source, problems)
    derived = raw.get("derived_from")
    return Manifest(preset=preset, files=files, app_version=str(raw.get("app_version", "")),
                    created=str(raw.get("created", "")), schema=schema,
                    derived_from=derived if isinstance(derived, dict) else {})


def _parse_files(raw: Any, problems: list[Problem]) -> dict[str, tuple[str, int]]:
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(f"{MANIFEST_NAME}: files", "must map each file to its sha256"))
        return {}
    files: dict[str, tuple[str, int]] = {}
    for name, entry in raw.items():
        where = f"{MANIFEST_NAME}: files.{name}"
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if not (isinstance(digest, str) and SHA256_PATTERN.match(digest)):
            problems.append(Problem(where, "needs a sha256 (64 lowercase hex digits)"))
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            problems.append(Problem(where, "needs a size in bytes"))
        else:
            files[str(name)] = (digest, size)
    return files
