"""A streamed run trains the same student as the in-memory run of the same data and seed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.core.conftest import tiny_preset
from workbench.core.models.saved import read_state_dict
from workbench.core.stream.events import EpochEnded, PhaseEnded

STREAMED = ["data.memory_limit_mb=1", "data.workers=1"]  # 1,000 images of 28x28 > 1 MiB


def _run(tmp_path: Path, name: str, *overrides: str) -> dict[str, Any]:
    from workbench.core.engine.pipeline import run_experiment
    from workbench.core.runs.store import RunStore

    preset = tiny_preset(*overrides)
    events: list[Any] = []
    store = RunStore(tmp_path / name, preset)
    result = run_experiment(preset, callbacks=[events.append], recorder=store)
    state, _ = read_state_dict(tmp_path / name / result.run_id / "ckpt" / "student.pt")
    losses = [(event.phase, event.metrics["train_loss"], event.metrics["val_loss"])
              for event in events if isinstance(event, EpochEnded)]
    cache = next(event for event in events
                 if isinstance(event, PhaseEnded) and event.phase == "cache")
    return {"summary": result.summary, "student": state, "losses": losses,
            "cache": cache.metrics}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, memoized_synthetic: None
         ) -> dict[str, dict[str, Any]]:
    base = tmp_path_factory.mktemp("streamed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_CACHE_DIR", str(base / "cache"))
        return {"memory": _run(base, "memory"),
                "float32": _run(base, "float32", *STREAMED, "data.cache_dtype=float32"),
                "float16": _run(base, "float16", *STREAMED)}


def test_the_streamed_run_really_streamed(runs: dict[str, dict[str, Any]]) -> None:
    assert "stored" not in runs["memory"]["cache"]  # the in-memory float32 .pt cache
    assert runs["float32"]["cache"]["stored"] == "float32"
    assert runs["float16"]["cache"]["stored"] == "float16"
    assert runs["float32"]["summary"]["dataset"]["streamed"] is True
    assert runs["memory"]["summary"]["dataset"]["streamed"] is False


def test_streamed_and_in_memory_runs_train_the_same_student(
        runs: dict[str, dict[str, Any]]) -> None:
    memory, streamed = runs["memory"], runs["float32"]
    for (phase, loss, val_loss), (phase2, loss2, val_loss2) in zip(memory["losses"],
                                                                  streamed["losses"]):
        assert phase == phase2
        assert loss2 == pytest.approx(loss, rel=1e-5) and val_loss2 == pytest.approx(val_loss,
                                                                                     rel=1e-5)
    for name, weights in memory["student"].items():
        torch.testing.assert_close(streamed["student"][name], weights, rtol=1e-5, atol=1e-6)
    for model in ("teacher", "student", "baseline"):
        assert (streamed["summary"]["models"][model]["accuracy"]
                == pytest.approx(memory["summary"]["models"][model]["accuracy"], abs=1e-9))


def test_float16_teacher_outputs_leave_accuracy_where_it_was(
        runs: dict[str, dict[str, Any]]) -> None:
    memory, half = runs["memory"]["summary"]["models"], runs["float16"]["summary"]["models"]
    assert half["teacher"]["accuracy"] == memory["teacher"]["accuracy"]  # test logits: float32
    assert half["student"]["accuracy"] == pytest.approx(memory["student"]["accuracy"], abs=0.01)
