"""``presets diff``: only the keys that differ, dotted, both resolved with defaults."""
from __future__ import annotations

from pathlib import Path

from workbench.core.presets.diff import (ABSENT, Difference, diff_mappings, diff_presets,
                                         differing_values, flatten)


def test_nested_keys_become_dotted_paths() -> None:
    left = {"a": 1, "b": {"c": [1, 2], "d": "x"}, "gone": True}
    right = {"a": 1, "b": {"c": [1, 3], "d": "x"}, "new": None}
    assert diff_mappings(left, right) == [Difference("b.c", [1, 2], [1, 3]),
                                          Difference("gone", True, ABSENT),
                                          Difference("new", ABSENT, None)]


def test_presets_are_compared_with_defaults_filled_in(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("schema: 1\nkind: experiment\nname: synthetic-quick\n"
                    "teacher: synthetic-cnn\nstudent: {architecture: mlp, args: {hidden: [8]}}\n"
                    "data: {dataset: synthetic, val_size: 1000, seed: 0}\n"
                    "distill: {alpha: 0.5, temperature: 2.0}\n"
                    "train: {epochs: 4, batch_size: 128, lr: 0.003, schedule: cosine}\n"
                    "teacher_train: {epochs: 2, lr: 0.003, schedule: onecycle}\n"
                    "compare: {latency_repeats: 50, warmup: 5, throughput_batch: 256}\n",
                    encoding="utf-8")
    paths = {difference.path: (difference.left, difference.right)
             for difference in diff_presets("synthetic-quick", path)}
    assert paths["distill.temperature"] == (4.0, 2.0)
    assert paths["student.args.hidden"] == ([16], [8])
    assert "train.epochs" not in paths  # equal values, one written and one default
    assert diff_presets("synthetic-quick", "synthetic-quick") == []


def test_an_empty_mapping_is_a_value_of_its_own() -> None:
    assert flatten({"a": {}, "b": {"c": {}}}) == {"a": {}, "b.c": {}}
    assert diff_mappings({"a": {}}, {}) == [Difference("a", {}, ABSENT)]
    assert diff_mappings({"a": {}}, {"a": {"b": 1}}) == [Difference("a", {}, ABSENT),
                                                         Difference("a.b", ABSENT, 1)]
    assert diff_mappings({"a": {}}, {"a": {}}) == []


def test_a_value_that_reads_absent_still_differs_from_a_missing_key() -> None:
    assert diff_mappings({"note": ABSENT}, {}) == [Difference("note", ABSENT, ABSENT)]


def test_many_mappings_are_compared_key_by_key_in_first_seen_order() -> None:
    configs = [{"x": 1, "y": 2}, {"x": 1, "y": 3, "z": 0}, {"x": 2, "y": 2}]
    assert differing_values(configs) == [("x", [1, 1, 2]), ("y", [2, 3, 2]),
                                         ("z", [ABSENT, 0, ABSENT])]
