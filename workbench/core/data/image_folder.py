"""A folder of images, one sub-folder per class, scanned into a frozen index.

``root/<class>/<file>`` or, with splits, ``root/train/<class>/...``, ``root/test/<class>/...``
(and optionally ``root/val/<class>/...``). Without split folders the files are split by
seed, per class, so every class keeps its share of test images.

The scan reads each file's header only (Pillow opens lazily): that finds files that
are not images, and the sizes and colour modes that set the default image size and
channels, without decoding any pixels. Decoding is ``decode_image``, called by the
in-memory loader (``image_folder_loader``) and by the streaming path alike.

Links are never followed out of ``root``: a file or folder whose real path lies outside
it is listed as refused, like an unreadable file.
"""
from __future__ import annotations

import os
import random
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError

from workbench.core.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
SPLIT_NAMES = ("train", "val", "test")
MAX_FILES = 2_000_000  # files looked at under one root: far above any folder meant for this
MAX_SIDE = 4096  # decoded images are at most this wide or high (data.image_size's maximum)
GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})
SHOWN_FILES = 5  # unreadable files named in a message; the rest are counted


@dataclass(frozen=True)
class SplitFiles:
    """One split's files, in a fixed order, with their int labels (index into classes)."""

    paths: tuple[Path, ...]
    labels: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.paths)


@dataclass(frozen=True)
class FolderIndex:
    """What a scan found: classes, files per split, and what could not be used.

    Attributes:
        root: the folder scanned (resolved).
        classes: class names, sorted; label i is ``classes[i]``.
        splits: "train" and "test" always, "val" when the folder has one.
        split_by: "folders" (train/ test/ found) or "seed" (split here by ``seed``).
        unreadable: (path, reason) of every file skipped; never silently dropped.
        size: the most common (height, width) among the training files.
        channels: 3 if any training file is in colour, else 1.
    """

    root: Path
    classes: tuple[str, ...]
    splits: dict[str, SplitFiles]
    split_by: str
    unreadable: tuple[tuple[Path, str], ...]
    size: tuple[int, int]
    channels: int

    def counts(self) -> dict[str, list[int]]:
        """Per split, the number of files of each class (in ``classes`` order)."""
        return {name: [split.labels.count(label) for label in range(len(self.classes))]
                for name, split in self.splits.items()}


def unreadable_note(unreadable: tuple[tuple[Path, str], ...] | list[tuple[Path, str]],
                    root: Path) -> str:
    """'N files skipped: a.png (reason), ... and K more': one line, the first few named."""
    shown = [f"{_relative(path, root)} ({reason})" for path, reason in unreadable[:SHOWN_FILES]]
    more = len(unreadable) - len(shown)
    noun = "file" if len(unreadable) == 1 else "files"
    return (f"{len(unreadable)} {noun} under {root} skipped: " + "; ".join(shown)
            + (f"; and {more} more" if more else ""))


