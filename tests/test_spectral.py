"""Mathematical facts about the information/nuisance split (Defs. 1.1, 5.2, 6.1; Lemmas 6.2-6.5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounds import InfoNuisance, corollary_6_6_bound, lemma_6_2
from bounds.spectral import RANK_RTOL

from .strategies import matrices, split_and_vector


@given(split_and_vector())
def test_projections_are_complementary(data):
    J, cutoff, v = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    pi, pn = s.project_info(v), s.project_nuisance(v)
    np.testing.assert_allclose(pi + pn, v, atol=1e-12)
    assert abs(pi @ pn) <= 1e-10 * (1 + v @ v)
    np.testing.assert_allclose(s.info_norm(v) ** 2 + s.nuisance_norm(v) ** 2, v @ v, rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(pi), s.info_norm(v), rtol=1e-10, atol=1e-12)


@given(split_and_vector())
def test_rank_counts_singular_values_at_least_cutoff(data):
    J, cutoff, _ = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    sv = np.linalg.svd(J, compute_uv=False)
    # The split compares sqrt(s^2) with the cutoff at relative RANK_RTOL; only a singular value
    # that close to the cutoff can make the count differ, and the split reports it.
    assert s.rank == int(np.sum(sv >= cutoff * (1 - RANK_RTOL))) or s.rank_at_boundary


def test_singular_value_equal_to_cutoff_is_information():
    s = InfoNuisance.from_jacobian(np.diag([3.0, 2.0, 1.0]), cutoff=2.0)
    assert s.rank == 2


@given(split_and_vector())
def test_pinv_norm_matches_numpy_pinv(data):
    J, cutoff, v = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    U, sv, Vt = np.linalg.svd(J, full_matrices=False)
    r = s.rank
    J_I = (U[:, :r] * sv[:r]) @ Vt[:r]
    expected = np.linalg.norm(np.linalg.pinv(J_I, rcond=1e-13) @ v)
    np.testing.assert_allclose(s.pinv_norm(v), expected, rtol=1e-7)


@given(split_and_vector(), st.floats(1.0, 20.0))
def test_lemma_6_2_inequalities(data, Gamma):
    """(6.2)-(6.3) on B computed here from the SVD, and lemma_6_2's flags agree with them."""
    J, cutoff, v = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    rep = lemma_6_2(s, v, Gamma=Gamma)
    # Definition 6.1 from numpy's SVD: directions outside range(J) have lambda = 0 (weight 0).
    # The split's rank is taken as given (its rule at the cutoff is tested above).
    U, sv, _ = np.linalg.svd(J, full_matrices=False)
    a = U.T @ v
    info = np.arange(len(sv)) < s.rank
    B = np.sqrt(
        np.sum((cutoff / sv[info]) ** 2 * a[info] ** 2)
        + Gamma**2 * np.sum((sv[~info] / cutoff) ** 2 * a[~info] ** 2)
    )
    pi, pn = np.linalg.norm(a[info]), np.sqrt(max(v @ v - np.sum(a[info] ** 2), 0.0))
    np.testing.assert_allclose(rep.value, B, rtol=1e-9, atol=1e-12)
    # The slack covers the round-off of the sums (relative 1e-15) a thousandfold.
    tol = 1e-12 * (1 + Gamma * np.linalg.norm(v))
    assert B <= np.sqrt(pi**2 + Gamma**2 * pn**2) + tol
    assert np.sqrt(pi**2 + Gamma**2 * pn**2) <= Gamma * np.linalg.norm(v) + tol
    assert B >= cutoff / sv[0] * pi - tol
    assert all(bool(c.holds) for c in rep.conditions), rep


@given(split_and_vector(), st.floats(1.0, 20.0))
def test_early_stopping_value_is_Gamma_lipschitz(data, Gamma):
    """Eq. (6.76): B(v) is a weighted norm with weights <= max(1, Gamma)."""
    J, cutoff, v = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    w = np.random.default_rng(1).standard_normal(v.shape)
    lhs = abs(s.early_stopping_value(v, Gamma) - s.early_stopping_value(w, Gamma))
    assert lhs <= Gamma * np.linalg.norm(v - w) * (1 + 1e-10)
    # even
    np.testing.assert_allclose(s.early_stopping_value(-v, Gamma), s.early_stopping_value(v, Gamma))


@given(split_and_vector(), st.floats(1.0, 5.0))
def test_distance_bounded_by_pinv_plus_nuisance(data, Gamma):
    """Definition 6.1: D <= ||J_I^+ r0|| + (Gamma/alpha) ||Pi_N r0||."""
    J, cutoff, v = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    D = s.early_stopping_distance(v, Gamma)
    assert D <= s.pinv_norm(v) + Gamma / cutoff * s.nuisance_norm(v) + 1e-10 * (1 + D)


