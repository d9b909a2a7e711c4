"""Engine tests draw the synthetic dataset once per session."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_synthetic(memoized_synthetic: None) -> None:
    """Every engine test reuses the session's synthetic images."""
