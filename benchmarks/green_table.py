"""Green distillation on Fashion-MNIST, 3 seeds: float student, dynamic int8, QAT int8,
and students pruned by 25 / 50 / 75 % with distillation, each with accuracy, size,
batch-1 latency, energy per 1,000 predictions and the training energy it added.

Two students: the fashion-kd MLP (784-64-10, 51k params, 15 epochs), whose batch-1
latency is bound by per-call overhead, and the fashion-cnn-small CNN (20.5k params,
8 epochs to keep the run short), whose latency is bound by its convolutions. A third
table prunes the MLP by 50 % in three rounds of 3 recovery epochs instead of one of 8.

Every number comes from ``run_experiment`` (the tool itself) and its events: a green
fit's training energy is the difference between the ``energy_j`` of consecutive
``PhaseEnded`` events of the green stage (the meter counts from the stage's start).
Writes benchmarks/results/green.md and green.json.

    nice -n 10 python benchmarks/green_table.py [--seeds 0 1 2] [--only mlp|cnn|rounds] [--report]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core.engine.pipeline import run_experiment  # noqa: E402
from workbench.core.presets import load_experiment  # noqa: E402
from workbench.core.stream.events import PhaseEnded  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# name -> (title, overrides, prune fractions, label of the pruned row)
STUDENTS = {"mlp": ("fashion-kd MLP 784-64-10", ["train.baseline=false"], (0.25, 0.5, 0.75),
                    "pruned {:.0%}"),
            "cnn": ("fashion-cnn-small CNN 16-32 (8 epochs)",
                    ["train.baseline=false", "student=fashion-cnn-small", "train.epochs=8"],
                    (0.5,), "pruned {:.0%}"),
            "rounds": ("fashion-kd MLP, 50 % pruned in 3 rounds of 3 epochs",
                       ["train.baseline=false", "green.prune_steps=3"], (0.5,),
                       "pruned {:.0%} in 3 rounds"),
            # the pruned MLP's size distilled from scratch: does pruning beat starting small?
            "scratch": ("784-32-10 MLP distilled from scratch (15 epochs)",
                        ["train.baseline=false", "student=fashion-mlp-32"], (),
                        "MLP 784-32-10 from scratch")}
JOINED = {"rounds": "mlp", "scratch": "mlp"}  # rows shown in another scenario's table
QAT_FRACTION = 0.5  # the run that also trains student-qat
GREEN_PHASES = ("student-qat", "student-pruned")


def one_run(overrides: list[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """(summary, training joules per fit: student, student-qat, student-pruned)."""
    preset = load_experiment("fashion-kd", overrides=overrides)
    ended: list[PhaseEnded] = []
    result = run_experiment(preset, callbacks=[lambda e: ended.append(e)
                                               if isinstance(e, PhaseEnded) else None])
    joules: dict[str, float] = {}
    before = 0.0  # the green stage's meter runs on across its fits
    for event in ended:
        value = event.metrics.get("energy_j")
        if value is None:
            continue
        if event.phase == "student":
            joules["student"] = float(value)
        elif event.phase.startswith("student-qat") or event.phase.startswith("student-pruned"):
            name = "student-qat" if event.phase == "student-qat" else "student-pruned"
            joules[name] = joules.get(name, 0.0) + float(value) - before
            before = float(value)
    return result.summary, joules


def collect(student: str, seeds: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Rows per model name, one per seed."""
    _, extra, fractions, label = STUDENTS[student]
    qat = student != "rounds"
    rows: dict[str, list[dict[str, Any]]] = {}
    for seed in seeds:
        if not fractions:  # a plain distilled student, no green stage
            summary, joules = one_run([*extra, f"train.seed={seed}"])
            rows.setdefault(label, []).append({**summary["models"]["student"],
                                               "train_j": joules.get("student", 0.0)})
            continue
        for fraction in fractions:
            with_qat = qat and fraction == QAT_FRACTION
            overrides = [*extra, f"train.seed={seed}", f"green.prune={fraction}",
                         f"green.qat={'true' if with_qat else 'false'}"]
            started = time.perf_counter()
            summary, joules = one_run(overrides)
            print(f"{student} seed {seed} prune {fraction}: {time.perf_counter() - started:.0f} s",
                  flush=True)
            models = summary["models"]
            names = ["student", "student-int8", "student-qat"] if with_qat else []
            for name in names + ["student-pruned"]:
                shown = label.format(fraction) if name == "student-pruned" else name
                rows.setdefault(shown, []).append({**models[name],
                                                   "train_j": joules.get(name, 0.0)})
    return rows


