"""Sweeps: a grid of overrides times N seeds, run as ordinary runs, summarised as mean ± std."""
