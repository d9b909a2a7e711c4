"""The two steps of benchmarks/mutation.py that use mutmut 3.8's own helpers.

They run in the temporary copy (the current folder), where mutmut finds its configuration:
``python benchmarks/_mutmut_steps.py generate|collect``.
"""
from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

DETECTED = ("killed", "timeout")


def generate() -> None:
    """The first half of ``mutmut run``: copy the sources to mutants/ and write the mutants."""
    from mutmut import __main__ as mutmut_cli

    mutmut_cli.set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    mutmut_cli.copy_src_dir()
    mutmut_cli.copy_also_copy_files()
    mutmut_cli.setup_source_paths()
    mutmut_cli.create_mutants(1)


def collect() -> None:
    """Print, as JSON, every tested mutant: name, status, file, line and changed lines."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    found = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, code in data.exit_code_by_key.items():
            if code is None:  # left out of the sample
                continue
            status = status_by_exit_code[code]
            changed = [] if status in DETECTED else _changed_lines(get_diff_for_mutant(name, path=path))
            found.append({"name": name, "status": status, "path": str(path),
                          "line": _line_of(path, name, changed), "changed": changed})
    json.dump(found, sys.stdout)


def _changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _line_of(path: Path, name: str, changed: list[str]) -> int:
    """The source line of the first removed line, searched within the mutated function."""
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    function, owner = orig_function_and_class_names_from_key(name)
    source = Path(path).read_text(encoding="utf-8")
    lines = source.splitlines()
    module = ast.parse(source)
    owners = [module] if owner is None else [node for node in ast.walk(module)
                                             if isinstance(node, ast.ClassDef) and node.name == owner]
    for node in owners:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name == function:
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                removed = [line[1:].strip() for line in changed if line.startswith("-")]
                for number in range(first, child.end_lineno + 1):
                    if removed and lines[number - 1].strip() == removed[0]:
                        return number
                return child.lineno
    return 0


if __name__ == "__main__":
    {"generate": generate, "collect": collect}[sys.argv[1]]()
