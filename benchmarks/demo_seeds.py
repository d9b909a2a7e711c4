"""A bundled demo's claim, seed by seed: the distilled student against the plain one.

Runs `workbench run PRESET --set train.seed=S --json` for each seed (the tool itself,
nothing re-implemented) and tabulates, from each run's summary, the student's and the
plain baseline's test accuracy (same architecture, data and steps, no teacher), the
gain in points and the student's retention of the teacher's accuracy, then mean ± std.
Writes the table to benchmarks/results/demo-PRESET.md (or --out).

    python benchmarks/demo_seeds.py fashion-kd-wide [--seeds 0 1 2] [--runs-dir DIR]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teaching_table import workbench_run  # noqa: E402


def mean_std(values: list[float], digits: int = 2, sign: str = "") -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):{sign}.{digits}f} ± {std:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], help="preset override")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/demo-seeds"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows, students, plains, gains, kept = [], [], [], [], []
    started = time.perf_counter()
    for seed in args.seeds:
        summary = workbench_run(args.preset, [f"train.seed={seed}", *args.set], args.runs_dir)
        if "failed" in summary:
            sys.exit(summary["failed"])
        models = summary["models"]
        student = 100 * models["student"]["accuracy"]
        plain = 100 * models["baseline"]["accuracy"]
        teacher = 100 * models["teacher"]["accuracy"]
        students.append(student)
        plains.append(plain)
        gains.append(student - plain)
        kept.append(100 * student / teacher)
        rows.append(f"| {seed} | {student:.2f} | {plain:.2f} | {student - plain:+.2f} | "
                    f"{kept[-1]:.1f} % |")
        print(rows[-1], file=sys.stderr)
    params = models["student"].get("params"), models["teacher"].get("params")
    table = [f"# {args.preset}: distilled vs plain student, {len(args.seeds)} seeds", "",
             "| seed | distilled student | plain student (same steps) | gain (points) | "
             f"retention of the teacher's {teacher:.2f} % |", "|---|---|---|---|---|", *rows,
             f"| mean ± std | **{mean_std(students)}** | {mean_std(plains)} | "
             f"**{mean_std(gains, sign='+')}** | {mean_std(kept, 1)} % |", "",
             f"`workbench run {args.preset} --set train.seed=S "
             + "".join(f"--set {item} " for item in args.set)
             + f"--json` for S in {args.seeds}; test accuracy from summary[\"models\"]"
             f"[\"student\"] and [\"baseline\"]; student {params[0]:,} params, teacher "
             f"{params[1]:,} ({params[1] / params[0]:.1f}x); "
             f"{(time.perf_counter() - started) / 60:.0f} min wall time on a shared 2-core CPU."]
    out = args.out or Path(__file__).resolve().parent / "results" / f"demo-{args.preset}.md"
    out.write_text("\n".join(table) + "\n", encoding="utf-8")
    print("\n".join(table))


if __name__ == "__main__":
    main()
