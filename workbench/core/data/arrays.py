"""The ``arrays`` dataset: NumPy arrays, images or feature vectors.

``data.root`` is an ``.npz`` holding ``x_train, y_train`` (and ``x_test, y_test``, and
optionally ``classes``), or a folder of ``.npy`` files with those names. Inputs are
images (N x H x W, N x H x W x C, N x C x H x W; uint8 or float) or feature vectors
(N x F: tabular data). Without ``x_test`` a test split is drawn by ``data.seed``.

Files are read with ``allow_pickle=False``: an ``.npz`` from elsewhere cannot run code.
Shapes are read from the headers first, so an array too big for memory is refused
before it is read.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workbench.core.config.params import Param
from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset
from workbench.core.data.image_folder_loader import TEST_FRACTION
from workbench.core.data.registry import DATASETS
from workbench.core.data.user_data import (check_finite, check_memory, finish, label_indices,
                                           require_root, split_rows)
from workbench.core.errors import DataError

KEYS = ("x_train", "y_train", "x_test", "y_test", "classes")
REQUIRED = ("x_train", "y_train")
PARAMS = (
    Param("layout", "str", "auto", "how 4-D image arrays are laid out (auto: channels are the "
          "axis of size 1 or 3)", choices=("auto", "nchw", "nhwc")),
    TEST_FRACTION,
)


@DATASETS.register("arrays", params=PARAMS,
                   help="your NumPy arrays: an .npz (or a folder of .npy) with x_train, "
                        "y_train, x_test, y_test; images or feature vectors")
def load_arrays(data: Section) -> ImageDataset:
    root = require_root(data, "arrays", "an .npz file or a folder of .npy files")
    arrays = read_arrays(root)
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    notes: list[str] = []
    if "x_test" in arrays and "y_test" in arrays:
        x_test, y_test = arrays["x_test"], arrays["y_test"]
    elif "x_test" in arrays or "y_test" in arrays:
        raise DataError(f"{root}: has only one of x_test and y_test; give both or neither")
    else:
        _pair(x_train, y_train, "x_train", "y_train", root)
        train_rows, test_rows = split_rows(np.asarray(y_train).astype(str), data.seed,
                                           data.test_fraction)
        x_train, x_test = x_train[train_rows], x_train[test_rows]
        y_train, y_test = y_train[train_rows], y_train[test_rows]
        notes.append(f"no x_test/y_test: {len(test_rows)} rows ({data.test_fraction:.0%} of "
                     f"each class, seed {data.seed}) held out for testing")
    for x, y, names in ((x_train, y_train, ("x_train", "y_train")),
                        (x_test, y_test, ("x_test", "y_test"))):
        _pair(x, y, *names, root)
    classes = arrays.get("classes")
    names = None if classes is None else [str(name) for name in classes.reshape(-1).tolist()]
    train_labels, test_labels, class_names = label_indices(y_train, y_test, names, root)
    train = as_inputs(x_train, data.layout, "x_train", root)
    test = as_inputs(x_test, data.layout, "x_test", root)
    if train.shape[1:] != test.shape[1:]:
        raise DataError(f"{root}: x_train samples have shape {tuple(train.shape[1:])} but "
                        f"x_test samples {tuple(test.shape[1:])}")
    return finish("arrays", class_names, train, torch.from_numpy(train_labels), test,
                  torch.from_numpy(test_labels), source=root, notes=notes)


def read_arrays(root: Path) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz`` or a folder of ``.npy``, memory checked first."""
    files: dict[str, Any]
    if root.is_dir():
        files = {key: root / f"{key}.npy" for key in KEYS if (root / f"{key}.npy").is_file()}
        headers = {key: _npy_header(path, root) for key, path in files.items()}
    elif root.suffix.lower() == ".npz":
        headers = _npz_headers(root)
    else:
        raise DataError(f"data.root: {root} is neither an .npz file nor a folder of .npy files")
    missing = [key for key in REQUIRED if key not in headers]
    if missing:
        raise DataError(f"{root}: no {' or '.join(missing)} (found: "
                        f"{', '.join(sorted(headers)) or 'nothing'}); expected "
                        f"{', '.join(KEYS[:4])} and optionally classes")
    for key in ("x_train", "x_test"):
        if key in headers:
            shape, dtype = headers[key]
            if not shape:
                raise DataError(f"{root}: {key} is a single value, not an array of samples")
            check_memory(shape[0], shape[1:], max(dtype.itemsize, 1), f"data.root ({key})",
                         root)
    try:
        if root.is_dir():
            return {key: np.load(path, allow_pickle=False) for key, path in files.items()}
        with np.load(root, allow_pickle=False) as npz:
            return {key: npz[key] for key in KEYS if key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{root}: cannot be read as NumPy arrays ({_first_line(error)}); "
                        "object arrays (pickles) are refused") from None


def _npy_header(path: Path, root: Path) -> tuple[tuple[int, ...], np.dtype]:
    try:
        with open(path, "rb") as handle:
            return _header(handle)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"{path}: not a NumPy .npy file ({_first_line(error)})") from None


def _npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    try:
        with zipfile.ZipFile(path) as archive:
            headers = {}
            for name in archive.namelist():
                key = name.removesuffix(".npy")
                if key in KEYS:
                    with archive.open(name) as handle:
                        headers[key] = _header(handle)
            return headers
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path}: not a readable .npz file ({_first_line(error)})") from None


def _header(handle: Any) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(handle)
    reader = {(1, 0): np.lib.format.read_array_header_1_0,
              (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if reader is None:
        raise ValueError(f"unsupported .npy version {version}")
    shape, _fortran, dtype = reader(handle)
    return tuple(shape), dtype


def _pair(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str, root: Path) -> None:
    if x.ndim == 0 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise DataError(f"{root}: {x_name} has shape {x.shape} and {y_name} {y.shape}; "
                        f"they must hold the same number of rows (and {y_name} one label each)")


def as_inputs(x: np.ndarray, layout: str, name: str, root: Path) -> torch.Tensor:
    """uint8 images stay uint8 (N x C x H x W); anything else becomes float32; vectors N x F."""
    if x.dtype.kind not in "uifb":
        raise DataError(f"{root}: {name} has dtype {x.dtype}; inputs must be numbers")
    check_finite(x, name, root)
    if x.ndim == 2:
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        x = _channels_first(x, layout, name, root)
    else:
        raise DataError(f"{root}: {name} has shape {x.shape}; expected N x F (vectors) or "
                        "N x H x W, N x H x W x C, N x C x H x W (images)")
    dtype = np.uint8 if x.dtype == np.uint8 else np.float32
    return torch.from_numpy(np.ascontiguousarray(x, dtype=dtype))


def _channels_first(x: np.ndarray, layout: str, name: str, root: Path) -> np.ndarray:
    if layout == "auto":
        first, last = x.shape[1] in (1, 3), x.shape[3] in (1, 3)
        if first == last:
            raise DataError(f"{root}: {name} has shape {x.shape}: cannot tell the channels "
                            "axis; set data.layout to nchw or nhwc")
        layout = "nchw" if first else "nhwc"
    return x if layout == "nchw" else x.transpose(0, 3, 1, 2)


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:120]
