"""``workbench sweep``: bad input refused before any run, --json, resume, --save-best, ray hint."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import TINY, run_cli
from workbench.cli.main import main


def test_a_bad_value_in_any_cell_exits_2_naming_the_key(tmp_path: Path) -> None:
    done = run_cli("sweep", "synthetic-quick", "--grid", "distill.alpha=0.5,1.5",
                   "--grid", "distill.temprature=2,4", "--runs-dir", str(tmp_path / "runs"))
    assert done.returncode == 2
    assert "distill.alpha" in done.stderr and "distill.temprature" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "sweeps").exists()


@pytest.mark.parametrize("args, named", [
    (["--grid", "distill.alpha"], "distill.alpha"),
    (["--grid", "distill.alpha=0.5", "--seeds", "0"], "--seeds"),
    (["--grid", "distill.alpha=0.5", "--jobs", "0"], "--jobs"),
    (["--grid", "distill.alpha=0.5", "--save-best", "../escape"], "--save-best"),
])
def test_bad_options_exit_2(args: list[str], named: str, capsys: pytest.CaptureFixture[str],
                            tmp_path: Path) -> None:
    assert main(["sweep", "synthetic-quick", *args, "--runs-dir", str(tmp_path / "r")]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_ray_backend_without_ray_exits_2_with_the_install_hint(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as when not installed
    assert main(["sweep", "synthetic-quick", "--grid", "distill.alpha=0.5",
                 "--backend", "ray"]) == 2
    assert "pip install 'distill-workbench[ray]'" in capsys.readouterr().err


def test_sweep_json_resume_and_save_best(tmp_path: Path, isolated_folders: Path) -> None:
    command = ["sweep", "synthetic-quick", *TINY, "--grid", "distill.alpha=0.2,0.9",
               "--runs-dir", str(tmp_path / "runs"), "--json", "--save-best", "tuned"]
    done = run_cli(*command)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["grid"] == {"distill.alpha": ["0.2", "0.9"]} and report["seeds"] == [0]
    assert report["resumed"] == 0 and report["runs"] == 2 and report["wall_s"] > 0
    means = [cell["student_accuracy"]["mean"] for cell in report["cells"]]
    assert report["best"]["student_accuracy"]["mean"] == max(means)
    assert all(cell["student_accuracy"]["n"] == 1 for cell in report["cells"])
    assert all(Path(cell["runs"][0]["run_dir"]).is_dir() for cell in report["cells"])
    sweep_dir = Path(report["sweep_dir"])
    assert sweep_dir.parent == tmp_path / "sweeps"
    assert (sweep_dir / "results.md").read_text().count("\n") == 4  # header, rule, 2 rows
    saved = isolated_folders / "config" / "presets" / "experiments" / "tuned.yaml"
    assert f"alpha: {report['best']['values']['distill.alpha']}" in saved.read_text()

    again = run_cli(*command[:-2])  # the same sweep: resumes, runs nothing
    assert again.returncode == 0, again.stderr
    resumed = json.loads(again.stdout)
    assert resumed["resumed"] == 2 and resumed["sweep_dir"] == report["sweep_dir"]
    assert len(list((tmp_path / "runs").iterdir())) == 2
