"""Distillation detection on Fashion-MNIST: ROC-AUC per metric and combined, and what
hiding the fingerprint (teacher noise, top-k outputs) costs and buys.

Every number comes from `workbench detect --evaluate PRESET --students K --json`, the
tool itself. Scenarios: the default preset (all labels, alpha = 0.3: the hard case)
and outputs-only students (fashion-label-scarce at alpha = 0: 1,000 labels, taught by
the teacher's outputs alone). Writes benchmarks/results/detection.{md,json}.

    python benchmarks/detection.py [--students 8] [--epochs 5] [--part auc|defense|all]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = {
    "all labels, alpha = 0.3 (fashion-kd)": ("fashion-kd", []),
    "outputs only, alpha = 0 (fashion-label-scarce)": ("fashion-label-scarce",
                                                        ["distill.alpha=0.0"]),
}
DEFENSES = ["teacher_noise=1,3", "top_k=2"]
METRIC_ORDER = ("agreement", "error_agreement", "kl_t1", "js_t1", "kl_high", "js_high",
                "error_jaccard", "error_kappa", "sac_distance", "combined")


def evaluate(preset: str, overrides: list[str], students: int, defenses: list[str]) -> dict:
    command = [sys.executable, "-m", "workbench", "detect", "--evaluate", preset,
               "--students", str(students), "--json"]
    for override in overrides:
        command += ["--set", override]
    for defense in defenses:
        command += ["--defense", defense]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {result.returncode})")
    return json.loads(result.stdout)


def auc_table(studies: dict[str, dict]) -> str:
    rows = ["| metric | " + " | ".join(studies) + " |", "|---|" + "---|" * len(studies)]
    for name in METRIC_ORDER:
        cells = [f"{study['evaluations'][0]['auc'].get(name, float('nan')):.3f}"
                 for study in studies.values()]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    accuracy = [f"{100 * s['evaluations'][0]['distilled_accuracy']:.2f} / "
                f"{100 * s['evaluations'][0]['independent_accuracy']:.2f}"
                for s in studies.values()]
    rows.append("| (accuracy %, distilled / independent) | " + " | ".join(accuracy) + " |")
    return "\n".join(rows)


def tradeoff_table(study: dict) -> str:
    rows = ["| defense | student accuracy % | AUC (detector fitted on undefended students) | "
            "AUC (detector refitted on defended students) |", "|---|---|---|---|"]
    for row in study["tradeoff"]:
        adapted = "-" if row["adapted_auc"] is None else f"{row['adapted_auc']:.3f}"
        rows.append(f"| {row['defense']} | {100 * row['student_accuracy']:.2f} | "
                    f"{row['auc']:.3f} | {adapted} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--part", choices=("auc", "defense", "all"), default="all")
    args = parser.parse_args()
    common = [f"train.epochs={args.epochs}", f"train.threads={args.threads}"]
    started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    lines = [f"{args.students} distilled + {args.students} independent students per scenario "
             f"(seeds 1000-{999 + args.students}), {args.epochs} epochs each, probe: the "
             "10,000 Fashion-MNIST test images; every model scored by a detector fitted "
             "without it (leave-one-out)."]
    if args.part in ("auc", "all"):
        studies = {label: evaluate(preset, common + extra, args.students, [])
                   for label, (preset, extra) in SCENARIOS.items()}
        (RESULTS / "detection.json").write_text(json.dumps(studies, indent=1), "utf-8")
        lines += ["", auc_table(studies)]
    if args.part in ("defense", "all"):
        study = evaluate("fashion-kd", common, args.students, DEFENSES)
        (RESULTS / "detection-defense.json").write_text(json.dumps(study, indent=1), "utf-8")
        lines += ["", "Defenses (fashion-kd):", "", tradeoff_table(study)]
    text = "\n".join(lines)
    print(text)
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    name = "detection.md" if args.part == "all" else f"detection-{args.part}.md"
    (RESULTS / name).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
