"""User folders come from platformdirs unless a WORKBENCH_* variable says otherwise; the
bundled presets and weights are found inside the package."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from workbench.core import paths

OVERRIDES = {"WORKBENCH_CACHE_DIR": paths.user_cache_dir,
             "WORKBENCH_CONFIG_DIR": paths.user_config_dir,
             "WORKBENCH_USER_DATA_DIR": paths.user_data_dir,
             "WORKBENCH_RUNS_DIR": paths.user_runs_dir}


@pytest.fixture
def no_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*OVERRIDES, "WORKBENCH_DATA"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("variable", sorted(OVERRIDES))
def test_each_environment_override_wins(variable: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "chosen"))
    assert OVERRIDES[variable]() == tmp_path / "chosen"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
@pytest.mark.usefixtures("no_overrides")
def test_linux_folders_follow_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CACHE", "CONFIG", "DATA"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    assert paths.user_cache_dir() == tmp_path / "cache" / "distill-workbench"
    assert paths.user_config_dir() == tmp_path / "config" / "distill-workbench"
    assert paths.user_data_dir() == tmp_path / "data" / "distill-workbench"
    assert paths.user_runs_dir() == tmp_path / "data" / "distill-workbench" / "runs"


@pytest.mark.usefixtures("no_overrides")
def test_the_command_line_keeps_its_runs_in_the_current_folder() -> None:
    assert paths.default_runs_dir() == Path("runs")


def test_bundled_library_is_found_in_the_package() -> None:
    presets = paths.bundled_presets_dir()
    assert presets.parent == paths.bundled_dir()
    assert Path(paths.__file__).resolve().parents[1] / "bundled" == paths.bundled_dir().resolve()
    assert (presets / "experiments" / "synthetic-quick.yaml").is_file()
    assert (presets / "models" / "synthetic-mlp.yaml").is_file()


def test_bundled_teacher_preset_points_at_the_bundled_weights() -> None:
    teacher = paths.bundled_presets_dir() / "models" / "fashion-cnn-teacher.yaml"
    weights = yaml.safe_load(teacher.read_text(encoding="utf-8"))["weights"]
    resolved = (teacher.parent / weights).resolve()
    assert resolved == (paths.bundled_assets_dir() / "fashion-cnn-teacher.pt").resolve()
    assert resolved.stat().st_size > 1_000_000  # the real weights, not a pointer file
