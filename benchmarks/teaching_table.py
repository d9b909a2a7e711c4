"""Plain student vs KD vs each teaching strategy on Fashion-MNIST, 3 seeds each, for two
students, with all labels and with only 1,000 labels (the rest an unlabeled transfer set).

Every number comes from `workbench run PRESET --set ... --json`, the tool itself: the
student's test accuracy from summary["models"]["student"], the plain student's from
summary["models"]["baseline"] (same architecture, seed, data and steps, no teacher).
Finished cells are appended to RUNS_DIR/cells.jsonl, so a partial table can be continued
later (finished cells are skipped) and the table says how many seeds and epochs each cell had.
Prints a Markdown table of test accuracy, mean ± std over seeds, and writes it to
benchmarks/results/teaching.md (or --out).

    python benchmarks/teaching_table.py [--students fashion-mlp-64] [--scenarios all 1k]
        [--strategies kd schedule dkd] [--seeds 0 1 2] [--epochs 15] [--table-only]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

STUDENTS = ("fashion-mlp-64", "fashion-cnn-tiny")
SCENARIOS = {"all": ("fashion-kd", "all labels"),
             "1k": ("fashion-label-scarce", "1,000 labels")}
# A teaching assistant sits between the teacher (0.87M params) and the student, of the
# student's kind: a wider MLP for the MLP, the 20.5k CNN for the 9.1k CNN.
ASSISTANT_OF = {"fashion-mlp-64": "fashion-mlp-100", "fashion-cnn-tiny": "fashion-cnn-small"}
# name: (row label, overrides on top of the scenario preset's offline KD with α 0.3, T 4
#        ({assistant}: the student's assistant), whether the run trains its own plain baseline)
STRATEGIES: dict[str, tuple[str, list[str], bool]] = {
    "kd": ("KD (α 0.3, T 4)", [], True),
    "schedule": ("KD + α/T schedule (cosine; α 0.3 → 0.7, T 4 → 1)",
                 ["distill.schedule=cosine", "distill.alpha_end=0.7",
                  "distill.temperature_end=1"], False),
    "curriculum": ("KD + curriculum (easy-first, linear pacing from 25 %)",
                   ["distill.curriculum=easy-first"], False),
    "self-paced": ("KD + curriculum (self-paced, linear pacing from 25 %)",
                   ["distill.curriculum=self-paced"], False),
    "dkd": ("decoupled KD (`distill.loss: dkd`, β 8)", ["distill.loss=dkd"], False),
    # β 8 is the paper's for CIFAR-100; with 10 classes there is less non-target knowledge
    "dkd-beta2": ("decoupled KD, β 2", ["distill.loss=dkd", "distill.dkd_beta=2"], False),
    "assistant": ("teaching assistant (fashion-mlp-100 / fashion-cnn-small)",
                  ["distill.method=assistant", "distill.assistants=[{assistant}]"], False),
    # one trained teacher is bundled; the second is trained in the run (a weaker MLP)
    "teachers": ("two teachers (+ fashion-mlp-100 trained in the run), confidence fusion",
                 ["teacher=[fashion-cnn-teacher, fashion-mlp-100]",
                  "distill.fusion=confidence"], False),
    "teachers-bundled": ("two bundled teachers (+ fashion-cnn-small-teacher, 91.4 %), "
                         "confidence fusion",
                         ["teacher=[fashion-cnn-teacher, fashion-cnn-small-teacher]",
                          "distill.fusion=confidence"], False),
    # a views run's plain baseline sees the same augmented views: that is its fair match
    "views": ("KD + consistent views (4 per image)", ["distill.views=4"], True),
}
# The benchmark phase's latency is not what this table measures: keep it short.
QUICK_COMPARE = ["compare.latency_repeats=5", "compare.warmup=1", "compare.throughput_batch=64"]


def workbench_run(preset: str, overrides: list[str], runs_dir: Path) -> dict:
    """The JSON summary of one `workbench run`, or {"failed": the command and its last line}
    (a summary has an ``error`` key of its own, null when the run completed)."""
    command = [sys.executable, "-m", "workbench", "run", preset, "--json",
               "--runs-dir", str(runs_dir)]
    for override in overrides:
        command += ["--set", override]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [""])[-1]
        shown = " ".join(f"--set '{item}'" for item in overrides)
        return {"failed": f"workbench run {preset} {shown} → exit {result.returncode}: {last}"}
    return json.loads(result.stdout)


def run_cell(student: str, scenario: str, strategy: str, seed: int, epochs: int,
             runs_dir: Path) -> dict:
    """One student × scenario × strategy × seed, as a flat record of the run's figures."""
    _, extra, with_baseline = STRATEGIES[strategy]
    extra = [item.format(assistant=ASSISTANT_OF.get(student, "fashion-mlp-100"))
             for item in extra]
    overrides = [f"student={student}", f"train.seed={seed}", f"train.epochs={epochs}",
                 f"train.baseline={'true' if with_baseline else 'false'}", *extra,
                 *QUICK_COMPARE]
    started = time.perf_counter()
    summary = workbench_run(SCENARIOS[scenario][0], overrides, runs_dir)
    cell = {"student": student, "scenario": scenario, "strategy": strategy, "seed": seed,
            "epochs": epochs, "seconds": round(time.perf_counter() - started, 1)}
    if "failed" in summary:
        return {**cell, "error": summary["failed"]}
    models = summary["models"]
    cell.update(student_accuracy=models["student"]["accuracy"],
                teacher_accuracy=models["teacher"]["accuracy"],
                student_params=models["student"].get("params"),
                run=Path(summary.get("run_dir") or "").name)
    if "baseline" in models:
        cell["baseline_accuracy"] = models["baseline"]["accuracy"]
    return cell


