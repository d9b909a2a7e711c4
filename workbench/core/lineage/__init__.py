"""Lineage: did a suspect model learn from a teacher? Similarity metrics on a probe set,
calibrated against reference models that did not learn from it (``workbench detect``)."""
