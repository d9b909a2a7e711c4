"""An ONNX file teaches: its onnxruntime outputs are the cached soft targets, and its
figures (accuracy, parameters, size, latency) reach the summary like any teacher's."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from workbench.core.data.prepare import load_dataset, prepare
from workbench.core.engine.pipeline import run_experiment
from workbench.core.engine.teacher_cache import TeacherLogitsCache
from workbench.core.models.onnx_teacher import OnnxTeacher, initializer_count
from workbench.core.models.weights import weights_digest
from workbench.core.stream.events import PhaseEnded

from tests.core.conftest import tiny_preset
from tests.core.teacher_files import small_model, write_onnx

SHAPE = (1, 28, 28)


@pytest.fixture(scope="module")
def onnx_teacher(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    model = small_model(SHAPE, 10)
    return model, write_onnx(model, SHAPE, tmp_path_factory.mktemp("onnx") / "teacher.onnx")


def test_the_cached_soft_targets_are_the_onnx_files_outputs(
        onnx_teacher: tuple[torch.nn.Module, Path]) -> None:
    model, path = onnx_teacher
    preset = tiny_preset(f"teacher={path}", "train.epochs=1", "train.baseline=false")
    memory, events = TeacherLogitsCache(), []
    result = run_experiment(preset, callbacks=[events.append], cache=memory)
    [cache_end] = [event for event in events
                   if isinstance(event, PhaseEnded) and event.phase == "cache"]
    assert cache_end.metrics["origin"] == "computed"
    train, test = memory.get(cache_end.metrics["key"])
    data = prepare(load_dataset(preset.data), preset.data, preset.train.seed,
                   torch.device("cpu"))
    with torch.inference_mode():
        expected_train, expected_test = model(data.inputs), model(data.test_inputs)
    assert train.shape == expected_train.shape and test.shape == expected_test.shape
    assert torch.allclose(train, expected_train, atol=1e-4, rtol=1e-4)
    assert torch.allclose(test, expected_test, atol=1e-4, rtol=1e-4)
    teacher = result.summary["models"]["teacher"]
    accuracy = (expected_test.argmax(1) == data.test_labels).float().mean().item()
    assert teacher["accuracy"] == pytest.approx(accuracy, abs=1 / len(data.test_labels))
    assert teacher["params"] == initializer_count(path) > 0
    assert teacher["size_bytes"] == path.stat().st_size
    assert teacher["latency_ms"] > 0 and teacher["throughput"] > 0
    assert teacher["flops"] is None  # onnxruntime's work is invisible to torch's counter
    assert result.summary["compression"] == teacher["params"] / result.summary["models"][
        "student"]["params"]


def test_a_graph_with_a_fixed_batch_of_one_is_fed_in_chunks(tmp_path: Path) -> None:
    model = small_model(SHAPE, 10, seed=2)
    teacher = OnnxTeacher(write_onnx(model, SHAPE, tmp_path / "b1.onnx", dynamic_batch=False))
    inputs = torch.randn(7, *SHAPE)
    with torch.inference_mode():
        assert torch.allclose(teacher(inputs), model(inputs), atol=1e-4, rtol=1e-4)


def test_the_cache_key_follows_the_files_content(
        onnx_teacher: tuple[torch.nn.Module, Path], tmp_path: Path) -> None:
    _model, path = onnx_teacher
    other = write_onnx(small_model(SHAPE, 10, seed=9), SHAPE, tmp_path / "teacher.onnx")
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(path.read_bytes())
    digest: Any = weights_digest(OnnxTeacher(path))
    assert weights_digest(OnnxTeacher(copy)) == digest  # a renamed copy reuses the cache
    assert weights_digest(OnnxTeacher(other)) != digest  # other weights: other outputs


def test_one_session_per_thread_count(onnx_teacher: tuple[torch.nn.Module, Path]) -> None:
    """The pass runs on every free core, latency on compare.threads: each gets its budget."""
    from workbench.core.measure.machine import torch_threads

    teacher = OnnxTeacher(onnx_teacher[1])
    for threads in (1, 2):
        with torch_threads(threads):
            session = teacher.session()
            assert session.get_session_options().intra_op_num_threads == threads


def test_weights_stored_beside_the_graph_count_in_the_key_and_the_size(tmp_path: Path) -> None:
    """ONNX keeps large weights in an external-data file: same graph, other weights must not
    reuse the cached outputs, and the teacher's size is both files."""
    import warnings

    model = small_model(SHAPE, 10)
    (tmp_path / "model").mkdir()
    path = tmp_path / "model" / "split.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, *SHAPE),), str(path), input_names=["input"],
                          dynamo=True, external_data=True)
    stored = [file for file in path.parent.iterdir() if file != path]
    assert len(stored) == 1  # the weights beside the graph
    teacher = OnnxTeacher(path)
    assert teacher.file_bytes == path.stat().st_size + stored[0].stat().st_size
    before = weights_digest(teacher)
    data = bytearray(stored[0].read_bytes())
    data[-4:] = b"\x00\x00\x80\x3f"  # one weight becomes 1.0
    stored[0].write_bytes(bytes(data))
    assert weights_digest(OnnxTeacher(path)) != before
