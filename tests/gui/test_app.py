"""``workbench gui`` flags: run, screenshot and quit with the run's exit code."""
from __future__ import annotations

from workbench.gui.app import main


def test_run_screenshot_and_quit_returns_zero(qapp, tiny_preset, isolated):
    shot = isolated / "shots" / "window.png"
    code = main(["--preset", str(tiny_preset), "--run", "--screenshot", str(shot),
                 "--quit-after-run", "--runs-dir", str(isolated / "runs")])
    assert code == 0
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert len(list((isolated / "runs").iterdir())) == 1


def test_bad_preset_exits_with_two(qapp, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: 1\nkind: experiment\nname: bad\nteacher: nowhere\n")
    assert main(["--preset", str(bad), "--run", "--quit-after-run"]) == 2
    assert "teacher" in capsys.readouterr().err


def test_screenshot_without_a_run_shows_the_start_state(qapp, isolated):
    shot = isolated / "start.png"
    assert main(["--screenshot", str(shot), "--quit-after-run"]) == 0
    assert shot.is_file()


def test_without_a_display_the_app_says_so_and_exits_2(tmp_path):
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["WORKBENCH_RUNS_DIR"] = str(tmp_path / "runs")
    result = subprocess.run([sys.executable, "-m", "workbench"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2
    assert "no display" in result.stderr and "workbench run PRESET" in result.stderr
