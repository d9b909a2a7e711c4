"""csv: numeric feature columns, a label column, and tables that must be refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.core.data.registry import load_named
from workbench.core.errors import DataError
from tests.core.user_files import NAMES, write_csv


def load(path: Path, **values: object):  # noqa: ANN201 - an ImageDataset
    return load_named("csv", root=str(path), label_column="species", **values)


def test_string_labels_features_and_a_split_by_seed(tmp_path: Path) -> None:
    values, labels = write_csv(tmp_path / "iris.csv", rows=60)
    dataset = load(tmp_path / "iris.csv", test_fraction=0.25)
    assert dataset.classes == NAMES and dataset.input_shape == (3,)
    assert dataset.train_images.shape[0] == 45 and dataset.test_images.shape[0] == 15
    assert torch.bincount(dataset.test_labels).tolist() == [5, 5, 5]
    every = torch.cat([dataset.train_images, dataset.test_images]).numpy()
    assert sorted(map(tuple, every.tolist())) == sorted(map(tuple, values.tolist()))
    train = dataset.train_images.numpy()
    np.testing.assert_allclose(dataset.mean, train.astype(np.float64).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(dataset.std, train.astype(np.float64).std(axis=0), rtol=1e-5)


def test_a_test_file_and_integer_labels(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a,b,y\n1,2,0\n3,4,2\n5,6,1\n7,8,0\n")
    (tmp_path / "test.csv").write_text("a,b,y\n1.5,2.5,1\n")
    dataset = load_named("csv", root=str(tmp_path / "train.csv"), label_column="y",
                         test_file="test.csv")  # relative to the CSV's folder
    assert dataset.classes == ("0", "1", "2")
    assert dataset.train_labels.tolist() == [0, 2, 1, 0]
    assert dataset.test_images.tolist() == [[1.5, 2.5]] and dataset.test_labels.tolist() == [1]


def test_semicolons_and_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "excel.csv").write_bytes("\ufeffx;species\n1;a\n2;b\n3;a\n4;b\n".encode())
    dataset = load(tmp_path / "excel.csv", delimiter=";", test_fraction=0.5)
    assert dataset.classes == ("a", "b") and dataset.input_shape == (1,)


@pytest.mark.parametrize("text, message", [
    ("f0,name,city,species\n1,ann,rome,a\n2,bob,oslo,b\n",
     r"non-numeric feature columns 'name' \(e.g. 'ann'\), 'city' \(e.g. 'rome'\)"),
    ("f0,f1\n1,2\n", r"data.label_column: no column 'species' in .* \(columns: f0, f1\)"),
    ("f0,species\n1,a\n2\n", r"1 rows do not have 2 cells \(first: line 3\)"),
    ("f0,species\n1,a\nnan,b\n", r"column 'f0' holds NaN or infinity \(line 3\)"),
    ("f0,species\n1,a\n2,\n", r"column 'species' is empty on line 3"),
    ("f0,species\n", r"needs a header row and at least one data row"),
    ("f0,species\n1,a\n2,a\n", r"1 class found \(a\); classification needs at least 2"),
])
def test_bad_tables_are_refused_with_one_message(tmp_path: Path, text: str,
                                                 message: str) -> None:
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        load(tmp_path / "bad.csv", test_fraction=0.5)


def test_text_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    text = "f0,species\n" + "1,b\n" * 5000 + "1,caf\xe9\n2,b\n"  # far past the first 8 KiB
    (tmp_path / "latin1.csv").write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.csv: not UTF-8 text \(byte 0xe9 on line "
                                        r"5002\); save the file as UTF-8"):
        load(tmp_path / "latin1.csv")


def test_a_missing_test_file_and_other_columns_name_the_field(tmp_path: Path) -> None:
    write_csv(tmp_path / "train.csv", rows=12)
    with pytest.raises(DataError, match=r"data.test_file: .*nope.csv does not exist"):
        load(tmp_path / "train.csv", test_file="nope.csv")
    (tmp_path / "other.csv").write_text("g0,g1,g2,species\n1,2,3,setosa\n")
    with pytest.raises(DataError, match=r"data.test_file: .*other.csv has the columns g0, g1, "
                                        r"g2, but .*train.csv has f0, f1, f2"):
        load(tmp_path / "train.csv", test_file="other.csv")


def test_huge_files_are_refused_before_parsing(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write_csv(tmp_path / "big.csv", rows=30)
    monkeypatch.setattr("workbench.core.data.csv_table.MAX_BYTES", 100)
    with pytest.raises(DataError, match=r"big.csv: .* GiB, more than the limit .* use dataset "
                                        r"'arrays'"):
        load(tmp_path / "big.csv")
