"""A tiny lineage: a synthetic teacher with weights, and students trained from it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.conftest import TINY, RecordedRun

TEACHER_ARGS = "{channels: [16, 32], convs_per_block: 1, batch_norm: true, hidden: 64}"


def lineage_preset(folder: Path, teacher_weights: Path, alpha: float = 0.0) -> Path:
    """synthetic-quick, tiny, with the trained teacher's weights: no teacher phase."""
    path = folder / "tiny-lineage.yaml"
    path.write_text(f"""schema: 1
kind: experiment
name: tiny-lineage
teacher: {{architecture: cnn, args: {TEACHER_ARGS}, weights: {teacher_weights}}}
student: synthetic-mlp
data: {{dataset: synthetic, val_size: 200, seed: 0, train_limit: 1200}}
distill: {{method: offline, alpha: {alpha}, temperature: 4.0}}
train: {{epochs: 2, batch_size: 128, lr: 0.003, schedule: cosine, seed: 0, threads: 1}}
compare: {{latency_repeats: 1, warmup: 0, throughput_batch: 32}}
""", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Lineage:
    teacher: Path
    preset: Path
    pairs: list
    work_dir: Path


@pytest.fixture(scope="session")
def lineage(tiny_run: RecordedRun, tmp_path_factory: pytest.TempPathFactory) -> Lineage:
    """Six runs of a tiny preset: six students distilled from the teacher (outputs
    only) and six labels-only baselines, seeds 1000-1005."""
    from workbench.core.lineage.references import train_pairs

    assert TINY  # the same tiny sizes as the shared run
    base = tmp_path_factory.mktemp("lineage")
    teacher = tiny_run.folder / "ckpt" / "teacher.pt"
    preset = lineage_preset(base, teacher)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_CACHE_DIR", str(base / "cache"))
        pairs = train_pairs(preset, 6, base / "runs")
    return Lineage(teacher, preset, pairs, base / "runs")
