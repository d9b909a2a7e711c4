"""Small datasets written the way users keep theirs: class folders of images, an .npz, a CSV.

Each is easy to separate (the classes differ in brightness or in one feature), so a
model trained for a few steps is well above chance, and every function returns what
it wrote so tests can compare against NumPy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

LEVELS = {"bright": 210, "dark": 40, "middle": 125}  # mean brightness of each class


def write_image_folder(root: Path, per_class: int = 12, size: tuple[int, int] = (10, 12),
                       mode: str = "L", seed: int = 0, split: str | None = None,
                       suffix: str = ".png") -> dict[str, list[np.ndarray]]:
    """``root[/split]/<class>/<i>.png``: noisy images around each class's brightness.

    Returns class -> the pixel arrays written (H x W, or H x W x 3 for RGB)."""
    rng = np.random.default_rng(seed)
    written: dict[str, list[np.ndarray]] = {}
    for name, level in LEVELS.items():
        folder = root / split / name if split else root / name
        folder.mkdir(parents=True, exist_ok=True)
        shape = size if mode == "L" else (*size, 3)
        for index in range(per_class):
            pixels = np.clip(rng.normal(level, 15, shape), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, mode=mode).save(folder / f"{index:03d}{suffix}")
            written.setdefault(name, []).append(pixels)
    return written


def blobs(rows: int, features: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Feature vectors in 3 classes, separated along feature 0 (float32, int64 labels)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(rows) % 3
    rng.shuffle(labels)
    values = rng.normal(0, 1, (rows, features)).astype(np.float32)
    values[:, 0] += labels * 4.0
    return values, labels.astype(np.int64)


def write_npz(path: Path, train: int = 90, test: int = 30, classes: bool = True,
              **extra: np.ndarray) -> dict[str, np.ndarray]:
    x_train, y_train = blobs(train, seed=1)
    x_test, y_test = blobs(test, seed=2)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    if classes:
        arrays["classes"] = np.array(["low", "mid", "high"])
    arrays.update(extra)
    np.savez(path, **arrays)
    return arrays


NAMES = ("setosa", "versicolor", "virginica")


def write_csv(path: Path, rows: int = 120, seed: int = 3, label: str = "species",
              names: tuple[str, ...] = NAMES) -> tuple[np.ndarray, np.ndarray]:
    """A CSV with feature columns f0..f2 and string labels in column ``label``."""
    values, labels = blobs(rows, features=3, seed=seed)
    lines = [f"f0,f1,f2,{label}"]
    lines += [",".join(f"{value:.5f}" for value in row) + f",{names[int(y)]}"
              for row, y in zip(values, labels)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return np.array([[float(f"{v:.5f}") for v in row] for row in values],
                    dtype=np.float32), labels
