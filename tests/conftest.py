"""Shared test configuration: hypothesis profiles.

`ci` (the default) is derandomised: every run draws the same examples, so a green main stays
green and a failure reproduces exactly. `thorough` explores with fresh random examples and many
more of them; run it by hand or from bench/ (`HYPOTHESIS_PROFILE=thorough python -m pytest`).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