def cell_key(cell: dict) -> tuple:
    return cell["student"], cell["scenario"], cell["strategy"], cell["seed"], cell["epochs"]


def load_cells(path: Path) -> tuple[dict[tuple, dict], list[dict]]:
    """Finished cells of earlier calls, and the failures no later call has made good
    (failed cells are retried, so they are kept apart)."""
    if not path.exists():
        return {}, []
    cells = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    done = {cell_key(cell): cell for cell in cells if "error" not in cell}
    failed = {cell_key(cell)[:3]: cell for cell in cells
              if "error" in cell and cell_key(cell) not in done}
    return done, list(failed.values())


def mean_std(values: dict[int, float], plain: dict[int, float] | None = None) -> str:
    """``mean ± std`` over seeds, then the gain in points over the plain student of the
    same seeds when given (a cell of one seed is compared with that seed's plain student)."""
    if not values:
        return "–"
    mean = 100 * statistics.fmean(values.values())
    std = 100 * statistics.stdev(values.values()) if len(values) > 1 else 0.0
    text = f"{mean:.2f} ± {std:.2f}"
    plain = plain or {}
    common = [seed for seed in values if seed in plain]
    if common:
        gain = 100 * statistics.fmean(values[seed] - plain[seed] for seed in common)
        text += f" ({gain:+.2f})"
    return text + ("" if len(values) == 3 else f" [n={len(values)}]")


