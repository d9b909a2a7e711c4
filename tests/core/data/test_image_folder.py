"""image-folder: scanning, splits, decoding, normalisation, and files that are not images."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from workbench.core.data import image_folder
from workbench.core.data.dataset import normalize
from workbench.core.data.image_folder import decode_image, scan_image_folder
from workbench.core.config.section import Section
from workbench.core.data.prepare import prepare
from workbench.core.data.registry import load_named
from workbench.core.errors import DataError
from tests.core.user_files import LEVELS, write_image_folder

CLASSES = tuple(sorted(LEVELS))  # ("bright", "dark", "middle")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A folder of its own: tmp_path also holds the test's isolated user folders."""
    (tmp_path / "user").mkdir()
    return tmp_path / "user"


def test_classes_are_sorted_folder_names_and_each_class_is_split_by_seed(folder: Path) -> None:
    write_image_folder(folder, per_class=10)
    index = scan_image_folder(folder, seed=3, test_fraction=0.2)
    assert index.classes == CLASSES and index.split_by == "seed"
    assert index.counts() == {"train": [8, 8, 8], "test": [2, 2, 2]}  # 20% of every class
    assert index.size == (10, 12) and index.channels == 1
    assert not set(index.splits["train"].paths) & set(index.splits["test"].paths)
    again = scan_image_folder(folder, seed=3, test_fraction=0.2)
    other = scan_image_folder(folder, seed=4, test_fraction=0.2)
    assert again.splits == index.splits  # the same seed: the same split
    assert other.splits["test"].paths != index.splits["test"].paths


def test_train_val_test_folders_are_used_as_they_are(folder: Path) -> None:
    write_image_folder(folder, per_class=6, split="train")
    write_image_folder(folder, per_class=2, split="val", seed=1)
    write_image_folder(folder, per_class=3, split="test", seed=2)
    index = scan_image_folder(folder)
    assert index.split_by == "folders" and index.classes == CLASSES
    assert index.counts() == {"train": [6] * 3, "val": [2] * 3, "test": [3] * 3}
    dataset = load_named("image-folder", root=str(folder))
    assert dataset.val_count == 6  # the val/ images follow the training rows
    assert dataset.train_images.shape == (24, 1, 10, 12)
    assert dataset.train_labels[-6:].tolist() == [0, 1, 2, 0, 1, 2]


