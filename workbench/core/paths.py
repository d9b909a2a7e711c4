"""Where the workbench keeps user files, per platform, overridable by environment."""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR = "distill-workbench"


def user_cache_dir() -> Path:
    """Cache folder (datasets, teacher logits). ``WORKBENCH_CACHE_DIR`` overrides."""
    if override := os.environ.get("WORKBENCH_CACHE_DIR"):
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / APP_DIR


def user_config_dir() -> Path:
    """Config folder (the user's own presets). ``WORKBENCH_CONFIG_DIR`` overrides."""
    if override := os.environ.get("WORKBENCH_CONFIG_DIR"):
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / APP_DIR


def project_root() -> Path:
    """The source tree's top folder (holds presets/ and assets/)."""
    return Path(__file__).resolve().parents[2]


def bundled_presets_dir() -> Path:
    return project_root() / "presets"


def default_runs_dir() -> Path:
    """``WORKBENCH_RUNS_DIR`` or ./runs in the current folder."""
    return Path(os.environ.get("WORKBENCH_RUNS_DIR", "runs"))
