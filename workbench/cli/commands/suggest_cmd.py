"""``workbench presets suggest-student REFERENCE``: students at 1/10, 1/30, 1/100 of a teacher.

A sub-command of ``presets`` because what it prints are model presets: each row's
JSON ``model`` mapping can be pasted as ``student:`` in an experiment preset.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.core.data.prepare import load_dataset
from workbench.core.data.registry import load_named
from workbench.core.errors import WorkbenchError
from workbench.core.measure.teacher_probe import TeacherProbe, probe_teacher, shape_text
from workbench.core.models.suggest import TARGETS, suggest_students
from workbench.core.presets import ExperimentPreset, load_any
from workbench.core.presets.model import ModelPreset, file_kind
from workbench.cli.argtypes import positive_int, shape as shape_arg


def register(actions: Any) -> None:
    parser = actions.add_parser(
        "suggest-student", help="student models at about 1/10, 1/30 and 1/100 of a teacher's "
        "parameters, for the dataset's input",
        description="REFERENCE is an experiment preset (its teacher and dataset), a model "
        "preset, or a teacher file (.onnx, TorchScript). The input shape and classes come "
        "from --input-shape/--classes, else --dataset, else the experiment's dataset, else "
        "what the teacher file declares.")
    parser.add_argument("reference", metavar="REFERENCE")
    parser.add_argument("--dataset", metavar="NAME", help="registered dataset to size for")
    parser.add_argument("--root", type=Path, metavar="PATH", help="data.root of --dataset")
    parser.add_argument("--input-shape", type=shape_arg, metavar="C,H,W", help="one sample's "
                        "shape (C,H,W for images, F for feature vectors)")
    parser.add_argument("--classes", type=positive_int, metavar="N")
    parser.add_argument("--params", type=positive_int, metavar="N", help="the teacher's "
                        "parameter count, when it cannot be read (recorded outputs)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=suggest_command)


def suggest_command(args: argparse.Namespace) -> int:
    teacher, data_shape, data_classes = _teacher_and_data(args)
    probe = probe_teacher(teacher, data_shape, data_classes)
    shape = args.input_shape or data_shape or probe.input_shape
    classes = args.classes or data_classes or probe.classes
    params = args.params or probe.params
    missing = [what for what, value in (("the input shape (--input-shape or --dataset)", shape),
                                        ("the class count (--classes or --dataset)", classes),
                                        ("the teacher's parameter count (--params)", params))
               if value is None]
    if missing:
        raise WorkbenchError(f"{args.reference}: cannot size students without "
                             f"{' and '.join(missing)}; {probe.note or 'give it as an option'}")
    assert shape is not None and classes is not None and params is not None
    suggestions = suggest_students(params, tuple(shape), classes)
    if args.json:
        print(json.dumps(_payload(args.reference, probe, params, shape, classes, suggestions)))
        return 0
    what = f"{shape[0]} features" if len(shape) == 1 else shape_text(tuple(shape))
    print(f"teacher {args.reference}: {params:,} parameters; input {what}, {classes} classes")
    if probe.error:
        print(f"note: the teacher fails on these inputs ({probe.error})", file=sys.stderr)
    print(f"{'name':<11} {'architecture':<12} {'params':>10} {'1/x':>7}  args")
    for item in suggestions:
        print(f"{item.name:<11} {item.architecture:<12} {item.params:>10,} "
              f"{item.ratio:>7.1f}  {json.dumps(dict(item.args))}")
        if item.note:
            print(f"  note: {item.note}")
    if not suggestions:
        print(f"no student of these families lands near 1/{', 1/'.join(map(str, TARGETS))} "
              "of this teacher: it is already small for its input")
    return 0


def _teacher_and_data(args: argparse.Namespace
                      ) -> tuple[ModelPreset | str, tuple[int, ...] | None, int | None]:
    """The teacher, and the dataset's (shape, classes) when one is named or implied."""
    reference: ModelPreset | str = args.reference
    dataset = None
    if file_kind(args.reference) is None:
        loaded = load_any(args.reference)
        if isinstance(loaded, ExperimentPreset):
            reference = loaded.teacher
            if not args.dataset and not args.input_shape:
                dataset = load_dataset(loaded.data)
        else:
            reference = loaded
    if args.dataset:
        try:
            dataset = load_named(args.dataset, **({"root": str(args.root)} if args.root else {}))
        except KeyError:
            raise WorkbenchError(f"--dataset {args.dataset}: no such dataset") from None
    if dataset is None:
        return reference, args.input_shape, args.classes
    return reference, tuple(dataset.input_shape), int(dataset.num_classes)


def _payload(reference: str, probe: TeacherProbe, params: int, shape: tuple[int, ...],
             classes: int, suggestions: list[Any]) -> dict[str, Any]:
    return {"teacher": {"reference": reference, "kind": probe.kind, "params": params},
            "input_shape": list(shape), "classes": classes,
            "suggestions": [{"name": item.name, "architecture": item.architecture,
                             "args": dict(item.args), "params": item.params,
                             "target": item.target, "ratio": item.ratio, "note": item.note,
                             "model": item.as_model()} for item in suggestions]}
