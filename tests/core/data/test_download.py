"""download_idx against a file:// mirror: checked before kept, nothing left on failure."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.download import download_idx
from workbench.core.data.idx import read_idx
from workbench.core.errors import DataError

from tests.core.data.conftest import WriteIdxSet


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_downloads_the_four_files_from_a_file_url(tmp_path: Path, idx_set: WriteIdxSet) -> None:
    mirror = tmp_path / "mirror"
    arrays = idx_set(mirror)
    destination = tmp_path / "downloaded"
    assert download_idx("fashion-mnist", destination, base_url=mirror.as_uri()) == destination
    assert files_under(destination) == files_under(mirror)
    assert np.array_equal(read_idx(destination / "train-images-idx3-ubyte.gz"),
                          arrays["train_images"])
    assert np.array_equal(read_idx(destination / "t10k-labels-idx1-ubyte.gz"),
                          arrays["test_labels"])


def test_the_mirror_can_come_from_the_environment(tmp_path: Path, idx_set: WriteIdxSet,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    idx_set(mirror)
    monkeypatch.setenv("WORKBENCH_DATA_MIRROR", mirror.as_uri() + "/")
    download_idx("mnist", tmp_path / "out")
    assert len(files_under(tmp_path / "out")) == 4


def test_a_mirror_whose_files_do_not_pair_up_is_refused(tmp_path: Path,
                                                         idx_set: WriteIdxSet) -> None:
    mirror = tmp_path / "mirror"
    idx_set(mirror, train_labels=150)
    destination = tmp_path / "downloaded"
    with pytest.raises(DataError, match="do not pair up"):
        download_idx("fashion-mnist", destination, base_url=mirror.as_uri())
    assert files_under(destination) == []


def test_a_corrupt_file_on_the_mirror_leaves_nothing_behind(tmp_path: Path,
                                                            idx_set: WriteIdxSet) -> None:
    mirror = tmp_path / "mirror"
    idx_set(mirror)
    victim = mirror / "t10k-images-idx3-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:40])
    destination = tmp_path / "downloaded"
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        download_idx("fashion-mnist", destination, base_url=mirror.as_uri())
    assert files_under(destination) == []


def test_a_missing_file_on_the_mirror_names_the_url(tmp_path: Path, idx_set: WriteIdxSet) -> None:
    mirror = tmp_path / "mirror"
    idx_set(mirror)
    os.remove(mirror / "train-labels-idx1-ubyte.gz")
    destination = tmp_path / "downloaded"
    with pytest.raises(DataError) as raised:
        download_idx("fashion-mnist", destination, base_url=mirror.as_uri())
    assert (mirror / "train-labels-idx1-ubyte.gz").as_uri() in str(raised.value)
    assert files_under(destination) == []


def test_a_failed_download_keeps_files_already_there(tmp_path: Path, idx_set: WriteIdxSet) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    idx_set(good, seed=1)
    idx_set(bad, train_labels=10)
    destination = tmp_path / "downloaded"
    download_idx("fashion-mnist", destination, base_url=good.as_uri())
    before = {name: (destination / name).read_bytes() for name in files_under(destination)}
    with pytest.raises(DataError):
        download_idx("fashion-mnist", destination, base_url=bad.as_uri())
    assert {name: (destination / name).read_bytes() for name in files_under(destination)} == before


def test_a_dataset_without_a_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no download source"):
        download_idx("synthetic", tmp_path / "out")
