"""``workbench run --nproc 2``: two gloo processes train what one process trains.

The preset is tiny (synthetic shapes, an MLP teacher trained in the run, an MLP
student, no BatchNorm, no dropout), so the two runs do the same arithmetic but for
the order of float sums: the gradient of each global batch is two half-batch
means weighted and summed instead of one mean. With 1,057 training rows, the
teacher's last batch of an epoch (batch 64) has 33 rows, split 17/16, so a rank
weight of 1/2 instead of 17/33 and 16/33 shows (it moved the teacher by 1.4e-3);
the student's and baseline's (batch 96) has 1 row, which leaves rank 1 nothing
of its own to train on.

Tolerance: one process against two, after 17 to 24 steps of each fit, the weights differed
by at most 2e-7 (float32 rounding; benchmarks/ddp.py). 1e-5 leaves 50 times that;
a rank that trains the wrong rows, an unweighted uneven batch or a missing gradient
sum moves weights by 1e-3 or more. Test accuracies are on 2,000 images: equal weights
to 1e-5 flip at most an image whose two top logits tie, so 1 image is allowed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import torch

PRESET = """\
schema: 1
kind: experiment
name: tiny-ddp
teacher: {architecture: mlp, args: {hidden: [32]}}
student: {architecture: mlp, args: {hidden: [16]}}
data: {dataset: synthetic, val_size: 200, train_limit: 1257, seed: 0}
distill: {method: offline, alpha: 0.5, temperature: 4.0}
train: {epochs: 2, batch_size: 96, lr: 0.003, optimizer: adam, schedule: cosine, seed: 0,
        threads: 1}
