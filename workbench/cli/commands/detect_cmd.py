"""``workbench detect SUSPECT --teacher TEACHER``: did the suspect learn from the teacher?

Also ``workbench detect --evaluate PRESET --students K``: how well does detection work
(ROC-AUC per metric and combined), and what do defenses cost and buy.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.cli.console import ConsoleReporter
from workbench.core.errors import RunFailed, RunStopped
from workbench.core.lineage.metrics import HIGH_TEMPERATURE
from workbench.core.lineage.probe import LineageError
from workbench.core.lineage.report import format_detection, format_study
from workbench.core.lineage.study import run_study
from workbench.core.lineage.verdict import DEFAULT_LEVEL
from workbench.core.lineage.workflow import DetectRequest, check_request, run_detection
from workbench.core.paths import default_runs_dir
from workbench.cli.argtypes import positive_int

EXIT_FAILED, EXIT_INTERRUPTED = 1, 130
TARGET_HELP = ("model preset with weights, run id/prefix/folder, checkpoint or TorchScript "
               "file, or recorded outputs (.npy/.csv rows or .npz 'test' for the test images)")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "detect", help="did a model learn from a teacher? (distillation detection)",
        description="Compare SUSPECT with TEACHER on probe images (top-1 agreement, agreement "
        "on the teacher's errors, KL and JS at T=1 and a high T, shared errors, SAC "
        "fingerprint), calibrated against reference models that never saw the teacher.")
    parser.add_argument("suspect", nargs="?", metavar="SUSPECT", help=TARGET_HELP)
    parser.add_argument("--teacher", metavar="TEACHER", help=TARGET_HELP)
    parser.add_argument("--references", nargs="+", default=[], metavar="R",
                        help="models that did not learn from the teacher (a run means its "
                        "labels-only baseline)")
    parser.add_argument("--distilled", nargs="+", default=[], metavar="D",
                        help="models known to be distilled from the teacher: they teach each "
                        "metric's direction and weight (a run means its student)")
    parser.add_argument("--train-references", type=positive_int, default=0, metavar="K",
                        help="train K runs of --preset: K labels-only references, plus K "
                        "known distilled students when the preset's teacher is TEACHER")
    parser.add_argument("--preset", default=None, help="experiment preset for "
                        "--train-references (default: the suspect run's own preset)")
    parser.add_argument("--evaluate", metavar="PRESET", default=None,
                        help="instead of judging a suspect, measure detection: train "
                        "--students distilled and independent students of PRESET")
    parser.add_argument("--students", type=positive_int, default=5, metavar="K",
                        help="students of each kind for --evaluate (default %(default)s)")
    parser.add_argument("--defense", action="append", default=[], metavar="KEY=V1,V2",
                        help="with --evaluate, also sweep a defense, e.g. teacher_noise=1,3, "
                        "top_k=2 or several teachers: 'teacher=[TEACHER,OTHER]' (repeatable)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a field of the trained runs' "
                        "preset, e.g. train.epochs=5 (repeatable)")
    parser.add_argument("--probe", type=positive_int, default=None, metavar="N",
                        help="use the first N test images (default: all)")
    parser.add_argument("--dataset", default=None,
                        help="probe dataset (default: what the models were trained on)")
    parser.add_argument("--temperature", type=float, default=HIGH_TEMPERATURE,
                        help="the high temperature of KL and JS (default %(default)s)")
    parser.add_argument("--level", type=float, default=DEFAULT_LEVEL,
                        help="false-positive rate of the verdict (default %(default)s)")
    parser.add_argument("--runs-dir", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the runs this "
                        "command trains here (default: a temporary folder, deleted after)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=detect_command)



def detect_command(args: argparse.Namespace) -> int:
    try:
        if args.evaluate is not None:
            return _evaluate(args)
        return _detect(args)
    except RunFailed as error:
        print(f"error: a training run failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    except RunStopped:
        print("stopped", file=sys.stderr)
        return EXIT_INTERRUPTED


def _detect(args: argparse.Namespace) -> int:
    request = DetectRequest(
        args.suspect or "", args.teacher or "", tuple(args.references), tuple(args.distilled),
        args.train_references, args.preset, tuple(args.overrides), args.dataset, args.probe,
        args.temperature, args.level, args.runs_dir or default_runs_dir())
    check_request(request)  # bad targets fail here, before anything is trained
    detection = run_detection(request, args.work_dir, callbacks=[ConsoleReporter()],
                              on_status=_status)
    if args.json:
        print(json.dumps(detection.to_dict(), indent=2))
    else:
        print(format_detection(detection))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    defenses = [override for spec in args.defense for override in _defense_levels(spec)]
    study = run_study(args.evaluate, args.students, args.work_dir, overrides=args.overrides,
                      defenses=defenses, probe_size=args.probe,
                      high_temperature=args.temperature, callbacks=[ConsoleReporter()],
                      on_status=_status)
    if args.json:
        print(json.dumps(study.to_dict(), indent=2))
    else:
        print(format_study(study))
    return 0


def _defense_levels(spec: str) -> list[str]:
    """``teacher_noise=1,3`` -> ``distill.teacher_noise=1``, ``distill.teacher_noise=3``.

    ``teacher=[T,OTHER]`` is one level (commas inside brackets do not split): the
    students learn from T fused with other teachers, and are still judged against T.
    """
    key, separator, values = spec.partition("=")
    levels = [value.strip() for value in _split_levels(values) if value.strip()]
    if not separator or not key.strip() or not levels:
        raise LineageError(f"--defense '{spec}': write KEY=V1,V2 (e.g. teacher_noise=1,3)")
    key = key.strip() if "." in key or key.strip() == "teacher" else f"distill.{key.strip()}"
    return [f"{key}={value}" for value in levels]


def _split_levels(values: str) -> list[str]:
    """Split at the commas outside brackets: ``[a,b],[a,c]`` is two levels."""
    levels, depth, current = [], 0, ""
    for character in values:
        depth += {"[": 1, "]": -1}.get(character, 0)
        if character == "," and depth == 0:
            levels.append(current)
            current = ""
        else:
            current += character
    return [*levels, current]


def _status(message: str) -> None:
    print(message, file=sys.stderr)
