"""Exporting an experiment preset as one share file (``workbench presets export``).

The bundle holds the experiment, the model presets it names and, when asked,
their weights. Nothing in it points outside it: models are named, weights are
bundled file names, and a dataset folder of this machine is left out.
"""
from __future__ import annotations

import copy
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from workbench._version import __version__
from workbench.core.models.weights import read_state_dict
from workbench.core.config.names import check_name
from workbench.core.errors import PresetError, Problem
from workbench.core.files import atomic_writer, os_reason, sha256_file
from workbench.core.presets.schema import SCHEMA_VERSION
from workbench.core.presets.share.manifest import MANIFEST_NAME, Manifest, sha256_hex
from workbench.core.presets.library import find_preset, list_presets
from workbench.core.presets.load import load_experiment
from workbench.core.presets.yaml_io import migrate, read_yaml


BUNDLE_SUFFIX = ".wbpreset"


@dataclass(frozen=True)
class ExportResult:
    """What ``export_bundle`` wrote, with notes for people (e.g. weights left out)."""

    path: Path
    manifest: Manifest
    notes: tuple[str, ...]


def export_bundle(reference: str | Path, destination: Path, *, with_weights: bool = False,
                  replace: bool = False) -> ExportResult:
    """Write experiment ``reference`` (name or path) as a bundle at ``destination``.

    Args:
        reference: an experiment preset name or a path to its YAML file.
        destination: the bundle file to write (e.g. ``mine.wbpreset``); an existing
            folder gets ``<experiment>.wbpreset``.
        with_weights: also bundle the weights of its model presets.
        replace: overwrite ``destination`` if it exists (otherwise refused).

    Raises:
        PresetError: the preset is invalid, a weights file is not plain tensors,
            ``destination`` exists and ``replace`` is false, or it cannot be written
            (read-only place, full disk; nothing is left behind).
    """
    preset = load_experiment(reference)  # refuses to share an invalid preset
    for role in ("teacher", "student"):
        if getattr(getattr(preset, role), "black_box", False):
            raise PresetError(preset.source, [Problem(role, "a teacher known only by a file "
                                                      "(TorchScript or recorded outputs) cannot "
                                                      "be shared: bundles carry only plain "
                                                      "weights (weights_only=True)")])
    source = Path(preset.source)
    raw, _ = migrate(read_yaml(source), str(source))
    raw = copy.deepcopy(raw)
    name = _safe(raw.get("name") or source.stem, str(source), "name")
    destination = bundle_target(Path(destination), name)
    if destination.exists() and not replace:
        raise PresetError(str(destination), [Problem("", "file exists; choose another file "
                                                     "or replace it (--replace)")])
    raw["name"] = name
    files: dict[str, bytes] = {}
    notes: list[str] = []
    for role in ("teacher", "student"):
        raw[role] = _bundle_model(raw[role], role, name, source.parent, with_weights, files,
                                  notes)
    data = raw.get("data")
    if isinstance(data, dict) and data.get("root") is not None:
        notes.append(f"data.root ({data['root']}) left out: it names a folder on this machine")
        data.pop("root")
    files[f"experiments/{name}.yaml"] = yaml.safe_dump(raw, sort_keys=False).encode("utf-8")
    manifest = Manifest(preset=f"experiments/{name}.yaml",
                        files={entry: (sha256_hex(content), len(content))
                               for entry, content in files.items()},
                        app_version=__version__,
                        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        derived_from=_provenance(preset.name, source))
    _write_zip(destination, manifest, files)
    return ExportResult(destination, manifest, tuple(notes))


def _bundle_model(reference: Any, role: str, experiment: str, base_dir: Path,
                  with_weights: bool, files: dict[str, bytes], notes: list[str]) -> Any:
    """Add the model ``reference`` points at to ``files``; returns the bundled reference."""
    if isinstance(reference, dict):
        if reference.get("weights") is None:
            return reference  # an inline model without files travels as it is
        model, name, model_dir = dict(reference), f"{experiment}-{role}", base_dir
        model.update(schema=SCHEMA_VERSION, kind="model", name=name)
    else:
        path = find_preset(reference, "model", relative_to=base_dir)
        if path is None:
            raise PresetError(str(base_dir), [Problem(role, f"'{reference}' is not a model "
                                                      "preset; only model presets can be shared")])
        model, _ = migrate(read_yaml(path), str(path))
        name, model_dir = _safe(path.stem, str(path), "name"), path.parent
        model = {**model, "name": name}
    weights = model.get("weights")
    if weights is not None:
        weights_path = (model_dir / weights).resolve()
        if with_weights:
            read_state_dict(weights_path)  # refuses anything but plain tensors
            files[f"models/{name}.pt"] = weights_path.read_bytes()
            model["weights"] = f"{name}.pt"
        else:
            model["weights"] = None
            notes.append(f"weights of model '{name}' left out (--with-weights includes "
                         "them); the receiver's run will train it")
    text = yaml.safe_dump(model, sort_keys=False).encode("utf-8")
    entry = f"models/{name}.yaml"
    if files.get(entry, text) != text:
        raise PresetError(str(model_dir), [Problem(role, f"two different model presets are "
                                                   f"both named '{name}'; rename one")])
    files[entry] = text
    return name


def _safe(name: Any, source: str, field: str) -> str:
    if reason := check_name(name):
        raise PresetError(source, [Problem(field, reason)])
    return str(name)


def _provenance(name: str, source: Path) -> dict[str, Any]:
    origin = next((entry.origin for entry in list_presets("experiment")
                   if entry.path.resolve() == source.resolve()), "path")
    return {"name": name, "origin": origin, "sha256": sha256_file(source)}


def bundle_target(destination: Path, name: str) -> Path:
    """The bundle file for ``-o destination``: an existing folder gets ``<name>.wbpreset``."""
    try:
        is_folder = destination.is_dir()
    except OSError:
        is_folder = False  # writing it names the problem
    return destination / f"{name}{BUNDLE_SUFFIX}" if is_folder else destination


def _write_zip(destination: Path, manifest: Manifest, files: dict[str, bytes]) -> None:
    """Write atomically: a refused or failed export leaves no file and no earlier one changed."""
    try:
        _zip_into(destination, manifest, files)
    except OSError as error:
        raise PresetError(str(destination), [Problem("", f"cannot write the bundle "
                                                     f"({os_reason(error)}); choose another "
                                                     "file or folder")]) from None


def _zip_into(destination: Path, manifest: Manifest, files: dict[str, bytes]) -> None:
    stamp = datetime.now(timezone.utc).timetuple()[:6]
    with atomic_writer(destination) as handle, \
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry, data in [(MANIFEST_NAME, manifest.to_json().encode("utf-8")),
                            *sorted(files.items())]:
            info = zipfile.ZipInfo(entry, date_time=stamp)
            info.external_attr = 0o100644 << 16  # a plain file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
