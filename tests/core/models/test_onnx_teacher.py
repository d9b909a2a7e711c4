"""An ONNX teacher called like a torch module: batches that do not fill a fixed-batch
graph, copies, and graphs that are not a teacher's (one float image input)."""
from __future__ import annotations

import copy
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from workbench.core.errors import PresetError
from workbench.core.models.onnx_teacher import OnnxTeacher

from tests.core.teacher_files import require_onnx_tools, small_model

FEATURES = (20,)


def _export(model: nn.Module, example: tuple[torch.Tensor, ...], path: Path) -> Path:
    """A fixed-shape graph (the batch of ``example``), as torch.onnx.export writes it."""
    require_onnx_tools()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, str(path), dynamo=True, external_data=False)
    return path


def test_a_fixed_batch_of_three_pads_the_last_chunk_and_returns_only_real_rows(
        tmp_path: Path) -> None:
    model = small_model(FEATURES, 4)
    teacher = OnnxTeacher(_export(model, (torch.zeros(3, *FEATURES),), tmp_path / "b3.onnx"))
    inputs = torch.randn(7, *FEATURES)  # chunks of 3, 3 and 1 (padded with two zero rows)
    with torch.inference_mode():
        logits, expected = teacher(inputs), model(inputs)
    assert logits.shape == (7, 4)
    assert torch.allclose(logits, expected, atol=1e-5, rtol=1e-5)


def test_a_copy_makes_its_own_sessions_and_gives_the_same_outputs(tmp_path: Path) -> None:
    model = small_model(FEATURES, 4)
    teacher = OnnxTeacher(_export(model, (torch.zeros(2, *FEATURES),), tmp_path / "t.onnx"))
    teacher(torch.zeros(2, *FEATURES))
    twin = copy.deepcopy(teacher)  # what a sweep worker or a pruning copy does
    assert twin.session() is not teacher.session()  # onnxruntime sessions are not shared
    inputs = torch.randn(2, *FEATURES)
    assert torch.equal(twin(inputs), teacher(inputs))


class _TwoInputs(nn.Module):
    def forward(self, images: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        return images[:, :3] + extra


class _IntegerInput(nn.Module):
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images[:, :3].float()


def test_a_graph_with_two_inputs_or_integer_input_is_refused_with_its_reason(
        tmp_path: Path) -> None:
    two = _export(_TwoInputs(), (torch.zeros(1, 5), torch.zeros(1, 3)), tmp_path / "two.onnx")
    with pytest.raises(PresetError) as caught:
        OnnxTeacher(two)
    [problem] = caught.value.problems
    assert problem.path == "teacher.weights" and "takes 2 inputs" in problem.message
    ints = _export(_IntegerInput(), (torch.zeros(1, 5, dtype=torch.int64),),
                   tmp_path / "ints.onnx")
    with pytest.raises(PresetError) as caught:
        OnnxTeacher(ints)
    assert "tensor(int64)" in caught.value.problems[0].message
