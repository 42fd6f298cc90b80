"""`python -m calsync` runs the command line."""

from __future__ import annotations

from calsync.cli import main

main()
