"""Where the workbench keeps files: the user's folders per platform, and the bundled ones.

The user's folders come from ``platformdirs`` (XDG on Linux, ``~/Library`` on
macOS, ``%LOCALAPPDATA%``/``%APPDATA%`` on Windows); each has a ``WORKBENCH_*``
environment override so tests and scripts can point them anywhere.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_DIR = "distill-workbench"
BUNDLED_PACKAGE = "workbench.bundled"


def _override_or(env: str, default: Path) -> Path:
    override = os.environ.get(env)
    return Path(override) if override else default


def user_cache_dir() -> Path:
    """Cache folder (datasets, teacher logits). ``WORKBENCH_CACHE_DIR`` overrides."""
    return _override_or("WORKBENCH_CACHE_DIR",
                        platformdirs.user_cache_path(APP_DIR, appauthor=False))


def user_config_dir() -> Path:
    """Config folder (the user's own presets). ``WORKBENCH_CONFIG_DIR`` overrides."""
    return _override_or("WORKBENCH_CONFIG_DIR",
                        platformdirs.user_config_path(APP_DIR, appauthor=False, roaming=True))


def user_data_dir() -> Path:
    """Data folder for things the user keeps (run history). ``WORKBENCH_USER_DATA_DIR`` overrides.

    Not ``WORKBENCH_DATA``: that one names a folder of datasets (see ``core.data.locate``).
    """
    return _override_or("WORKBENCH_USER_DATA_DIR",
                        platformdirs.user_data_path(APP_DIR, appauthor=False, roaming=True))


def default_runs_dir() -> Path:
    """``WORKBENCH_RUNS_DIR`` or ./runs in the current folder (the CLI's default)."""
    return Path(os.environ.get("WORKBENCH_RUNS_DIR", "runs"))


def user_runs_dir() -> Path:
    """``WORKBENCH_RUNS_DIR`` or ``<user data>/runs``: history that does not depend on
    the folder an app was launched from (for the desktop app)."""
    return _override_or("WORKBENCH_RUNS_DIR", user_data_dir() / "runs")


def bundled_dir() -> Path:
    """The package's own data folder, ``workbench/bundled``.

    Found through ``importlib.resources``, so a checkout, an editable install and
    an installed wheel all answer alike. pip always unpacks wheels, so the
    resource is a real folder and a plain ``Path`` is safe to hand around.
    """
    return Path(str(resources.files(BUNDLED_PACKAGE)))


def bundled_presets_dir() -> Path:
    """The bundled presets: ``models/`` and ``experiments/`` of YAML files."""
    return bundled_dir() / "presets"


def bundled_assets_dir() -> Path:
    """Files the bundled presets point at, such as the trained teacher's weights."""
    return bundled_dir() / "assets"
