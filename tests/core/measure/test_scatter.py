"""Compare's scatter points: grouped by dataset, every model, hover text."""
from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.measure.report import comparison_rows, latency_iqr
from workbench.core.measure.scatter import dataset_name, points_by_dataset


@dataclass
class Run:
    run_id: str
    name: str
    status: str
    summary: dict = field(default_factory=dict)


def run(run_id: str, dataset: str, status: str = "completed") -> Run:
    models = {"teacher": {"accuracy": 0.9, "latency_ms": 1.0, "params": 1000},
              "student": {"accuracy": 0.8, "latency_ms": 0.1, "params": 100},
              "student-int8": {"accuracy": 0.79, "latency_ms": 0.05, "params": 100}}
    return Run(run_id, f"kd-{dataset}", status, {"dataset": {"name": dataset}, "models": models})


def test_points_never_mix_datasets_and_keep_int8():
    grouped = points_by_dataset([run("a", "synthetic"), run("b", "fashion-mnist"),
                                 run("c", "synthetic", "stopped")])
    assert sorted(grouped) == ["fashion-mnist", "synthetic"]
    assert [p.run_id for p in grouped["synthetic"]] == ["a"] * 3
    assert [p.model for p in grouped["fashion-mnist"]] == ["teacher", "student", "student-int8"]


def test_hover_text_names_run_model_and_figures():
    point = points_by_dataset([run("a", "synthetic")])["synthetic"][1]
    assert point.describe() == ("kd-synthetic · run a\nstudent\naccuracy 80.00%\n"
                                "latency 0.100 ms\nparams 100")


def test_dataset_name_reads_old_and_new_summaries():
    assert dataset_name({"dataset": "synthetic"}) == "synthetic"
    assert dataset_name({}) == "unknown"


def test_latency_cell_shows_its_interquartile_range():
    figures = {"accuracy": 0.9, "latency_ms": 0.2, "latency_p25_ms": 0.18, "latency_p75_ms": 0.25}
    assert latency_iqr(figures) == (0.18, 0.25)
    assert latency_iqr({"latency_p25_ms": "x", "latency_p75_ms": 1}) is None
    rows = comparison_rows({"models": {"teacher": figures}})
    assert "0.200 (0.180–0.250)" in rows[0]
