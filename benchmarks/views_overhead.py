"""What ``distill.views`` costs per student epoch, next to plain epochs.

Goal (issue: teaching strategies): with ``views: N`` a KD epoch costs <= 1.15x a plain
epoch over the same augmented data (the baseline a views run trains: labels only,
the same N views, the same steps). Also printed: a plain epoch over the images
themselves, so the price of drawing the views at every step is visible too.

Every variant runs the engine's real loop and ``ViewTrainSet`` on the preset's data;
the teacher's logits are random (the cost does not depend on their values). Variants
are interleaved in rotating order; each ratio is taken within a round, medians over
rounds (see _common.py).

    nice -n 10 python benchmarks/views_overhead.py [--rounds 5] [--views 4] [--preset fashion-kd]
        [--threads 1 --clock cpu]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from _common import interleaved_samples, load_preset, paired_ratio  # noqa: E402

from workbench.core.data.batches import TrainSet, natural_steps  # noqa: E402
from workbench.core.data.prepare import load_dataset, prepare  # noqa: E402
from workbench.core.data.views import ViewTrainSet, make_views  # noqa: E402
from workbench.core.distill.losses import soft_targets  # noqa: E402
from workbench.core.distill.step_loss import cross_entropy_objective, kd_objective  # noqa: E402
from workbench.core.engine.loop import Hooks, PhaseSpec, fit  # noqa: E402
from workbench.core.models import build_model  # noqa: E402
from workbench.core.stream.control import RunControl  # noqa: E402

GOAL = 1.15


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--preset", default="fashion-kd")
    parser.add_argument("--set", action="append", default=[], help="preset override")
    _common.add_clock_option(parser)
    args = parser.parse_args()
    _common.use_clock(args.clock)
    if args.threads:
        torch.set_num_threads(args.threads)
    preset, dataset_name = load_preset(args.preset, ["train.epochs=1", "train.schedule=constant",
                                                     *args.set])
    data = prepare(load_dataset(preset.data), preset.data, 0, torch.device("cpu"))
    classes, images = data.dataset.num_classes, int(data.inputs.shape[0])
    plan = make_views(args.views, images, 0)
    logits = torch.randn(args.views * images, classes,
                         generator=torch.Generator().manual_seed(0)) * 3
    targets = soft_targets(logits, preset.distill.temperature)
    extras = {"probs": targets.probs, "neg_entropy": targets.neg_entropy}
    steps = natural_steps(int(data.train_rows.shape[0]), preset.train.batch_size)
    hooks = Hooks(lambda event: None, RunControl())
    spec = PhaseSpec(preset.train, 0, steps)

    def student() -> torch.nn.Module:
        torch.manual_seed(0)
        return build_model(preset.student.architecture, preset.student.args,
                           data.dataset.input_shape, classes)

    def run(train_set: TrainSet, objective) -> None:  # noqa: ANN001
        fit(spec, ["student"], [student()], objective, train_set, None, hooks)

    plain = TrainSet(data.inputs, data.labels, data.train_rows)
    plain_views = ViewTrainSet(data.inputs, data.labels, data.train_rows, plan=plan)
    kd_views = ViewTrainSet(data.inputs, data.labels, data.train_rows, extras, plan=plan)
    kd = kd_objective(preset.distill.alpha, preset.distill.temperature)
    variants = {"plain": lambda: run(plain, cross_entropy_objective),
                "plain, views": lambda: run(plain_views, cross_entropy_objective),
                "kd, views": lambda: run(kd_views, kd)}
    samples = interleaved_samples(variants, args.rounds)
    print(f"data: {dataset_name}, {data.train_rows.shape[0]} training images, {args.views} "
          f"views, student {preset.student.name}, batch {preset.train.batch_size}, {steps} "
          f"steps per epoch, threads {torch.get_num_threads()}, {args.rounds} rounds, "
          f"{args.clock} clock")
    for name, values in samples.items():
        print(f"  {name:<14} {statistics.median(values):7.3f} s per epoch (median)")
    for numerator, denominator in (("kd, views", "plain, views"), ("plain, views", "plain")):
        ratio, low, high = paired_ratio(samples, numerator, denominator)
        goal = f"  (goal <= {GOAL})" if numerator == "kd, views" else ""
        print(f"  {numerator} / {denominator}: {ratio:.3f}x [{low:.3f}-{high:.3f}]{goal}")


if __name__ == "__main__":
    main()