def scan_image_folder(root: Path, *, seed: int = 0, test_fraction: float = 0.2,
                      max_files: int = MAX_FILES) -> FolderIndex:
    """Index ``root`` (see the module docstring).

    Raises:
        DataError: no such folder, no class folders, a class without readable images,
            more than ``max_files`` files, or none readable at all; the message names
            the folder and, where it helps, the unreadable files.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"data.root: {root} is not a folder (image-folder needs a folder "
                        "holding one sub-folder per class)")
    root = root.resolve()
    split_folders = {name: root / name for name in SPLIT_NAMES if (root / name).is_dir()}
    unreadable: list[tuple[Path, str]] = []
    budget = [max_files, max_files]  # [files left, the limit]
    if "train" in split_folders and "test" in split_folders:
        found = {name: _scan_classes(folder, root, unreadable, budget)
                 for name, folder in split_folders.items()}
        split_by = "folders"
    else:
        found = {"all": _scan_classes(root, root, unreadable, budget)}
        split_by = "seed"
    classes = tuple(sorted({name for per_class in found.values() for name in per_class}))
    if not classes:
        raise DataError(f"data.root: {root} holds no class folders with images "
                        f"({', '.join(IMAGE_SUFFIXES)}); expected {root}/<class>/<image>"
                        + (f"; {unreadable_note(unreadable, root)}" if unreadable else ""))
    if not any(files for per_class in found.values() for files in per_class.values()):
        raise DataError(f"data.root: none of the files under {root} is a readable image; "
                        + unreadable_note(unreadable, root))
    _refuse_empty(found, classes, root, unreadable)
    if split_by == "seed":
        splits = _split_by_seed(found["all"], classes, seed, test_fraction, root)
    else:
        splits = {name: _as_split(per_class, classes) for name, per_class in found.items()}
    size, channels = _common_format(found["train" if split_by == "folders" else "all"])
    return FolderIndex(root, classes, splits, split_by, tuple(unreadable), size, channels)


# A class's readable files: (path, (height, width), mode), sorted by path.
_Found = dict[str, list[tuple[Path, tuple[int, int], str]]]


def _scan_classes(folder: Path, root: Path, unreadable: list[tuple[Path, str]],
                  budget: list[int]) -> _Found:
    found: _Found = {}
    for class_dir in sorted(folder.iterdir()):
        if class_dir.name.startswith(".") or not class_dir.is_dir():
            continue
        if folder == root and class_dir.name in SPLIT_NAMES:
            continue  # a lone train/ without test/: not a class
        if not _inside(class_dir, root):
            unreadable.append((class_dir, "a link to a folder outside data.root"))
            continue
        files = found.setdefault(class_dir.name, [])
        for path, is_link in _image_files(class_dir, budget, root):
            header = _read_header(path, root, is_link)
            if isinstance(header, str):
                unreadable.append((path, header))
            else:
                files.append((path, *header))
    return found


def _image_files(class_dir: Path, budget: list[int], root: Path) -> list[tuple[Path, bool]]:
    """(path, whether it is a link) of the image files under ``class_dir``, sorted; links to
    folders are not entered (a folder link out of the root would leave it)."""
    found: list[tuple[Path, bool]] = []
    pending = [class_dir]
    while pending:
        with os.scandir(pending.pop()) as entries:
            entries = [entry for entry in entries if not entry.name.startswith(".")]
        budget[0] -= len(entries)
        if budget[0] < 0:
            raise DataError(f"data.root: {root} holds more than {budget[1]:,} files (the "
                            "limit of one image-folder dataset); point data.root at a smaller "
                            "folder")
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif entry.name.lower().endswith(IMAGE_SUFFIXES):
                found.append((Path(entry.path), entry.is_symlink()))
    return sorted(found)


def _read_header(path: Path, root: Path, is_link: bool = True
                 ) -> tuple[tuple[int, int], str] | str:
    """((height, width), mode) from the file's header, or why it cannot be used.

    Only links are resolved (resolving every path costs as much as reading its header)."""
    if is_link and not _inside(path, root):
        return "a link to a file outside data.root"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                mode = image.mode
    except (UnidentifiedImageError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as error:
        return _reason(error)
    except (OSError, ValueError, SyntaxError) as error:
        return _reason(error)
    if width < 1 or height < 1:
        return f"{width}x{height} pixels"
    return (height, width), mode


def _reason(error: BaseException) -> str:
    if isinstance(error, UnidentifiedImageError):
        return "not an image Pillow can read"
    if isinstance(error, (Image.DecompressionBombWarning, Image.DecompressionBombError)):
        return "too many pixels (Pillow's decompression-bomb limit)"
    return str(error).splitlines()[0][:80] if str(error) else type(error).__name__


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


def _refuse_empty(found: dict[str, _Found], classes: tuple[str, ...], root: Path,
                  unreadable: list[tuple[Path, str]]) -> None:
    first = "train" if "train" in found else "all"
    empty = [name for name in classes if not found[first].get(name)]
    if empty:
        folder = root / (first if first != "all" else "") / empty[0]
        note = f"; {unreadable_note(unreadable, root)}" if unreadable else ""
        raise DataError(f"data.root: class folder {folder} holds no readable training images "
                        f"({len(empty)} of {len(classes)} classes are empty: "
                        f"{', '.join(empty[:SHOWN_FILES])}); remove it or add images{note}")


def _as_split(per_class: _Found, classes: tuple[str, ...]) -> SplitFiles:
    return _interleaved([[(path, label) for path, _size, _mode in per_class.get(name, [])]
                         for label, name in enumerate(classes)])


def _interleaved(per_label: list[list[tuple[Path, int]]]) -> SplitFiles:
    """Each class's files in path order, the classes taken in turn (a file of class 0, of
    class 1, ..., then the second of each): the first N rows (``data.train_limit``) then
    hold every class, not the first classes alone."""
    rows = [row for _rank, _label, row in sorted(
        (rank, label, row) for label, files in enumerate(per_label)
        for rank, row in enumerate(files))]
    return SplitFiles(tuple(path for path, _ in rows), tuple(label for _, label in rows))


def _split_by_seed(per_class: _Found, classes: tuple[str, ...], seed: int,
                   test_fraction: float, root: Path) -> dict[str, SplitFiles]:
    """Per class, ``round(test_fraction * n)`` files (at least one) go to test, by seed."""
    train: list[list[tuple[Path, int]]] = []
    test: list[list[tuple[Path, int]]] = []
    for label, name in enumerate(classes):
        paths = [path for path, _size, _mode in per_class[name]]
        if len(paths) < 2:
            raise DataError(f"data.root: class folder {root / name} holds {len(paths)} "
                            "readable image; splitting by seed needs at least 2 per class "
                            "(or add train/ and test/ folders)")
        random.Random(f"{seed}|{name}").shuffle(paths)
        cut = min(len(paths) - 1, max(1, round(test_fraction * len(paths))))
        test.append([(path, label) for path in sorted(paths[:cut])])
        train.append([(path, label) for path in sorted(paths[cut:])])
    return {"train": _interleaved(train), "test": _interleaved(test)}


def _common_format(per_class: _Found) -> tuple[tuple[int, int], int]:
    sizes = Counter(size for files in per_class.values() for _path, size, _mode in files)
    colour = any(mode not in GRAY_MODES for files in per_class.values()
                 for _path, _size, mode in files)
    return sizes.most_common(1)[0][0], 3 if colour else 1


def decode_image(path: Path, image_size: int | tuple[int, int], channels: int) -> torch.Tensor:
    """One file -> uint8 tensor (channels, height, width), resized (bilinear) if needed.

    Raises:
        DataError: the file cannot be decoded (message names the file and why).
    """
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                if image.size != (width, height):
                    image = image.resize((width, height), Image.Resampling.BILINEAR)
                pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombWarning,
            Image.DecompressionBombError, OSError, ValueError, SyntaxError) as error:
        raise DataError(f"{path}: {_reason(error)}") from None
    return pixels.view(height, width, channels).permute(2, 0, 1).contiguous()


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
