"""Distill Workbench: knowledge distillation you can see, tune and compare.

The public Python API is small on purpose; everything else lives in
``workbench.core`` (headless) and the front-ends ``workbench.cli`` and
``workbench.gui``.
"""
from __future__ import annotations

from workbench._version import __version__

__all__ = ["__version__", "load_experiment", "run_experiment"]


def __getattr__(name: str):  # lazy, so `import workbench` stays cheap (no torch)
    if name == "load_experiment":
        from workbench.core.presets.load import load_experiment

        return load_experiment
    if name == "run_experiment":
        from workbench.core.engine.pipeline import run_experiment

        return run_experiment
    raise AttributeError(name)
