"""Shared hypothesis strategies."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def matrices(draw: st.DrawFn, max_rows: int = 12, max_cols: int = 12) -> np.ndarray:
    """A random Gaussian matrix with a random, often decaying, column scaling."""
    n = draw(st.integers(2, max_rows))
    p = draw(st.integers(1, max_cols))
    seed = draw(st.integers(0, 2**31 - 1))
    decay = draw(st.floats(0.0, 3.0))
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)) * np.exp(-decay * np.arange(p))[None, :]


@st.composite
def split_and_vector(draw: st.DrawFn) -> tuple[np.ndarray, float, np.ndarray]:
    """A Jacobian J, a cutoff in (0, lambda_1] and a vector of matching length."""
    J = draw(matrices())
    s = np.linalg.svd(J, compute_uv=False)
    frac = draw(st.floats(0.01, 1.0))
    cutoff = float(s[0] * frac)
    seed = draw(st.integers(0, 2**31 - 1))
    v = np.random.default_rng(seed).standard_normal(J.shape[0])
    return J, cutoff, v
