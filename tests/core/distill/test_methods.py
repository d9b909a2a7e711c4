"""The three ways to distil (offline, online, self) and black-box teachers, end to end."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.core.conftest import tiny_preset
from workbench.core.distill import METHODS
from workbench.core.distill.online import mutual_losses
from workbench.core.stream.events import EpochEnded, PhaseStarted, StepEnded
from workbench.core.engine.pipeline import run_experiment
from workbench.core.errors import PresetError
from workbench.core.runs.store import RunStore


@pytest.fixture(autouse=True)
def _fast_synthetic(memoized_synthetic: None) -> None:
    """Reuse the session's synthetic images."""


def _run(runs_dir: Path, *overrides: str) -> tuple[Any, list[Any], Path]:
    preset = tiny_preset(*overrides)
    events: list[Any] = []
    store = RunStore(runs_dir, preset)
    result = run_experiment(preset, callbacks=[events.append], recorder=store)
    return result, events, store.path


def _weights(run_dir: Path, name: str) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "ckpt" / f"{name}.pt", weights_only=True)["state_dict"]


def test_every_method_declares_typed_parameters_with_help() -> None:
    assert {"offline", "online", "self"} <= set(METHODS.names())
    for name in METHODS.names():
        params = {param.name: param for param in METHODS.get(name).params}
        assert {"alpha", "temperature"} <= set(params), name
        assert all(param.help for param in params.values())
    assert METHODS.get("online").params[0].name == "peers"
    assert METHODS.get("self").params[0].name == "generations"


def test_method_parameters_are_validated_from_their_declaration() -> None:
    with pytest.raises(PresetError) as raised:
        tiny_preset("distill.method=online", "distill.peers=1", "distill.generations=2")
    paths = {problem.path for problem in raised.value.problems}
    assert paths == {"distill.peers", "distill.generations"}  # generations belongs to 'self'


def test_mutual_losses_match_a_reference_and_do_not_flow_into_peers() -> None:
    torch.manual_seed(0)
    first = torch.randn(6, 10, requires_grad=True)
    second = torch.randn(6, 10, requires_grad=True)
    labels = torch.randint(0, 10, (6,))
    temperature, alpha = 3.0, 0.25
    (total, hard, soft), _ = mutual_losses([first, second], labels, alpha, temperature, True)
    reference_soft = F.kl_div(F.log_softmax(first / temperature, 1),
                              F.softmax(second.detach() / temperature, 1), reduction="batchmean")
    assert torch.allclose(soft, reference_soft, atol=1e-6)
    assert torch.allclose(hard, F.cross_entropy(first, labels))
    assert torch.allclose(total, alpha * hard + (1 - alpha) * temperature ** 2 * soft)
    total.backward()
    assert second.grad is None  # peer 1's loss does not train peer 2


def test_each_of_three_peers_is_taught_by_the_mean_of_the_other_two() -> None:
    generator = torch.Generator().manual_seed(1)
    logits = [torch.randn(5, 4, generator=generator, requires_grad=True) for _ in range(3)]
    labels = torch.randint(0, 4, (5,), generator=generator)
    temperature, alpha = 2.0, 0.5
    losses = mutual_losses(logits, labels, alpha, temperature, True)
    for index, (_, _, soft) in enumerate(losses):
        own = F.log_softmax(logits[index] / temperature, 1)
        expected = sum(F.kl_div(own, F.softmax(other.detach() / temperature, 1),
                                reduction="batchmean")
                       for other_index, other in enumerate(logits) if other_index != index) / 2
        assert torch.allclose(soft, expected, atol=1e-6), index


def test_online_trains_every_peer_together_and_reports_each(tmp_path: Path) -> None:
    result, events, _ = _run(tmp_path, "distill.method=online", "distill.peers=3")
    names = {"student", "peer-2", "peer-3"}
    assert names | {"teacher", "baseline"} <= set(result.summary["models"])
    started = [event.phase for event in events if isinstance(event, PhaseStarted)]
    assert "cache" not in started  # online learning needs no teacher outputs
    for name in names:
        assert any(isinstance(event, EpochEnded) and event.phase == name for event in events)
    steps = {name: [event.step for event in events
                    if isinstance(event, StepEnded) and event.phase == name] for name in names}
    assert steps["student"] == steps["peer-2"] == steps["peer-3"]  # the same batches


