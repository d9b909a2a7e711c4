"""An image folder streamed from its decoded file: the same dataset as decoded in memory."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from workbench.core.data import streamed_folder
from workbench.core.data.image_folder import scan_image_folder
from workbench.core.data.registry import load_named
from workbench.core.data.streamed_folder import load_streamed_folder


def _folder(root: Path) -> Path:
    generator = np.random.default_rng(0)
    for split, count in (("train", 6), ("test", 2)):
        for name in ("cat", "dog"):
            (root / split / name).mkdir(parents=True)
            for index in range(count):
                pixels = generator.integers(0, 256, (8, 8), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / name / f"{index}.png")
    return root


def _streamed(root: Path, cache: Path):
    index = scan_image_folder(root)
    return load_streamed_folder(index, (8, 8), 1, [], cache)


def test_the_streamed_folder_is_the_in_memory_dataset(tmp_path: Path) -> None:
    root = _folder(tmp_path / "pets")
    in_memory = load_named("image-folder", root=str(root))
    streamed = _streamed(root, tmp_path / "cache")
    assert streamed.classes == in_memory.classes == ("cat", "dog")
    assert torch.equal(streamed.train_images, in_memory.train_images)
    assert torch.equal(streamed.train_labels, in_memory.train_labels)
    assert torch.equal(streamed.test_images, in_memory.test_images)
    assert streamed.mean == pytest.approx(in_memory.mean) and streamed.std == pytest.approx(
        in_memory.std)
    assert any("streamed from disk" in note for note in streamed.notes)


def test_a_second_run_reads_the_decoded_file_without_decoding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _folder(tmp_path / "pets")
    first = _streamed(root, tmp_path / "cache")

    def refuse(*args: object) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr(streamed_folder, "decode_image", refuse)
    again = _streamed(root, tmp_path / "cache")
    assert torch.equal(again.train_images, first.train_images)
    assert again.fingerprint == first.fingerprint


def test_a_changed_file_gives_another_fingerprint(tmp_path: Path) -> None:
    root = _folder(tmp_path / "pets")
    first = _streamed(root, tmp_path / "cache").fingerprint
    changed = root / "train" / "dog" / "0.png"
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(changed)
    os.utime(changed, ns=(1, 1))
    second = _streamed(root, tmp_path / "cache")
    assert second.fingerprint != first
    row = scan_image_folder(root).splits["train"].paths.index(changed.resolve())
    assert int(second.train_images[row].sum()) == 0  # the new pixels, not the old file's


def test_the_image_folder_dataset_streams_past_the_memory_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.core.data import streaming

    root = _folder(tmp_path / "pets")
    monkeypatch.setattr(streaming, "memory_limit_bytes", lambda data: 12 * 64 * 5 - 1)
    streamed = load_named("image-folder", root=str(root))
    assert any("streamed from disk" in note for note in streamed.notes)
    monkeypatch.setattr(streaming, "memory_limit_bytes", lambda data: 12 * 64 * 5)
    assert not any("streamed" in note for note in load_named("image-folder",
                                                             root=str(root)).notes)
