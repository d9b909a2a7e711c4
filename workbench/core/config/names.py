"""The one rule for names that become file or folder names (presets, run folders, bundles).

A preset's name ends up in a path: ``<runs>/<stamp>-<name>-<tail>/``,
``<user presets>/experiments/<name>.yaml``, ``models/<name>.yaml`` inside a
share bundle. So a name is one plain path component, on every system: no
separators, no ``..``, nothing Windows reserves, and short enough for any
file system.
"""
from __future__ import annotations

import re
import reprlib
from typing import Any

NAME_MAX_CHARS = 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,%d}" % (NAME_MAX_CHARS - 1))
NAME_RULE = (f"1 to {NAME_MAX_CHARS} letters, digits, '.', '_' or '-', starting with a "
             "letter or digit, without '..'")
# Device names Windows reserves in any folder, with any extension ("con.yaml" too).
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul",
                              *(f"com{digit}" for digit in range(1, 10)),
                              *(f"lpt{digit}" for digit in range(1, 10))})

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = 40
_SHOWN.maxother = 40


def check_name(value: Any) -> str | None:
    """Why ``value`` cannot be a name, or None when it can.

    The reason is written to follow a field: ``name: must be a name of ...``.
    """
    if not isinstance(value, str):
        return f"must be a name ({NAME_RULE}), got {_SHOWN.repr(value)}"
    if len(value) > NAME_MAX_CHARS:
        return (f"must be a name of at most {NAME_MAX_CHARS} characters ({NAME_RULE}), "
                f"got {len(value)} characters: {_SHOWN.repr(value)}")
    if not NAME_PATTERN.fullmatch(value) or ".." in value:
        return f"must be a name ({NAME_RULE}), got {_SHOWN.repr(value)}"
    if value.split(".", 1)[0].lower() in WINDOWS_RESERVED:
        return (f"must be a name ({NAME_RULE}), got {value!r}, which Windows reserves "
                "for a device")
    return None


def is_name(value: Any) -> bool:
    """True when ``value`` passes ``check_name``."""
    return check_name(value) is None
