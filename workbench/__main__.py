"""`python -m workbench` does exactly what the `workbench` command does."""
from __future__ import annotations

import sys

from workbench.launch import main

if __name__ == "__main__":
    sys.exit(main())
