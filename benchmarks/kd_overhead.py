"""What distillation from cached teacher logits costs per student epoch, and what the
engine costs over a minimal hand-written PyTorch loop doing the same work.

Goals (issue: headless core): KD epoch <= 1.15x a plain epoch of the same student;
engine epoch <= 1.05x the hand-written loop. Ratios are measured side by side,
variants interleaved in rotating order, each ratio taken within a round, medians
over rounds.

    python benchmarks/kd_overhead.py [--rounds 5] [--threads N]
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import interleaved_samples, load_preset, paired_ratio  # noqa: E402

from workbench.core.data.prepare import load_dataset, prepare  # noqa: E402
from workbench.core.distill.losses import soft_targets  # noqa: E402
from workbench.core.distill.step_loss import cross_entropy_objective, kd_objective  # noqa: E402
from workbench.core.data.batches import TrainSet  # noqa: E402
from workbench.core.stream.control import RunControl  # noqa: E402
from workbench.core.engine.loop import Hooks, PhaseSpec, fit  # noqa: E402
from workbench.core.models import build_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--preset", default="fashion-kd", help="experiment whose student and "
                        "training recipe are timed (its teacher is not used)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    preset, dataset_name = load_preset(args.preset, ["train.epochs=1", "train.schedule=constant"])
    data = prepare(load_dataset(preset.data), preset.data, 0, torch.device("cpu"))
    classes = data.dataset.num_classes
    teacher_logits = torch.randn(data.inputs.shape[0], classes) * 3  # cost does not depend on values
    alpha, temperature = preset.distill.alpha, preset.distill.temperature
    targets = soft_targets(teacher_logits, temperature)
    extras = {"probs": targets.probs, "neg_entropy": targets.neg_entropy}
    rows = data.train_rows
    recipe = preset.train
    hooks = Hooks(lambda event: None, RunControl())

    def student() -> torch.nn.Module:
        torch.manual_seed(0)
        return build_model(preset.student.architecture, preset.student.args,
                           data.dataset.input_shape, classes)

    def engine(kd: bool) -> None:
        train_set = TrainSet(data.inputs, data.labels, rows, extras if kd else {})

        fit(PhaseSpec(recipe, 0), ["student"], [student()],
            kd_objective(alpha, temperature) if kd else cross_entropy_objective, train_set, None,
            hooks)

    def hand_written(kd: bool) -> None:
        model = student()
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
        generator = torch.Generator().manual_seed(0)
        model.train()
        for positions in torch.randperm(rows.shape[0], generator=generator).split(recipe.batch_size):
            # the same row gather as the engine, so the ratio is the engine's own overhead
            index = rows.index_select(0, positions)
            logits = model(data.inputs.index_select(0, index))
            loss = F.cross_entropy(logits, data.labels.index_select(0, index))
            if kd:
                log_student = F.log_softmax(logits / temperature, dim=1)
                soft = F.kl_div(log_student, targets.probs.index_select(0, index),
                                reduction="batchmean")
                loss = alpha * loss + (1 - alpha) * temperature ** 2 * soft
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    samples = interleaved_samples({"engine plain": lambda: engine(False),
                                   "engine kd": lambda: engine(True),
                                   "hand plain": lambda: hand_written(False),
                                   "hand kd": lambda: hand_written(True)}, args.rounds)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"data: {dataset_name}, {rows.shape[0]} training images, student "
          f"{preset.student.name}, batch {recipe.batch_size}, threads {torch.get_num_threads()}, "
          f"{args.rounds} rounds (median seconds per epoch)")
    for name, seconds in medians.items():
        print(f"  {name:<13} {seconds:7.3f} s")
    print("ratios taken round by round: median [quartiles]")
    for label, numerator, denominator, goal in (
            ("KD from cached logits / plain epoch (engine)", "engine kd", "engine plain", 1.15),
            ("engine / hand-written loop, plain", "engine plain", "hand plain", 1.05),
            ("engine / hand-written loop, KD", "engine kd", "hand kd", 1.05)):
        ratio, low, high = paired_ratio(samples, numerator, denominator)
        print(f"{label + ':':<46} {ratio:.3f}x [{low:.3f}-{high:.3f}]  (goal <= {goal})")
    if not all(math.isfinite(value) for value in medians.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
