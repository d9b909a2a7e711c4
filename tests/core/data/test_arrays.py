"""arrays: .npz / .npy of images or feature vectors, and the arrays that must be refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.data.dataset import normalize
from workbench.core.data.registry import load_named
from workbench.core.errors import DataError
from tests.core.user_files import write_npz


def load(root: Path, **values: object):  # noqa: ANN201 - an ImageDataset
    return load_named("arrays", root=str(root), **values)


def test_feature_vectors_keep_values_labels_classes_and_get_per_feature_statistics(
        tmp_path: Path) -> None:
    written = write_npz(tmp_path / "blobs.npz")
    dataset = load(tmp_path / "blobs.npz")
    assert dataset.is_features and dataset.input_shape == (4,)
    assert dataset.classes == ("low", "mid", "high")
    assert torch.equal(dataset.train_images, torch.from_numpy(written["x_train"]))
    assert dataset.train_labels.tolist() == written["y_train"].tolist()
    assert dataset.test_labels.tolist() == written["y_test"].tolist()
    np.testing.assert_allclose(dataset.mean, written["x_train"].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(dataset.std, written["x_train"].std(axis=0), rtol=1e-5)
    standardised = normalize(dataset.train_images, dataset)
    np.testing.assert_allclose(standardised.mean(dim=0), 0.0, atol=1e-5)


@pytest.mark.parametrize("layout, shape", [("nhw", (20, 5, 6)), ("nhwc", (20, 5, 6, 3)),
                                           ("nchw", (20, 3, 5, 6))])
def test_image_layouts_become_channels_first(tmp_path: Path, layout: str,
                                             shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, shape, dtype=np.uint8)
    y = np.arange(20) % 2
    np.savez(tmp_path / "images.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
    dataset = load(tmp_path / "images.npz")
    expected = {"nhw": lambda: x[:, None], "nhwc": lambda: x.transpose(0, 3, 1, 2),
                "nchw": lambda: x}[layout]()
    assert dataset.train_images.dtype == torch.uint8
    assert torch.equal(dataset.train_images, torch.from_numpy(np.ascontiguousarray(expected)))
    assert dataset.classes == ("0", "1")  # integer labels name themselves


def test_float_images_stay_float_and_ambiguous_layouts_ask_for_data_layout(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((10, 3, 4, 3), dtype=np.float32)
    y = np.arange(10) % 2
    np.savez(tmp_path / "ambiguous.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    with pytest.raises(DataError, match=r"cannot tell the channels axis; set data.layout"):
        load(tmp_path / "ambiguous.npz")
    dataset = load(tmp_path / "ambiguous.npz", layout="nhwc")
    assert dataset.train_images.dtype == torch.float32 and dataset.input_shape == (3, 3, 4)
    np.testing.assert_allclose(dataset.mean, x.mean(axis=(0, 1, 2)), rtol=1e-5)


def test_a_folder_of_npy_files_and_a_split_by_seed(tmp_path: Path) -> None:
    written = write_npz(tmp_path / "unused.npz")
    np.save(tmp_path / "x_train.npy", written["x_train"])
    np.save(tmp_path / "y_train.npy", written["y_train"])
    dataset = load(tmp_path, test_fraction=0.2)
    assert dataset.train_images.shape[0] == 72 and dataset.test_images.shape[0] == 18
    assert torch.bincount(dataset.test_labels).tolist() == [6, 6, 6]  # 20% of each class
    assert "18 rows (20% of each class, seed 0) held out" in dataset.notes[0]


def test_string_labels_become_sorted_class_names(tmp_path: Path) -> None:
    x = np.eye(4, dtype=np.float32).repeat(3, axis=0)
    y = np.array(["cat", "dog", "ant", "dog"] * 3)
    np.savez(tmp_path / "named.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    dataset = load(tmp_path / "named.npz")
    assert dataset.classes == ("ant", "cat", "dog")
    assert dataset.train_labels[:4].tolist() == [1, 2, 0, 2]


@pytest.mark.parametrize("extra, message", [
    ({"y_train": np.full(90, 7)}, r"labels go up to 7, but there are 3 classes"),
    ({"y_test": np.full(30, -1)}, r"y_test holds the negative label -1"),
    ({"x_train": np.full((90, 4), np.nan, dtype=np.float32)},
     r"x_train has NaN or infinite values in 90 rows \(first: row 0\)"),
    ({"y_train": np.zeros(89, dtype=np.int64)}, r"x_train has shape \(90, 4\) and y_train "
                                                r"\(89,\)"),
    ({"x_test": np.zeros((30, 5), dtype=np.float32)}, r"x_train samples have shape \(4,\) but "
                                                      r"x_test samples \(5,\)"),
    ({"y_train": np.full(90, 0.5)}, r"y_train holds non-integer labels"),
])
def test_bad_arrays_are_refused_with_one_message(tmp_path: Path, extra: dict[str, np.ndarray],
                                                 message: str) -> None:
    write_npz(tmp_path / "bad.npz", **extra)
    with pytest.raises(DataError, match=message):
        load(tmp_path / "bad.npz")


def test_pickled_object_arrays_are_never_loaded(tmp_path: Path) -> None:
    x = np.empty(3, dtype=object)
    x[:] = [{"a": 1}, None, "code"]
    np.savez(tmp_path / "pickled.npz", x_train=x, y_train=np.arange(3), x_test=x,
             y_test=np.arange(3))
    with pytest.raises(DataError, match=r"cannot be read as NumPy arrays .*object arrays "
                                        r"\(pickles\) are refused"):
        load(tmp_path / "pickled.npz")


def test_missing_keys_and_wrong_files_name_what_is_expected(tmp_path: Path) -> None:
    np.savez(tmp_path / "half.npz", x_train=np.zeros((3, 2)))
    with pytest.raises(DataError, match=r"no y_train \(found: x_train\); expected x_train, "
                                        r"y_train, x_test, y_test"):
        load(tmp_path / "half.npz")
    (tmp_path / "table.txt").write_text("1,2")
    with pytest.raises(DataError, match=r"neither an .npz file nor a folder of .npy"):
        load(tmp_path / "table.txt")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataError, match=r"broken.npz: not a readable .npz file"):
        load(tmp_path / "broken.npz")


def test_arrays_too_big_for_memory_are_refused_from_their_headers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_npz(tmp_path / "blobs.npz")
    monkeypatch.setattr("workbench.core.data.user_data.MEMORY_SHARE", 1e-12)
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("read before the check"))
    with pytest.raises(DataError, match=r"data.root \(x_train\): .* 90 samples of shape "
                                        r"\(4,\).* GiB allowed"):
        load(tmp_path / "blobs.npz")


def test_classes_without_training_rows_are_named_in_a_note(tmp_path: Path) -> None:
    arrays = write_npz(tmp_path / "three.npz")
    np.savez(tmp_path / "four.npz", **{**arrays, "classes": np.array(["low", "mid", "high",
                                                                      "never"])})
    dataset = load(tmp_path / "four.npz")
    assert dataset.num_classes == 4
    assert dataset.notes == ("1 classes have no training samples: never",)


def test_a_root_that_does_not_exist_names_the_field_and_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data.root: .*gone.npz does not exist \(dataset "
                                        r"'arrays' needs an .npz file or a folder of .npy"):
        load(tmp_path / "gone.npz")
    with pytest.raises(DataError, match=r"data.root: dataset 'arrays' reads your files; set "
                                        r"data.root"):
        load_named("arrays")
