"""Find the IDX files of a dataset in the places users keep them."""
from __future__ import annotations

import os
from pathlib import Path

from workbench.core.paths import user_cache_dir

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# Debian's dataset-* packages install the files under this folder (e.g. dataset-fashion-mnist).
DEBIAN_DATA_DIR = Path("/usr/share/datasets")


def candidate_folders(name: str, root: Path | None) -> list[Path]:
    """Folders searched, in order: preset ``data.root``, ``WORKBENCH_DATA``, cache, Debian."""
    folders: list[Path] = []
    if root is not None:
        folders += [root / name, root]
    if env := os.environ.get("WORKBENCH_DATA"):
        folders += [Path(env) / name, Path(env)]
    folders.append(user_cache_dir() / "datasets" / name)
    folders.append(DEBIAN_DATA_DIR / name)
    return folders


def find_idx_files(folder: Path) -> dict[str, Path] | None:
    """The four IDX files in ``folder`` (gz or raw), or None if any is missing."""
    found: dict[str, Path] = {}
    for key, stem in IDX_FILES.items():
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            return None
    return found
