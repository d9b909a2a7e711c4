"""Where the workbench keeps user files, per platform, overridable by environment."""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR = "distill-workbench"


def _platform_dir(override_env: str, windows_env: str, windows_default: str, mac_folder: str,
                  xdg_env: str, xdg_default: str) -> Path:
    if override := os.environ.get(override_env):
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get(windows_env, Path.home() / "AppData" / windows_default))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / mac_folder
    else:
        base = Path(os.environ.get(xdg_env, Path.home() / xdg_default))
    return base / APP_DIR


def user_cache_dir() -> Path:
    """Cache folder (datasets, teacher logits). ``WORKBENCH_CACHE_DIR`` overrides."""
    return _platform_dir("WORKBENCH_CACHE_DIR", "LOCALAPPDATA", "Local", "Caches",
                         "XDG_CACHE_HOME", ".cache")


def user_config_dir() -> Path:
    """Config folder (the user's own presets). ``WORKBENCH_CONFIG_DIR`` overrides."""
    return _platform_dir("WORKBENCH_CONFIG_DIR", "APPDATA", "Roaming", "Application Support",
                         "XDG_CONFIG_HOME", ".config")


def project_root() -> Path:
    """The source tree's top folder (holds presets/ and assets/)."""
    return Path(__file__).resolve().parents[2]


def bundled_presets_dir() -> Path:
    return project_root() / "presets"


def default_runs_dir() -> Path:
    """``WORKBENCH_RUNS_DIR`` or ./runs in the current folder."""
    return Path(os.environ.get("WORKBENCH_RUNS_DIR", "runs"))
