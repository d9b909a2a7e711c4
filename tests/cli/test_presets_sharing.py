"""`workbench presets export|import|diff`: sharing that reproduces runs and refuses tampering."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.presets.share.bundle_helpers import (read_entries, snapshot, write_weighted_user_preset,
                                               write_zip)
from workbench.cli.main import main
from workbench.core.presets.library import user_presets_dir


def _run_json(capsys: pytest.CaptureFixture[str], name: str) -> dict:
    assert main(["run", name, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_export_import_into_a_fresh_folder_reproduces_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    write_weighted_user_preset(user_presets_dir())
    first = _run_json(capsys, "mine")
    bundle = tmp_path / "mine.wbpreset"
    assert main(["presets", "export", "mine", "-o", str(bundle), "--with-weights"]) == 0
    capsys.readouterr()

    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "receiver-config"))
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "receiver-cache"))
    assert main(["presets", "import", str(bundle)]) == 0
    assert "imported experiment 'mine'" in capsys.readouterr().out
    second = _run_json(capsys, "mine")
    for role in ("teacher", "student", "baseline"):
        assert second["models"][role]["accuracy"] == first["models"][role]["accuracy"]
    assert second["retention"] == first["retention"]
    assert main(["presets", "import", str(bundle)]) == 2  # a clash, with a hint
    assert "--replace" in capsys.readouterr().err


def test_a_tampered_bundle_is_refused_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "quick.wbpreset"
    assert main(["presets", "export", "synthetic-quick", "-o", str(bundle)]) == 0
    entries = read_entries(bundle)
    name = "experiments/synthetic-quick.yaml"
    entries[name] = entries[name].replace(b"alpha: 0.5", b"alpha: 0.1")
    write_zip(bundle, entries, fix_manifest=False)
    before = snapshot(user_presets_dir())
    capsys.readouterr()
    assert main(["presets", "import", str(bundle), "--as", "tampered"]) == 2
    err = capsys.readouterr().err
    assert "checksum does not match the manifest" in err and "Traceback" not in err
    assert snapshot(user_presets_dir()) == before


def test_diff_prints_only_differing_dotted_keys(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("schema: 1\nkind: experiment\nname: synthetic-quick\n"
                     "teacher: synthetic-cnn\nstudent: synthetic-mlp\n"
                     "data: {dataset: synthetic, val_size: 1000}\n"
                     "distill: {alpha: 0.3}\n"
                     "train: {epochs: 4, batch_size: 128, lr: 0.003}\n"
                     "teacher_train: {epochs: 2, lr: 0.003, schedule: onecycle}\n"
                     "compare: {latency_repeats: 50, warmup: 5, throughput_batch: 256}\n")
    assert main(["presets", "diff", "synthetic-quick", str(other)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [lines[0], "distill.alpha: 0.5 -> 0.3"]
    assert lines[0].startswith("description: ") and lines[0].endswith(' -> ""')


def test_list_notes_a_shadowing_user_preset(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    write_weighted_user_preset(user_presets_dir(), model="synthetic-cnn", experiment="x")
    assert main(["presets", "list", "--kind", "model"]) == 0
    [line] = [row for row in capsys.readouterr().out.splitlines() if " synthetic-cnn " in row]
    assert "user" in line and "shadows bundled" in line