teacher_train: {epochs: 1, batch_size: 64, lr: 0.05, optimizer: sgd, schedule: constant}
compare: {latency_repeats: 3, warmup: 1, throughput_batch: 32}
"""
WEIGHT_TOLERANCE = 1e-5
TEST_IMAGES = 2000


def _start(preset: Path, runs: Path, cache: Path, *extra: str,
           **popen: Any) -> subprocess.Popen[str]:
    env = dict(os.environ, WORKBENCH_RUNS_DIR=str(runs), WORKBENCH_CACHE_DIR=str(cache))
    return subprocess.Popen([sys.executable, "-m", "workbench", "run", str(preset), "--json",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, **popen)


def _finish(process: subprocess.Popen[str]) -> tuple[int, dict, str]:
    stdout, stderr = process.communicate(timeout=240)  # a hang fails here, not forever
    assert process.returncode == 0, stderr
    return process.returncode, json.loads(stdout), stderr  # exactly one JSON object


def _weights(run_dir: Path, name: str) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "ckpt" / f"{name}.pt", weights_only=True)["state_dict"]


def _cache_file(cache: Path) -> dict[str, torch.Tensor]:
    files = list((cache / "teacher-logits").glob("*.pt"))
    assert len(files) == 1, files  # rank 0 alone wrote it, once
    return torch.load(files[0], weights_only=True)


# A moving T under DKD: the teacher's parts are made ahead for blocks of steps over the
# whole global batches, and each rank takes its own rows' parts (engine/steps_ahead.py).
MOVING_T_DKD = ("--set", "distill.loss=dkd", "--set", "distill.schedule=cosine",
                "--set", "distill.temperature_end=1.5")


@pytest.mark.parametrize("strategy", [(), MOVING_T_DKD], ids=["kd", "dkd-moving-t"])
def test_two_processes_train_the_weights_one_process_trains(tmp_path: Path,
                                                            strategy: tuple[str, ...]) -> None:
    preset = tmp_path / "tiny-ddp.yaml"
    preset.write_text(PRESET)
    one = _start(preset, tmp_path / "runs-1", tmp_path / "cache-1", *strategy)
    two = _start(preset, tmp_path / "runs-2", tmp_path / "cache-2", "--nproc", "2", *strategy)
    _, single, _ = _finish(one)
    _, double, stderr = _finish(two)

    assert [path.name for path in (tmp_path / "runs-2").iterdir()] == [Path(double["run_dir"]).name]
    run_dir = Path(double["run_dir"])
    assert json.loads((run_dir / "summary.json").read_text())["ranks"] == 2
    started = [line for line in (run_dir / "metrics.jsonl").read_text().splitlines()
               if json.loads(line)["event"] == "run_started"]
    assert len(started) == 1  # one writer
    assert stderr.count("run completed") == 1  # rank 1 printed nothing
    for name in ("teacher", "student", "baseline"):  # teacher fit, KD fit, baseline fit
        mine, theirs = _weights(Path(single["run_dir"]), name), _weights(run_dir, name)
        gap = max((mine[key] - theirs[key]).abs().max().item() for key in mine)
        assert gap < WEIGHT_TOLERANCE, (name, gap)
    for name, figures in single["models"].items():
        assert abs(figures["accuracy"] - double["models"][name]["accuracy"]) <= 1 / TEST_IMAGES
    sharded, whole = _cache_file(tmp_path / "cache-2"), _cache_file(tmp_path / "cache-1")
    for part in ("train", "test"):  # each rank's rows came back in their place
        assert sharded[part].shape == whole[part].shape
        assert torch.allclose(sharded[part], whole[part], atol=1e-5)


def test_a_batch_that_does_not_split_is_refused_before_the_run(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    env = dict(os.environ, WORKBENCH_RUNS_DIR=str(runs))
    result = subprocess.run([sys.executable, "-m", "workbench", "run", "synthetic-quick",
                             "--nproc", "2", "--set", "train.batch_size=63",
                             "--set", "distill.method=online", "--json"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "train.batch_size: 63 rows do not split evenly over 2 processes" in result.stderr
    assert "distill.method: 'online' cannot train over several processes" in result.stderr
    assert json.loads(result.stdout)["status"] == "invalid"
    assert not runs.exists() or not any(runs.iterdir())  # nothing started


def _rank_process(launcher: subprocess.Popen[str], rank: str) -> psutil.Process | None:
    for child in psutil.Process(launcher.pid).children(recursive=True):
        try:
            if child.environ().get("RANK") == rank and "LOCAL_RANK" in child.environ():
                return child
        except psutil.Error:
            continue
    return None


def _long_run_started(tmp_path: Path, **popen: Any) -> tuple[subprocess.Popen[str], Path,
                                                              psutil.Process]:
    """A 2-process run of minutes (it cannot end by itself first), once rank 1 exists and
    rank 0 has made the run folder; returns (launcher, runs folder, rank 1)."""
    preset = tmp_path / "tiny-ddp.yaml"
    preset.write_text(PRESET)
    runs = tmp_path / "runs"
    launcher = _start(preset, runs, tmp_path / "cache", "--nproc", "2",
                      "--set", "train.epochs=500", **popen)
    victim = None
    for _ in range(600):
        victim = victim or _rank_process(launcher, "1")
        if victim is not None and runs.is_dir() and any(runs.iterdir()):
            break
        time.sleep(0.1)
    assert victim is not None, launcher.communicate(timeout=60)
    return launcher, runs, victim


def test_a_rank_that_dies_ends_the_run_with_exit_1_and_a_message_not_a_hang(
        tmp_path: Path) -> None:
    launcher, runs, victim = _long_run_started(tmp_path)
    victim.kill()
    stdout, stderr = launcher.communicate(timeout=120)  # a hang fails here
    assert launcher.returncode == 1, stderr
    assert "another process of the run failed" in stderr
    assert json.loads(stdout)["status"] == "failed"  # rank 0 still printed the one JSON
    (run_dir,) = runs.iterdir()
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "failed"


def test_ctrl_c_stops_every_rank_after_the_same_step_and_rank_0_saves_the_run(
        tmp_path: Path) -> None:
    launcher, runs, _ = _long_run_started(tmp_path, start_new_session=True)
    os.killpg(launcher.pid, signal.SIGINT)  # what a terminal's Ctrl+C does: the whole group
    stdout, stderr = launcher.communicate(timeout=120)  # a rank left behind would hang here
    assert launcher.returncode == 130, stderr
    assert json.loads(stdout)["status"] == "stopped"
    (run_dir,) = runs.iterdir()
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "stopped"
