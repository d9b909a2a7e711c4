"""Finding and loading IDX datasets from data.root, WORKBENCH_DATA and the cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.data.prepare import load_dataset
from workbench.core.errors import DataError
from workbench.core.presets import load_experiment
from workbench.core.config.section import Section

from tests.core.data.conftest import WriteIdxSet


def data_section(root: Path | None, *, dataset: str = "fashion-mnist",
                 download: bool = False) -> Section:
    overrides = [f"data.dataset={dataset}", f"data.download={str(download).lower()}"]
    if root is not None:
        overrides.append(f"data.root='{root}'")
    return load_experiment("synthetic-quick", overrides=overrides).data


def assert_loaded(dataset, arrays: dict[str, np.ndarray], folder: Path) -> None:
    assert dataset.name == "fashion-mnist"
    assert dataset.num_classes == 10
    assert dataset.classes[0] == "T-shirt/top"
    assert dataset.input_shape == (1, 28, 28)
    assert dataset.train_images.shape == (200, 1, 28, 28)
    assert dataset.test_images.shape == (50, 1, 28, 28)
    assert dataset.train_images.dtype == torch.uint8
    assert dataset.train_labels.dtype == torch.int64
    assert dataset.train_labels.shape == (200,) and dataset.test_labels.shape == (50,)
    assert torch.equal(dataset.train_images[:, 0], torch.from_numpy(arrays["train_images"]))
    assert torch.equal(dataset.test_labels, torch.from_numpy(arrays["test_labels"]).long())
    assert set(dataset.train_labels.tolist()) == set(range(10))
    assert Path(dataset.source) == folder


@pytest.mark.parametrize("gz", [True, False])
def test_found_through_data_root(tmp_path: Path, idx_set: WriteIdxSet, gz: bool) -> None:
    folder = tmp_path / "my-fashion"
    arrays = idx_set(folder, gz=gz)
    assert_loaded(load_dataset(data_section(folder)), arrays, folder)


def test_found_in_a_dataset_named_subfolder_of_data_root(tmp_path: Path,
                                                         idx_set: WriteIdxSet) -> None:
    folder = tmp_path / "datasets" / "fashion-mnist"
    arrays = idx_set(folder)
    assert_loaded(load_dataset(data_section(tmp_path / "datasets")), arrays, folder)


def test_found_through_workbench_data(isolated_folders: dict[str, Path],
                                      idx_set: WriteIdxSet) -> None:
    folder = isolated_folders["data"]
    arrays = idx_set(folder)
    assert_loaded(load_dataset(data_section(None)), arrays, folder)


def test_data_root_wins_over_workbench_data(tmp_path: Path, isolated_folders: dict[str, Path],
                                            idx_set: WriteIdxSet) -> None:
    idx_set(isolated_folders["data"], seed=1)
    arrays = idx_set(tmp_path / "preferred", seed=2)
    assert_loaded(load_dataset(data_section(tmp_path / "preferred")), arrays,
                  tmp_path / "preferred")


def test_a_corrupt_file_gives_a_data_error_naming_it(tmp_path: Path,
                                                     idx_set: WriteIdxSet) -> None:
    folder = tmp_path / "broken"
    idx_set(folder, gz=False)
    victim = folder / "train-labels-idx1-ubyte"
    victim.write_bytes(victim.read_bytes()[:-20])
    with pytest.raises(DataError) as raised:
        load_dataset(data_section(folder))
    assert str(victim) in str(raised.value)


def test_images_and_labels_that_do_not_pair_up(tmp_path: Path, idx_set: WriteIdxSet) -> None:
    folder = tmp_path / "mismatched"
    idx_set(folder, train_labels=190)
    with pytest.raises(DataError, match="do not pair up") as raised:
        load_dataset(data_section(folder))
    assert str(folder) in str(raised.value)


def test_missing_dataset_says_where_it_looked_and_how_to_fix_it(
        tmp_path: Path, isolated_folders: dict[str, Path]) -> None:
    root = tmp_path / "empty-root"
    root.mkdir()
    with pytest.raises(DataError) as raised:
        load_dataset(data_section(root, download=False))
    message = str(raised.value)
    assert "fashion-mnist" in message and "not found" in message
    for folder in (root, isolated_folders["data"],
                   isolated_folders["cache"] / "datasets" / "fashion-mnist"):
        assert str(folder) in message
    assert "data.root" in message and "WORKBENCH_DATA" in message
    assert "download" in message
    assert "Download failed" not in message  # downloading was not allowed, so not tried
    assert list(isolated_folders["cache"].iterdir()) == []


def test_missing_dataset_downloads_from_a_mirror_when_allowed(
        tmp_path: Path, isolated_folders: dict[str, Path], idx_set: WriteIdxSet,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    arrays = idx_set(mirror, gz=True)
    monkeypatch.setenv("WORKBENCH_DATA_MIRROR", mirror.as_uri())
    dataset = load_dataset(data_section(None, download=True))
    target = isolated_folders["cache"] / "datasets" / "fashion-mnist"
    assert_loaded(dataset, arrays, target)
    assert sorted(path.name for path in target.iterdir()) == sorted(
        path.name for path in mirror.iterdir())


def test_a_failed_download_is_reported_with_the_search(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    monkeypatch.setenv("WORKBENCH_DATA_MIRROR", empty.as_uri())
    with pytest.raises(DataError) as raised:
        load_dataset(data_section(None, download=True))
    message = str(raised.value)
    assert "not found" in message and "Download failed" in message
    assert "train-images-idx3-ubyte.gz" in message
