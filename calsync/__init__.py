"""calsync: strength blocks for a runner's calendar."""

from __future__ import annotations

__version__ = "0.1.0"
