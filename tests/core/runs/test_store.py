"""The run store: what a run folder holds, and how folders are listed back."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from workbench.core.models import build_model
from workbench.core.presets import experiment_from_dict
from workbench.core.runs.store import find_run, list_runs, read_run

from tests.core.conftest import RecordedRun


def test_run_folder_layout(tiny_run: RecordedRun) -> None:
    folder = tiny_run.folder
    assert folder.name == tiny_run.result.run_id
    assert {path.name for path in folder.iterdir()} == {"preset.yaml", "metrics.jsonl",
                                                        "summary.json", "ckpt"}
    assert {path.name for path in (folder / "ckpt").iterdir()} == {"teacher.pt", "student.pt",
                                                                   "baseline.pt"}


def test_preset_yaml_loads_back_and_validates(tiny_run: RecordedRun) -> None:
    raw = yaml.safe_load((tiny_run.folder / "preset.yaml").read_text(encoding="utf-8"))
    again = experiment_from_dict(raw, "preset.yaml", tiny_run.folder)
    assert again.to_dict() == tiny_run.preset.to_dict()
    assert again.data.train_limit == 1200 and again.train.epochs == 2


def test_metrics_jsonl_holds_every_event_in_order(tiny_run: RecordedRun) -> None:
    lines = (tiny_run.folder / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    assert len(records) == len(tiny_run.events)
    assert records[0]["event"] == "run_started" and records[-1]["event"] == "run_ended"
    assert records[0]["run_id"] == tiny_run.result.run_id
    assert records[-1]["status"] == "completed"
    steps = [record for record in records if record["event"] == "step_ended"]
    assert len(steps) == sum(type(event).__name__ == "StepEnded" for event in tiny_run.events)
    assert records[0]["plan"][0] == {"phase": "teacher", "epochs": 1, "steps_per_epoch": 8}


def test_summary_json_records_the_result(tiny_run: RecordedRun) -> None:
    summary = json.loads((tiny_run.folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "completed" and summary["error"] is None
    assert summary["run_id"] == tiny_run.result.run_id
    assert summary["pid"] == os.getpid() and summary["host"] == socket.gethostname()
    assert summary["ended"] >= summary["started"]
    for role in ("teacher", "student", "baseline"):
        assert summary["models"][role]["accuracy"] == \
            tiny_run.result.summary["models"][role]["accuracy"]
    assert summary["retention"] == tiny_run.result.summary["retention"]


def test_checkpoints_load_with_weights_only_and_rebuild(tiny_run: RecordedRun) -> None:
    for name, model_preset in (("teacher", tiny_run.preset.teacher),
                               ("student", tiny_run.preset.student),
                               ("baseline", tiny_run.preset.student)):
        payload = torch.load(tiny_run.folder / "ckpt" / f"{name}.pt", map_location="cpu",
                             weights_only=True)
        meta = payload["meta"]
        assert meta["architecture"] == model_preset.architecture
        assert meta["run_id"] == tiny_run.result.run_id
        assert meta["input_shape"] == [1, 28, 28] and len(meta["classes"]) == 10
        model = build_model(meta["architecture"], meta["args"], tuple(meta["input_shape"]),
                            len(meta["classes"]))
        model.load_state_dict(payload["state_dict"])  # strict: every key fits


def test_listing_and_finding_runs(tiny_run: RecordedRun) -> None:
    [info] = list_runs(tiny_run.runs_dir)
    assert (info.run_id, info.status, info.name) == (tiny_run.result.run_id, "completed",
                                                     "synthetic-quick")
    assert info.accuracy("student") == tiny_run.result.summary["models"]["student"]["accuracy"]
    assert find_run(tiny_run.runs_dir, tiny_run.result.run_id[:17]).run_id == info.run_id
    assert find_run(tiny_run.runs_dir, "no-such-run") is None


def write_summary(folder: Path, **fields: object) -> None:
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"name": folder.name, "started": 1.0,
                                                     **fields}), encoding="utf-8")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_running_summary_with_a_dead_pid_is_crashed(tmp_path: Path) -> None:
    write_summary(tmp_path / "runs" / "dead", status="running", pid=dead_pid(),
                  host=socket.gethostname())
    write_summary(tmp_path / "runs" / "alive", status="running", pid=os.getpid(),
                  host=socket.gethostname())
    write_summary(tmp_path / "runs" / "elsewhere", status="running", pid=dead_pid(),
                  host=socket.gethostname() + "-other-machine")
    statuses = {info.run_id: info.status for info in list_runs(tmp_path / "runs")}
    assert statuses == {"dead": "crashed", "alive": "running", "elsewhere": "running"}


def test_unreadable_folders(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    (runs / "half-written").mkdir(parents=True)
    (runs / "half-written" / "metrics.jsonl").write_text("", encoding="utf-8")
    (runs / "half-written" / "summary.json").write_text("{not json", encoding="utf-8")
    (runs / "not-a-run").mkdir()
    assert read_run(runs / "not-a-run") is None
    # summary.json is written whole (replaced), so a torn one is damage, not a crash
    [info] = list_runs(runs)
    assert (info.run_id, info.status) == ("half-written", "unreadable")
    assert info.problem.startswith("summary.json is not valid JSON")
    (runs / "half-written" / "summary.json").unlink()
    assert {info.run_id: info.status for info in list_runs(runs)} == {"half-written": "crashed"}
    assert list_runs(tmp_path / "missing") == []
