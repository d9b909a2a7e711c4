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
DEFENSES = ["teacher_noise=2,8", "top_k=1"]
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


def any_direction(study: dict, evaluation: dict) -> float:
    """The any-departure AUC, recomputed from the per-model metrics when a JSON from an
    older version of the tool lacks it (same models, same core function)."""
    if evaluation.get("any_direction_auc") is not None:
        return evaluation["any_direction_auc"]
    from workbench.core.lineage.evaluation import Measured, any_direction_auc

    def models(source: dict, kind: str) -> list[Measured]:
        return [Measured(m["seed"], m["accuracy"], m["metrics"]) for m in source["models"]
                if m["kind"] == kind]

    return any_direction_auc(models(evaluation, "distilled"),
                             models(study["evaluations"][0], "independent"))


def tradeoff_table(study: dict) -> str:
    rows = ["| defense | student accuracy % | AUC, detector fitted on undefended students | "
            "AUC, detector refitted on defended students | AUC, any departure from "
            "independent models |", "|---|---|---|---|---|"]
    for row, evaluation in zip(study["tradeoff"], study["evaluations"]):
        adapted = "-" if row["adapted_auc"] is None else f"{row['adapted_auc']:.3f}"
        rows.append(f"| {row['defense']} | {100 * row['student_accuracy']:.2f} | "
                    f"{row['auc']:.3f} | {adapted} | {any_direction(study, evaluation):.3f} |")
    return "\n".join(rows)


def header(study: dict) -> str:
    """How the models were made, read back from the study itself."""
    seeds, overrides = study["seeds"], dict(o.split("=", 1) for o in study["overrides"])
    return (f"{study['students']} distilled + {study['students']} independent students "
            f"(seeds {seeds[0]}-{seeds[-1]}), {overrides.get('train.epochs', 'preset')} epochs "
            f"each; probe: the {study['evaluations'][0]['probe_size']:,} Fashion-MNIST test "
            "images; every model scored by a detector fitted without it (leave-one-out).")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--part", choices=("auc", "defense", "all"), default="all")
    parser.add_argument("--tables-only", action="store_true", help="rewrite the Markdown "
                        "from the saved JSON results, training nothing")
    args = parser.parse_args()
    common = [f"train.epochs={args.epochs}", f"train.threads={args.threads}"]
    started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    for part, name in (("auc", "detection.json"), ("defense", "detection-defense.json")):
        if args.part not in (part, "all"):
            continue
        saved = RESULTS / name
        if args.tables_only:
            result = json.loads(saved.read_text("utf-8"))
        elif part == "auc":
            result = {label: evaluate(preset, common + extra, args.students, [])
                      for label, (preset, extra) in SCENARIOS.items()}
        else:
            result = evaluate("fashion-kd", common, args.students, DEFENSES)
        saved.write_text(json.dumps(result, indent=1), "utf-8")
        if part == "auc":
            text = "\n\n".join([header(next(iter(result.values()))), auc_table(result)])
        else:
            text = "\n\n".join([header(result), "Defenses (fashion-kd):",
                                 tradeoff_table(result)])
        print(text + "\n")
        (RESULTS / f"detection-{part}.md").write_text(text + "\n", encoding="utf-8")
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
