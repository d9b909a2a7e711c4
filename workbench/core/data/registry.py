"""The dataset registry: name -> loader(data) -> ImageDataset, with declared parameters.

``data`` is the validated ``data:`` section: the fields every dataset shares
(dataset, root, download, seed, ...) plus the chosen dataset's own Params, which it
declares when it registers (``DATASETS.register(name, params=...)``), the way
distillation methods declare theirs.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.core.config.section import Section
from workbench.core.data.dataset import ImageDataset
from workbench.core.config.registry import Registry

DatasetLoader = Callable[[Section], ImageDataset]
DATASETS: Registry[DatasetLoader] = Registry("dataset")

# What a loader may read besides its own Params, when called without a preset.
_SHARED_DEFAULTS = {"root": None, "download": True, "seed": 0}


def load_named(name: str, **values: Any) -> ImageDataset:
    """Load a dataset by name, its Params at their defaults unless given in ``values``.

    Raises:
        KeyError: no such dataset. DataError: it cannot be read.
    """
    entry = DATASETS.get(name)
    section = {"dataset": name, **_SHARED_DEFAULTS,
               **{param.name: param.default for param in entry.params}, **values}
    return entry.factory(Section(section))
