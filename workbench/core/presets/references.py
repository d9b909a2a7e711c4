"""What a shared preset may point at: models by name inside its bundle, never other files.

A preset from someone else is data. It may not reach into the receiver's
folders: no model paths, no weights files outside the bundle, no dataset
folder of the sender's machine.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from workbench.core.errors import Problem
from workbench.core.presets.library import looks_like_path
from workbench.core.presets.save import NAME_PATTERN  # also a safe file name

# Suffixes of files a model reference could name (presets, weights, scripts, recorded outputs).
FILE_SUFFIXES = (".yaml", ".yml", ".pt", ".pth", ".ts", ".jit", ".torchscript", ".npy", ".npz",
                 ".csv", ".pkl", ".pickle", ".onnx")
SHARE_WEIGHTS_HINT = ("share weights inside a bundle instead "
                      "(workbench presets export NAME -o FILE --with-weights)")


def is_safe_name(value: Any) -> bool:
    """True for a plain file name such as ``my-model`` or ``my-model.pt``."""
    return isinstance(value, str) and bool(NAME_PATTERN.match(value)) and ".." not in value


def experiment_reference_problems(raw: Mapping[str, Any],
                                  bundled_models: Collection[str] | None) -> list[Problem]:
    """Problems with what a shared experiment refers to.

    Args:
        raw: the experiment mapping (migrated, not yet validated).
        bundled_models: names of the models its bundle holds; ``None`` for pasted
            text, whose model names are looked up in the receiver's library.
    """
    problems: list[Problem] = []
    for role in ("teacher", "student"):
        reference = raw.get(role)
        if isinstance(reference, str):
            if (looks_like_path(reference) or not is_safe_name(reference)
                    or reference.lower().endswith(FILE_SUFFIXES)):
                problems.append(Problem(role, f"points at a file ({reference!r}); a shared "
                                        "preset names its models, it cannot point at files"))
            elif bundled_models is not None and reference not in bundled_models:
                problems.append(Problem(role, f"names model '{reference}', which the bundle "
                                        "does not contain"))
        elif isinstance(reference, Mapping) and reference.get("weights") is not None:
            problems.append(Problem(f"{role}.weights", "an inline model in a shared preset "
                                    f"cannot point at a weights file; {SHARE_WEIGHTS_HINT}"))
    data = raw.get("data")
    if isinstance(data, Mapping) and data.get("root") is not None:
        problems.append(Problem("data.root", f"names a folder ({data.get('root')!r}) on the "
                                "sender's machine; remove it (datasets are found in "
                                "$WORKBENCH_DATA or the user cache folder)"))
    return problems


def model_weights_problem(raw: Mapping[str, Any], bundled_files: Collection[str]) -> Problem | None:
    """A bundled model's ``weights`` must be a plain file name of a file in the bundle."""
    weights = raw.get("weights")
    if weights is None:
        return None
    if not is_safe_name(weights):
        return Problem("weights", f"must be the name of a weights file inside the bundle, "
                       f"got {weights!r} (files outside the bundle are refused)")
    if weights not in bundled_files:
        return Problem("weights", f"file '{weights}' is not in the bundle")
    return None
