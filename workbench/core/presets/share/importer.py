"""Importing a share bundle into the user's preset folder (``workbench presets import``).

Order matters for trust: unpack into a temporary folder, check everything
there, plan every write (refusing name clashes unless told to replace), and
only then move files into the user's folder. A refused bundle writes nothing.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workbench.core.config.names import check_name
from workbench.core.errors import PresetClash, PresetError, Problem, WorkbenchError
from workbench.core.files import atomic_write_many, os_reason, sha256_file
from workbench.core.paths import bundled_presets_dir
from workbench.core.presets.share.check import StagedBundle, check_staged
from workbench.core.presets.share.manifest import BundleLimits, Manifest
from workbench.core.presets.share.archive import unpack_bundle
from workbench.core.presets.library import KIND_FOLDERS, user_kind_dir
from workbench.core.presets.load import load_model_preset
from workbench.core.presets.model import ModelPreset

CLASH_HINT = "import the experiment under another name (--as NAME) or replace it (--replace)"


@dataclass(frozen=True)
class ImportResult:
    """What ``import_bundle`` did: the experiment's name, files written, notes."""

    name: str
    written: tuple[Path, ...]
    reused: tuple[str, ...]  # models already present with the same content
    notes: tuple[str, ...]


def import_bundle(bundle: Path, *, as_name: str | None = None, replace: bool = False,
                  limits: BundleLimits = BundleLimits()) -> ImportResult:
    """Check ``bundle`` whole, then add its presets (and weights) to the user's folder.

    Args:
        bundle: a file written by ``export_bundle``.
        as_name: import the experiment under this name instead of its own.
        replace: overwrite user presets of the same names (and shadow bundled ones).
        limits: how much the bundle may unpack to.

    Raises:
        PresetError: naming every problem; nothing was written.
    """
    bundle = Path(bundle)
    with tempfile.TemporaryDirectory(prefix="wb-import-") as folder:
        staging = Path(folder)
        manifest = _unpack(bundle, staging, limits)
        staged = check_staged(staging, manifest, str(bundle))
        name = as_name if as_name is not None else staged.name
        if reason := check_name(name):
            raise PresetError(str(bundle), [Problem("--as", reason)])
        writes, reused, notes = _plan(staged, name, replace, str(bundle))
        written = _install(writes)
    return ImportResult(name, tuple(written), tuple(reused), staged.notes + tuple(notes))


def _unpack(bundle: Path, staging: Path, limits: BundleLimits) -> Manifest:
    """Unpack into the staging folder; a full or unwritable temporary folder is named."""
    try:
        return unpack_bundle(bundle, staging, limits)
    except OSError as error:
        raise PresetError(str(bundle), [Problem("", f"cannot unpack into the temporary folder "
                                                f"{staging}: {os_reason(error)}")]) from None


def _plan(staged: StagedBundle, name: str, replace: bool,
          source: str) -> tuple[list[tuple[Path, bytes]], list[str], list[str]]:
    """Every file to write, as (target, content); clashes refused unless ``replace``."""
    writes: list[tuple[Path, bytes]] = []
    reused: list[str] = []
    notes: list[str] = []
    clashes: list[Problem] = []
    for model, raw in sorted(staged.models.items()):
        user = user_kind_dir("model") / f"{model}.yaml"
        bundled = bundled_presets_dir() / KIND_FOLDERS["model"] / f"{model}.yaml"
        existing = user if user.exists() else bundled if bundled.exists() else None
        if existing is not None and _same_model(staged.validated[model], existing):
            reused.append(model)
            continue
        weights = staged.weights_file(model)
        targets = [user] + ([user.with_name(f"{model}.pt")] if weights else [])
        clashes += _clashes(targets, bundled, "model", model, replace, notes)
        if weights is not None:  # installed as <model>.pt, whatever the bundle called it
            writes.append((user.with_name(f"{model}.pt"), weights.read_bytes()))
            raw = {**raw, "weights": f"{model}.pt"}
        writes.append((user, _yaml(raw)))
    target = user_kind_dir("experiment") / f"{name}.yaml"
    bundled = bundled_presets_dir() / KIND_FOLDERS["experiment"] / f"{name}.yaml"
    clashes += _clashes([target], bundled, "experiment", name, replace, notes)
    if clashes:
        raise PresetClash(source, clashes)
    writes.append((target, _yaml({**staged.experiment, "name": name})))
    return writes, reused, notes


def _clashes(targets: list[Path], bundled: Path, kind: str, name: str, replace: bool,
             notes: list[str]) -> list[Problem]:
    taken = [path for path in targets if path.exists()]
    if replace:
        notes += [f"replaced {path}" for path in taken]
        if bundled.exists():
            notes.append(f"your {kind} preset '{name}' now shadows the bundled one")
        return []
    differs = " with other content" if kind == "model" else ""
    problems = [Problem(f"{kind} '{name}'", f"{path} already exists{differs}; {CLASH_HINT}")
                for path in taken]
    if bundled.exists() and not taken:
        problems.append(Problem(f"{kind} '{name}'", f"a bundled {kind} preset of this name "
                                f"exists{differs}; {CLASH_HINT} to shadow it"))
    return problems


def _same_model(staged: ModelPreset, existing: Path) -> bool:
    """Same architecture, arguments and weights bytes: nothing to write."""
    try:
        present = load_model_preset(existing)
    except WorkbenchError:
        return False
    return _fingerprint(staged) == _fingerprint(present)


def _fingerprint(model: ModelPreset) -> tuple[Any, ...]:
    weights = None
    if model.weights is not None:
        weights = sha256_file(model.weights)
    return model.architecture, yaml.safe_dump(model.args.to_dict(), sort_keys=True), weights


def _yaml(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, sort_keys=False).encode("utf-8")


def _install(writes: list[tuple[Path, bytes]]) -> list[Path]:
    """Write every file beside its target first, then rename them all into place.

    ``_plan`` lists models before the experiment that names them, so the
    renames never show an experiment whose models are not there yet.
    """
    try:
        return atomic_write_many(writes)
    except OSError as error:
        where = Path(error.filename).parent if error.filename else writes[0][0].parent
        raise PresetError(str(where), [Problem("", f"cannot write: {os_reason(error)}; "
                                               "nothing was imported")]) from None