def test_self_generation_zero_is_the_baseline_and_each_generation_is_reported(
        tmp_path: Path) -> None:
    result, events, run_dir = _run(tmp_path, "distill.method=self", "distill.generations=2")
    assert {"gen-0", "gen-1", "student", "baseline"} <= set(result.summary["models"])
    started = [event.phase for event in events if isinstance(event, PhaseStarted)]
    assert started.index("gen-0") < started.index("gen-1") < started.index("student")
    generation_zero, baseline = _weights(run_dir, "gen-0"), _weights(run_dir, "baseline")
    assert all(torch.equal(generation_zero[key], baseline[key]) for key in baseline)
    last, previous = _weights(run_dir, "student"), _weights(run_dir, "gen-1")
    assert not all(torch.equal(last[key], previous[key]) for key in last)


def _teacher_files(run_dir: Path, folder: Path) -> dict[str, Path]:
    """A TorchScript copy of a run's teacher and its recorded outputs, as a user would make."""
    from workbench.core.data.dataset import normalize
    from workbench.core.data.synthetic import make_synthetic
    from workbench.core.models import build_model

    payload = torch.load(run_dir / "ckpt" / "teacher.pt", weights_only=True)
    meta = payload["meta"]
    model = build_model(meta["architecture"], meta["args"], tuple(meta["input_shape"]),
                        len(meta["classes"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    folder.mkdir()
    scripted = folder / "teacher.ts"
    torch.jit.save(torch.jit.script(model), scripted)
    dataset = make_synthetic(0)
    with torch.no_grad():
        train = model(normalize(dataset.train_images, "synthetic"))
        test = model(normalize(dataset.test_images, "synthetic"))
    np.savez(folder / "outputs.npz", train=train.softmax(1).numpy(), test=test.numpy())
    np.savetxt(folder / "bad.csv", train.numpy()[:, :7], delimiter=",")
    return {"script": scripted, "npz": folder / "outputs.npz", "bad": folder / "bad.csv",
            "teacher_accuracy": (test.argmax(1) == dataset.test_labels).float().mean().item()}


def test_black_box_teachers_teach_like_the_model_they_came_from(tmp_path: Path) -> None:
    _, _, reference_dir = _run(tmp_path / "runs", "distill.alpha=0", "data.labeled=300")
    files = _teacher_files(reference_dir, tmp_path / "files")
    scripted, _, scripted_dir = _run(tmp_path / "runs", f"teacher={files['script']}",
                                     "distill.alpha=0", "data.labeled=300")
    recorded, _, recorded_dir = _run(tmp_path / "runs", f"teacher={files['npz']}",
                                     "distill.alpha=0", "data.labeled=300")
    expected = _weights(reference_dir, "student")
    for run_dir in (scripted_dir, recorded_dir):
        learned = _weights(run_dir, "student")
        assert all(torch.allclose(learned[key], expected[key], atol=1e-4) for key in expected)
    teacher = recorded.summary["models"]["teacher"]
    assert teacher["params"] is None and teacher["source"] == "recorded outputs"
    assert teacher["accuracy"] == pytest.approx(files["teacher_accuracy"], abs=1e-6)
    assert scripted.summary["models"]["teacher"]["params"] > 0


def test_recorded_outputs_of_the_wrong_shape_name_the_field(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    np.save(folder / "short.npy", np.zeros((10, 10), dtype=np.float32))
    np.savetxt(folder / "narrow.csv", np.zeros((1200, 7)), delimiter=",")
    for name, words in (("short.npy", "rows"), ("narrow.csv", "expected (rows, 10)")):
        with pytest.raises(PresetError) as raised:
            _run(tmp_path / "runs", f"teacher={folder / name}")
        assert raised.value.problems[0].path == "teacher.weights"
        assert words in raised.value.problems[0].message
    assert not (tmp_path / "runs").exists()  # refused before anything was written


def test_a_black_box_cannot_be_the_student(tmp_path: Path) -> None:
    (tmp_path / "outputs.npy").write_bytes(b"")
    with pytest.raises(PresetError) as raised:
        tiny_preset(f"student={tmp_path / 'outputs.npy'}")
    assert any(problem.path == "student" and "only be a teacher" in problem.message
               for problem in raised.value.problems)
