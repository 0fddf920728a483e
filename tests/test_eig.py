"""Matrix-free spectra against dense eigendecompositions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from simulate.eig import (
    DENSE_MAX_DIM,
    SPLIT_START,
    gram_eigh,
    gram_operator,
    jacobian_split,
    resolve_method,
    slq_density,
    top_eigenpairs,
)
from simulate.model import init_random


def _net(seed, n=30, d=6, k=40, K=3):
    net = init_random(k, d, K, 1.0, seed, device="cpu")
    X = torch.as_tensor(np.random.default_rng(seed).standard_normal((n, d)))
    return net, X / X.norm(dim=1, keepdim=True)


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=5)
def test_gram_operator_matches_dense(seed):
    net, X = _net(seed)
    U = torch.randn(90, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(gram_operator(net, X)(U), net.gram(X) @ U, rtol=1e-11, atol=1e-11)


@given(st.integers(0, 2**31 - 1), st.integers(1, 12))
@settings(max_examples=5)
def test_top_eigenpairs_match_eigh(seed, r):
    net, X = _net(seed)
    lam, _ = gram_eigh(net, X)
    top = top_eigenpairs(gram_operator(net, X), 90, r, tol=1e-9)
    np.testing.assert_allclose(top.eigenvalues, lam[:r], rtol=1e-8)
    assert np.all(top.residuals <= 1e-9 * lam[0])


def test_slq_matches_exact_density():
    net, X = _net(0, n=40)
    lam, _ = gram_eigh(net, X)
    grid = np.linspace(lam.min() - 1, lam.max() + 1, 400)
    sigma = (grid[-1] - grid[0]) / 30
    est = slq_density(gram_operator(net, X), 120, grid, probes=30, steps=120, sigma=sigma)
    exact = np.exp(-((grid[:, None] - lam[None, :]) ** 2) / (2 * sigma**2)).sum(1) / (
        len(lam) * sigma * np.sqrt(2 * np.pi)
    )
    # With steps >= dim the quadrature is exact per probe; only the trace estimate is random.
    assert np.abs(est - exact).max() <= 0.2 * exact.max()
    assert abs(np.trapezoid(est, grid) - 1) < 0.05


def test_jacobian_split_info_rank():
    net, X = _net(1)
    s = jacobian_split(net, X, info_rank=5)
    assert s.rank == 5


#: Lanczos tolerance of the split tests (residuals <= TOL lambda_1^2, 1e6 above round-off).
TOL = 1e-10


def _gap_tol(lam, r):
    """Davis-Kahan: the top-r projector of the Lanczos split is within ``sqrt(r+1) TOL lambda_1^2 /
    gap`` of the exact one (residual norm over the gap at the cutoff); 10x slack."""
    return 10 * np.sqrt(r + 1) * TOL * lam[0] / (lam[r - 1] - lam[r])


def _vectors(seed, dim, y):
    V = np.random.default_rng(seed + 1).standard_normal((3, dim))
    return np.vstack([V, y])


@given(st.integers(0, 2**31 - 1), st.integers(70, 200), st.integers(1, 30))
@settings(max_examples=6, deadline=None)
def test_lanczos_split_matches_dense_at_info_rank(seed, n, r):
    """nK = 210-600: every quantity the experiments read agrees with the dense split."""
    net, X = _net(seed, n=n, d=10, k=60)
    dim = 3 * n
    lam = np.clip(gram_eigh(net, X)[0], 0, None)
    if lam[r - 1] - lam[r] < 1e-6 * lam[0]:
        return  # cutoff inside a cluster: the projector is ill-posed for both routes
    de = jacobian_split(net, X, info_rank=r, method="dense")
    lz = jacobian_split(net, X, info_rank=r, method="lanczos", tol=TOL)
    assert not lz.exact and lz.eigenvectors.shape == (dim, r + 1)
    assert lz.rank == de.rank == r
    # Tail bound: an upper bound of lambda_{r+1} (no slack: theta + residual >= lambda), and
    # tight (a bound from lambda_r, or a missed pair, is far above).
    assert lam[r] <= lz.tail_bound <= lam[r] + 2 * TOL * lam[0]
    assert abs(lz.lambda_1 - de.lambda_1) <= TOL * de.lambda_1
    assert abs(lz.cutoff - de.cutoff) <= TOL * lam[0] / de.cutoff
    assert lz.rank_at_boundary == de.rank_at_boundary
    V = _vectors(seed, dim, np.asarray(X.sum(1).repeat(3)))
    norms = np.linalg.norm(V, axis=1)
    eps = _gap_tol(lam, r)
    for f in ("info_norm", "nuisance_norm"):
        np.testing.assert_array_less(np.abs(getattr(lz, f)(V) - getattr(de, f)(V)), eps * norms)
    np.testing.assert_array_less(
        np.abs(lz.pinv_norm(V) - de.pinv_norm(V)), eps * norms / np.sqrt(lam[r - 1])
    )
    # Early stopping: the same information part; the tail is bounded by lambda_{r+1}, so the
    # partial split's value is an upper bound, at most the dense one with every nuisance
    # eigenvalue raised to lambda_{r+1}.
    G = 2.0
    d_lz, d_de = lz.early_stopping_distance(V, G), de.early_stopping_distance(V, G)
    np.testing.assert_array_less(d_de * (1 - eps), d_lz)
    a2 = (V @ de.eigenvectors) ** 2
    lam_hi = np.concatenate([lam[:r], np.full(dim - r, lam[r])])
    b2 = (a2[:, :r] * de.cutoff**2 / lam[:r]).sum(1) + G**2 * (
        a2[:, r:] * lam_hi[r:] / de.cutoff**2
    ).sum(1)
    np.testing.assert_array_less(d_lz, np.sqrt(b2) / de.cutoff * (1 + eps) + 1e-300)


@given(st.integers(0, 2**31 - 1), st.integers(2 * SPLIT_START, 60))
@settings(max_examples=4, deadline=None)
def test_lanczos_split_at_a_cutoff_finds_every_pair_above_it(seed, j):
    """A cutoff below the first SPLIT_START pairs: the basis must grow until it holds all."""
    net, X = _net(seed, n=120, d=10, k=60)
    lam = np.clip(gram_eigh(net, X)[0], 0, None)
    if lam[j - 1] - lam[j] < 1e-4 * lam[0]:
        return
    cut = float(np.sqrt((lam[j - 1] + lam[j]) / 2))
    de = jacobian_split(net, X, cutoff=cut, method="dense")
    lz = jacobian_split(net, X, cutoff=cut, method="lanczos", tol=TOL)
    assert lz.rank == de.rank == j
    assert lz.eigenvectors.shape[1] > j and lz.tail_bound < cut**2
    assert lz.tail_bound >= lam[lz.eigenvectors.shape[1] - 1]
    V = _vectors(seed, 360, np.ones(360))
    eps = _gap_tol(lam, j)
    np.testing.assert_array_less(
        np.abs(lz.info_norm(V) - de.info_norm(V)), eps * np.linalg.norm(V, axis=1)
    )


def test_lanczos_split_with_a_complete_basis_is_exact():
    net, X = _net(2, n=10)
    lz = jacobian_split(net, X, info_rank=29, method="lanczos", tol=TOL)
    de = jacobian_split(net, X, info_rank=29, method="dense")
    assert lz.exact and lz.eigenvectors.shape == (30, 30) and lz.rank == de.rank
    np.testing.assert_allclose(
        lz.eigenvalues, de.eigenvalues, rtol=0, atol=1e-8 * de.eigenvalues[0]
    )


def test_jacobian_split_auto_route_and_bad_arguments():
    assert resolve_method("auto", DENSE_MAX_DIM) == "dense"
    assert resolve_method("auto", DENSE_MAX_DIM + 1) == "lanczos"
    net, X = _net(3)
    assert jacobian_split(net, X, info_rank=4).exact  # auto: dense at nK = 90
    with pytest.raises(ValueError, match="method"):
        jacobian_split(net, X, info_rank=4, method="eigh")
    with pytest.raises(ValueError, match="tol"):
        jacobian_split(net, X, info_rank=4, method="lanczos", tol=0.0)
    with pytest.raises(ValueError, match="info_rank"):
        jacobian_split(net, X, info_rank=91, method="lanczos")
    with pytest.raises(ValueError, match="cutoff"):
        jacobian_split(net, X, cutoff=1e3, method="lanczos")
    with pytest.raises(ValueError, match="exactly one"):
        jacobian_split(net, X, method="lanczos")


def test_top_eigenpairs_thick_restart_residuals_are_true():
    """A small basis forces restarts; the reported residuals match fresh products."""
    net, X = _net(3)
    apply = gram_operator(net, X)
    lam, _ = gram_eigh(net, X)
    top = top_eigenpairs(apply, 90, 6, tol=1e-10, block=2, max_basis=20)
    assert top.iterations > 0
    np.testing.assert_allclose(top.eigenvalues, lam[:6], rtol=1e-8)
    U = torch.as_tensor(top.eigenvectors)
    fresh = torch.linalg.vector_norm(apply(U) - U * torch.as_tensor(top.eigenvalues), dim=0)
    np.testing.assert_allclose(fresh.numpy(), top.residuals, atol=1e-12 * lam[0])
    assert np.all(fresh.numpy() <= 1e-10 * lam[0])


@given(st.integers(0, 2**31 - 1), st.integers(1, 10))
@settings(max_examples=5)
def test_top_eigenpairs_mixed_precision_is_certified_in_float64(seed, r):
    """A float32 Krylov phase, then float64 Rayleigh-Ritz: residuals from the float64 operator."""
    net, X = _net(seed)
    lam, _ = gram_eigh(net, X)
    exact = gram_operator(net, X)
    top = top_eigenpairs(
        exact, 90, r, tol=1e-6, fast_apply=gram_operator(net, X, dtype=torch.float32)
    )
    assert top.fast_matvecs > 0 and top.matvecs >= r
    np.testing.assert_allclose(top.eigenvalues, lam[:r], rtol=1e-9, atol=1e-9 * lam[0])
    U = torch.as_tensor(top.eigenvectors)
    fresh = torch.linalg.vector_norm(exact(U) - U * torch.as_tensor(top.eigenvalues), dim=0)
    np.testing.assert_allclose(fresh.numpy(), top.residuals, atol=1e-12 * lam[0])
    assert np.all(fresh.numpy() <= 1e-6 * lam[0])


def test_top_eigenpairs_falls_back_when_fast_operator_is_too_inexact():
    """A fast operator off by 1e-3 cannot give 1e-9 residuals; the exact phase takes over."""
    net, X = _net(4)
    lam, _ = gram_eigh(net, X)
    exact = gram_operator(net, X)
    E = (
        1e-3
        * lam[0]
        * torch.eye(90, dtype=torch.float64)[
            torch.randperm(90, generator=torch.Generator().manual_seed(0))
        ]
    )
    E = (E + E.T) / 2
    top = top_eigenpairs(exact, 90, 5, tol=1e-9, fast_apply=lambda U: exact(U) + E @ U, block=2)
    assert top.matvecs > 5 + 2  # more exact products than the Rayleigh-Ritz step alone
    np.testing.assert_allclose(top.eigenvalues, lam[:5], rtol=1e-8)
    assert np.all(top.residuals <= 1e-9 * lam[0])


@given(st.integers(0, 2**31 - 1))
@settings(max_examples=5)
def test_gram_operator_float32_is_close_and_keeps_input_dtype(seed):
    net, X = _net(seed)
    U = torch.randn(90, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    ref = net.gram(X) @ U
    got = gram_operator(net, X, dtype=torch.float32)(U)
    assert got.dtype == torch.float64
    assert float((got - ref).abs().max()) <= 1e-5 * float(ref.abs().max())


def test_gram_operator_rejects_wrong_shape():
    net, X = _net(0)
    with pytest.raises(ValueError, match="U must be"):
        gram_operator(net, X)(torch.zeros(89, 2, dtype=torch.float64))


def test_top_eigenpairs_rejects_bad_arguments():
    net, X = _net(0)
    with pytest.raises(ValueError, match="r must"):
        top_eigenpairs(gram_operator(net, X), 90, 0)
    with pytest.raises(ValueError, match="tol must"):
        top_eigenpairs(gram_operator(net, X), 90, 3, tol=float("nan"))


def test_top_eigenpairs_block_finds_a_repeated_eigenvalue():
    """Eigenvalue 5 twice: a block of 2 returns both copies (a single vector may not)."""
    lam = torch.tensor([5.0, 5.0, 4.0, 3.5, *np.linspace(3, 0.1, 56)], dtype=torch.float64)
    Qm = torch.linalg.qr(
        torch.randn(60, 60, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    )[0]
    A = (Qm * lam) @ Qm.T
    top = top_eigenpairs(lambda U: A @ U, 60, 3, tol=1e-10, block=2)
    np.testing.assert_allclose(top.eigenvalues, [5.0, 5.0, 4.0], rtol=1e-9)
    assert np.all(top.residuals <= 1e-10 * 5)


@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_top_eigenpairs_and_slq_are_scale_invariant(scale):
    """No absolute floor: the operator scaled by 1e-12 or 1e12 gives scaled eigenpairs (the
    orthogonalisation and breakdown tests are relative to the vectors' norms)."""
    lam = torch.linspace(5.0, 0.1, 40, dtype=torch.float64)
    Qm = torch.linalg.qr(
        torch.randn(40, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    )[0]
    A = (Qm * lam) @ Qm.T * scale
    top = top_eigenpairs(lambda U: A @ U, 40, 4, tol=1e-10)
    np.testing.assert_allclose(top.eigenvalues, lam[:4].numpy() * scale, rtol=1e-9)
    assert np.all(top.residuals <= 1e-10 * 5 * scale)
    grid = np.linspace(0.0, 5.5, 200)
    dens = slq_density(lambda U: A @ U, 40, grid * scale, probes=4, steps=40)
    ref = slq_density(lambda U: A @ U / scale, 40, grid, probes=4, steps=40)
    np.testing.assert_allclose(dens * scale, ref, rtol=1e-6, atol=1e-9 * ref.max())


def _noisy_operator(lam: np.ndarray, noise: float, seed: int):
    """``A = Q diag(lam) Q^T`` and a fast twin whose every product carries a fresh relative error
    ``noise`` (like float32 products: not a fixed perturbation, so orthogonality is lost)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((lam.size, lam.size)))
    A = torch.as_tensor((Q * lam) @ Q.T)
    gen = torch.Generator().manual_seed(seed)

    def exact(U: torch.Tensor) -> torch.Tensor:
        return A @ U

    def fast(U: torch.Tensor) -> torch.Tensor:
        AU = A @ U
        E = torch.randn(AU.shape, generator=gen, dtype=AU.dtype)
        return AU + noise * AU.norm(dim=0) * E / E.norm(dim=0)

    return exact, fast


@given(st.integers(0, 2**31 - 1), st.sampled_from([1e-8, 1e-7, 1e-6]))
@settings(max_examples=6, deadline=None)
def test_partial_reorthogonalisation_keeps_the_basis_semi_orthogonal(seed, noise):
    # Simon's estimates must bound the true loss of orthogonality: after the fast phase the
    # whole basis has |q_i^T q_j| within a small factor of the threshold (without any
    # reorthogonalisation it reaches O(1) long before 150 steps on this spectrum).
    from simulate import eig as E

    dim, r, tol = 400, 10, 1e-7
    lam = np.concatenate([np.geomspace(10.0, 1.0, 30), np.linspace(0.5, 0.0, dim - 30)])
    exact, fast = _noisy_operator(lam, noise, seed)
    kry = E._Krylov.empty(300, dim, torch.float64, torch.device("cpu"))
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(1, dim, generator=gen, dtype=torch.float64)
    q = q / q.norm()
    clock = E._Clock(torch.device("cpu"))

    def rows(f):
        return lambda Q: f(Q.T).T

    restarts, theta, Y, AY, est = E._lanczos_pro(
        rows(fast), kry, q, r, r, tol, 300, 20, 5, gen, clock, exact_rows=rows(exact)
    )
    B = kry.B[: kry.m]
    off = (B @ B.T - torch.eye(kry.m, dtype=B.dtype)).abs().max().item()
    assert restarts == 0
    assert off <= 10 * E.PRO_OMEGA_FACTOR * np.sqrt(tol), off
    assert bool((est <= tol * theta[0]).all())
    # The images are combinations of computed products: A Y up to the operator's error.
    gap = (AY - exact(Y.T).T).norm(dim=1).max().item()
    assert gap <= 50 * noise * lam[0] * np.sqrt(kry.m), gap
    # The Ritz values are those of A up to the operator's error and the residual tolerance.
    np.testing.assert_allclose(
        theta.numpy(), lam[:r], rtol=0, atol=2 * tol * lam[0] + 20 * noise * lam[0]
    )


def test_partial_reorthogonalisation_matches_eigh_through_a_thick_restart():
    # A basis of 40 vectors for the top 8 forces restarts: the kept Ritz vectors are
    # orthonormalised and full reorthogonalisation takes over; the certified result is exact.
    dim, r = 300, 8
    lam = np.concatenate([np.linspace(4.0, 3.0, 20), np.linspace(2.9, 0.0, dim - 20)])
    exact, fast = _noisy_operator(lam, 1e-7, 3)
    top = top_eigenpairs(exact, dim, r, tol=1e-8, fast_apply=fast, max_basis=40)
    assert top.iterations >= 1
    np.testing.assert_allclose(top.eigenvalues, lam[:r], rtol=1e-7)
    assert np.all(top.residuals <= 1e-8 * lam[0])
    U = top.eigenvectors
    assert np.abs(U.T @ U - np.eye(r)).max() < 1e-12


def test_partial_reorthogonalisation_falls_back_when_the_fast_operator_is_too_inexact():
    # Products 1e-4 off: the fast phase stops at tol / 2, its Ritz vectors fail the float64
    # certificate, and the exact block iteration continues until the residuals are true ones.
    dim, r, tol = 200, 5, 1e-9
    lam = np.concatenate([np.linspace(3.0, 2.0, 10), np.linspace(1.5, 0.0, dim - 10)])
    exact, fast = _noisy_operator(lam, 1e-4, 5)
    top = top_eigenpairs(exact, dim, r, tol=tol, fast_apply=fast)
    np.testing.assert_allclose(top.eigenvalues, lam[:r], rtol=1e-8)
    assert np.all(top.residuals <= tol * lam[0])
    assert (
        top.matvecs > r + 2
    )  # the certificate alone (r + 1 products and one error) was not enough
