"""The competing bound of Arora et al. (2019), kernel form (bounds.competing)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds.competing import COND_FACTOR, IllConditioned, arora_2019, quadratic_form


@st.composite
def gram_and_labels(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """A well-conditioned SPD Gram (n x n), K and a class-major vector of length nK."""
    n = draw(st.integers(2, 14))
    K = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    log_cond = draw(st.floats(0.0, 6.0))
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    lam = np.logspace(0, -log_cond, n)
    H = (Q * lam) @ Q.T
    return (H + H.T) / 2, rng.standard_normal(n * K), K


@given(gram_and_labels())
def test_quadratic_form_eigh_equals_solve(case):
    H, y, K = case
    q, lam0, lmax = quadratic_form(H, y, K=K)
    Y = y.reshape(K, -1).T
    ref = float(np.sum(Y * scipy.linalg.solve(H, Y, assume_a="pos")))
    # Both are backward stable: relative error ~ cond * eps <= 1e6 * 2e-16; 1e-7 is 100x above.
    assert q == pytest.approx(ref, rel=1e-7)
    assert lam0 > 0 and lmax >= lam0


@given(gram_and_labels(), st.data())
def test_moving_labels_onto_the_top_eigenvector_lowers_the_bound(case, data):
    """y^T H^{-1} y = sum_i c_i^2 / lambda_i: moving the weight c_j of an eigenvector with
    lambda_j < lambda_1 onto the top eigenvector (||y|| fixed) lowers it by
    c_j^2 (1/lambda_j - 1/lambda_1) > 0, so the bound decreases."""
    H, y, K = case
    lam, U = np.linalg.eigh(H)
    n = lam.size
    j = data.draw(st.integers(0, n - 2))
    if lam[j] >= lam[-1] * (1 - 1e-6):
        return  # (near-)equal eigenvalues: nothing to move
    C = U.T @ y.reshape(K, n).T  # coefficients, n x K
    C2 = C.copy()
    C2[-1] = np.sign(C[-1] + (C[-1] == 0)) * np.sqrt(C[-1] ** 2 + C[j] ** 2)
    C2[j] = 0.0
    moved = (U @ C2).T.ravel()
    before = arora_2019(H, y, delta=0.1, K=K)
    after = arora_2019(H, moved, delta=0.1, K=K)
    drop = float(np.sum(C[j] ** 2)) * (1 / lam[j] - 1 / lam[-1])
    assert after.y_Hinv_y == pytest.approx(
        before.y_Hinv_y - drop, rel=1e-7, abs=1e-9 * before.y_Hinv_y
    )
    if drop > 1e-6 * before.y_Hinv_y:
        assert after.complexity < before.complexity
    assert after.confidence == before.confidence


def test_bound_on_the_ntk_is_a_report_with_hypotheses():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    labels = rng.integers(0, 2, 30)
    Y = np.eye(2)[labels]
    H = bounds.kernels.ntk(X)
    rep = arora_2019(
        H, bounds.class_major(Y), delta=0.05, K=2, k=64, kappa=1.0, eta=1e-3, iterations=10
    )
    assert rep.informal and not rep.rigorous
    assert {"lambda_0", "labels", "width", "init_scale", "step_size", "iterations"} == {
        c.name for c in rep.conditions
    }
    assert "width" in rep.failing and "init_scale" in rep.failing
    assert rep.error == pytest.approx(rep.complexity + rep.confidence)
    # y^T (I_K ⊗ H)^{-1} y is the sum over classes.
    per_class = sum(float(Y[:, j] @ np.linalg.solve(H, Y[:, j])) for j in range(2))
    assert rep.y_Hinv_y == pytest.approx(per_class, rel=1e-9)
    assert "Arora" in str(rep)


def test_scaling_H_scales_the_complexity():
    """sqrt(2 y^T (cH)^{-1} y / n) = sqrt(2 y^T H^{-1} y / n) / sqrt(c)."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((8, 8))
    H = A @ A.T + np.eye(8)
    y = rng.standard_normal(8)
    a, b = arora_2019(H, y, delta=0.1), arora_2019(4.0 * H, y, delta=0.1)
    assert b.complexity == pytest.approx(a.complexity / 2, rel=1e-12)


def test_ill_conditioned_gram_is_reported_not_computed():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3))
    H = x @ x.T  # rank 3 < 6
    with pytest.raises(IllConditioned, match="ill-conditioned"):
        arora_2019(H, rng.standard_normal(6), delta=0.1)
    # Just above the floor it computes; the floor is COND_FACTOR * m * eps * lambda_max.
    lam = np.array([1.0, 10 * COND_FACTOR * 6 * np.finfo(float).eps, 0.5, 0.5, 0.5, 0.5])
    q = quadratic_form(np.diag(lam), np.ones(6))[0]
    assert q == pytest.approx(float(np.sum(1 / lam)), rel=1e-12)


@pytest.mark.parametrize(
    ("H", "y", "kw", "match"),
    [
        (np.ones((2, 3)), np.ones(2), {}, "square"),
        (np.array([[1.0, 0.5], [0.0, 1.0]]), np.ones(2), {}, "symmetric"),
        (np.diag([1.0, -1.0]), np.ones(2), {}, "positive semidefinite"),
        (np.eye(2), np.ones(3), {}, "length"),
        (np.eye(2), np.ones(2), {"delta": 1.5}, "delta"),
    ],
)
def test_bad_input_names_the_argument(H, y, kw, match):
    with pytest.raises(ValueError, match=match):
        arora_2019(H, y, **{"delta": 0.1, **kw})
