"""Argument types shared by the commands: one message for one kind of bad value."""
from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number >= 1, or argparse's own usage error (exit 2) naming the value."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number >= 1")
    return value


def shape(text: str) -> tuple[int, ...]:
    """One sample's shape, ``1,28,28`` or ``1x28x28`` (C,H,W; or F for feature vectors)."""
    try:
        parts = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        parts = ()
    if not parts or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shape like 1,28,28 or 20")
    return parts
