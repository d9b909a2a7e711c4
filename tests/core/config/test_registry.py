"""The generic Registry and the real ones (models, datasets, methods)."""
from __future__ import annotations

import pytest

from workbench.core.data import DATASETS
from workbench.core.distill import METHODS
from workbench.core.models import MODELS
from workbench.core.config.params import Param
from workbench.core.config.registry import Registry


@pytest.fixture()
def widgets() -> Registry[object]:
    registry: Registry[object] = Registry("widget")
    registry.register("sprocket", params=(Param("teeth", "int", 12, "teeth"),),
                      help="a toothed wheel")(object)
    registry.register("flange", help="a rim")(dict)
    return registry


def test_get_returns_the_registered_entry(widgets: Registry[object]) -> None:
    entry = widgets.get("sprocket")
    assert entry.factory is object
    assert [param.name for param in entry.params] == ["teeth"]
    assert entry.help == "a toothed wheel"
    assert "flange" in widgets and "gear" not in widgets
    assert widgets.names() == ["flange", "sprocket"]


def test_unknown_name_lists_known_names_and_suggests(widgets: Registry[object]) -> None:
    with pytest.raises(KeyError) as raised:
        widgets.get("sprockt")
    message = raised.value.args[0]
    assert "unknown widget 'sprockt'" in message
    assert "did you mean 'sprocket'" in message
    assert "known: flange, sprocket" in message


def test_unknown_name_without_close_match_has_no_guess(widgets: Registry[object]) -> None:
    message = widgets.unknown_message("zzzzzz")
    assert "did you mean" not in message
    assert "flange" in message and "sprocket" in message


def test_registering_a_name_twice_is_refused(widgets: Registry[object]) -> None:
    with pytest.raises(ValueError, match="already registered"):
        widgets.register("flange")(list)


def test_real_registries_hold_the_bundled_names() -> None:
    assert {"cnn", "mlp", "resnet"} <= set(MODELS.names())
    assert {"fashion-mnist", "mnist", "synthetic"} <= set(DATASETS.names())
    assert "offline" in METHODS.names()
    assert "did you mean 'resnet'" in MODELS.unknown_message("resnt")


@pytest.mark.parametrize("value", [["sprocket"], {"a": 1}, 3, None])
def test_a_value_that_is_no_name_is_unknown_not_a_type_error(widgets: Registry[object],
                                                             value: object) -> None:
    assert value not in widgets
    message = widgets.unknown_message(value)
    assert "must be the name of a registered widget" in message
    assert "flange, sprocket" in message
    with pytest.raises(KeyError):
        widgets.get(value)  # type: ignore[arg-type]
