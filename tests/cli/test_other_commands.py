"""`workbench presets|runs|compare`, run in-process through the CLI's main()."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import TINY
from workbench.cli.main import main


def test_presets_list_shows_bundled_presets_with_origin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "list"]) == 0
    out = capsys.readouterr().out
    assert "synthetic-quick" in out and "fashion-kd" in out and "fashion-mlp-64" in out
    assert "bundled" in out


def test_presets_show_prints_resolved_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "synthetic-quick"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["student"]["architecture"] == "mlp"  # model presets are inlined
    assert shown["distill"]["temperature"] == 4.0


def test_presets_validate_reports_each_problem_and_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: 1\nkind: experiment\nname: bad\nteacher: synthetic-cnn\n"
                   "student: nope\ndistill: {alpha: -1, temperature: 0}\n")
    assert main(["presets", "validate", "synthetic-quick", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "ok: synthetic-quick" in captured.out
    for text in ("student", "'nope' not found", "distill.alpha", "distill.temperature"):
        assert text in captured.err


def test_compare_formats_agree_on_the_numbers(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "synthetic-quick", *TINY, "--json"]) == 0
    run_dir = Path(json.loads(capsys.readouterr().out)["run_dir"])
    assert main(["runs", "list"]) == 0
    assert run_dir.name in capsys.readouterr().out
    assert main(["compare", run_dir.name[:20], "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["model"] for row in rows] == ["teacher", "student", "student-int8", "baseline"]
    assert main(["compare", str(run_dir), "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(table[1]["accuracy"]) == rows[1]["accuracy"]
    assert main(["compare", run_dir.name, "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("| run | model |") and f"{100 * rows[1]['accuracy']:.2f}%" in markdown


def test_compare_unknown_run_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "nope"]) == 2
    assert "run 'nope' not found" in capsys.readouterr().err
