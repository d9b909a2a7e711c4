"""Reading runs back: curves, config diffs, Pareto fronts, safe deletes."""
from __future__ import annotations

import json

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.presets.diff import ABSENT, diff_mappings
from workbench.core.runs.history import (config_diff, delete_run, pareto_front, read_curves,
                                        read_run_config)


def test_read_curves_skips_a_torn_last_line(tmp_path):
    lines = [{"event": "step_ended", "phase": "student", "epoch": 1, "step": 1, "loss": 2.0,
              "hard": 1.5, "soft": 0.5},
             {"event": "epoch_ended", "phase": "student", "epoch": 1,
              "metrics": {"val_acc": 0.7, "train_loss": 1.0}}]
    text = "\n".join(json.dumps(line) for line in lines) + '\n{"event": "step_en'
    (tmp_path / "metrics.jsonl").write_text(text)
    curves = read_curves(tmp_path)
    assert curves.steps["student"]["soft"] == [0.5]
    assert curves.series("student", "val_acc") == ([1.0], [0.7])
    assert curves.series("baseline", "val_acc") == ([], [])


def test_read_run_config_of_a_missing_folder_is_empty(tmp_path):
    assert read_run_config(tmp_path / "nope") == {}


def test_config_diff_shows_only_differing_keys():
    first = {"distill": {"alpha": 0.5, "temperature": 4.0}, "train": {"seed": 0}}
    second = {"distill": {"alpha": 0.5, "temperature": 8.0}, "train": {"seed": 0, "lr": 0.1}}
    assert config_diff([first, second]) == [("distill.temperature", [4.0, 8.0]),
                                            ("train.lr", [ABSENT, 0.1])]
    assert config_diff([first, first]) == []


def test_config_diff_agrees_with_presets_diff_on_empty_and_missing_values():
    left = {"a": {}, "b": None, "c": {"d": 1}}
    right = {"a": {"x": 1}, "c": {}}
    expected = [("a", [{}, ABSENT]), ("b", [None, ABSENT]), ("c.d", [1, ABSENT]),
                ("a.x", [ABSENT, 1]), ("c", [ABSENT, {}])]
    assert config_diff([left, right]) == expected
    assert [(d.path, [d.left, d.right]) for d in diff_mappings(left, right)] == expected
    assert config_diff([{"a": {}}, {}]) == [("a", [{}, ABSENT])]  # an empty section is no absence


def test_pareto_front_keeps_undominated_points_cheapest_first():
    points = [(1.0, 0.7), (2.0, 0.9), (1.5, 0.6), (0.5, 0.5), (3.0, 0.9), (2.0, 0.8)]
    assert pareto_front(points) == [3, 0, 1]
    assert pareto_front([]) == []


def test_delete_run_refuses_folders_that_are_not_runs(tmp_path):
    runs = tmp_path / "runs"
    run = runs / "20260101-000000-x-abcd"
    run.mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    with pytest.raises(WorkbenchError):
        delete_run(runs, tmp_path)  # not inside runs/
    (runs / "other").mkdir()
    with pytest.raises(WorkbenchError):
        delete_run(runs, runs / "other")  # no run files
    delete_run(runs, run)
    assert not run.exists()


def test_find_trained_teacher_matches_model_and_dataset(tmp_path):
    import yaml

    from workbench.core.runs.history import find_trained_teacher

    runs = tmp_path / "runs"
    for run_id, started, dataset in (("a", 1.0, "synthetic"), ("b", 2.0, "synthetic"),
                                     ("c", 3.0, "mnist")):
        path = runs / run_id
        (path / "ckpt").mkdir(parents=True)
        (path / "ckpt" / "teacher.pt").write_bytes(b"x")
        (path / "summary.json").write_text(json.dumps({"status": "completed",
                                                       "started": started}))
        (path / "preset.yaml").write_text(yaml.safe_dump({
            "teacher": {"architecture": "cnn", "args": {"hidden": 8}},
            "data": {"dataset": dataset}}))
    found = find_trained_teacher(runs, "cnn", {"hidden": 8}, "synthetic")
    assert found == (runs / "b" / "ckpt" / "teacher.pt", "b")
    assert find_trained_teacher(runs, "cnn", {"hidden": 9}, "synthetic") is None
