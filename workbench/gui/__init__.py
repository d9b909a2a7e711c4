"""The desktop app (PySide6 + pyqtgraph): a view on ``workbench.core``, no business logic."""
