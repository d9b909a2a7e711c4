"""The fashion-kd-cnn demo's claims that hold without training: its student is at least
50x smaller than its teacher, and the model descriptions state the real sizes."""
from __future__ import annotations

import re

from workbench.core.models import build_model
from workbench.core.presets import load_experiment, load_model_preset


def _params(name: str) -> int:
    model = load_model_preset(name)
    module = build_model(model.architecture, model.args, (1, 28, 28), 10)
    return sum(p.numel() for p in module.parameters())


def test_the_demo_student_is_at_least_fifty_times_smaller_than_its_teacher() -> None:
    preset = load_experiment("fashion-kd-cnn")
    assert (preset.teacher.name, preset.student.name) == ("fashion-cnn-teacher", "fashion-cnn-17k")
    teacher, student = _params("fashion-cnn-teacher"), _params("fashion-cnn-17k")
    assert (teacher, student) == (870_826, 17_018)
    assert teacher / student >= 50
    # the claim is against the plain student: the run must train it beside the distilled one
    assert preset.train["baseline"] is True


def test_the_student_description_states_its_real_size() -> None:
    description = load_model_preset("fashion-cnn-17k").description
    stated = re.search(r"\(([\d.]+)k params, (\d+)x smaller\)", description)
    assert stated is not None
    assert float(stated.group(1)) == round(_params("fashion-cnn-17k") / 1000, 1)
    assert int(stated.group(2)) == _params("fashion-cnn-teacher") // _params("fashion-cnn-17k")
