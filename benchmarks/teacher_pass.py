"""The teacher pass against the machine: achieved FLOP rate / dense matmul rate, before and after.

For each bundled CNN-like model preset, in one process and side by side:

- the pass's FLOP rate: FLOPs of one image (``FlopCounterMode``, a multiply-add = 2)
  x images / seconds;
- the practical peak: ``torch.mm`` of two float32 2048x2048 matrices at the same
  thread count, timed right next to each variant (the machine is shared: ratios
  taken moments apart cancel most of the load);
- their ratio, for today's path (``loop.predict``, batch 1024, at the thread count
  a fashion-kd run gives the pass: 1, as its student is small) and the candidate
  paths of ``core.engine.teacher_pass`` at every usable core. Compile-based
  variants count their compile time in the rate.

Also: the largest |logit difference| of each variant from ``loop.predict`` (float32); the
bundled teacher's drift on real test images; seconds from pressing Run to the first live
loss with nothing cached, the outputs on disk and in memory; with ``--seeds N``, the
distilled student's accuracy per seed on NCHW vs channels_last teacher logits.

    nice -n 10 .venv/bin/python benchmarks/teacher_pass.py [--images 2048] [--rounds 2]
        [--overrides data.train_limit=10000] [--seeds 3] [--no-speed] [--no-first-runs]
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from workbench.core.engine.loop import predict
from workbench.core.engine.teacher_pass_ort import onnxruntime_ready
from workbench.core.engine.teacher_pass import PassPlan, pass_predictor, pass_threads
from workbench.core.engine.threads import free_cores, usable_cores
from workbench.core.measure.machine import torch_threads
from workbench.core.measure.size import flops_per_sample
from workbench.core.models.build import build_model
from workbench.core.presets.load import load_model_preset

from _teacher_pass_runs import first_runs, first_runs_markdown, student_check  # noqa: E402

MODELS = {"fashion-cnn-teacher": (1, 28, 28), "fashion-cnn": (1, 28, 28),
          "resnet-small": (1, 28, 28), "synthetic-cnn": (1, 28, 28)}
MM_SIZE = 2048
FULL_PASS_IMAGES = 70_000
PACE_STEPS = 40  # student steps timed after the first one, to estimate its epoch  # Fashion-MNIST: 60,000 training + 10,000 test images


def matmul_rate(threads: int, size: int = MM_SIZE, repeats: int = 4) -> float:
    """FLOP/s of float32 ``torch.mm`` (2 n^3 per product) at ``threads``."""
    left, right = torch.randn(size, size), torch.randn(size, size)
    with torch_threads(threads):
        torch.mm(left, right)
        started = time.perf_counter()
        for _ in range(repeats):
            torch.mm(left, right)
        seconds = time.perf_counter() - started
    return 2.0 * size ** 3 * repeats / seconds


def build(name: str) -> nn.Module:
    preset = load_model_preset(name)
    return build_model(preset.architecture, dict(preset.args), MODELS[name], 10).eval()


def variants(model: nn.Module, cores: int, free: int, extra: bool
             ) -> dict[str, tuple[int, Callable[[torch.Tensor], torch.Tensor]]]:
    """name -> (threads, images -> logits); each call includes any set-up it needs.

    The pass rows run on ``free`` threads: the free cores the pass itself would take.
    """
    cpu = torch.device("cpu")

    def planned(channels_last: bool) -> Callable[[torch.Tensor], torch.Tensor]:
        plan = PassPlan(cpu, free, channels_last=channels_last)

        def work(images: torch.Tensor) -> torch.Tensor:
            with pass_threads(plan):
                return pass_predictor(model, plan)(images)
        return work

    chosen = {"before: loop.predict, batch 1024, 1 thread": (1, lambda images: _predict(model, images, 1)),
              f"loop.predict, batch 1024, {cores} threads": (cores, lambda images: _predict(model, images, cores)),
              "teacher_pass NCHW (bit-identical to predict)": (free, planned(False)),
              "after: teacher_pass (BN folded, channels_last)": (free, planned(True))}
    if onnxruntime_ready():  # data.teacher_pass auto/onnxruntime; export + session counted
        ort_plan = PassPlan(cpu, free, channels_last=False, backend="onnxruntime")

        def through_onnxruntime(images: torch.Tensor) -> torch.Tensor:
            with pass_threads(ort_plan):
                return pass_predictor(model, ort_plan)(images)
        chosen["onnxruntime pass (export and session included)"] = (free, through_onnxruntime)
    if not extra:
        return chosen

    def frozen(images: torch.Tensor) -> torch.Tensor:  # oneDNN fusion by TorchScript freezing
        runner = copy.deepcopy(model).eval().to(memory_format=torch.channels_last)
        with torch.no_grad():
            runner = torch.jit.freeze(torch.jit.script(runner))
        with torch_threads(free), torch.inference_mode():
            return torch.cat([runner(chunk.contiguous(memory_format=torch.channels_last))
                              for chunk in images.split(1024)])

    def compiled(images: torch.Tensor) -> torch.Tensor:  # compile time counted
        torch._dynamo.reset()
        runner = torch.compile(copy.deepcopy(model).eval().to(memory_format=torch.channels_last))
        with torch_threads(free), torch.inference_mode():
            return torch.cat([runner(chunk.contiguous(memory_format=torch.channels_last))
                              for chunk in images.split(1024)])

    return {**chosen, "channels_last + TorchScript freeze (oneDNN fusion)": (free, frozen),
            "channels_last + torch.compile (compile time included)": (free, compiled)}


def _predict(model: nn.Module, images: torch.Tensor, threads: int) -> torch.Tensor:
    with torch_threads(threads):
        return predict(model, images, 1024)


def measure(name: str, images: int, rounds: int, cores: int, extra: bool) -> list[dict[str, object]]:
    model = build(name)
    flops = flops_per_sample(model, MODELS[name])
    inputs = torch.rand(images, *MODELS[name], generator=torch.Generator().manual_seed(0))
    reference = _predict(model, inputs, 1)
    rows = []
    for label, (threads, work) in variants(model, cores, free_cores(), extra).items():
        ratios, rates, peaks, difference = [], [], [], 0.0
        for _ in range(rounds):
            peak = matmul_rate(threads)
            started = time.perf_counter()
            logits = work(inputs)
            rate = flops * images / (time.perf_counter() - started)
            peaks.append(peak)
            rates.append(rate)
            ratios.append(rate / peak)
            difference = max(difference, (logits - reference).abs().max().item())
        rows.append({"model": name, "variant": label, "threads": threads,
                     "mflop": flops / 1e6, "gflops": statistics.median(rates) / 1e9,
                     "mm_gflops": statistics.median(peaks) / 1e9,
                     "ratio": statistics.median(ratios), "max_diff": difference,
                     "full_pass_s": (None if "compile" in label  # its compile time does not scale
                                     else flops * FULL_PASS_IMAGES / statistics.median(rates))})
        print(f"{name:20s} {label:40s} {rows[-1]['gflops']:6.1f} GFLOP/s  "
              f"mm {rows[-1]['mm_gflops']:6.1f}  ratio {rows[-1]['ratio']:.2f}  "
              f"max|diff| {difference:.1e}", flush=True)
    return rows


def to_markdown(rows: list[dict[str, object]], load: tuple[float, float], images: int,
                rounds: int, cores: int) -> str:
    lines = [f"# Teacher pass vs dense matmul ({cores} cores, {images} images, "
             f"median of {rounds} rounds)", "",
             f"Load average while measuring: {load[0]:.1f} at the start, {load[1]:.1f} at the end "
             "(shared machine); each ratio pairs a pass with a matmul timed moments before it.",
             "", "| model | path | threads | MFLOP/image | GFLOP/s | matmul GFLOP/s | ratio "
             "| 70k-image pass (s) | max abs logit diff |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['variant']} | {row['threads']} | {row['mflop']:.1f} "
                     f"| {row['gflops']:.1f} | {row['mm_gflops']:.1f} | {row['ratio']:.2f} "
                     f"| {_seconds(row['full_pass_s'])} | {row['max_diff']:.1e} |")
    return "\n".join(lines) + "\n"


def _seconds(value: object) -> str:
    return "—" if value is None else f"{value:.0f}"


def faithfulness(preset_name: str, images: int) -> str:
    """The bundled teacher on real test images: the pass's logits against ``loop.predict``'s."""
    from workbench.core.data.prepare import load_dataset, prepare
    from workbench.core.models.weights import load_weights
    from workbench.core.presets import load_experiment

    preset = load_experiment(preset_name)
    data = prepare(load_dataset(preset.data), preset.data, 0, torch.device("cpu"))
    teacher = build_model(preset.teacher.architecture, dict(preset.teacher.args),
                          data.dataset.input_shape, data.dataset.num_classes)
    load_weights(teacher, preset.teacher.weights)
    inputs = data.test_inputs[:images]
    reference = predict(teacher, inputs)
    plan = PassPlan(torch.device("cpu"), free_cores())
    with pass_threads(plan):
        fast = pass_predictor(teacher, plan)(inputs)
    temperature = float(preset.distill["temperature"])
    soft = (torch.softmax(fast / temperature, 1) - torch.softmax(reference / temperature, 1))
    difference = (fast - reference).abs()
    return (f"\n## Faithfulness: `{preset.teacher.name}` on {images} Fashion-MNIST test images\n\n"
            f"max |logit diff| {difference.max().item():.2e} (logits up to "
            f"{reference.abs().max().item():.1f}; median |diff| {difference.median().item():.1e}), "
            f"max |soft-target diff| at T={temperature:g}: {soft.abs().max().item():.1e}, "
            f"same top class: {(fast.argmax(1) == reference.argmax(1)).float().mean().item():.2%}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8192)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--extra", nargs="*", default=["fashion-cnn-teacher"],
                        help="models also timed with TorchScript freezing and torch.compile")
    parser.add_argument("--preset", default="fashion-kd",
                        help="the preset whose first runs are timed ('' to skip)")
    parser.add_argument("--overrides", nargs="*", default=[],
                        help="preset overrides for the first runs, e.g. data.train_limit=10000")
    parser.add_argument("--seeds", type=int, default=0,
                        help="also train the student on each seed with both layouts' logits")
    parser.add_argument("--first-runs", action=argparse.BooleanOptionalAction, default=True,
                        help="time a first run, a disk-cached and a memory-cached one")
    parser.add_argument("--speed", action=argparse.BooleanOptionalAction, default=True,
                        help="time the passes (--no-speed: only faithfulness and first runs)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "teacher_pass.md")
    args = parser.parse_args()
    cores = len(usable_cores())
    load_start = os.getloadavg()[0]
    rows = [row for name in (args.models if args.speed else [])
            for row in measure(name, args.images, args.rounds, cores, name in args.extra)]
    text = (to_markdown(rows, (load_start, os.getloadavg()[0]), args.images, args.rounds, cores)
            if rows else "")
    if args.preset:
        text += faithfulness(args.preset, args.images)
    if args.preset and args.first_runs:
        load_start = os.getloadavg()[0]
        runs = first_runs(args.preset, tuple(args.overrides))
        text += first_runs_markdown(args.preset, tuple(args.overrides), runs,
                                    (load_start, os.getloadavg()[0]))
    if args.seeds:
        text += student_check(args.preset, tuple(args.overrides), args.seeds)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
