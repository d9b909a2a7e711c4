"""What a user gets from `pip install`: a wheel that carries its presets and weights, and a
window command that says how to get Qt when it is missing.

The wheel test builds from a clean copy of the package and the top-level files (a stale
``build/`` could otherwise leak files into the wheel), installs it into a fresh venv and runs the
installed ``workbench`` from an empty folder, so every workbench file comes from the
wheel. Third-party packages (torch, numpy, ...) are borrowed from this interpreter
through a ``.pth`` line: installing them again would take minutes and prove nothing
about our wheel. The wheel's declared dependencies are checked from its metadata.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest

import workbench

CHECKOUT = Path(workbench.__file__).resolve().parents[1]
TINY = ["--set", "data.train_limit=800", "--set", "data.val_size=200",
        "--set", "train.epochs=1", "--set", "teacher_train.epochs=1",
        "--set", "train.threads=1", "--set", "compare.latency_repeats=3",
        "--set", "compare.warmup=1", "--set", "compare.throughput_batch=32"]


@dataclass(frozen=True)
class InstalledWheel:
    wheel: Path
    venv: Path
    workdir: Path
    env: dict[str, str]

    def workbench(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """The installed console script, run from a folder with no source tree in it."""
        return subprocess.run([str(self.venv / "bin" / "workbench"), *args], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "python"), "-c", code], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=120)


def _run(*command: str | Path, cwd: Path | None = None) -> None:
    completed = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _build_wheel(base: Path) -> Path:
    """The wheel of the package folder plus the top-level files (pyproject, README)."""
    source = base / "source"
    shutil.copytree(CHECKOUT / "workbench", source / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in CHECKOUT.iterdir():
        if path.is_file():
            shutil.copy2(path, source / path.name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", base / "dist", ".", cwd=source)
    (wheel,) = (base / "dist").glob("distill_workbench-*.whl")
    return wheel


def _venv_borrowing_our_packages(venv: Path) -> None:
    """A bare venv whose site-packages also points at ours (as a plain path: our .pth
    files, such as the editable install's finder, are not run there)."""
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    venv_python = venv / "bin" / "python"
    site = subprocess.run([str(venv_python), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "_borrowed_site_packages.pth").write_text("\n".join(ours) + "\n")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """The wheel, built once per module and installed into a fresh venv."""
    base = tmp_path_factory.mktemp("packaging")
    wheel = _build_wheel(base)
    venv = base / "venv"
    _venv_borrowing_our_packages(venv)
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
         "--no-deps", "--no-index", "--no-compile", wheel)
    workdir = base / "elsewhere"
    workdir.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WORKBENCH_", "PYTHON"))}
    env |= {"PYTHONNOUSERSITE": "1", "WORKBENCH_CACHE_DIR": str(base / "cache"),
            "WORKBENCH_CONFIG_DIR": str(base / "config"), "WORKBENCH_RUNS_DIR": str(base / "runs"),
            "WORKBENCH_USER_DATA_DIR": str(base / "data")}
    return InstalledWheel(wheel, venv, workdir, env)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_wheel_carries_every_module_and_bundled_file(installed: InstalledWheel) -> None:
    expected = {path.relative_to(CHECKOUT).as_posix()
                for path in (CHECKOUT / "workbench").rglob("*")
                if path.is_file() and "__pycache__" not in path.parts}
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert sorted(expected - names) == []
    assert "workbench/bundled/presets/experiments/synthetic-quick.yaml" in names
    assert "workbench/bundled/assets/fashion-cnn-teacher.pt" in names


@pytest.mark.slow
def test_wheel_needs_qt_only_for_the_gui_extra(installed: InstalledWheel) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        (metadata_name,) = [name for name in archive.namelist() if name.endswith("/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
    requires = metadata.get_all("Requires-Dist")
    core = [line for line in requires if "extra ==" not in line]
    assert {line.split(";")[0].split(">")[0].split("<")[0].strip().lower() for line in core} == {
        "torch", "numpy", "pyyaml", "psutil", "platformdirs", "pillow"}
    qt = [line for line in requires if line.lower().startswith(("pyside6", "pyqtgraph"))]
    assert qt and all('extra == "gui"' in line for line in qt)


@pytest.mark.slow
def test_installed_package_comes_from_the_wheel_not_the_checkout(
        installed: InstalledWheel) -> None:
    result = installed.python("import json, workbench\n"
                              "from workbench.core.paths import bundled_dir\n"
                              "print(json.dumps([workbench.__file__, str(bundled_dir())]))")
    assert result.returncode == 0, result.stderr
    module_file, bundled = (Path(text) for text in json.loads(result.stdout))
    assert module_file.is_relative_to(installed.venv)
    assert bundled.is_relative_to(installed.venv) and bundled.name == "bundled"


@pytest.mark.slow
def test_installed_presets_list_shows_the_bundled_library(installed: InstalledWheel) -> None:
    result = installed.workbench("presets", "list")
    assert result.returncode == 0, result.stderr
    listed = {tuple(line.split()[:3]) for line in result.stdout.splitlines()}
    for kind, name in (("experiment", "synthetic-quick"), ("experiment", "fashion-kd"),
                       ("model", "fashion-cnn-teacher"), ("model", "fashion-mlp-64")):
        assert (kind, name, "bundled") in listed


@pytest.mark.slow
def test_installed_teacher_preset_finds_its_shipped_weights(installed: InstalledWheel) -> None:
    result = installed.workbench("presets", "show", "fashion-cnn-teacher")
    assert result.returncode == 0, result.stderr
    weights = Path(next(line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                        if line.startswith("weights:")))
    assert weights.is_relative_to(installed.venv)
    assert _sha256(weights) == _sha256(
        CHECKOUT / "workbench" / "bundled" / "assets" / "fashion-cnn-teacher.pt")


@pytest.mark.slow
def test_installed_command_runs_the_quick_demo(installed: InstalledWheel) -> None:
    result = installed.workbench("run", "synthetic-quick", "--json", *TINY)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "completed"
    assert Path(payload["run_dir"]).is_relative_to(Path(installed.env["WORKBENCH_RUNS_DIR"]))
    assert set(payload["models"]) >= {"teacher", "student", "baseline"}
    assert all(0.0 <= figures["accuracy"] <= 1.0 for figures in payload["models"].values())


# --- the window command without Qt (fast: no wheel) -------------------------------------

WITHOUT = """
import sys
from importlib.abc import MetaPathFinder

class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r} or name in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Missing())
from workbench.launch import main
sys.exit(main({argv!r}))
"""


def _launch_without(blocked: set[str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", WITHOUT.format(blocked=blocked, argv=argv)],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("argv", [[], ["gui"]], ids=["no-arguments", "gui"])
def test_window_without_pyside6_says_how_to_install_it_and_exits_2(argv: list[str]) -> None:
    result = _launch_without({"PySide6", "shiboken6"}, argv)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert 'pip install "distill-workbench[gui]"' in lines[0] and "PySide6" in lines[0]


def test_window_without_pyqtgraph_names_it() -> None:
    pytest.importorskip("PySide6", reason="needs Qt installed, with only pyqtgraph missing")
    result = _launch_without({"pyqtgraph"}, [])
    assert result.returncode == 2
    assert "pyqtgraph" in result.stderr and "distill-workbench[gui]" in result.stderr


def test_a_missing_module_of_our_own_is_not_blamed_on_the_gui_extra() -> None:
    """A bug in the GUI's imports must surface, not read as 'install the extra'."""
    for package in ("PySide6", "pyqtgraph"):
        pytest.importorskip(package, reason="needs the [gui] extra installed")
    result = _launch_without({"workbench.gui.app"}, [])
    assert result.returncode == 1
    assert "workbench.gui.app" in result.stderr and "distill-workbench[gui]" not in result.stderr


def test_headless_commands_work_without_qt() -> None:
    result = _launch_without({"PySide6", "shiboken6", "pyqtgraph"}, ["presets", "list"])
    assert result.returncode == 0, result.stderr
    assert "synthetic-quick" in result.stdout
