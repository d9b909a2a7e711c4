"""What schedules, curricula and DKD cost per student epoch, next to a plain epoch.

Goal (issue: teaching strategies): a KD epoch with a schedule, a curriculum or DKD
stays <= 1.15x a plain epoch of the same student. Every variant runs the engine's
real loop and the real ``TeachingStrategy`` (train set, sampler, objective) on the
preset's data; the teacher's logits are random (the cost does not depend on their
values). Variants are interleaved in rotating order, each ratio is taken within a
round, medians over rounds (see _common.py).

    nice -n 10 python benchmarks/teaching_overhead.py [--rounds 5] [--preset fashion-kd] \
        [--threads 1 --clock cpu]
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Mapping
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from _common import interleaved_samples, load_preset, paired_ratio  # noqa: E402

from workbench.core.data.batches import TrainSet  # noqa: E402
from workbench.core.data.prepare import load_dataset, prepare  # noqa: E402
from workbench.core.distill.losses import soft_targets  # noqa: E402
from workbench.core.distill.schedule import Schedule  # noqa: E402
from workbench.core.distill.step_loss import Objective, cross_entropy_objective  # noqa: E402
from workbench.core.distill.strategy import TeachingStrategy  # noqa: E402
from workbench.core.engine.loop import Hooks, PhaseSpec, fit  # noqa: E402
from workbench.core.models import build_model  # noqa: E402
from workbench.core.stream.control import RunControl  # noqa: E402

GOAL = 1.15


class TrainSets:
    """The two train-set makers a strategy asks a run context for, over the same rows."""

    def __init__(self, inputs: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor) -> None:
        self.inputs, self.labels, self.rows = inputs, labels, rows

    def student_train_set(self, extras: Mapping[str, torch.Tensor] | None = None) -> TrainSet:
        return TrainSet(self.inputs, self.labels, self.rows, dict(extras or {}))

    def distill_train_set(self, teacher_logits: torch.Tensor, temperature: float) -> TrainSet:
        targets = soft_targets(teacher_logits, temperature)
        return self.student_train_set({"probs": targets.probs,
                                       "neg_entropy": targets.neg_entropy})


class StepByStep:
    """An objective with nothing read ahead (engine/steps_ahead.py): with a moving T the
    teacher's side is made for every batch."""

    prepare = None

    def __init__(self, inner: Objective) -> None:
        self.inner = inner

    def __call__(self, logits, batch):  # noqa: ANN001, ANN204
        return self.inner(logits, batch)

    def metrics(self, progress):  # noqa: ANN001, ANN201
        return self.inner.metrics(progress)  # type: ignore[attr-defined]


def strategies(alpha: float, temperature: float) -> dict[str, TeachingStrategy]:
    constant = Schedule("constant", alpha, temperature)
    moving = Schedule("cosine", alpha, temperature, alpha_end=0.9, temperature_end=1.0)
    return {
        "kd": TeachingStrategy(constant),
        "kd + schedule": TeachingStrategy(moving),
        "kd + easy-first": TeachingStrategy(constant, curriculum="easy-first"),
        "kd + self-paced": TeachingStrategy(constant, curriculum="self-paced"),
        "dkd": TeachingStrategy(constant, loss="dkd"),
        "dkd + all": TeachingStrategy(moving, loss="dkd", dkd_warmup=1,
                                      curriculum="self-paced", pacing="root"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--preset", default="fashion-kd", help="experiment whose student and "
                        "training recipe are timed (its teacher is not used)")
    parser.add_argument("--set", action="append", default=[], help="preset override")
    _common.add_clock_option(parser)
    args = parser.parse_args()
    _common.use_clock(args.clock)
    if args.threads:
        torch.set_num_threads(args.threads)
    preset, dataset_name = load_preset(args.preset, ["train.epochs=1", "train.schedule=constant",
                                                     *args.set])
    data = prepare(load_dataset(preset.data), preset.data, 0, torch.device("cpu"))
    classes = data.dataset.num_classes
    teacher_logits = torch.randn(data.inputs.shape[0], classes,
                                 generator=torch.Generator().manual_seed(0)) * 3
    sets = TrainSets(data.inputs, data.labels, data.train_rows)
    hooks = Hooks(lambda event: None, RunControl())

    def student() -> torch.nn.Module:
        torch.manual_seed(0)
        return build_model(preset.student.architecture, preset.student.args,
                           data.dataset.input_shape, classes)

    def plain() -> None:
        fit(PhaseSpec(preset.train, 0), ["student"], [student()], cross_entropy_objective,
            sets.student_train_set(), None, hooks)

    def taught(strategy: TeachingStrategy) -> None:
        train_set = strategy.train_set(sets, teacher_logits)  # type: ignore[arg-type]
        fit(PhaseSpec(preset.train, 0), ["student"], [student()], strategy.objective(train_set),
            train_set, None, hooks)

    def step_by_step(strategy: TeachingStrategy) -> None:
        """The teacher's side made at every step, as before steps were read ahead."""
        train_set = strategy.train_set(sets, teacher_logits)  # type: ignore[arg-type]
        fit(PhaseSpec(preset.train, 0), ["student"], [student()],
            StepByStep(strategy.objective(train_set)), train_set, None, hooks)

    variants = {"plain": plain}
    for name, strategy in strategies(preset.distill.alpha, preset.distill.temperature).items():
        variants[name] = lambda strategy=strategy: taught(strategy)
    everything = strategies(preset.distill.alpha, preset.distill.temperature)["dkd + all"]
    variants["dkd + all, step by step"] = lambda: step_by_step(everything)
    variants["dkd, again"] = variants["dkd"]  # the same work twice: the noise floor
    samples = interleaved_samples(variants, args.rounds)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"data: {dataset_name}, {data.train_rows.shape[0]} training images, student "
          f"{preset.student.name}, batch {preset.train.batch_size}, threads "
          f"{torch.get_num_threads()}, {args.rounds} rounds, {args.clock} clock (median "
          "seconds per epoch)")
    for name, seconds in medians.items():
        print(f"  {name:<24} {seconds:7.3f} s")
    print("epoch cost / plain epoch, taken round by round: median [quartiles]")
    for name in variants:
        if name == "plain":
            continue
        ratio, low, high = paired_ratio(samples, name, "plain")
        print(f"  {name + ':':<25} {ratio:.3f}x [{low:.3f}-{high:.3f}]  (goal <= {GOAL})")
    for numerator, denominator, what in (
            ("dkd + all", "dkd + all, step by step", "read ahead / step by step, dkd + all"),
            ("dkd, again", "dkd", "the same work twice (noise floor): dkd, again / dkd")):
        ratio, low, high = paired_ratio(samples, numerator, denominator)
        print(f"{what}: {ratio:.3f}x [{low:.3f}-{high:.3f}]")
    if not all(math.isfinite(value) for value in medians.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
