"""Streamed vs in-memory training on Fashion-MNIST exported as a PNG folder.

In one process, side by side (the machine is shared: ratios are taken moments apart):

1. Fashion-MNIST (the real IDX files) is exported once as a PNG folder, ``train/`` and
   ``test/`` with one sub-folder per class, into a scratch folder (never the repository);
2. the cost of reading one image each way: decoding its PNG with Pillow (what a
   per-epoch decode would pay) vs reading its row from the decoded uint8 memory-mapped
   file (what the streamed path pays) — why the streamed path decodes once;
3. the same experiment (teacher: the bundled small CNN teacher's weights; student:
   ``fashion-mlp-64`` and with ``--cnn`` also ``fashion-cnn-tiny``; same seeds) on the
   ``image-folder`` dataset twice: in memory, and streamed (``data.memory_limit_mb``
   forced below the data's size). Epoch rate = epochs / seconds of the fit phase
   (student, baseline), accuracy = test accuracy.

Goals (issue 15): streamed >= 0.8x the in-memory epoch rate, accuracy within 0.3 point.

    nice -n 10 .venv/bin/python benchmarks/streaming.py [--epochs 15] [--cnn]
        [--scratch FOLDER] [--limit-mb 16] [--workers 2]
"""
from __future__ import annotations

import argparse
import os
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


def experiment(root: Path, student: str, epochs: int, extra: dict[str, Any]) -> Any:
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
                  "seed": 0},
        "compare": {"latency_repeats": 5, "warmup": 1, "throughput_batch": 64},
    }, "benchmarks/streaming.py", Path.cwd())


def measure(root: Path, student: str, epochs: int, extra: dict[str, Any]) -> dict[str, Any]:
    phases: dict[str, dict[str, Any]] = {}

    def keep(event: object) -> None:
        if isinstance(event, PhaseEnded):
            phases[event.phase] = {"seconds": event.seconds, **event.metrics}

    started = time.perf_counter()
    result = run_experiment(experiment(root, student, epochs, extra), callbacks=[keep])
    models = result.summary["models"]
    return {"total_s": time.perf_counter() - started, "phases": phases,
            "rate": {name: epochs / phases[name]["seconds"] for name in ("student", "baseline")},
            "accuracy": {name: models[name]["accuracy"] for name in ("teacher", "student",
                                                                      "baseline")}}


def table(student: str, memory: dict[str, Any], streamed: dict[str, Any],
          label: str) -> list[str]:
    lines = [f"### {student}: in memory vs {label}", "",
             "| | in memory | streamed | streamed / in memory |", "|---|---|---|---|"]
    for name in ("student", "baseline"):
        a, b = memory["rate"][name], streamed["rate"][name]
        lines.append(f"| {name} epochs/s | {a:.3f} | {b:.3f} | **{b / a:.2f}x** |")
    for name in ("teacher", "student", "baseline"):
        a, b = memory["accuracy"][name], streamed["accuracy"][name]
        lines.append(f"| {name} test accuracy | {a:.2%} | {b:.2%} | "
                     f"{(b - a) * 100:+.2f} points |")
    lines.append(f"| whole run, s (cache phase: {memory['phases']['cache'].get('origin')} / "
                 f"{streamed['phases']['cache'].get('origin')}) | {memory['total_s']:.0f} | "
                 f"{streamed['total_s']:.0f} | |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path,
                        default=Path(tempfile.gettempdir()) / "workbench-fashion-png")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--limit-mb", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cnn", action="store_true", help="also a CNN student")
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
             f"`nice -n 10 .venv/bin/python benchmarks/streaming.py --epochs {args.epochs}"
             f"{' --cnn' if args.cnn else ''}` — one process, the two paths side by side; "
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
    students = ["fashion-mlp-64"] + (["fashion-cnn-tiny"] if args.cnn else [])
    for student in students:
        memory = measure(root, student, args.epochs, {})
        streamed = measure(root, student, args.epochs, streamed_data)
        rows = table(student, memory, streamed, f"streamed, {args.workers} workers")
        if args.also_without_workers:
            in_process = measure(root, student, args.epochs, {**streamed_data, "workers": 0})
            rows += table(student, memory, in_process, "streamed, read in the training process")
        print("\n".join(rows))
        lines += rows
    load_after = os.getloadavg()
    lines.append(f"Load average after: {load_after[0]:.1f} (1 min), {load_after[1]:.1f} (5 min); "
                 f"PNG export (once) {export_s:.0f} s.")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
