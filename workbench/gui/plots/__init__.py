"""pyqtgraph plots: growing buffers, live curves, export."""