def test_loaded_pixels_labels_and_per_channel_normalisation_match_numpy(folder: Path) -> None:
    written = write_image_folder(folder / "data", per_class=5, mode="RGB", size=(6, 6),
                                 split="train")
    write_image_folder(folder / "data", per_class=2, mode="RGB", size=(6, 6), split="test")
    dataset = load_named("image-folder", root=str(folder / "data"))
    assert dataset.classes == CLASSES and dataset.input_shape == (3, 6, 6)
    stacked = np.stack([written[name][rank] for rank in range(5) for name in CLASSES])
    assert torch.equal(dataset.train_images, torch.from_numpy(stacked).permute(0, 3, 1, 2))
    assert dataset.train_labels.tolist() == [0, 1, 2] * 5  # the classes in turn
    scaled = stacked / 255.0
    np.testing.assert_allclose(dataset.mean, scaled.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(dataset.std, scaled.std(axis=(0, 1, 2)), rtol=1e-6)
    standardised = normalize(dataset.train_images, dataset).double()
    np.testing.assert_allclose(standardised.mean(dim=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(standardised.std(dim=(0, 2, 3), unbiased=False), 1.0, atol=1e-5)


def test_the_first_rows_hold_every_class_so_train_limit_keeps_them_all(folder: Path) -> None:
    write_image_folder(folder, per_class=10)
    index = scan_image_folder(folder, test_fraction=0.2)
    assert index.splits["train"].labels[:6] == (0, 1, 2, 0, 1, 2)
    names = [path.name for path in index.splits["train"].paths[:6:3]]
    assert names == sorted(names)  # within a class: file order
    dataset = load_named("image-folder", root=str(folder))
    prepared = prepare(dataset, Section({"val_size": 3, "labeled": None, "train_limit": 9}),
                       seed=0, device=torch.device("cpu"))
    assert torch.bincount(prepared.true_labels).tolist() == [3, 3, 3]


def test_image_size_and_channels_resize_and_convert(folder: Path) -> None:
    write_image_folder(folder, per_class=4, mode="RGB", size=(10, 12))
    assert scan_image_folder(folder).channels == 3  # inferred: the files are in colour
    dataset = load_named("image-folder", root=str(folder), image_size=8, channels=1)
    assert dataset.input_shape == (1, 8, 8)
    path = scan_image_folder(folder).splits["train"].paths[0]
    expected = np.asarray(Image.open(path).convert("L").resize((8, 8),
                                                              Image.Resampling.BILINEAR))
    assert np.array_equal(decode_image(path, 8, 1)[0].numpy(), expected)
    assert decode_image(path, (5, 7), 3).shape == (3, 5, 7)


def test_mixed_sizes_take_the_most_common_one(folder: Path) -> None:
    write_image_folder(folder, per_class=4, size=(9, 9))
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(folder / "dark" / "odd.png")
    assert scan_image_folder(folder).size == (9, 9)
    assert load_named("image-folder", root=str(folder)).input_shape == (1, 9, 9)


def test_unreadable_files_are_listed_in_one_note_not_raised(folder: Path) -> None:
    write_image_folder(folder, per_class=4)
    for index in range(7):
        (folder / "bright" / f"broken{index}.png").write_bytes(b"not a png")
    (folder / "dark" / "notes.txt").write_text("ignored: not an image suffix")
    dataset = load_named("image-folder", root=str(folder))
    assert dataset.train_images.shape[0] + dataset.test_images.shape[0] == 12
    note = dataset.notes[0]
    assert note.startswith("7 files under") and "bright/broken0.png (not an image" in note
    assert note.endswith("and 2 more") and "notes.txt" not in note


def test_truncated_file_found_while_decoding_is_listed_too(folder: Path) -> None:
    write_image_folder(folder, per_class=4, size=(40, 40))
    whole = (folder / "dark" / "000.png").read_bytes()
    (folder / "dark" / "000.png").write_bytes(whole[:len(whole) // 2])  # header intact
    dataset = load_named("image-folder", root=str(folder), test_fraction=0.25)
    assert dataset.train_images.shape[0] + dataset.test_images.shape[0] == 11
    assert "dark/000.png" in dataset.notes[0]


def test_a_folder_with_no_readable_image_is_an_error_naming_it(folder: Path) -> None:
    (folder / "cats").mkdir()
    (folder / "cats" / "a.png").write_bytes(b"junk")
    with pytest.raises(DataError, match=r"none of the files under .*user is a readable "
                                        r"image; 1 file .* skipped: cats/a.png \(not an image"):
        scan_image_folder(folder)
    write_image_folder(folder, per_class=3)
    with pytest.raises(DataError, match=r"class folder .*user/cats holds no readable training "
                                        r"images \(1 of 4 classes are empty: cats\)"):
        scan_image_folder(folder)


def test_not_a_folder_and_missing_root_name_the_field(folder: Path) -> None:
    with pytest.raises(DataError, match=r"data.root: .*nowhere is not a folder"):
        scan_image_folder(folder / "nowhere")
    with pytest.raises(DataError, match=r"data.root: dataset 'image-folder' reads your files"):
        load_named("image-folder")
    with pytest.raises(DataError, match=r"data.channels: must be 1 \(grayscale\) or 3"):
        load_named("image-folder", root=str(folder), channels=2)


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_links_out_of_the_root_are_not_followed(folder: Path) -> None:
    outside = folder / "outside"
    write_image_folder(outside, per_class=3, seed=9)
    root = folder / "root"
    write_image_folder(root, per_class=3)
    (root / "dark" / "escape.png").symlink_to(outside / "dark" / "000.png")
    (root / "stolen").symlink_to(outside / "bright", target_is_directory=True)
    index = scan_image_folder(root)
    assert index.classes == CLASSES  # the linked folder is no class
    refused = {path.name: reason for path, reason in index.unreadable}
    assert refused == {"escape.png": "a link to a file outside data.root",
                       "stolen": "a link to a folder outside data.root"}
    every = index.splits["train"].paths + index.splits["test"].paths
    assert all(path.resolve().is_relative_to(root.resolve()) for path in every)


def test_too_many_files_stop_the_scan_with_the_limit(folder: Path) -> None:
    write_image_folder(folder, per_class=5)
    with pytest.raises(DataError, match=r"more than 12 files \(the limit"):
        scan_image_folder(folder, max_files=12)


def test_too_many_pixels_for_memory_name_image_size(folder: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_image_folder(folder, per_class=3)
    monkeypatch.setattr("workbench.core.data.user_data.MEMORY_SHARE", 1e-12)
    with pytest.raises(DataError, match=r"data.image_size: .* 9 samples of shape \(1, 4000, "
                                        r"4000\).* GiB allowed"):
        load_named("image-folder", root=str(folder), image_size=4000,
                   memory_limit_mb=16 * 1024 * 1024)  # the in-memory path, not streaming


def test_decompression_bombs_are_unreadable_not_decoded(folder: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write_image_folder(folder, per_class=3, size=(40, 40))
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(folder / "dark" / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # 64x64 = 4096 > 2000; 40x40 fits
    index = scan_image_folder(folder)
    assert [(path.name, reason) for path, reason in index.unreadable] == [
        ("bomb.png", "too many pixels (Pillow's decompression-bomb limit)")]
    assert image_folder.SHOWN_FILES == 5
