"""Checkpoints: plain weights only, and clear errors for files that do not fit."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from workbench.core.models.weights import (load_weights, read_state_dict, save_checkpoint,
                                               weights_digest)
from workbench.core.errors import PresetError
from workbench.core.models import build_model


def mlp(hidden: int, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("mlp", {"hidden": [hidden]}, (1, 28, 28), 10)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    source, target = mlp(8, seed=0), mlp(8, seed=1)
    assert weights_digest(source) != weights_digest(target)
    path = tmp_path / "ckpt" / "student.pt"
    save_checkpoint(path, source, {"architecture": "mlp"})
    assert [child.name for child in path.parent.iterdir()] == ["student.pt"]  # no temp file
    assert load_weights(target, path) == {"architecture": "mlp"}
    assert weights_digest(source) == weights_digest(target)


def test_a_bare_state_dict_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bare.pt"
    torch.save(mlp(8).state_dict(), path)
    state, meta = read_state_dict(path)
    assert meta == {} and set(state) == set(mlp(8).state_dict())


def test_weights_that_do_not_fit_name_the_file_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "wide.pt"
    save_checkpoint(path, mlp(16), {})
    with pytest.raises(PresetError) as raised:
        load_weights(mlp(8), path, field="teacher.weights")
    [problem] = raised.value.problems
    assert problem.path == "teacher.weights"
    assert str(path) in str(raised.value) and "shape differs" in problem.message


class Payload:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_code_is_refused(tmp_path: Path) -> None:
    path, marker = tmp_path / "evil.pt", tmp_path / "ran"
    with open(path, "wb") as handle:
        pickle.dump({"state_dict": Payload(marker)}, handle, protocol=2)
    with pytest.raises(PresetError, match="weights_only"):
        read_state_dict(path)
    assert not marker.exists()
