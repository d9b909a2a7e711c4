"""Plain vs offline vs online vs self distillation on Fashion-MNIST, 3 seeds each,
with all labels and with only 1,000 labels (the rest an unlabeled transfer set).

Every number comes from `workbench run PRESET --set ... --json`, the tool itself.
Prints a Markdown table of test accuracy, mean ± std over seeds, and writes it to
benchmarks/results/methods.md.

    python benchmarks/methods_table.py [--seeds 0 1 2] [--epochs 15]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

METHODS = {"offline": [], "online": ["distill.peers=2"], "self": ["distill.generations=2"]}
SCENARIOS = {"all 55,000 labels": "fashion-kd", "1,000 labels + transfer set": "fashion-label-scarce"}


def run(preset: str, overrides: list[str], runs_dir: Path) -> dict:
    command = [sys.executable, "-m", "workbench", "run", preset, "--json",
               "--runs-dir", str(runs_dir)]
    for override in overrides:
        command += ["--set", override]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def mean_std(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    std = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.2f} ± {std:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/methods-table"))
    args = parser.parse_args()
    started = time.perf_counter()
    table: dict[str, dict[str, list[float]]] = {}
    teacher: dict[str, float] = {}
    for scenario, preset in SCENARIOS.items():
        for method, extra in METHODS.items():
            for seed in args.seeds:
                overrides = [f"train.seed={seed}", f"distill.method={method}", *extra]
                # plain (the baseline) is trained once per seed, with the offline runs
                overrides.append(f"train.baseline={'true' if method == 'offline' else 'false'}")
                if args.epochs:
                    overrides.append(f"train.epochs={args.epochs}")
                result = run(preset, overrides, args.runs_dir)
                models = result["models"]
                teacher[scenario] = models["teacher"]["accuracy"]
                table.setdefault(scenario, {}).setdefault(method, []).append(
                    models["student"]["accuracy"])
                if method == "offline":
                    table[scenario].setdefault("plain", []).append(models["baseline"]["accuracy"])
                print(f"{scenario:<28} {method:<8} seed {seed}: student "
                      f"{100 * models['student']['accuracy']:.2f}%", file=sys.stderr)
    rows = ["| method | " + " | ".join(SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
    labels = {"plain": "plain student (no teacher)", "offline": "offline KD (cached teacher logits)",
              "online": "online (2 peers, mutual learning)",
              "self": "self (born-again, 2 generations)"}
    for method in ("plain", "offline", "online", "self"):
        rows.append(f"| {labels[method]} | " + " | ".join(
            mean_std(table[scenario][method]) for scenario in SCENARIOS) + " |")
    rows.append("| teacher (reference) | " + " | ".join(
        f"{100 * teacher[scenario]:.2f}" for scenario in SCENARIOS) + " |")
    text = "\n".join(rows)
    print(text)
    print(f"\ntest accuracy (%), mean ± std over seeds {args.seeds}; "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    out = Path(__file__).resolve().parent / "results" / "methods.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
