"""Hypothesis profiles: ``ci`` (fast, the default under CI) and ``thorough`` (local runs).

Select with ``HYPOTHESIS_PROFILE=thorough pytest``.  ``ci`` is derandomised (the same examples
every run).  ``thorough`` draws 400 examples per test from a random seed; fix the seed with
``HYPOTHESIS_SEED=3`` (or pytest's ``--hypothesis-seed=3``) to reproduce a run.  It keeps no
example database, so a run depends on its seed only.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """``HYPOTHESIS_SEED`` in the environment acts as ``--hypothesis-seed`` (the option wins)."""
    seed = os.environ.get("HYPOTHESIS_SEED")
    if seed is not None and config.getoption("--hypothesis-seed", None) is None:
        from hypothesis import core

        core.global_force_seed = int(seed)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)
