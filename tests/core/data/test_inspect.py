"""describe_dataset / data_section_for: what `workbench data inspect` and Open dataset… show."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.inspect import data_section_for, describe_dataset
from workbench.core.errors import DataError
from tests.core.user_files import write_csv, write_image_folder, write_npz


def test_the_kind_of_data_comes_from_the_path(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "photos", per_class=2)
    write_npz(tmp_path / "a.npz")
    (tmp_path / "npy").mkdir()
    np.save(tmp_path / "npy" / "x_train.npy", np.zeros((2, 3)))
    (tmp_path / "t.csv").write_text("a,label\n1,x\n")
    assert data_section_for(tmp_path / "photos") == {"dataset": "image-folder",
                                                     "root": str(tmp_path / "photos")}
    assert data_section_for(tmp_path / "a.npz")["dataset"] == "arrays"
    assert data_section_for(tmp_path / "npy" / "x_train.npy") == {
        "dataset": "arrays", "root": str(tmp_path / "npy")}
    assert data_section_for(tmp_path / "t.csv")["dataset"] == "csv"
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(DataError, match=r"notes.txt: not a folder, an .npz/.npy or a .csv"):
        data_section_for(tmp_path / "notes.txt")


def test_a_folder_is_described_with_a_few_decoded_samples_per_class(tmp_path: Path) -> None:
    written = write_image_folder(tmp_path / "photos", per_class=6, mode="RGB", size=(5, 7))
    (tmp_path / "photos" / "dark" / "bad.png").write_bytes(b"nope")
    info = describe_dataset({"dataset": "image-folder", "root": str(tmp_path / "photos")},
                            samples_per_class=2)
    assert info.classes == ("bright", "dark", "middle") and info.input_shape == (3, 5, 7)
    assert info.counts == {"train": [5, 5, 5], "test": [1, 1, 1]}
    assert info.unreadable_count == 1 and info.unreadable[0][0].endswith("dark/bad.png")
    samples = info.samples["middle"]
    assert len(samples) == 2 and samples[0].dtype == np.uint8 and samples[0].shape == (3, 5, 7)
    assert any(np.array_equal(samples[0], pixels.transpose(2, 0, 1))
               for pixels in written["middle"])  # real pixels of that class


def test_tables_show_columns_and_first_rows_and_no_images(tmp_path: Path) -> None:
    values, _labels = write_csv(tmp_path / "iris.csv", rows=30)
    info = describe_dataset({"dataset": "csv", "root": str(tmp_path / "iris.csv"),
                             "label_column": "species", "test_file": None})
    assert info.columns == ("f0", "f1", "f2") and info.samples == {}
    assert info.rows[0] == pytest.approx(tuple(values[0].tolist()))
    assert sum(info.counts["train"]) + sum(info.counts["test"]) == 30
    assert info.to_dict()["input_shape"] == [3]
