"""Two processes (DDP, gloo) against one: the same weights, and what each costs here.

Runs ``workbench run PRESET --json`` as a user would, three times (below), one after
the other, each with its own empty teacher-output cache (so the ``--nproc 2`` run's
teacher pass is the sharded one), and prints:

- max |w1 - w2| over every weight of each trained model (teacher when trained in the
  run, student, baseline) between the runs;
- the test accuracy of every model in each run;
- wall time of each command (start-up included) and of its phases.

Three runs: one process on one thread, one process on two threads, two processes on
one thread each. The second is the yardstick: the same process with sums in another
order. Where a float-order difference tips a discrete event (a ReLU unit that dies
or not), weights part by ~1e-3 whatever the cause; two processes should then be as
far from one thread as two threads are, and close to two threads.
On a 2-core machine shared with other work, 2 processes are a correctness check, not
a speed-up: each gets one core, and the gradient exchange and a second interpreter
cost more than a small MLP's step.

    nice -n 10 .venv/bin/python benchmarks/ddp.py [--fashion] [--out FILE]

``--fashion`` adds fashion-kd (the bundled CNN teacher's weights on real
Fashion-MNIST, the 51k-parameter MLP student), shortened to 2 epochs on 20,000 images.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

TINY = """\
schema: 1
kind: experiment
name: tiny-ddp
teacher: {architecture: mlp, args: {hidden: [32]}}
student: {architecture: mlp, args: {hidden: [16]}}
data: {dataset: synthetic, val_size: 200, train_limit: 1257, seed: 0}
distill: {method: offline, alpha: 0.5, temperature: 4.0}
train: {epochs: 2, batch_size: 64, lr: 0.003, optimizer: adam, schedule: cosine, seed: 0}
teacher_train: {epochs: 1, batch_size: 64, lr: 0.05, optimizer: sgd, schedule: constant}
compare: {latency_repeats: 3, warmup: 1, throughput_batch: 32}
"""
FASHION = ["data.train_limit=20000", "train.epochs=2", "compare.latency_repeats=10",
           "compare.warmup=2", "compare.throughput_batch=64"]


RUNS = {"1 process, 1 thread": (1, 1), "1 process, 2 threads": (1, 2),
        "2 processes, 1 thread each": (2, 1)}


def run(preset: str, overrides: list[str], scratch: Path, tag: str, nproc: int,
        threads: int) -> tuple[dict[str, Any], float]:
    env = dict(os.environ, WORKBENCH_RUNS_DIR=str(scratch / f"runs-{tag}"),
               WORKBENCH_CACHE_DIR=str(scratch / f"cache-{tag}"))
    command = [sys.executable, "-m", "workbench", "run", preset, "--json",
               "--set", f"train.threads={threads}"]
    for override in overrides:
        command += ["--set", override]
    command += ["--nproc", str(nproc)] if nproc > 1 else []
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{tag} failed ({result.returncode}): {result.stderr[-2000:]}")
    return json.loads(result.stdout), seconds


def weight_gaps(one: Path, two: Path) -> dict[str, float]:
    """max |w1 - w2| per saved model of two runs."""
    gaps = {}
    for path in sorted((one / "ckpt").glob("*.pt")):
        first = torch.load(path, weights_only=True)["state_dict"]
        second = torch.load(two / "ckpt" / path.name, weights_only=True)["state_dict"]
        gaps[path.stem] = max((first[key] - second[key]).abs().max().item() for key in first)
    return gaps


def compare(name: str, preset: str, overrides: list[str], scratch: Path) -> list[str]:
    results = {label: run(preset, overrides, scratch, f"{name[:8]}-{index}", *setting)
               for index, (label, setting) in enumerate(RUNS.items())}
    folders = {label: Path(payload["run_dir"]) for label, (payload, _) in results.items()}
    labels = list(RUNS)
    pairs = [(labels[2], labels[0]), (labels[1], labels[0]), (labels[2], labels[1])]
    trained = sorted(weight_gaps(folders[labels[0]], folders[labels[1]]))
    lines = [f"### {name}", "", "| max abs weight gap | " + " | ".join(trained) + " |",
             "|---|" + "---|" * len(trained)]
    for first, second in pairs:
        gaps = weight_gaps(folders[first], folders[second])
        lines.append(f"| {first} vs {second} | "
                     + " | ".join(f"{gaps[model]:.1e}" for model in trained) + " |")
    models = list(results[labels[0]][0]["models"])
    phases = ("cache_s", "student_s", "baseline_s")
    lines += ["", "| run | wall (whole command) | " + " | ".join(phases) + " | "
              + " | ".join(f"{model} acc" for model in models) + " |",
              "|---|---|" + "---|" * (len(phases) + len(models))]
    for label, (payload, seconds) in results.items():
        timings = payload["timings"]
        lines.append(f"| {label} | {seconds:.1f} s | "
                     + " | ".join(f"{timings.get(phase, 0.0):.2f} s" for phase in phases)
                     + " | " + " | ".join(f"{payload['models'][model]['accuracy']:.4f}"
                                          for model in models) + " |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion", action="store_true", help="also fashion-kd (real data)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb-ddp-") as folder:
        scratch = Path(folder)
        tiny = scratch / "tiny-ddp.yaml"
        tiny.write_text(TINY)
        lines = [f"{os.cpu_count()} CPU cores, torch {torch.__version__}, gloo", ""]
        lines += compare("tiny-ddp (synthetic, MLP teacher trained in the run)", str(tiny),
                         [], scratch)
        if args.fashion:
            lines += compare("fashion-kd, 20,000 images, 2 epochs", "fashion-kd", FASHION,
                             scratch)
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
