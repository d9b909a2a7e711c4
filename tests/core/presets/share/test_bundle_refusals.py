"""Malicious or damaged bundles: each is refused with a clear message, nothing written."""
from __future__ import annotations

import io
import json
import os
import pickle
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from tests.core.presets.share.bundle_helpers import (export_genuine_bundle, read_entries, snapshot, write_weighted_user_preset,
                                               write_zip)
from workbench.core.errors import PresetError
from workbench.core.presets.share.manifest import BundleLimits
from workbench.core.presets.share.importer import import_bundle
from workbench.core.presets.library import user_presets_dir

EXPERIMENT = "experiments/mine.yaml"
MODEL = "models/my-teacher.yaml"
WEIGHTS = "models/my-teacher.pt"
SMALL = BundleLimits(max_total_bytes=1 << 20, max_file_bytes=1 << 20)


class RunsCode:
    """Unpickling this would run a shell command; weights_only=True must refuse it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return os.system, (f"touch {self.marker}",)


def _edit(name: str, old: str, new: str) -> Callable[[dict[str, bytes], Path], dict]:
    def change(entries: dict[str, bytes], _: Path) -> dict:
        text = entries[name].decode()
        assert old in text
        return {name: text.replace(old, new).encode()}
    return change


def _torchscript(entries: dict[str, bytes], _: Path) -> dict:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buffer)
    return {WEIGHTS: buffer.getvalue()}


def _lie_about_size(path: Path, name: str, declared: int) -> None:
    """Rewrite the central directory so ``name`` declares ``declared`` bytes."""
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start != -1:
        length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + length] == name.encode():
            struct.pack_into("<I", data, start + 24, declared)
        start = data.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(data))


CASES: dict[str, tuple[Callable[[dict[str, bytes], Path], dict], dict, str]] = {
    # case: (changes to the entries, write_zip options, expected message fragment)
    "yaml tag": (lambda entries, tmp: {EXPERIMENT: entries[EXPERIMENT] + (
        f'description: !!python/object/apply:os.system ["touch {tmp / "ran"}"]\n').encode()},
        {}, "not valid YAML"),
    "absolute path": (lambda e, t: {"/tmp/evil.yaml": b"x: 1\n"}, {}, "absolute path"),
    "dotdot": (lambda e, t: {"models/../../evil.yaml": b"x: 1\n"}, {}, "'..' segment"),
    "symlink": (lambda e, t: {}, {"link": WEIGHTS}, "is a link"),
    "zip bomb": (lambda e, t: {"models/bomb.pt": bytes(8 << 20)}, {}, "more than the limit"),
    "tampered": (_edit(EXPERIMENT, "alpha: 0.5", "alpha: 0.9"), {"fix_manifest": False},
                 "checksum does not match"),
    "unlisted file": (lambda e, t: {"models/extra.yaml": b"x: 1\n"}, {"fix_manifest": False},
                      "not in the manifest"),
    "pickled code": (lambda e, t: {WEIGHTS: pickle.dumps(RunsCode(t / "ran"))}, {},
                     "weights_only=True"),
    "weights outside": (_edit(MODEL, "weights: my-teacher.pt", "weights: ../../../secret.pt"),
                        {}, "outside the bundle"),
    "model path": (_edit(EXPERIMENT, "teacher: my-teacher", "teacher: /etc/model.yaml"), {},
                   "cannot point at files"),
    "relative model path": (_edit(EXPERIMENT, "teacher: my-teacher",
                                  "teacher: ../models/my-teacher.yaml"), {},
                            "cannot point at files"),
    "script teacher": (_edit(EXPERIMENT, "teacher: my-teacher", "teacher: my-teacher.pt"), {},
                       "cannot point at files"),
    "torchscript weights": (_torchscript, {}, "weights_only=True"),
    "missing model": (_edit(EXPERIMENT, "teacher: my-teacher", "teacher: synthetic-cnn"), {},
                      "does not contain"),
    "dataset folder": (_edit(EXPERIMENT, "  dataset: synthetic",
                             "  dataset: synthetic\n  root: /home"), {}, "data.root"),
    "newer bundle": (lambda e, t: {"manifest.json": json.dumps(
        {**json.loads(e["manifest.json"]), "schema": 7}).encode()}, {}, "newer than this app"),
    "newer preset": (_edit(EXPERIMENT, "schema: 1", "schema: 5"), {}, "update Distill"),
}


@pytest.fixture
def genuine(tmp_path: Path) -> Path:
    """A real bundle with weights; the user folder then holds an unrelated preset."""
    bundle = export_genuine_bundle(tmp_path)
    write_weighted_user_preset(user_presets_dir(), model="kept", experiment="kept-exp")
    return bundle


@pytest.mark.filterwarnings("ignore:Detected pickle protocol", "ignore::DeprecationWarning")
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_bad_bundle_is_refused_and_nothing_changes(case: str, genuine: Path,
                                                        tmp_path: Path) -> None:
    change, options, fragment = CASES[case]
    entries = read_entries(genuine)
    entries.update(change(entries, tmp_path))
    bad = write_zip(tmp_path / f"{case}.wbpreset", entries, **options)
    before = snapshot(user_presets_dir())
    with pytest.raises(PresetError) as raised:
        import_bundle(bad, limits=SMALL)
    assert fragment in str(raised.value)
    assert snapshot(user_presets_dir()) == before
    assert not (tmp_path / "ran").exists()


def test_a_header_that_lies_about_its_size_is_refused(genuine: Path, tmp_path: Path) -> None:
    entries = read_entries(genuine)
    declared = 100
    manifest = json.loads(entries["manifest.json"])
    manifest["files"][WEIGHTS]["size"] = declared  # the manifest agrees with the lie
    entries["manifest.json"] = json.dumps(manifest).encode()
    bad = write_zip(tmp_path / "liar.wbpreset", entries, fix_manifest=False)
    _lie_about_size(bad, WEIGHTS, declared)
    before = snapshot(user_presets_dir())
    with pytest.raises(PresetError, match=WEIGHTS):
        import_bundle(bad)
    assert snapshot(user_presets_dir()) == before


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "plain.wbpreset"
    bad.write_text("schema: 1\n")
    with pytest.raises(PresetError, match="not a preset bundle"):
        import_bundle(bad)
    assert snapshot(user_presets_dir()) == {}
