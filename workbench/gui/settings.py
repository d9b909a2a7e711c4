"""What the app remembers between sessions (QSettings), with a version for migrations."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from workbench.core.paths import user_runs_dir

ORGANIZATION = "distill-workbench"
APPLICATION = "workbench"
VERSION = 1


def store() -> QSettings:
    """The app's settings; tests isolate them with ``QSettings.setPath`` and a tmp folder."""
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                         ORGANIZATION, APPLICATION)
    if settings.value("version", VERSION, int) != VERSION:
        settings.clear()  # no migrations yet: older layouts are simply forgotten
    settings.setValue("version", VERSION)
    return settings


def value(key: str, default: object = None, kind: type | None = None) -> object:
    settings = store()
    return settings.value(key, default, kind) if kind else settings.value(key, default)


def set_value(key: str, data: object) -> None:
    store().setValue(key, data)


def geometry() -> QByteArray | None:
    data = store().value("window/geometry")
    return data if isinstance(data, QByteArray) else None


def last_export() -> tuple[str, str]:
    folder = str(value("export/folder", str(Path.home())))
    fmt = str(value("export/format", "png"))
    return folder, fmt if fmt in ("png", "svg") else "png"


def remember_export(folder: str, fmt: str) -> None:
    set_value("export/folder", folder)
    set_value("export/format", fmt)


def runs_dir() -> Path:
    """Where the app keeps runs when no ``--runs-dir`` is given: ``WORKBENCH_RUNS_DIR``, else
    the folder chosen in the Runs tab, else the user's data folder (never the folder the
    app happened to be launched from)."""
    if os.environ.get("WORKBENCH_RUNS_DIR"):
        return user_runs_dir()
    chosen = str(value("paths/runs_dir", "") or "")
    return Path(chosen) if chosen else user_runs_dir()


def remember_runs_dir(folder: Path) -> None:
    set_value("paths/runs_dir", str(folder))