@given(split_and_vector(), st.integers(0, 30), st.floats(0.05, 1.0))
def test_lemma_6_5_closed_form_equals_iteration(data, tau, frac):
    J, cutoff, r0 = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    eta = frac / s.lambda_1**2
    r = r0.copy()
    G = J @ J.T
    for _ in range(tau):
        r = r - eta * G @ r
    np.testing.assert_allclose(
        s.linearized_residual(r0, eta, tau), r, atol=1e-9 * (1 + np.linalg.norm(r0))
    )
    tot, info, nuis = s.linearized_residual_norms(r0, eta, [tau])
    np.testing.assert_allclose(tot[0], np.linalg.norm(r), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(info[0], s.info_norm(r), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(nuis[0], s.nuisance_norm(r), rtol=1e-8, atol=1e-12)


@given(split_and_vector(), st.integers(0, 50), st.floats(0.05, 1.0))
def test_corollary_6_6(data, tau, frac):
    J, cutoff, r0 = data
    s = InfoNuisance.from_jacobian(J, cutoff)
    eta = frac / s.lambda_1**2
    lhs = np.linalg.norm(s.linearized_residual(r0, eta, tau))
    rhs = corollary_6_6_bound(s.info_norm(r0), s.nuisance_norm(r0), eta, cutoff, tau)
    assert lhs <= rhs * (1 + 1e-10) + 1e-12


@given(st.integers(0, 2**31 - 1), st.integers(1, 4), st.integers(2, 8))
def test_kron_split_equals_dense_split(seed, K, n):
    """I_K (x) A handled through kron=K matches the dense nK x nK eigendecomposition."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n + 2))
    G = A @ A.T
    lam, U = np.linalg.eigh(G)
    cutoff = float(np.sqrt(lam.max())) * 0.5
    kron = InfoNuisance.from_eigh(lam, U, cutoff, kron=K)
    dense = InfoNuisance.from_gram(np.kron(np.eye(K), G), cutoff)
    v = rng.standard_normal(n * K)
    assert kron.rank == dense.rank
    for f in ("info_norm", "nuisance_norm", "pinv_norm"):
        np.testing.assert_allclose(getattr(kron, f)(v), getattr(dense, f)(v), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        kron.early_stopping_value(v, 3.0), dense.early_stopping_value(v, 3.0), rtol=1e-9
    )


@given(matrices(max_rows=10, max_cols=20))
def test_partial_basis_gives_upper_bound(J):
    """Top-r eigenpairs only: norms exact, B an upper bound (tail bounded by the last eigenvalue)."""
    G = J @ J.T
    lam, U = np.linalg.eigh(G)
    lam, U = np.clip(lam[::-1], 0.0, None), U[:, ::-1]
    m = max(1, len(lam) // 2)
    tail = float(lam[m]) if m < len(lam) else 0.0
    if lam[m - 1] <= max(1e-12, tail * (1 + 1e-6)):
        return  # no gap between the kept and the dropped eigenvalues
    cutoff = float(np.sqrt(lam[m - 1]))
    full = InfoNuisance.from_eigh(lam, U, cutoff)
    part = InfoNuisance.from_eigh(lam[:m], U[:, :m], cutoff, tail_bound=tail)
    v = np.random.default_rng(0).standard_normal(J.shape[0])
    np.testing.assert_allclose(part.nuisance_norm(v), full.nuisance_norm(v), rtol=1e-9, atol=1e-12)
    assert part.early_stopping_value(v, 2.0) >= full.early_stopping_value(v, 2.0) * (1 - 1e-10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(J=np.eye(3), cutoff=0.0), "cutoff"),
        (dict(J=np.eye(3), cutoff=2.0), "cutoff"),
        (dict(J=np.eye(3), cutoff=-1.0), "cutoff"),
        (dict(J=np.array([[np.nan, 1.0]]), cutoff=0.5), "finite"),
        (dict(J=np.ones(3), cutoff=0.5), "2-d"),
    ],
)
def test_bad_split_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InfoNuisance.from_jacobian(kwargs["J"], kwargs["cutoff"])


def test_bad_vectors_and_grams():
    s = InfoNuisance.from_jacobian(np.eye(3), 0.5)
    with pytest.raises(ValueError, match="length 3"):
        s.info_norm(np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        s.info_norm(np.array([1.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="PSD"):
        InfoNuisance.from_gram(np.diag([1.0, -1.0]), 0.5)
    with pytest.raises(ValueError, match="symmetric"):
        InfoNuisance.from_gram(np.array([[1.0, 0.5], [0.0, 1.0]]), 0.5)
    with pytest.raises(ValueError, match="Gamma"):
        s.early_stopping_value(np.ones(3), 0.0)


@given(split_and_vector(), st.sampled_from([1e-150, 1e-20, 1.0, 1e20, 1e150]))
def test_split_decisions_do_not_depend_on_scale(data, scale):
    """No absolute floors: J and r0 scaled together give the same rank and the same Lemma 6.2
    verdicts, and an asymmetric Gram is rejected at any scale."""
    J, cutoff, v = data
    a = InfoNuisance.from_jacobian(J, cutoff)
    b = InfoNuisance.from_jacobian(J * scale, cutoff * scale)
    assert a.rank == b.rank or a.rank_at_boundary
    ra, rb = lemma_6_2(a, v, Gamma=2.0), lemma_6_2(b, v * scale, Gamma=2.0)
    assert [bool(c.holds) for c in ra.conditions] == [bool(c.holds) for c in rb.conditions]
    G = J @ J.T * scale**2
    G[0, -1] += 1e-3 * np.abs(G).max()
    if G.shape[0] > 1 and np.isfinite(G).all() and np.abs(G).max() > 0:
        with pytest.raises(ValueError, match="symmetric"):
            InfoNuisance.from_gram(G, cutoff * scale)
