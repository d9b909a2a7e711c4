"""Several teachers and teaching assistants in an experiment preset.

``teacher:`` may be a list of model references (preset names, paths, inline
mappings, TorchScript files, recorded outputs); ``distill.assistants`` is a list of
model references for the ``assistant`` method. Both resolve the way one teacher does,
and every problem names its place: ``teacher[2]``, ``distill.assistants[1]``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.core.distill import METHODS
from workbench.core.distill.assistant import MAX_ASSISTANTS
from workbench.core.errors import Problem
from workbench.core.presets.model import ModelPreset

MAX_TEACHERS = 8

Resolve = Callable[[Any, str, Path, list[Problem]], "ModelPreset | None"]


def resolve_team(reference: Any, base_dir: Path, problems: list[Problem],
                 resolve: Resolve) -> tuple[ModelPreset, ...] | None:
    """The teachers of a ``teacher:`` list, or None when one of them does not resolve."""
    if not isinstance(reference, list):
        model = resolve(reference, "teacher", base_dir, problems)
        return None if model is None else (model,)
    if not reference:
        problems.append(Problem("teacher", "is an empty list: name at least one teacher"))
        return None
    if len(reference) > MAX_TEACHERS:
        problems.append(Problem("teacher", f"lists {len(reference)} teachers; at most "
                                f"{MAX_TEACHERS} are allowed"))
        return None
    team = [resolve(item, f"teacher[{index}]", base_dir, problems)
            for index, item in enumerate(reference)]
    return None if any(model is None for model in team) else tuple(team)  # type: ignore[misc]


def resolve_assistants(distill: Mapping[str, Any], base_dir: Path, problems: list[Problem],
                       resolve: Resolve) -> tuple[ModelPreset, ...]:
    """The ``assistant`` method's models, largest first; () for other methods."""
    if distill.get("method") != "assistant":
        return ()
    references = distill.get("assistants")
    if not isinstance(references, list) or not references:
        problems.append(Problem("distill.assistants", "needs a list of at least one model "
                                "preset, e.g. [fashion-mlp-100]: the teaching assistants, "
                                "largest first"))
        return ()
    if len(references) > MAX_ASSISTANTS:
        problems.append(Problem("distill.assistants", f"lists {len(references)} assistants; "
                                f"at most {MAX_ASSISTANTS} are allowed"))
        return ()
    models = [resolve(item, f"distill.assistants[{index}]", base_dir, problems)
              for index, item in enumerate(references)]
    for index, model in enumerate(models):
        if model is not None and model.black_box:
            problems.append(Problem(f"distill.assistants[{index}]", "an assistant is trained, "
                                    "so it needs an architecture, not a file of outputs"))
    return tuple(model for model in models if model is not None)


def check_teaching(team: Sequence[ModelPreset] | None, distill: Mapping[str, Any],
                   problems: list[Problem]) -> None:
    """Combinations that cannot work: several teachers or views without cached outputs."""
    method = distill.get("method")
    if method not in METHODS:
        return
    uses_cache = bool(getattr(METHODS.get(method).factory, "uses_teacher_cache", True))
    if team is not None and len(team) > 1 and not uses_cache:
        problems.append(Problem("teacher", f"several teachers need a method that learns from "
                                f"the teachers' outputs; '{method}' does not use them"))
    views = distill.get("views", 1)
    if isinstance(views, int) and views > 1 and team is not None:
        for index, model in enumerate(team):
            if model.architecture == "outputs":
                where = "teacher" if len(team) == 1 else f"teacher[{index}]"
                problems.append(Problem("distill.views", f"needs a teacher it can ask about "
                                        f"each view; {where} is a file of recorded outputs"))


def team_to_dict(team: Sequence[ModelPreset]) -> Any:
    """One teacher as a mapping (as before), several as a list of mappings."""
    return team[0].to_dict() if len(team) == 1 else [model.to_dict() for model in team]
