"""The M-NTK of Definition 2.1: closed forms, Monte Carlo, structure, Schur's bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounds import kernels
from bounds.kernels import dual_expectation, mntk, ntk

from .conftest import unit_rows

rhos = st.floats(-1.0, 1.0)


@given(rhos, st.floats(0.1, 2.0), st.floats(0.1, 2.0))
def test_gaussian_dphi_closed_form(rho, a, b):
    """phi'(z) = exp(-z^2/2): E = ((1+a^2)(1+b^2) - a^2 b^2 rho^2)^{-1/2} (Gaussian integral)."""
    exact = 1 / np.sqrt((1 + a**2) * (1 + b**2) - a**2 * b**2 * rho**2)
    got = dual_expectation(rho, "gaussian", a=a, b=b)
    np.testing.assert_allclose(got, exact, rtol=1e-11)


@given(st.floats(-0.95, 0.95))
def test_step_dphi_arccos_closed_form(rho):
    """phi' = step: E = (pi - arccos rho) / (2 pi).  Discontinuous: slow, documented convergence."""
    exact = (np.pi - np.arccos(rho)) / (2 * np.pi)
    got = dual_expectation(rho, "relu", 300)
    assert abs(got - exact) < 2e-2


def test_softplus_quadrature_converges():
    r = np.linspace(-1, 1, 33)
    ref = dual_expectation(r, "softplus", 240)
    err = np.abs(dual_expectation(r, "softplus", kernels.DEFAULT_DEGREE) - ref).max()
    assert err < 1e-13


def test_softplus_against_monte_carlo():
    rng = np.random.default_rng(7)
    X = unit_rows(rng, 5, 4)
    N = 400_000
    W = rng.standard_normal((N, 4))
    S = 1 / (1 + np.exp(-(W @ X.T)))  # sigmoid = softplus'
    mc = (S.T @ S) / N * (X @ X.T)
    se = np.sqrt(np.var(S[:, :, None] * S[:, None, :], axis=0) / N) * np.abs(X @ X.T)
    assert np.all(np.abs(ntk(X) - mc) <= 5 * se + 1e-12)


@given(st.integers(0, 2**31 - 1))
def test_interpolated_kernel_matches_direct_quadrature(seed):
    rng = np.random.default_rng(seed)
    X = unit_rows(rng, 12, 3)
    fast = ntk(X)
    direct = ntk(X, unit_norm=False)
    np.testing.assert_allclose(fast, direct, atol=1e-13)


@given(st.integers(0, 2**31 - 1), st.integers(2, 12), st.integers(1, 6))
def test_ntk_is_psd_and_gaussian_closed_form(seed, n, d):
    rng = np.random.default_rng(seed)
    X = unit_rows(rng, n, d)
    K = ntk(X, "gaussian")
    G = X @ X.T
    np.testing.assert_allclose(K, G / np.sqrt(4 - np.clip(G, -1, 1) ** 2), atol=1e-13)
    Ks = ntk(X)
    assert np.linalg.eigvalsh(Ks).min() >= -1e-12
    np.testing.assert_allclose(Ks, Ks.T)


@given(st.integers(0, 2**31 - 1), st.integers(1, 4))
def test_mntk_block_diagonal_and_schur(seed, K):
    rng = np.random.default_rng(seed)
    X = unit_rows(rng, 6, 3)
    S = mntk(X, K)
    n = X.shape[0]
    base = ntk(X)
    for a in range(K):
        for b in range(K):
            blk = S[a * n : (a + 1) * n, b * n : (b + 1) * n]
            np.testing.assert_array_equal(blk, base if a == b else 0.0)
    X_norm = np.linalg.norm(X, 2)
    assert np.linalg.eigvalsh(S).max() <= kernels.schur_upper_bound(X_norm, 1.0) * (1 + 1e-12)


def test_non_unit_rows_gaussian_closed_form(rng):
    X = unit_rows(rng, 6, 3) * rng.uniform(0.7, 1.3, (6, 1))
    nr = np.linalg.norm(X, axis=1)
    G = X @ X.T
    exact = G / np.sqrt((1 + nr[:, None] ** 2) * (1 + nr[None, :] ** 2) - G**2)
    np.testing.assert_allclose(ntk(X, "gaussian", unit_norm=False), exact, rtol=1e-11)


def test_interpolant_reports_small_error():
    assert kernels.dual_interpolant("softplus").error_estimate < 1e-13


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ntk(np.ones((3, 2))), "unit-norm"),
        (lambda: ntk(np.array([[1.0, np.nan]])), "finite"),
        (lambda: ntk(np.eye(2), activation="tanh"), "activation"),
        (lambda: ntk(np.eye(2), degree=1), "degree"),
        (lambda: mntk(np.eye(2), 0), "K"),
        (lambda: dual_expectation(1.5), "rho"),
    ],
)
def test_bad_kernel_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()
