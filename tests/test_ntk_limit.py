"""The infinite-width limit (simulate.limit) and the ntk_limit experiment."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds.kernels import ntk
from simulate.data import gaussian_mixture
from simulate.limit import (
    eigh_inplace,
    full_kernel_split,
    gd_factors,
    limit_gd_eigh,
    limit_gd_lanczos,
    ntk_blocks,
    report_from_split,
    top_kernel_split,
)
from simulate.model import init_random

from .conftest import unit_rows

#: Closed form vs explicit iteration: both are O(T) products of a matrix of norm <= 1 with
#: vectors of norm ~sqrt(n K); round-off ~T n eps ~ 1e-13 for the sizes drawn, 1e-10 is 1000x.
ITER_TOL = 1e-10


def _random_kernel(rng: np.random.Generator, n: int, rank: int) -> tuple[np.ndarray, np.ndarray]:
    A = rng.standard_normal((n, rank))
    S = A @ A.T
    S = (S + S.T) / 2
    return S, np.linalg.eigh(S)[0]


@given(
    st.integers(2, 25),
    st.integers(1, 25),
    st.integers(1, 3),
    st.integers(0, 12),
    st.floats(0.05, 1.0),
    st.integers(0, 2**32 - 1),
)
def test_closed_form_equals_explicit_iteration(n, rank, K, T, frac, seed):
    """r_T = (I - eta S)^T r_0 (6.5) and the test predictions, against T explicit GD steps."""
    rng = np.random.default_rng(seed)
    S, lam = _random_kernel(rng, n, rank)
    lam, U = np.linalg.eigh(S)
    eta = frac / max(lam.max(), 1e-300)
    Y = rng.standard_normal((n, K))
    F0 = rng.standard_normal((n, K))
    cross = rng.standard_normal((4, n))
    F0t = rng.standard_normal((4, K))
    res = limit_gd_eigh(lam, U, Y, eta, T, cross=cross, f0_train=F0, f0_test=F0t)
    # Explicit GD on the linearised model: r <- r - eta S r, and the test output moves by
    # -eta cross r each step (J(x) J^T -> cross).
    r, ft = F0 - Y, F0t.copy()
    for _ in range(T):
        ft -= eta * cross @ r
        r = r - eta * S @ r
    scale = 1 + np.abs(Y).max() + np.abs(F0).max()
    assert np.abs(res.train_residual - r).max() <= ITER_TOL * scale
    assert np.abs(res.train_pred - (Y + r)).max() <= ITER_TOL * scale
    assert np.abs(res.test_pred - ft).max() <= ITER_TOL * scale * (1 + np.abs(cross).sum(1).max())
    lanc = limit_gd_lanczos(S, Y, eta, T, cross=cross, f0_train=F0, f0_test=F0t, tol=1e-13)
    assert np.abs(lanc.train_residual - r).max() <= 1e3 * ITER_TOL * scale
    assert np.abs(lanc.test_pred - ft).max() <= 1e3 * ITER_TOL * scale * (
        1 + np.abs(cross).sum(1).max()
    )


@given(st.floats(0.0, 1.0), st.integers(0, 10**6), st.floats(1e-300, 1e3))
def test_gd_factors_match_the_sum(x, T, lam):
    """g_T(l) = eta sum_{t<T} (1 - eta l)^t and decay = (1 - eta l)^T, also for tiny eta l."""
    eta = x / lam
    if eta == 0:
        return
    decay, g = gd_factors(np.array([lam]), eta, T)
    assert decay[0] == pytest.approx((1 - eta * lam) ** T, rel=1e-9, abs=1e-300)
    # (1 - decay)/lam <= eta T always, with equality in the limit eta lam -> 0.
    assert g[0] <= eta * T * (1 + 1e-12)
    if eta * lam * T < 1e-6:
        assert g[0] == pytest.approx(eta * T, rel=1e-5)


def test_gd_factors_refuse_bad_input():
    with pytest.raises(ValueError, match="eta"):
        gd_factors(np.ones(2), -1.0, 3)
    with pytest.raises(ValueError, match="T must"):
        gd_factors(np.ones(2), 0.5, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Lemma 6\.5"):
        gd_factors(np.array([3.0]), 0.5, 3)
    with pytest.raises(ValueError, match=">= 0"):
        gd_factors(np.array([-1.0]), 0.5, 3)


def test_long_run_limit_is_kernel_regression(rng):
    """T -> inf with Sigma~ invertible: f_T(x) -> Sigma~(x, X) Sigma~^{-1} y (interpolation)."""
    X = unit_rows(rng, 30, 40)  # d > n: Sigma~ is positive definite
    Z = unit_rows(rng, 7, 40)
    S, C = ntk(X), ntk_blocks(X, Z)
    lam, U = np.linalg.eigh(S)
    assert lam.min() > 1e-3 * lam.max()
    Y = np.eye(3)[rng.integers(0, 3, 30)]
    eta = 1 / lam.max()
    T = int(np.ceil(60 / (eta * lam.min())))  # (1 - eta lam_min)^T <= e^-60
    res = limit_gd_eigh(lam, U, Y, eta, T, cross=C)
    np.testing.assert_allclose(res.train_pred, Y, atol=1e-12)
    krr = C @ np.linalg.solve(S, Y)
    np.testing.assert_allclose(res.test_pred, krr, rtol=1e-9, atol=1e-9 * np.abs(krr).max())


@pytest.mark.parametrize("activation", ["softplus", "gaussian"])
def test_block_kernel_equals_reference(rng, activation):
    """ntk_blocks (row blocks, in place, mirrored) equals bounds.kernels.ntk on small n."""
    X = unit_rows(rng, 257, 6)
    Z = unit_rows(rng, 13, 6)
    ref = ntk(X, activation)
    for block in (1, 300, 10**6):
        S = ntk_blocks(X, activation=activation, block_entries=block)
        assert np.array_equal(S, S.T)
        # Block products differ from the full one in the last bits only (BLAS blocking).
        assert np.abs(S - ref).max() <= 1e-14 * np.abs(ref).max()
    cross = ntk_blocks(X, Z, activation=activation, block_entries=100)
    ref_cross = ntk(np.vstack([Z, X]), activation)[:13, 13:]
    assert np.abs(cross - ref_cross).max() <= 1e-14 * np.abs(ref_cross).max()


def test_block_kernel_refuses_bad_input(rng):
    X = unit_rows(rng, 10, 3)
    with pytest.raises(ValueError, match="unit-norm"):
        ntk_blocks(2 * X)
    with pytest.raises(ValueError, match="smooth"):
        ntk_blocks(X, activation="relu")
    with pytest.raises(ValueError, match="columns"):
        ntk_blocks(X, unit_rows(rng, 4, 5))
    with pytest.raises(ValueError, match="out must"):
        ntk_blocks(X, out=np.empty((10, 9)))


def test_eigh_inplace_matches_numpy(rng):
    S = ntk(unit_rows(rng, 80, 5))
    lam_ref = np.linalg.eigvalsh(S)
    lam, U = eigh_inplace(S.copy())
    np.testing.assert_allclose(lam, lam_ref, rtol=0, atol=1e-12 * lam_ref.max())
    np.testing.assert_allclose(U.T @ U, np.eye(80), atol=1e-12)


def test_lanczos_path_matches_eigh_on_a_mixture():
    ds = gaussian_mixture(600, 50, K=3, C=1, d=10, sigma=0.3, seed=1)
    S = ntk_blocks(ds.X_train)
    C = ntk_blocks(ds.X_train, ds.X_test)
    lam, U = np.linalg.eigh(S)
    eta = 1 / (3 * bounds.spectral_norm(ds.X_train) ** 2)  # eta_inf at the theorems' step
    a = limit_gd_eigh(lam, U, ds.y_train, eta, 400, cross=C)
    b = limit_gd_lanczos(S, ds.y_train, eta, 400, cross=C, tol=1e-12)
    assert b.products < 600  # far fewer products than a dense decomposition's n
    assert np.abs(a.train_residual - b.train_residual).max() <= 1e-9
    assert np.abs(a.test_pred - b.test_pred).max() <= 1e-9


def test_report_from_split_equals_from_data():
    ds = gaussian_mixture(300, 10, K=2, C=1, d=10, sigma=0.3, seed=2)
    X, Y = ds.X_train, ds.y_train
    S = ntk(X)
    lam, U = np.linalg.eigh(S)
    split = full_kernel_split(lam, U, 0.5, 2)
    for key in ("6.24", "6.25"):
        rep, inputs = report_from_split(key, split, X, Y, Gamma=3.0, zeta=0.01, delta=0.1, k=10**6)
        ref = bounds.from_data(
            key,
            X,
            Y,
            alpha=inputs["alpha"],
            Gamma=3.0,
            zeta=0.01,
            delta=0.1,
            k=10**6,
            kernel_eigh=(lam, U),
        )
        assert float(rep.error) == pytest.approx(float(ref.error), rel=1e-12)
        assert rep.failing == ref.failing and int(rep.iterations) == int(ref.iterations)
    with pytest.raises(ValueError, match="kron = K = 2"):
        bounds.from_data("6.24", X, Y, split=full_kernel_split(lam, U, 0.5, 3), alpha=0.01,
                         Gamma=3.0, zeta=0.01, delta=0.1, k=10**6)  # fmt: skip
    with pytest.raises(ValueError, match="at most one of kernel_eigh and split"):
        bounds.from_data("6.24", X, Y, split=split, kernel_eigh=(lam, U), alpha=0.01,
                         Gamma=3.0, zeta=0.01, delta=0.1, k=10**6)  # fmt: skip
    # Top eigenpairs only: the same projections, and D an upper bound (the tail is bounded).
    top = top_kernel_split(S, 0.5, 2, r=8)
    assert top.rank == split.rank
    y = bounds.class_major(Y)
    assert float(top.info_norm(y)) == pytest.approx(float(split.info_norm(y)), rel=1e-8)
    assert float(top.early_stopping_distance(y, 3.0)) >= float(
        split.early_stopping_distance(y, 3.0)
    ) * (1 - 1e-8)


def test_finite_net_gram_approaches_the_limit_kernel(rng):
    """J J^T (K/nu^2) -> Sigma(X) = I_K ⊗ Sigma~ (Lemmas 6.11, 6.13): error falls with k."""
    X = unit_rows(rng, 20, 5)
    K, nu = 2, 0.3
    Sigma = np.kron(np.eye(K), ntk(X))
    Xt = torch.as_tensor(X)
    errs = []
    for k in (64, 1024, 16384):
        net = init_random(k, 5, K, nu, seed=k)
        G = net.gram(Xt).numpy() * K / nu**2
        errs.append(np.linalg.norm(G - Sigma, 2) / np.linalg.norm(Sigma, 2))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.1


def test_experiment_reports_fail_only_the_width():
    """At k = inf every report's only failing hypothesis is the width, with the width printed.

    (The registered small config and its negative control run in the contract tests,
    tests/test_experiments.py and tests/test_registries.py.)
    """
    from simulate.experiments.ntk_limit import Config, _dataset, one_n

    cfg = Config(n_values=(120,), n_test=60, cutoff_fractions=(0.5, 0.9), sweep_n=60)
    rows = one_n(cfg, _dataset(cfg), 120, progress=False)
    assert len(rows) == 2
    for r in rows:
        assert r["T"] >= 1 and r["eta_inf"] == pytest.approx(1 / (2 * r["X_norm"] ** 2))
        for p in r["predicted"].values():
            assert p["failing"] == ["width"], p["failing_hypotheses"]
            assert p["width_needed"] is not None and p["width_needed"] > 1e6
        # Corollary 6.6 (6.10) holds exactly in the limit.
        assert r["limit_train_residual"] <= r["predicted"]["6.24"]["train_residual"]
    control = Config(n_values=(120,), n_test=60, sweep_n=60, random_labels=True)
    bad = one_n(control, _dataset(control), 120, progress=False)
    assert bad[0]["limit_test_error"] > rows[0]["limit_test_error"] + 0.2
