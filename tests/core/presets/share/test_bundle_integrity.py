"""Bundles that unpack cleanly but would be broken once installed: refused, or installed whole."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.core.presets.share.bundle_helpers import (export_genuine_bundle, read_entries, snapshot,
                                                     write_zip)
from workbench.core.errors import PresetError
from workbench.core.models import build_model
from workbench.core.models.weights import load_weights
from workbench.core.presets.diff import diff_presets
from workbench.core.presets.library import user_presets_dir
from workbench.core.presets.load import load_experiment
from workbench.core.presets.share.importer import import_bundle
from workbench.core.presets.yaml_io import read_yaml

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

MODEL = "models/my-teacher.yaml"
WEIGHTS = "models/my-teacher.pt"
ALIAS_BOMB = ('a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
              + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, "
                        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                        for i in range(8)))


@pytest.fixture
def genuine(tmp_path: Path) -> Path:
    """A real bundle with weights; the user's folder is emptied afterwards."""
    bundle = export_genuine_bundle(tmp_path)
    return bundle


def _tensors(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _refused(bundle: Path) -> str:
    before = snapshot(user_presets_dir())
    with pytest.raises(PresetError) as raised:
        import_bundle(bundle)
    assert snapshot(user_presets_dir()) == before  # nothing installed
    return str(raised.value)


def test_weights_under_another_name_are_installed_under_the_name_the_preset_uses(
        genuine: Path, tmp_path: Path) -> None:
    entries = read_entries(genuine)
    entries["models/other-name.pt"] = entries.pop(WEIGHTS)
    entries[MODEL] = entries[MODEL].replace(b"weights: my-teacher.pt", b"weights: other-name.pt")
    renamed = write_zip(tmp_path / "renamed.wbpreset", entries)
    import_bundle(renamed)
    preset = load_experiment("mine")  # fails when the YAML names a file that is not there
    assert preset.teacher.weights is not None and preset.teacher.weights.exists()
    assert preset.teacher.weights.name == "my-teacher.pt"
    assert not (user_presets_dir() / "models" / "other-name.pt").exists()
    load_weights(build_model("mlp", {"hidden": [6]}, (1, 28, 28), 10), preset.teacher.weights)


def test_a_junk_tensor_in_place_of_the_weights_is_refused(genuine: Path, tmp_path: Path) -> None:
    entries = read_entries(genuine)
    entries[WEIGHTS] = _tensors({"junk": torch.zeros(256, 1024)})
    message = _refused(write_zip(tmp_path / "junk.wbpreset", entries))
    assert WEIGHTS in message
    assert "does not fit a 'mlp' model" in message
    assert "unexpected junk" in message


def test_weights_of_another_width_are_refused(genuine: Path, tmp_path: Path) -> None:
    entries = read_entries(genuine)
    wider = build_model("mlp", {"hidden": [9]}, (1, 28, 28), 10)
    entries[WEIGHTS] = _tensors(wider.state_dict())
    message = _refused(write_zip(tmp_path / "wider.wbpreset", entries))
    assert WEIGHTS in message and "shape differs" in message
    assert "(9, 784)" in message  # the file's shape is named


def test_recorded_data_shape_is_checked_exactly(genuine: Path, tmp_path: Path) -> None:
    """Our checkpoints record the input shape: a model for other images does not fit."""
    entries = read_entries(genuine)
    other = build_model("mlp", {"hidden": [6]}, (3, 32, 32), 10)
    entries[WEIGHTS] = _tensors({"format": "distill-workbench/1", "state_dict": other.state_dict(),
                                 "meta": {"input_shape": [1, 28, 28], "classes": list("abcdefghij")}})
    message = _refused(write_zip(tmp_path / "other-images.wbpreset", entries))
    assert "(6, 3072)" in message and "(expected (6, 784))" in message


def test_an_alias_bomb_in_a_bundled_preset_is_refused_naming_the_entry(
        genuine: Path, tmp_path: Path) -> None:
    entries = read_entries(genuine)
    entries[MODEL] = entries[MODEL] + ("description: x\nbomb:\n  " + ALIAS_BOMB.replace(
        "\n", "\n  ")).encode()
    message = _refused(write_zip(tmp_path / "bomb.wbpreset", entries))
    assert MODEL in message and "more than 100,000 values" in message


def test_a_deeply_nested_manifest_is_refused_not_a_crash(genuine: Path, tmp_path: Path) -> None:
    entries = read_entries(genuine)
    entries["manifest.json"] = b"[" * 200_000  # json.loads would raise RecursionError
    message = _refused(write_zip(tmp_path / "deep.wbpreset", entries, fix_manifest=False))
    assert "manifest.json: is nested too deeply to be a manifest" in message


def test_presets_diff_refuses_an_alias_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("schema: 1\nkind: experiment\n" + ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(PresetError, match="more than 100,000 values"):
        diff_presets(str(bomb), "synthetic-quick")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_as_bundle_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.wbpreset"
    os.mkfifo(pipe)
    with pytest.raises(PresetError, match="pipe.wbpreset is a named pipe, not a file"):
        import_bundle(pipe)  # a plain open() would wait here for a writer forever


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_the_preset_reader_refuses_a_named_pipe_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    with pytest.raises(PresetError, match="pipe.yaml is a named pipe, not a file"):
        read_yaml(pipe)  # every preset, bundled entry and run's preset.yaml is read here


@pytest.mark.skipif(resource is None, reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_during_import_installs_nothing(genuine: Path) -> None:
    """The weights (18 KB) do not fit under a 4 KB file size limit, as on a full disk."""
    before = snapshot(user_presets_dir())
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "presets", "import", str(genuine)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
        preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1])))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {genuine}: 1 problem:")
    assert "File too large" in done.stderr
    assert snapshot(user_presets_dir()) == before
