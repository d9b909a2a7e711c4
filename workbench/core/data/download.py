"""Download IDX datasets for users who have a network (checked before they are kept)."""
from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

from workbench.core.data.idx import read_idx
from workbench.core.data.locate import IDX_FILES
from workbench.core.errors import DataError

MIRRORS = {
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
}


def download_idx(name: str, destination: Path, base_url: str | None = None,
                 timeout: float = 30.0) -> Path:
    """Fetch the four ``.gz`` files into ``destination`` and check them.

    ``base_url`` (or ``WORKBENCH_DATA_MIRROR``) replaces the official mirror; any
    URL scheme urllib knows works, ``file://`` included. Files land atomically:
    a failed or corrupt download leaves nothing behind.
    """
    base = base_url or os.environ.get("WORKBENCH_DATA_MIRROR") or MIRRORS.get(name)
    if base is None:
        raise DataError(f"no download source is known for dataset '{name}'")
    base = base if base.endswith("/") else base + "/"
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination) as staging:
        staged = []
        for stem in IDX_FILES.values():
            target = Path(staging) / f"{stem}.gz"
            url = base + target.name
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response, \
                        open(target, "wb") as out:
                    shutil.copyfileobj(response, out)
            except (OSError, ValueError) as error:
                raise DataError(f"download of {url} failed: {error}") from error
            staged.append(target)
        _check_download(staged)
        for target in staged:
            os.replace(target, destination / target.name)
    return destination


def _check_download(files: list[Path]) -> None:
    """Each file must parse as IDX, and images and labels must pair up."""
    arrays = {path.name: read_idx(path) for path in files}
    for split in ("train", "t10k"):
        images = arrays[f"{split}-images-idx3-ubyte.gz"]
        labels = arrays[f"{split}-labels-idx1-ubyte.gz"]
        if images.ndim != 3 or images.shape[0] != labels.shape[0]:
            raise DataError(f"downloaded {split} files do not pair up: images {images.shape}, "
                            f"labels {labels.shape}; the mirror may be wrong")
