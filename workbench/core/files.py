"""Files written whole or not at all, and their digests."""
from __future__ import annotations
