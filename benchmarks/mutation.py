"""Mutation testing of the distillation core: how many planted one-line bugs do the tests catch?

A green suite proves little if it stays green when the teacher is softened at T = 1
instead of T, or when only one online peer is ever updated. This script plants such
bugs with mutmut (one mutant = one small change: ``*`` -> ``/``, ``1.0`` -> ``2.0``,
``>=`` -> ``>``, a dropped argument ...), runs the tests that reach the mutated function
against each, and reports the mutants nobody noticed. It is a developer tool, not a
CI step (a full run takes tens of minutes) and not a project dependency:

    pip install mutmut==3.8.1
    python benchmarks/mutation.py                          # this checkout, default modules
    python benchmarks/mutation.py --max-mutants 150 --seed 0   # a fixed random sample
    python benchmarks/mutation.py --tree ../old-checkout --modules PATH... --tests PATH...

The tree is never written to: its tracked and untracked-but-not-ignored files are
copied to a temporary folder, mutmut's configuration is appended to the copy's
pyproject.toml and its ``mutants/`` folder lives there too (``--keep`` keeps it for
``mutmut show`` / ``mutmut browse``).

Score = (killed + timeout) / every checked mutant; "no tests" (no selected test
reaches the function) counts against the score, like a survivor.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _mutmut_steps import DETECTED

MUTMUT_PIN = "3.8.1"
DEFAULT_MODULES = (
    "workbench/core/distill",
    "workbench/core/engine/loop.py",
    "workbench/core/engine/phases.py",
    "workbench/core/engine/context.py",
    "workbench/core/engine/teacher_cache.py",
    "workbench/core/measure/figures.py",
    "workbench/core/measure/speed.py",
    "workbench/core/measure/size.py",
)
DEFAULT_TESTS = ("tests/core/distill", "tests/core/engine", "tests/core/measure", "tests/core/stream")
# Folders the tests may read besides tests/ and the package (mutmut copies tests/ itself).
EXTRA_FOLDERS = ("assets", "presets")
STEPS = Path(__file__).resolve().parent / "_mutmut_steps.py"
# One thread per test process: the machine is shared, and mutants run one or two at a time.
QUIET_THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


class UsageError(Exception):
    """A wrong argument, told to the person before anything runs (exit 2)."""


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    work = Path(tempfile.mkdtemp(prefix="mutation-"))
    started, failed = time.monotonic(), False
    try:
        tree = _check_arguments(args)
        _copy_tree(tree, work)
        _write_config(work, args.modules, args.tests)
        names = _generate(work)
        if args.count:
            print(_count_report(names))
            return 0
        chosen = _sample(names, args.max_mutants, args.seed)
        _run_mutmut(work, args.jobs, chosen if len(chosen) < len(names) else [])
        mutants = _collect(work)
    except UsageError as error:
        print(f"mutation: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        failed = True
        print(f"mutation: mutmut failed (exit {error.returncode}); the copy and its "
              f"mutmut-run.log are kept in {work}", file=sys.stderr)
        return 1
    finally:
        if not (args.keep or failed):
            shutil.rmtree(work, ignore_errors=True)
    report = _report(tree, args, mutants, len(names), time.monotonic() - started)
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n", encoding="utf-8")
    if args.keep:
        print(f"\nmutmut's folder kept: {work} (cd there; mutmut show NAME)")
    return 0


def _check_arguments(args: argparse.Namespace) -> Path:
    """The tree's root; every listed module and test path must be in it (defaults: those that are)."""
    if importlib.util.find_spec("mutmut") is None:
        raise UsageError(f"mutmut is not installed: pip install mutmut=={MUTMUT_PIN}")
    tree = args.tree.resolve()
    if not (tree / "pyproject.toml").is_file():
        raise UsageError(f"--tree {tree}: no pyproject.toml there; give the root of a checkout")
    if args.modules is None:
        args.modules = [module for module in DEFAULT_MODULES if (tree / module).exists()]
    for option, paths in (("--modules", args.modules), ("--tests", args.tests)):
        missing = [path for path in paths if not (tree / path).exists()]
        if missing:
            raise UsageError(f"{option}: not in {tree}: {', '.join(missing)}")
    if args.jobs < 1 or (args.max_mutants is not None and args.max_mutants < 1):
        raise UsageError("--jobs and --max-mutants must be at least 1")
    return tree


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="git checkout to test (default: this one); it is only read")
    parser.add_argument("--modules", nargs="+", default=None,
                        help="files or folders to mutate, relative to the tree (default: the "
                        "distillation core, see DEFAULT_MODULES; those the tree has)")
    parser.add_argument("--tests", nargs="+", default=list(DEFAULT_TESTS),
                        help="test files or folders that may kill the mutants")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--max-mutants", type=int, default=None,
                        help="test a random sample of this many mutants (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument("--output", type=Path, default=None, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    parser.add_argument("--count", action="store_true",
                        help="only count the mutants per file (seconds), to size --max-mutants")
    return parser.parse_args(argv)


