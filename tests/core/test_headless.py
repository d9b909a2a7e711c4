"""The core is headless: nothing under workbench.core may import Qt or the front-ends.

The command line is headless too (``pip install distill-workbench`` has no Qt): in an
environment that has Qt an accidental import would go unnoticed, so it is checked here.
"""
from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import workbench.core

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
FORBIDDEN_ROOTS = QT_MODULES + ("workbench.gui", "workbench.cli")
CORE_DIR = Path(workbench.core.__file__).resolve().parent

IMPORT_EVERYTHING = """
import json, pkgutil, sys
import workbench.core
walked = [module.name for module in
          pkgutil.walk_packages(workbench.core.__path__, "workbench.core.")]
for name in walked + {files}:
    __import__(name)
forbidden = sorted(name for name in sys.modules
                   if name.split(".")[0] in {qt} or name.startswith({front_ends}))
print(json.dumps({{"walked": walked, "forbidden": forbidden}}))
"""


def _module_names_from_files() -> list[str]:
    """Every module under workbench/core, named from its file (namespace folders included)."""
    names = []
    for path in sorted(CORE_DIR.rglob("*.py")):
        parts = path.relative_to(CORE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.append(".".join(("workbench", "core") + parts))
    return names


def test_importing_every_core_module_loads_no_qt_and_no_front_end() -> None:
    files = _module_names_from_files()
    script = IMPORT_EVERYTHING.format(files=repr(files), qt=repr(set(QT_MODULES)),
                                      front_ends=repr(("workbench.gui", "workbench.cli")))
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "workbench.core.runs.store" in report["walked"]  # the walk really found modules
    assert report["forbidden"] == []


IMPORT_THE_COMMAND_LINE = """
import json, pkgutil, sys
import workbench.cli, workbench.launch
for module in pkgutil.walk_packages(workbench.cli.__path__, "workbench.cli."):
    __import__(module.name)
loaded = sorted(name for name in sys.modules if name.startswith("workbench.cli."))
forbidden = sorted(name for name in sys.modules
                   if name.split(".")[0] in {qt} or name.startswith("workbench.gui"))
print(json.dumps({{"loaded": loaded, "forbidden": forbidden}}))
"""


def test_importing_the_command_line_loads_no_qt() -> None:
    script = IMPORT_THE_COMMAND_LINE.format(qt=repr(set(QT_MODULES)))
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "workbench.cli.commands.run_cmd" in report["loaded"]  # the walk found the commands
    assert report["forbidden"] == []


def test_pkgutil_walk_reaches_every_core_module() -> None:
    """A folder without __init__.py is invisible to pkgutil (and to the subprocess check)."""
    walked = {module.name for module in
              pkgutil.walk_packages(workbench.core.__path__, "workbench.core.")}
    missing = sorted(set(_module_names_from_files()) - walked)
    assert missing == []


def _imported_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif (isinstance(node, ast.Call)
              and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.append(node.args[0].value)
    return names


def _is_forbidden(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in FORBIDDEN_ROOTS)


def test_no_core_source_file_imports_qt_or_a_front_end() -> None:
    files = sorted(CORE_DIR.rglob("*.py"))
    assert len(files) > 10, "found too few source files to scan"
    offenders = [f"{path.relative_to(CORE_DIR)}: {name}" for path in files
                 for name in _imported_names(ast.parse(path.read_text(encoding="utf-8")))
                 if _is_forbidden(name)]
    assert offenders == []


def test_the_static_scan_would_see_a_qt_import() -> None:
    """Guard the guard: the scanner recognises each way of spelling the import."""
    source = ("import PySide6.QtCore\nfrom pyqtgraph import PlotWidget\n"
              "import importlib\nimportlib.import_module('shiboken6')\n"
              "from workbench.gui import bridge\n")
    names = _imported_names(ast.parse(source))
    assert sorted(name for name in names if _is_forbidden(name)) == [
        "PySide6.QtCore", "pyqtgraph", "shiboken6", "workbench.gui"]
