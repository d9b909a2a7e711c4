"""Copy as YAML / Paste preset: text is data, validated, and may not point at files."""
from __future__ import annotations

import pytest
import yaml

from workbench.core.errors import PresetError
from workbench.core.presets import load_experiment
from workbench.core.presets.clipboard import preset_from_yaml_text, preset_to_yaml_text


def test_copy_then_paste_gives_the_same_preset() -> None:
    preset = load_experiment("synthetic-quick", overrides=["distill.alpha=0.25"])
    text = preset_to_yaml_text(preset)
    assert "teacher: synthetic-cnn" in text  # library models stay named
    pasted = preset_from_yaml_text(text)
    assert pasted.to_dict() == preset.to_dict()


@pytest.mark.parametrize("role, section, value, path", [
    ("teacher", None, "/etc/model.yaml", "teacher"),
    ("teacher", None, {"architecture": "mlp", "weights": "/home/someone/w.pt"}, "teacher.weights"),
    ("data", "root", "/home/someone", "data.root")])
def test_pasted_text_may_not_point_at_files(role: str, section: str | None, value: object,
                                            path: str) -> None:
    settings = yaml.safe_load(preset_to_yaml_text(load_experiment("synthetic-quick")))
    if section is None:
        settings[role] = value
    else:
        settings[role][section] = value
    with pytest.raises(PresetError) as raised:
        preset_from_yaml_text(yaml.safe_dump(settings))
    assert path in [problem.path for problem in raised.value.problems]


def test_pasted_tags_never_run(tmp_path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(PresetError, match="not valid YAML"):
        preset_from_yaml_text(f'name: !!python/object/apply:os.system ["touch {marker}"]\n')
    assert not marker.exists()
