"""``workbench bench TARGET...``: size, FLOPs, memory and CPU speed of any model."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.core.measure.bench_report import DEFAULT_SETTINGS
from workbench.core.measure.foreign_bench import (DEFAULT_TIMEOUT_S, ForeignModelError,
                                                  bench_targets)
from workbench.core.measure.targets import resolve_target
from workbench.core.measure.machine import describe_machine
from workbench.core.paths import default_runs_dir
from workbench.core.measure.tables import to_text
from workbench.cli.argtypes import positive_int, shape as shape_arg

COLUMNS = ("model", "source", "params", "size_bytes", "file_bytes", "flops", "latency_ms",
           "latency_p95_ms", "latency_p99_ms", "throughput", "peak_memory_bytes")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "bench", help="benchmark model presets, a run's models or TorchScript files",
        description="Parameters, size, FLOPs, peak memory, CPU latency at batch 1 "
        "(p50/p95/p99 after warm-up, fixed threads) and throughput of each TARGET.")
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="model preset name or "
                        ".yaml, run id/prefix/folder, or a TorchScript or checkpoint file")
    parser.add_argument("--input-shape", type=shape_arg, default=None, metavar="C,H,W",
                        help="one sample's shape for presets and files that do not record "
                        "it (default 1,28,28)")
    parser.add_argument("--classes", type=positive_int, default=None, metavar="N",
                        help="classes of a model preset's output (default 10)")
    parser.add_argument("--repeats", type=positive_int, default=DEFAULT_SETTINGS["latency_repeats"],
                        help="timed batch-1 inferences (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=DEFAULT_SETTINGS["warmup"],
                        help="untimed inferences first (default %(default)s)")
    parser.add_argument("--batch", type=positive_int, default=DEFAULT_SETTINGS["throughput_batch"],
                        help="batch size for throughput (default %(default)s)")
    parser.add_argument("--threads", type=positive_int, default=DEFAULT_SETTINGS["threads"],
                        help="CPU threads while timing (default %(default)s)")
    parser.add_argument("--int8", action="store_true",
                        help="also benchmark each model in dynamic int8 (nn.Linear layers)")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT_S, metavar="S",
                        help="stop a TorchScript file that has not finished loading and "
                        "benchmarking after S seconds (default %(default)g); it runs in a "
                        "separate process, as its code may never return")
    parser.add_argument("--runs-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=bench_command)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds > 0")
    return value


def bench_command(args: argparse.Namespace) -> int:
    runs_dir = args.runs_dir or default_runs_dir()
    models = [loaded for target in args.targets
              for loaded in resolve_target(target, runs_dir, args.input_shape, args.classes)]
    settings = {"latency_repeats": args.repeats, "warmup": max(0, args.warmup),
                "throughput_batch": args.batch, "threads": args.threads}
    print(f"benchmarking {len(models)} model(s)...", file=sys.stderr)
    try:
        result = bench_targets(models, settings, int8=args.int8, timeout=args.timeout)
    except ForeignModelError as error:  # it started: a failure during, not bad input
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(to_text(result["models"], COLUMNS))
    for row in result["models"]:
        for note in row["notes"]:
            print(f"note: {row['model']}: {note}")
    print(f"machine: {describe_machine(result['machine'])}; latency at batch 1 over "
          f"{args.repeats} runs after {settings['warmup']} warm-up; throughput at batch "
          f"{args.batch}; FLOPs per sample (torch's counter); peak memory at batch 1")
    return 0
