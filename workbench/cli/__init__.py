"""Headless front-end: ``workbench run|presets|runs|compare|data``."""
