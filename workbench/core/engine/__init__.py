"""The training engine: loop, events, control, checkpoints and the whole-run pipeline."""
