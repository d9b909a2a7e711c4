"""Files shipped inside the package: the bundled presets and the trained teacher's weights.

They live here, as package data, so that a built wheel carries them and
``importlib.resources`` finds them the same way in a checkout, an editable
install and an installed wheel (see ``workbench.core.paths.bundled_dir``).
No code here: ``presets/`` holds YAML, ``assets/`` holds weights that the
presets name by a relative ``weights:`` path.
"""
