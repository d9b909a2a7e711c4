"""Run ids: a sortable time stamp, the preset's name and a short random tail."""
from __future__ import annotations

import secrets
from datetime import datetime


def new_run_id(name: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{name}-{secrets.token_hex(2)}"
