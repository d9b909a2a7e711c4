"""Headless core: presets, models, data, distillation, engine, run store.

Nothing under this package may import Qt (PySide6, shiboken6, pyqtgraph);
tests/core/test_headless.py enforces it.
"""
