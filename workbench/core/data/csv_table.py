"""The ``csv`` dataset: a table of numeric feature columns and one label column.

Read with the standard ``csv`` module and NumPy rather than pandas: the loader needs a
header, numbers per cell and one message per bad column, which these do in a few lines;
pandas would add a dependency several times the size of the rest of the workbench's.

Labels may be strings (classes are the sorted unique names) or integers (0..K-1). Any
other non-numeric column is refused, naming it. The test split is ``data.test_file``
(same columns) or drawn from the table by ``data.seed``.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import torch

from workbench.core.config.params import Param
from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset
from workbench.core.data.image_folder_loader import TEST_FRACTION
from workbench.core.data.registry import DATASETS
from workbench.core.data.user_data import (check_memory, finish, label_indices, require_root,
                                           split_rows)
from workbench.core.errors import DataError

MAX_BYTES = 2 * 1024**3  # one CSV file; parsed in Python, a larger table wants another format
MAX_COLUMNS = 100_000
SHOWN = 5
PARAMS = (
    Param("label_column", "str", "label", "the column holding each row's class"),
    Param("test_file", "str", None, "a CSV with the same columns for testing (relative to "
          "data.root's folder); null: hold out data.test_fraction of the rows", nullable=True),
    Param("delimiter", "str", ",", "the character between cells", choices=(",", ";", "\t", "|")),
    TEST_FRACTION,
)


@DATASETS.register("csv", params=PARAMS,
                   help="your table: a CSV file with numeric feature columns and a label column")
def load_csv(data: Section) -> ImageDataset:
    root = require_root(data, "csv", "a .csv file")
    if root.is_dir():
        raise DataError(f"data.root: {root} is a folder; dataset 'csv' reads one .csv file")
    header, features, labels = read_table(root, data.label_column, data.delimiter)
    notes: list[str] = []
    if data.test_file:
        test_path = Path(data.test_file).expanduser()
        test_path = test_path if test_path.is_absolute() else root.parent / test_path
        if not test_path.is_file():
            raise DataError(f"data.test_file: {test_path} does not exist")
        test_header, test_features, test_labels = read_table(test_path, data.label_column,
                                                             data.delimiter)
        if test_header != header:
            raise DataError(f"data.test_file: {test_path} has the columns "
                            f"{_names(test_header)}, but {root} has {_names(header)}")
    else:
        train_rows, test_rows = split_rows(labels, data.seed, data.test_fraction)
        features, test_features = features[train_rows], features[test_rows]
        labels, test_labels = labels[train_rows], labels[test_rows]
        notes.append(f"no data.test_file: {len(test_rows)} rows ({data.test_fraction:.0%} of "
                     f"each class, seed {data.seed}) held out for testing")
    train_y, test_y, classes = label_indices(_typed(labels), _typed(test_labels), None, root)
    return finish("csv", classes, torch.from_numpy(features), torch.from_numpy(train_y),
                  torch.from_numpy(test_features), torch.from_numpy(test_y), source=root,
                  notes=notes)


def read_table(path: Path, label_column: str, delimiter: str
               ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(feature column names, float32 rows x features, labels as strings)."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DataError(f"{path}: {size / 1024**3:.1f} GiB, more than the limit of "
                        f"{MAX_BYTES / 1024**3:.0f} GiB for one CSV file; save the table as "
                        "an .npz and use dataset 'arrays'")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise DataError(f"{path}: not UTF-8 text (byte 0x{raw[error.start]:02x} on line "
                        f"{line}); save the file as UTF-8") from None
    del raw
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise DataError(f"{path}: not a readable CSV table ({error})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]  # blank lines
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [cell.strip() for cell in rows[0]]
    if len(header) > MAX_COLUMNS:
        raise DataError(f"{path}: {len(header):,} columns, more than the limit of "
                        f"{MAX_COLUMNS:,}")
    if label_column not in header:
        raise DataError(f"data.label_column: no column '{label_column}' in {path} (columns: "
                        f"{_names(header)})")
    body = rows[1:]
    ragged = [index + 2 for index, row in enumerate(body) if len(row) != len(header)]
    if ragged:
        raise DataError(f"{path}: {len(ragged)} rows do not have {len(header)} cells (first: "
                        f"line {ragged[0]})")
    label_at = header.index(label_column)
    feature_at = [index for index in range(len(header)) if index != label_at]
    check_memory(len(body), (len(feature_at),), 4, "data.root", path)
    features = _numeric(body, header, feature_at, path)
    labels = np.array([row[label_at].strip() for row in body])
    if (labels == "").any():
        line = int(np.flatnonzero(labels == "")[0]) + 2
        raise DataError(f"{path}: column '{label_column}' is empty on line {line}")
    return [header[index] for index in feature_at], features, labels


def _numeric(body: list[list[str]], header: list[str], columns: list[int],
             path: Path) -> np.ndarray:
    """The feature columns as float32; every non-numeric column named in one message."""
    values = np.empty((len(body), len(columns)), dtype=np.float32)
    refused: list[str] = []
    for position, column in enumerate(columns):
        try:
            numbers = [float(row[column]) for row in body]
        except ValueError:
            bad = next(row[column] for row in body if not _is_number(row[column]))
            refused.append(f"'{header[column]}' (e.g. {bad.strip()[:20]!r})")
            continue
        if not all(math.isfinite(number) for number in numbers):
            line = next(i for i, n in enumerate(numbers) if not math.isfinite(n)) + 2
            raise DataError(f"{path}: column '{header[column]}' holds NaN or infinity (line "
                            f"{line}); fill or drop those rows first")
        values[:, position] = numbers
    if refused:
        more = f" and {len(refused) - SHOWN} more" if len(refused) > SHOWN else ""
        raise DataError(f"{path}: non-numeric feature columns {', '.join(refused[:SHOWN])}"
                        f"{more}; features must be numbers (drop those columns or encode "
                        "them as numbers)")
    return values


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _typed(labels: np.ndarray) -> np.ndarray:
    """Labels that are all integers as int64 (they index classes), else the strings."""
    try:
        return np.array([int(value) for value in labels.tolist()], dtype=np.int64)
    except ValueError:
        return labels


def _names(header: list[str]) -> str:
    shown = ", ".join(header[:8])
    return shown + (f" ... ({len(header)} in all)" if len(header) > 8 else "")