def _copy_tree(tree: Path, work: Path) -> None:
    """Copy what git would see (tracked + new, not ignored) so no stale build output comes along."""
    listing = subprocess.run(["git", "-C", str(tree), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], check=True, capture_output=True).stdout
    for name in filter(None, listing.decode().split("\0")):
        source = tree / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _write_config(work: Path, modules: list[str], tests: list[str]) -> None:
    """Append ``[tool.mutmut]`` to the copy's pyproject.toml (the tree's own stays as it is)."""
    packages = sorted({Path(module).parts[0] for module in modules})
    only = [f"{module.rstrip('/')}/*" if (work / module).is_dir() else module for module in modules]
    config = {
        "source_paths": packages,
        "only_mutate": only,
        "also_copy": [name for name in EXTRA_FOLDERS if (work / name).exists()],
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "pytest_add_cli_args_test_selection": tests,
        # torch is not fork-safe once it has run: fork mutants from a clean server process
        "process_isolation": "forkserver",
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    pyproject = work / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if "[tool.mutmut]" in text:
        raise UsageError(f"{pyproject.name} already has a [tool.mutmut] table; remove it")
    pyproject.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")


def _generate(work: Path) -> list[str]:
    """Write every mutant into ``mutants/`` without testing any; return their names."""
    subprocess.run([sys.executable, str(STEPS), "generate"], cwd=work,
                   env=_env(), check=True, stdout=subprocess.DEVNULL)
    return sorted(name for meta in _meta_files(work)
                  for name in json.loads(meta.read_text())["exit_code_by_key"])


def _sample(names: list[str], limit: int | None, seed: int) -> list[str]:
    if limit is None or limit >= len(names):
        return names
    return sorted(random.Random(seed).sample(names, limit))


def _run_mutmut(work: Path, jobs: int, names: list[str]) -> None:
    """``mutmut run``: stats and clean run of the selected tests, then each mutant in turn."""
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *names]
    log = work / "mutmut-run.log"
    print(f"mutation: mutmut run in {work} (log: {log.name}) ...", file=sys.stderr, flush=True)
    with log.open("w") as out:
        subprocess.run(command, cwd=work, env=_env(), check=True, stdout=out,
                       stderr=subprocess.STDOUT)


def _collect(work: Path) -> list[dict]:
    """Status, line and diff of every tested mutant, read with mutmut's own helpers."""
    done = subprocess.run([sys.executable, str(STEPS), "collect"], cwd=work,
                          env=_env(), check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def _env() -> dict[str, str]:
    return {**os.environ, **QUIET_THREADS}


def _meta_files(work: Path) -> list[Path]:
    return sorted((work / "mutants").rglob("*.py.meta"))


def _report(tree: Path, args: argparse.Namespace, mutants: list[dict], generated: int,
            seconds: float) -> str:
    total = len(mutants)
    detected = sum(mutant["status"] in DETECTED for mutant in mutants)
    sampled = total < generated
    head = [
        f"tree: {_describe(tree)}",
        f"modules: {' '.join(args.modules)}",
        f"tests: {' '.join(args.tests)}",
        f"mutmut {_mutmut_version()}, {args.jobs} at a time, {seconds / 60:.1f} min",
        f"mutants: {generated} generated, {total} tested"
        + (f" (random sample, seed {args.seed})" if sampled else ""),
        "",
        _count_line("all", mutants),
        f"score = (killed + timeout) / tested = {_percent(detected, total)}"
        + (f"; 95% interval {_wilson(detected, total)}" if sampled else ""),
        "",
        "per file:",
    ]
    paths = sorted({mutant["path"] for mutant in mutants})
    head += [_count_line(path, [m for m in mutants if m["path"] == path]) for path in paths]
    lost = [m for m in mutants if m["status"] not in DETECTED]
    body = [f"\nnot detected ({len(lost)}):"]
    for mutant in sorted(lost, key=lambda m: (m["path"], m["line"], m["name"])):
        body.append(f"\n{mutant['path']}:{mutant['line']}  {mutant['status']}  {mutant['name']}")
        body.extend(f"    {line}" for line in mutant["changed"])
    return "\n".join(head + body)


def _count_line(label: str, mutants: list[dict]) -> str:
    counts = {status: sum(m["status"] == status for m in mutants)
              for status in ("killed", "survived", "timeout", "no tests")}
    other = len(mutants) - sum(counts.values())
    detected = counts["killed"] + counts["timeout"]
    return (f"{label}: total {len(mutants)}  killed {counts['killed']}  survived "
            f"{counts['survived']}  timeout {counts['timeout']}  no tests {counts['no tests']}  "
            f"other {other}  score {_percent(detected, len(mutants))}")


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _wilson(part: int, whole: int, z: float = 1.96) -> str:
    """Wilson score interval of a sampled proportion: how far the full-run score may lie."""
    share = part / whole
    centre = (share + z * z / (2 * whole)) / (1 + z * z / whole)
    spread = z * (share * (1 - share) / whole + z * z / (4 * whole * whole)) ** 0.5 / (1 + z * z / whole)
    return f"{100 * (centre - spread):.1f}-{100 * (centre + spread):.1f}%"


def _count_report(names: list[str]) -> str:
    per_module: dict[str, int] = {}
    for name in names:
        module = name.partition("__mutmut_")[0].rpartition(".")[0]
        per_module[module] = per_module.get(module, 0) + 1
    rows = [f"{count:6d}  {module}" for module, count in sorted(per_module.items())]
    return "\n".join(rows + [f"{len(names):6d}  mutants in all"])


def _describe(tree: Path) -> str:
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return f"{commit or '?'}{' + uncommitted changes' if dirty else ''}"


def _mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


if __name__ == "__main__":
    sys.exit(main())
