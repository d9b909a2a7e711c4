"""Streamed vs in-memory training on Fashion-MNIST exported as a PNG folder.

In one process, side by side (the machine is shared: ratios are taken moments apart):

1. Fashion-MNIST (the real IDX files) is exported once as a PNG folder, ``train/`` and
   ``test/`` with one sub-folder per class, into a scratch folder (never the repository);
2. the cost of reading one image each way: decoding its PNG with Pillow (what a
   per-epoch decode would pay) vs reading its row from the decoded uint8 memory-mapped
   file (what the streamed path pays) — why the streamed path decodes once;
3. the same experiment (teacher: the bundled small CNN teacher's weights; student:
   ``fashion-mlp-64`` and with ``--cnn`` also ``fashion-cnn-tiny``; seed 0; the same
   ``train.threads`` everywhere) on the ``image-folder`` dataset: in memory, streamed
   (``data.memory_limit_mb`` forced below the data's size) with DataLoader workers, and
   with ``--also-without-workers`` streamed with rows read in the training process.
   Each round runs every variant (in a rotated order); epoch rate = epochs / seconds of
   the fit phase (student, baseline), its ratio taken round by round; accuracy = test
   accuracy (the same every round: runs are deterministic).

Goals (issue 15): streamed >= 0.8x the in-memory epoch rate, accuracy within 0.3 point.

    nice -n 10 .venv/bin/python benchmarks/streaming.py [--epochs 15] [--rounds 2]
        [--threads 1] [--cnn --cnn-epochs 5] [--also-without-workers] [--scratch FOLDER]
        [--limit-mb 16] [--workers 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from workbench.core.data.image_folder import decode_image
from workbench.core.data.registry import load_named
from workbench.core.data.streaming import StreamedImages, in_memory_bytes
from workbench.core.engine.pipeline import run_experiment
from workbench.core.presets.load import experiment_from_dict, load_model_preset
from workbench.core.stream.events import PhaseEnded

RESULTS = Path(__file__).parent / "results" / "streaming.md"
DONE_MARKER = ".exported"


def export_png(folder: Path) -> Path:
    """Fashion-MNIST as ``folder/{train,test}/<k-class>/<n>.png`` (once; kept after)."""
    if (folder / DONE_MARKER).exists():
        return folder
    dataset = load_named("fashion-mnist", download=False)
    names = [f"{index}-{name.replace('/', '-')}" for index, name in enumerate(dataset.classes)]
    for split, images, labels in (("train", dataset.train_images, dataset.train_labels),
                                  ("test", dataset.test_images, dataset.test_labels)):
        for name in names:
            (folder / split / name).mkdir(parents=True, exist_ok=True)
        for row, (image, label) in enumerate(zip(images.numpy(), labels.tolist())):
            Image.fromarray(image[0]).save(folder / split / names[label] / f"{row:05d}.png")
    (folder / DONE_MARKER).touch()
    return folder


def read_costs(folder: Path, count: int = 2000) -> dict[str, float]:
    """Microseconds per image: PNG decode (Pillow) vs a row of the memory-mapped file."""
    paths = sorted((folder / "train").rglob("*.png"))[:count]
    started = time.perf_counter()
    decoded = np.stack([decode_image(path, (28, 28), 1).numpy() for path in paths])
    decode_us = (time.perf_counter() - started) / len(paths) * 1e6
    scratch = Path(tempfile.mkdtemp())
    memmap = np.memmap(scratch / "rows.u8", dtype=np.uint8, mode="w+", shape=decoded.shape)
    memmap[:] = decoded
    memmap.flush()
    view = StreamedImages(scratch / "rows.u8", decoded.shape, lambda raw: raw.float())
    order = torch.randperm(len(paths))
    started = time.perf_counter()
    for rows in order.split(128):
        view.raw_rows(rows)
    read_us = (time.perf_counter() - started) / len(paths) * 1e6
    return {"decode_us": decode_us, "memmap_us": read_us}


def experiment(root: Path, student: str, epochs: int, extra: dict[str, Any],
               threads: int) -> Any:
    teacher = load_model_preset("fashion-cnn-small-teacher")
    data = {"dataset": "image-folder", "root": str(root), "val_size": 5000, **extra}
    return experiment_from_dict({
        "schema": 1, "kind": "experiment", "name": "streaming-bench",
        # inline, without trained_on: the PNG folder is Fashion-MNIST under another name
        "teacher": {"architecture": teacher.architecture, "args": teacher.args.to_dict(),
                    "weights": str(teacher.weights)},
        "student": student, "data": data,
        "distill": {"method": "offline", "alpha": 0.3, "temperature": 4.0},
        "train": {"epochs": epochs, "batch_size": 128, "lr": 0.002, "schedule": "cosine",
                  "seed": 0, "threads": threads},
        "compare": {"latency_repeats": 5, "warmup": 1, "throughput_batch": 64},
    }, "benchmarks/streaming.py", Path.cwd())


def measure(root: Path, student: str, epochs: int, extra: dict[str, Any],
            threads: int) -> dict[str, Any]:
    phases: dict[str, dict[str, Any]] = {}

    def keep(event: object) -> None:
        if isinstance(event, PhaseEnded):
            phases[event.phase] = {"seconds": event.seconds, **event.metrics}

    started = time.perf_counter()
    result = run_experiment(experiment(root, student, epochs, extra, threads),
                            callbacks=[keep])
    models = result.summary["models"]
    return {"total_s": time.perf_counter() - started, "phases": phases,
            "threads": result.summary["train_threads"],
            "streamed": result.summary["dataset"].get("streamed"),
            "rate": {name: epochs / phases[name]["seconds"] for name in ("student", "baseline")},
            "accuracy": {name: models[name]["accuracy"] for name in ("teacher", "student",
                                                                      "baseline")}}


def table(title: str, runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Median epoch rates over the rounds, and each round's streamed / in-memory ratio
    (both timed minutes apart in the same round), then the accuracies (same every round)."""
    names = list(runs)
    lines = [f"### {title}", "", "| | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for phase in ("student", "baseline"):
        cells = []
        for name in names:
            rates = [run["rate"][phase] for run in runs[name]]
            cell = f"{statistics.median(rates):.3f}"
            if name != names[0]:
                ratios = [run["rate"][phase] / base["rate"][phase]
                          for run, base in zip(runs[name], runs[names[0]])]
                cell += (f" (**{statistics.median(ratios):.2f}x**; rounds: "
                         + ", ".join(f"{ratio:.2f}" for ratio in ratios) + ")")
            cells.append(cell)
        lines.append(f"| {phase} epochs/s | " + " | ".join(cells) + " |")
    for model in ("teacher", "student", "baseline"):
        base = runs[names[0]][0]["accuracy"][model]
        cells = [f"{base:.2%}"] + [f"{runs[name][0]['accuracy'][model]:.2%} "
                                   f"({(runs[name][0]['accuracy'][model] - base) * 100:+.2f} "
                                   "points)" for name in names[1:]]
        lines.append(f"| {model} test accuracy | " + " | ".join(cells) + " |")
    lines.append("| streamed / train threads | " + " | ".join(
        f"{runs[name][0]['streamed']} / {runs[name][0]['threads']}" for name in names) + " |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path,
                        default=Path(tempfile.gettempdir()) / "workbench-fashion-png")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--limit-mb", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cnn", action="store_true", help="also a CNN student")
    parser.add_argument("--cnn-epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="train.threads of every run (the same in both paths)")
    parser.add_argument("--also-without-workers", action="store_true",
                        help="also stream with data.workers=0 (rows read in the training process)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    root = export_png(args.scratch)
    export_s = time.perf_counter() - started
    costs = read_costs(root)
    print(f"PNG decode {costs['decode_us']:.0f} us/image, memmap row "
          f"{costs['memmap_us']:.1f} us/image ({costs['decode_us'] / costs['memmap_us']:.0f}x)")
    streamed_data = {"memory_limit_mb": args.limit_mb, "workers": args.workers}
    opened = []
    for _ in range(2):  # the first call decodes (unless an earlier run did), the second opens
        started = time.perf_counter()
        load_named("image-folder", root=str(root), memory_limit_mb=args.limit_mb)
        opened.append(time.perf_counter() - started)
    print(f"streamed folder: first load {opened[0]:.1f} s, again {opened[1]:.1f} s")
    lines = ["# Streaming vs in-memory (Fashion-MNIST as a PNG folder)", "",
             f"`nice -n 10 .venv/bin/python benchmarks/streaming.py --epochs {args.epochs} "
             f"--rounds {args.rounds} --threads {args.threads}"
             f"{f' --cnn --cnn-epochs {args.cnn_epochs}' if args.cnn else ''}"
             f"{' --also-without-workers' if args.also_without_workers else ''}` — one "
             "process, the paths side by side, each round in a rotated order; "
             f"machine: {os.cpu_count()} cores, load average before "
             f"{load_before[0]:.1f}.", "",
             f"Training images held in memory: {in_memory_bytes(60000, (1, 28, 28)) / 2**20:.0f}"
             f" MiB (uint8 + float32); streamed run: data.memory_limit_mb={args.limit_mb}, "
             f"data.workers={args.workers}.", "",
             f"Reading one image: PNG decode {costs['decode_us']:.0f} us vs memory-mapped row "
             f"{costs['memmap_us']:.1f} us: a per-epoch decode of 55,000 images would take "
             f"{costs['decode_us'] * 55000 / 1e6:.1f} s of CPU per epoch.", "",
             f"Streamed folder (70,000 PNGs): first load {opened[0]:.1f} s (decoding once into "
             f"the cache, unless an earlier run did), every later load {opened[1]:.1f} s "
             "(scan + digest check).", ""]
    students = [("fashion-mlp-64", args.epochs)] + (
        [("fashion-cnn-tiny", args.cnn_epochs)] if args.cnn else [])
    variants = {"in memory": {}, f"streamed, {args.workers} workers": streamed_data}
    if args.also_without_workers:
        variants["streamed, read in the training process"] = {**streamed_data, "workers": 0}
    for student, epochs in students:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
        for round_index in range(args.rounds):  # the order rotates: no variant always first
            order = list(variants)[round_index % len(variants):] + \
                list(variants)[:round_index % len(variants)]
            for name in order:
                runs[name].append(measure(root, student, epochs, variants[name], args.threads))
        rows = table(f"{student}, {epochs} epochs, {args.rounds} round(s)", runs)
        print("\n".join(rows), flush=True)
        lines += rows
    load_after = os.getloadavg()
    lines.append(f"Load average after: {load_after[0]:.1f} (1 min), {load_after[1]:.1f} (5 min); "
                 f"PNG export {export_s:.0f} s (0: exported by an earlier run).")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