def mean_std(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    mean = scale * statistics.fmean(values)
    std = scale * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def table(title: str, rows: dict[str, list[dict[str, Any]]]) -> str:
    first = ("student", "student-int8", "student-qat")
    rows = {name: rows[name] for name in sorted(
        rows, key=lambda name: (first.index(name) if name in first else 9))}
    base = rows["student"]
    base_acc = statistics.fmean(r["accuracy"] for r in base)
    base_size = statistics.fmean(r["size_bytes"] for r in base)
    base_latency = statistics.median(r["latency_ms"] for r in base)
    lines = [f"### {title}", "",
             "| model | test accuracy % | Δ vs float | params | size KiB | smaller | "
             "p50 latency ms (b=1) | speed-up | J / 1k predictions | training J |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, found in rows.items():
        accuracy = [r["accuracy"] for r in found]
        size = statistics.fmean(r["size_bytes"] for r in found)
        latency = statistics.median(r["latency_ms"] for r in found)
        energy = [r["energy_per_1k_j"] for r in found if r.get("energy_per_1k_j") is not None]
        trained = [r["train_j"] for r in found]
        delta = 100 * (statistics.fmean(accuracy) - base_acc)
        lines.append(
            f"| {name} | {mean_std(accuracy, 100)} | {delta:+.2f} "
            f"| {int(statistics.fmean(r['params'] for r in found)):,} | {size / 1024:.1f} "
            f"| {base_size / size:.2f}× | {latency:.4f} | {base_latency / latency:.2f}× "
            f"| {mean_std(energy, 1, 4) if energy else '—'} "
            f"| {mean_std(trained, 1, 1) if name != 'student-int8' else '0 (post-training)'} |")
    return "\n".join(lines)


def write_report(seeds: list[int]) -> str:
    """benchmarks/results/green.md from every scenario's saved rows."""
    raw = {student: json.loads(path.read_text()) for student in STUDENTS
           if (path := RESULTS / f"green-{student}.json").is_file()}
    sections = []
    for student, rows in raw.items():
        if student in JOINED:
            continue
        joined = {**rows, **{name: found for other, into in JOINED.items()
                             if into == student and other in raw
                             for name, found in raw[other].items() if name != "student"}}
        sections.append(table(STUDENTS[student][0], joined))
    text = ("## Green distillation (Fashion-MNIST, seeds " + ", ".join(map(str, seeds))
            + "; mean ± std over seeds, latency: median of the seeds' p50)\n\n"
            + "\n\n".join(sections) + "\n")
    (RESULTS / "green.md").write_text(text)
    (RESULTS / "green.json").write_text(json.dumps(raw, indent=1))
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", choices=tuple(STUDENTS), default=None)
    parser.add_argument("--report", action="store_true", help="only rebuild green.md")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for student in [] if args.report else ([args.only] if args.only else list(STUDENTS)):
        started = time.perf_counter()
        rows = collect(student, args.seeds)
        (RESULTS / f"green-{student}.json").write_text(json.dumps(rows, indent=1))
        print(f"{student}: {(time.perf_counter() - started) / 60:.0f} min", flush=True)
    print(write_report(args.seeds))


if __name__ == "__main__":
    main()
