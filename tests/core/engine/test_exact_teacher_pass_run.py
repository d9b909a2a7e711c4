"""``data.teacher_pass: exact`` in a whole run: the cached logits are the teacher's own
forward, bit for bit, in a cache file of their own."""
from __future__ import annotations

from pathlib import Path

import torch

from tests.core.conftest import tiny_preset
from workbench.core.data.prepare import load_dataset, prepare
from workbench.core.engine.loop import predict
from workbench.core.engine.pipeline import run_experiment
from workbench.core.models.saved import load_checkpoint
from workbench.core.runs.store import RunStore


def _run(tmp_path: Path, cache: Path, *overrides: str) -> tuple[dict, Path]:
    preset = tiny_preset(*overrides)
    store = RunStore(tmp_path / "runs", preset)
    result = run_experiment(preset, recorder=store, cache_dir=cache)
    return result.summary, store.path


def test_the_exact_pass_caches_the_teachers_own_logits(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(tmp_path, cache, "train.baseline=false")
    files = set((cache / "teacher-logits").glob("*.pt"))
    _summary, run_dir = _run(tmp_path, cache, "train.baseline=false", "data.teacher_pass=exact")
    exact_files = set((cache / "teacher-logits").glob("*.pt")) - files
    assert len(files) == 1 and len(exact_files) == 1  # a file of its own, not the fast one's
    preset = tiny_preset("data.teacher_pass=exact")
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed, torch.device("cpu"))
    teacher = load_checkpoint(run_dir / "ckpt" / "teacher.pt").model.eval()
    stored = torch.load(exact_files.pop(), weights_only=True)
    with torch.inference_mode():
        assert torch.equal(stored["train"], predict(teacher, data.inputs))
        assert torch.equal(stored["test"], predict(teacher, data.test_inputs))
