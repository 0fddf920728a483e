"""Reports from data, and the random-matrix lemmas (6.3, 6.4, 6.11, 6.13) on random instances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

import bounds
from bounds.spectral import psd_sqrt

from .conftest import unit_rows


def mixture(rng, n=60, d=8, K=2, C=2, sigma=0.1):
    M = unit_rows(rng, K * C, d)
    cl = rng.integers(0, K * C, n)
    X = M[cl] + sigma / math.sqrt(d) * rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.eye(K)[cl // C], M


def test_from_data_6_24_equals_manual_pipeline(rng):
    X, Y, _ = mixture(rng)
    sc = dict(alpha=0.1, Gamma=2.0, zeta=0.05, delta=0.1, k=10**8)
    rep, q = bounds.from_data("6.24", X, Y, return_quantities=True, **sc)
    n, K = Y.shape
    Xn = np.linalg.norm(X, 2)
    a0 = 0.1 * math.sqrt(math.sqrt(n) * K * Xn)
    S = bounds.kernels.mntk(X, K)
    lam, U = np.linalg.eigh(S)
    y = Y.T.reshape(-1)
    coef = U.T @ y
    info = lam >= a0**2
    assert q.rank == int(info.sum())
    assert q.info == pytest.approx(np.linalg.norm(coef[info]), rel=1e-9)
    assert q.pinv == pytest.approx(np.sqrt(np.sum(coef[info] ** 2 / lam[info])), rel=1e-9)
    manual = bounds.theorem_6_24(
        n=n,
        K=K,
        B=1.0,
        X_norm=Xn,
        y_info=q.info,
        y_nuisance=q.nuisance,
        y_pinv=q.pinv,
        lambda_1=float(np.sqrt(lam.max())),
        **sc,
    )
    assert rep.error == pytest.approx(manual.error, rel=1e-12)


def test_from_data_other_theorems(rng):
    X, Y, M = mixture(rng)
    sc = dict(alpha=0.1, Gamma=2.0, zeta=0.05, k=10**8)
    assert bounds.from_data("6.23", X, Y, **sc).train_residual > 0
    assert bounds.from_data("6.25", X, Y, delta=0.1, **sc).error > 0
    assert bounds.from_data("2.2", X, Y, alpha=0.05, Gamma=2.0, k=10**8).informal
    rep = bounds.from_data(
        "A.3", X, Y, centers=M, Gamma=2.0, zeta=0.1, delta=0.1, k=10**9, C=2, sigma=0.1
    )
    assert rep.error > 0


def test_from_jacobian_6_22_equals_manual(rng):
    n, K, p = 10, 2, 40
    J = rng.standard_normal((n * K, p)) / math.sqrt(p)
    r0 = rng.standard_normal(n * K)
    sc = dict(alpha=0.3, Gamma=2.0, zeta=0.2, delta=0.1, k=10**6, n=n, nu=1.0, B=1.0, X_norm=2.0)
    rep, q = bounds.from_jacobian("6.22", J=J, r0=r0, return_quantities=True, **sc)
    rep_g = bounds.from_jacobian("6.22", gram=J @ J.T, r0=r0, **sc)
    assert rep.error == pytest.approx(rep_g.error, rel=1e-9)
    abar = 0.3 * math.sqrt(math.sqrt(n) * 2.0)
    split = bounds.InfoNuisance.from_jacobian(J, abar)
    G = float(rep.inputs["Gamma_effective"])
    assert q.distance == pytest.approx(float(split.early_stopping_distance(r0, G)), rel=1e-12)
    assert rep.bias == pytest.approx(2 * float(split.nuisance_norm(r0)) / math.sqrt(n))


def test_from_data_bad_inputs(rng):
    X, Y, _ = mixture(rng)
    sc = dict(alpha=0.1, Gamma=2.0, zeta=0.05, delta=0.1, k=10**8)
    with pytest.raises(ValueError, match="one-hot"):
        bounds.from_data("6.24", X, Y * 2, **sc)
    with pytest.raises(ValueError, match="same number of rows"):
        bounds.from_data("6.24", X[:-1], Y, **sc)
    with pytest.raises(ValueError, match="unit-norm"):
        bounds.from_data("6.24", X * 1.1, Y, **sc)
    with pytest.raises(ValueError, match="from_jacobian"):
        bounds.from_data("6.21", X, Y, **sc)
    with pytest.raises(ValueError, match="exactly one"):
        bounds.from_jacobian("6.22", r0=np.ones(4), alpha=0.1, n=2)


def explicit_gram(W, V, X):
    """J J^T from the explicit class-major Jacobian (6.27), softplus (phi' = sigmoid)."""
    D = special.expit(X @ W.T)  # n x k
    K = V.shape[0]
    J = np.concatenate(
        [np.einsum("is,id->isd", D * V[l], X).reshape(X.shape[0], -1) for l in range(K)]
    )
    return J @ J.T


@given(st.integers(0, 2**31 - 1))
def test_lemma_6_13_deviation_holds_on_random_draws(seed):
    """Lemmas 6.11/6.13: ||J J^T - k nu^2 Sigma(X)|| <= 30 K sqrt(k) nu^2 B^2 ||X||^2 sqrt(log n)."""
    rng = np.random.default_rng(seed)
    n, d, k, K, nu = 6, 3, 64, 2, 0.7
    X = unit_rows(rng, n, d)
    W = rng.standard_normal((k, d))
    V = nu * rng.choice([-1.0, 1.0], size=(K, k))
    dev = np.linalg.norm(explicit_gram(W, V, X) - k * nu**2 * bounds.kernels.mntk(X, K), 2)
    rep = bounds.lemma_6_13(k=k, n=n, K=K, B=1.0, X_norm=np.linalg.norm(X, 2), nu=nu, delta=0.5)
    assert dev <= rep.deviation


def test_lemma_6_11_expectation_by_averaging():
    rng = np.random.default_rng(3)
    n, d, k, K, nu = 4, 3, 20000, 2, 1.0
    X = unit_rows(rng, n, d)
    W = rng.standard_normal((k, d))
    V = nu * rng.choice([-1.0, 1.0], size=(K, k))
    emp = explicit_gram(W, V, X) / (k * nu**2)
    # Entry std is O(1/sqrt(k)) ~ 7e-3; allow 6 sigma.
    assert np.abs(emp - bounds.kernels.mntk(X, K)).max() < 0.05


@given(st.integers(0, 2**31 - 1), st.floats(0.0, 1.0))
def test_lemma_6_3(seed, frac):
    """||(I - eta A B^T) r|| <= (1 + eta eps^2) ||r|| for ||A||,||B|| <= beta, ||B-A|| <= eps."""
    rng = np.random.default_rng(seed)
    n, p = 5, 7
    A = rng.standard_normal((n, p))
    B = A + 0.3 * rng.standard_normal((n, p))
    beta = max(np.linalg.norm(A, 2), np.linalg.norm(B, 2))
    eps = np.linalg.norm(B - A, 2)
    eta = max(frac, 1e-3) / beta**2
    r = rng.standard_normal(n)
    assert np.linalg.norm(r - eta * A @ (B.T @ r)) <= (1 + eta * eps**2) * np.linalg.norm(r) * (
        1 + 1e-12
    )


@given(st.integers(0, 2**31 - 1), st.floats(1e-3, 1.0))
def test_lemma_6_4(seed, scale):
    """A = X X^T, ||A - B|| <= alpha^2  =>  Y = B^{1/2} Q with X = A^{1/2} Q has ||Y - X|| <= 2 alpha."""
    rng = np.random.default_rng(seed)
    n, p = 4, 6
    X = rng.standard_normal((n, p))
    A = X @ X.T
    E = rng.standard_normal((n, n))
    Bm = A + scale * (E + E.T)
    lam_min = np.linalg.eigvalsh(Bm).min()
    if lam_min < 0:
        Bm = Bm - lam_min * np.eye(n)
    alpha = math.sqrt(np.linalg.norm(A - Bm, 2))
    Ah = psd_sqrt(A)
    Q = np.linalg.solve(Ah, X)  # rows orthonormal: Q Q^T = I
    Y = psd_sqrt(Bm) @ Q
    np.testing.assert_allclose(Y @ Y.T, Bm, atol=1e-8 * (1 + np.abs(Bm).max()))
    assert np.linalg.norm(Y - X, 2) <= 2 * alpha * (1 + 1e-9) + 1e-12


def test_from_data_with_precomputed_kernel_eigh_is_identical(rng):
    X, Y, _ = mixture(rng)
    sc = dict(alpha=0.1, Gamma=2.0, zeta=0.05, delta=0.1, k=10**8)
    eig = np.linalg.eigh(bounds.kernels.ntk(X))
    a = bounds.from_data("6.24", X, Y, **sc)
    b = bounds.from_data("6.24", X, Y, kernel_eigh=eig, **sc)
    assert a.to_dict() == b.to_dict()
    with pytest.raises(ValueError, match="kernel_eigh"):
        bounds.from_data("6.24", X, Y, kernel_eigh=(eig[0][:-1], eig[1]), **sc)
