"""Hostile input from the shell: exit 2 before any run, one message, no traceback, no files.

Each case runs ``python -m workbench run`` as a user would, with ``--runs-dir``
inside the test's folder, and checks that nothing at all was written: not in
the runs folder, and not next to it (where an escaping name would land).
"""
from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli
from tests.core.data.conftest import write_idx_set
from tests.core.presets.test_yaml_limits import alias_bomb

TINY_PRESET = """\
schema: 1
kind: experiment
name: hostile
teacher: synthetic-cnn
student: synthetic-mlp
data: {dataset: synthetic, val_size: 100, train_limit: 600}
train: {epochs: 1, threads: 1}
teacher_train: {epochs: 1}
compare: {latency_repeats: 2, warmup: 1, throughput_batch: 16}
"""
HUGE_MLP = "{architecture: mlp, args: {hidden: [65536, 65536, 65536]}}"


def _write(folder: Path, text: str | bytes) -> str:
    path = folder / "preset.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def _idx_folder(folder: Path, *, test: int = 20, huge_header: bool = False) -> Path:
    data = folder / "idx"
    write_idx_set(data, train=60, test=test, gz=False)
    if huge_header:  # 3 dimensions of 2**32 - 1: 7.9e28 bytes declared, 100 present
        (data / "train-images-idx3-ubyte").write_bytes(
            bytes([0, 0, 8, 3]) + b"\xff" * 12 + bytes(100))
    return data


def _idx_preset(folder: Path, **options: object) -> str:
    root = _idx_folder(folder, **options)  # type: ignore[arg-type]
    return _write(folder, TINY_PRESET.replace(
        "{dataset: synthetic, val_size: 100, train_limit: 600}",
        f"{{dataset: fashion-mnist, root: '{root}', download: false, val_size: 10}}"))


# case -> (arguments after "run" given the test folder, fragments stderr must hold)
CASES: dict[str, tuple[Callable[[Path], list[str]], list[str]]] = {
    "name escapes via --set": (lambda t: ["synthetic-quick", "--set", "name=x/../../escaped"],
                               ["name: must be a name", "'x/../../escaped'"]),
    "name escapes in a file": (lambda t: [_write(t, TINY_PRESET.replace(
        "name: hostile", "name: x/../../escaped"))], ["preset.yaml", "name: must be a name"]),
    "name with NUL": (lambda t: [_write(t, TINY_PRESET.replace("name: hostile",
                                                               'name: "a\\0b"'))],
                      ["name: must be a name", "'a\\x00b'"]),
    "name of 300 characters": (lambda t: ["synthetic-quick", "--set", "name=" + "n" * 300],
                               ["name: must be a name", "300 characters"]),
    "alias bomb": (lambda t: [_write(t, TINY_PRESET + alias_bomb())],
                   ["preset.yaml", "more than 100,000 values once aliases are expanded"]),
    "deep nesting": (lambda t: [_write(t, TINY_PRESET + "x: " + "[" * 500 + "]" * 500)],
                     ["preset.yaml", "nested deeper than 50 levels"]),
    "file over 1 MiB": (lambda t: [_write(t, TINY_PRESET + "#" * (1024 * 1024))],
                        ["preset.yaml", "the file is larger than 1 MiB"]),
    "Latin-1 file": (lambda t: [_write(t, (TINY_PRESET + "description: Café\n")
                                       .encode("latin-1"))],
                     ["preset.yaml", "it is not UTF-8", "save it as UTF-8"]),
    "UTF-16 without BOM": (lambda t: [_write(t, TINY_PRESET.encode("utf-16-le"))],
                           ["preset.yaml", "NUL bytes"]),
    "absurd seed": (lambda t: ["synthetic-quick", "--set", "train.seed=100000000000000000000000"],
                    ["train.seed: must be an integer >= 0 and <= 9223372036854775807"]),
    "list as a method": (lambda t: ["synthetic-quick", "--set", "distill.method=[x]"],
                         ["distill.method: must be the name of a registered distillation "
                          "method, got ['x']"]),
    "huge MLP via --set": (lambda t: [_write(t, TINY_PRESET), "--set", f"student={HUGE_MLP}"],
                           ["student.args", "8,642,166,794 parameters", "2.0 GiB"]),
    "huge MLP model preset": (lambda t: [_write(t, TINY_PRESET.replace(
        "student: synthetic-mlp", f"student: {t / 'huge.yaml'}"))],
        ["student.args", "8,642,166,794 parameters"]),
    "IDX header overflow": (lambda t: [_idx_preset(t, huge_header=True)],
                            ["train-images-idx3-ubyte", "header declares"]),
    "no test images": (lambda t: [_idx_preset(t, test=0)], ["no test images"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_exits_2_with_one_message_and_writes_nothing(case: str,
                                                                   tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "huge.yaml").write_text("schema: 1\nkind: model\nname: huge\narchitecture: mlp\n"
                                    "args: {hidden: [65536, 65536, 65536]}\n", encoding="utf-8")
    arguments, fragments = CASES[case]
    runs = work / "deep" / "runs"
    args = arguments(work)
    before = sorted(tmp_path.rglob("*"))
    result = run_cli("run", *args, "--runs-dir", str(runs), timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1 and result.stderr.startswith("error: ")
    assert len(result.stderr) < 1500
    for fragment in fragments:
        assert fragment in result.stderr
    assert sorted(tmp_path.rglob("*")) == before  # no run folder, nothing escaped either


def test_floats_as_people_write_them_are_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, TINY_PRESET.replace("train: {epochs: 1, threads: 1}",
                                                "train: {epochs: 1e0, lr: 1e-3, "
                                                "weight_decay: .5e-4}"))
    result = run_cli("presets", "show", path)
    assert result.returncode == 0, result.stderr
    assert "lr: 0.001" in result.stdout and "weight_decay: 5.0e-05" in result.stdout
    assert "epochs: 1\n" in result.stdout


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    text = TINY_PRESET.replace("name: hostile", "name: hostile\ndescription: Ünïcode")
    path = _write(tmp_path, codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    result = run_cli("presets", "validate", path)
    assert result.returncode == 0, result.stderr
    assert "ok:" in result.stdout and "'hostile'" in result.stdout


def test_import_as_a_name_that_escapes_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "quick.wbpreset"
    exported = run_cli("presets", "export", "synthetic-quick", "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    before = sorted(tmp_path.rglob("*"))
    result = run_cli("presets", "import", str(bundle), "--as", "../../escaped")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1 and "--as: must be a name" in result.stderr
    assert sorted(tmp_path.rglob("*")) == before
