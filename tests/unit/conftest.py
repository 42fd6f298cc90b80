"""Hypothesis profiles: `dev` locally, `ci` (reproducible, no deadline) when CI=true."""

from __future__ import annotations

import os

from hypothesis import HealthCheck
from hypothesis import settings

settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