def rows_of(cells: list[dict], columns: list[tuple[str, str]], strategies: list[str]) -> list[str]:
    """Markdown rows: the plain student, then each strategy; one column per student × scenario."""
    def values(strategy: str, column: tuple[str, str], field: str) -> dict[int, float]:
        return {cell["seed"]: cell[field] for cell in cells
                if (cell["student"], cell["scenario"]) == column
                and cell["strategy"] == strategy and field in cell}

    header = [f"{student}, {SCENARIOS[scenario][1]}" for student, scenario in columns]
    rows = ["| strategy | " + " | ".join(header) + " |", "|---|" + "---|" * len(columns)]
    rows.append("| plain student (no teacher) | " + " | ".join(
        mean_std(values("kd", column, "baseline_accuracy")) for column in columns) + " |")
    for strategy in strategies:
        # compared with the plain student of the same data: its own baseline, or kd's
        plain_of = strategy if STRATEGIES[strategy][2] else "kd"
        rows.append(f"| {STRATEGIES[strategy][0]} | " + " | ".join(
            mean_std(values(strategy, column, "student_accuracy"),
                     values(plain_of, column, "baseline_accuracy")) for column in columns) + " |")
        if STRATEGIES[strategy][2] and strategy != "kd":
            rows.append(f"| plain student, same data as {strategy} | " + " | ".join(
                mean_std(values(strategy, column, "baseline_accuracy"))
                for column in columns) + " |")
    teacher = [values("kd", column, "teacher_accuracy") for column in columns]
    if any(teacher):
        rows.append("| teacher (reference) | " + " | ".join(
            f"{100 * statistics.fmean(column.values()):.2f}" if column else "–"
            for column in teacher)
            + " |")
    return rows


def footnote(cells: list[dict], failures: list[dict], epochs: int, seeds: list[int]) -> str:
    minutes = sum(cell["seconds"] for cell in cells) / 60
    lines = [f"\nTest accuracy (%), mean ± std over seeds {seeds} ([n=…] where fewer ran; in "
             "parentheses the gain in points over the plain student trained on the same data), "
             f"{epochs} epochs per student (– = not run), every figure from "
             "`workbench run --json`; "
             f"{len(cells)} runs, {minutes:.0f} min wall time on a shared 2-core CPU."]
    lines += [f"- failed: {cell['student']} / {cell['scenario']} / {cell['strategy']} / seed "
              f"{cell['seed']}: {cell['error']}" for cell in failures]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", nargs="+", default=list(STUDENTS))
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--strategies", nargs="+", choices=list(STRATEGIES),
                        default=list(STRATEGIES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--table-only", action="store_true",
                        help="run nothing: the table of the cells finished so far")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/teaching-table"))
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "results" / "teaching.md")
    args = parser.parse_args()
    strategies = ["kd", *(name for name in args.strategies if name != "kd")]  # kd: the plain row
    args.runs_dir.mkdir(parents=True, exist_ok=True)
    store = args.runs_dir / "cells.jsonl"
    done, failures = load_cells(store)
    # plain vs KD vs every strategy on one student and scenario first, then the next
    for student in args.students:
        for scenario in args.scenarios:
            for strategy in strategies:
                for seed in args.seeds:
                    if args.table_only or (student, scenario, strategy, seed,
                                           args.epochs) in done:
                        continue
                    cell = run_cell(student, scenario, strategy, seed, args.epochs, args.runs_dir)
                    with store.open("a", encoding="utf-8") as sink:
                        sink.write(json.dumps(cell) + "\n")
                    if "error" in cell:
                        failures.append(cell)
                        print(f"FAILED {cell['error']}", file=sys.stderr)
                        break  # the other seeds would fail the same way
                    done[cell_key(cell)] = cell
                    print(f"{student} / {scenario} / {strategy} / seed {seed}: student "
                          f"{100 * cell['student_accuracy']:.2f}% ({cell['seconds']:.0f} s)",
                          file=sys.stderr)
    def wanted(key: tuple) -> bool:
        return (key[0] in args.students and key[1] in args.scenarios and key[2] in strategies
                and key[3] in args.seeds and key[4] == args.epochs)

    cells = [cell for key, cell in done.items() if wanted(key)]
    failures = [cell for cell in failures if wanted(cell_key(cell))
                and not any(key[:3] == cell_key(cell)[:3] for key in done if wanted(key))]
    columns = [(student, scenario) for student in args.students for scenario in args.scenarios]
    text = "\n".join(rows_of(cells, columns, strategies)) + "\n" + footnote(
        cells, failures, args.epochs, args.seeds)
    print(text)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
