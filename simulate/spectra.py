"""Spectra of the Jacobian Gram ``J J^T``: dense, matrix-free top-r, and spectral density.

* :func:`gram_eigh` - every eigenpair of the class-major Gram (``eigh``, float64).
* :func:`top_eigenpairs` - the top ``r`` eigenpairs without forming ``J`` or ``J J^T``, by a
  block Krylov method (block Lanczos with full reorthogonalisation and Rayleigh–Ritz restarts)
  on the closed-form operator ``u -> J (J^T u)``.
* :func:`slq_density` - stochastic Lanczos quadrature for the spectral density (App. C.5:
  10 probes, 80 steps, Gaussian smoothing).
* :func:`jacobian_split` - the information/nuisance split of ``J(W)`` as a :class:`bounds.InfoNuisance`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from bounds.spectral import InfoNuisance

from .backend import to_numpy
from .model import ShallowNet


def gram_eigh(net: ShallowNet, X: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """All eigenpairs of ``J(W) J(W)^T`` (class-major), descending, float64 numpy."""
    G = net.gram(X).to(torch.float64)
    lam, U = torch.linalg.eigh(G)
    return to_numpy(lam.flip(0)), to_numpy(U.flip(1))


def gram_operator(
    net: ShallowNet, X: torch.Tensor, *, chunk: int = 8
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``U -> J J^T U`` for a block ``U`` of shape (nK, b), matrix-free.

    Per column: ``J^T u = ((U^T V) ⊙ D)^T X`` then ``J g = ((D ⊙ (X g^T)) V^T)^T``, i.e. two
    (n x k x d) products; columns are processed ``chunk`` at a time to bound the (chunk, n, k)
    temporaries.
    """
    n, K = X.shape[0], net.K
    D = net.act.dphi(X @ net.W.T)  # n x k, computed once
    V = net.V

    def apply(U: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(U)
        for lo in range(0, U.shape[1], chunk):
            Ub = U[:, lo : lo + chunk].T.reshape(-1, K, n)  # (c, K, n)
            M = torch.matmul(Ub.transpose(1, 2), V).mul_(D)  # (c, n, k) = (U^T V) ⊙ D
            G = torch.matmul(M.transpose(1, 2), X)  # (c, k, d)
            P = torch.matmul(X, G.transpose(1, 2)).mul_(D)  # (c, n, k)
            out[:, lo : lo + chunk] = torch.matmul(V, P.transpose(1, 2)).reshape(-1, K * n).T
        return out

    return apply


@dataclass(frozen=True)
class TopEigen:
    """Top eigenpairs of ``J J^T`` and the final residuals ``||J J^T u - lambda u||``."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray
    iterations: int
    matvecs: int


def top_eigenpairs(
    apply: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    r: int,
    *,
    tol: float = 1e-6,
    block: int = 4,
    max_basis: int | None = None,
    check_every: int = 8,
    max_restarts: int = 50,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> TopEigen:
    """Top ``r`` eigenpairs of a symmetric PSD operator by block Lanczos with thick restarts.

    A block Krylov basis (blocks of ``block`` columns, full reorthogonalisation) grows until
    ``max_basis`` columns (default ``max(6 r, 200)``); every ``check_every`` blocks a
    Rayleigh–Ritz step tests convergence, ``||A u_i - lambda_i u_i|| <= tol * lambda_1`` for the
    top ``r``.  A full basis restarts from the ``r + 10`` leading Ritz vectors (their images are
    carried, no new products) plus the block of largest residuals.  Small blocks keep the
    Krylov degree high per product (on a CPU a column costs the same alone or in a block).

    Block products suit the closed-form Jacobian operator (a few (n x k x d) matrix products
    per block of columns), which is where the speed over single-vector ARPACK comes from.
    """
    if not (1 <= r <= dim):
        raise ValueError(f"r must lie in [1, {dim}], got {r}")
    b = min(block, dim)
    mb = min(max_basis or max(6 * r, 200), dim)
    kp = min(r + 10, mb - b) if mb > b else r
    gen = torch.Generator(device="cpu").manual_seed(seed)
    Q = torch.linalg.qr(torch.randn(dim, b, generator=gen, dtype=dtype).to(device))[0]
    # Preallocated basis, images and projected matrix H = B^T A B (grown by blocks).
    cap = mb + b
    Bb = torch.empty(dim, cap, dtype=dtype, device=device)
    ABb = torch.empty(dim, cap, dtype=dtype, device=device)
    H = torch.zeros(cap, cap, dtype=dtype, device=device)
    m = 0
    matvecs = 0
    nblocks = 0

    def orth(W: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        for _ in range(2):  # twice is enough (Kahan-Parlett)
            W = W - B @ (B.T @ W)
        Qn, Rn = torch.linalg.qr(W)
        good = Rn.diagonal().abs() > 1e-10 * max(1.0, float(Rn.abs().max()))
        return Qn[:, good]

    res = torch.zeros(1)
    scale = 1.0
    for restart in range(max_restarts + 1):
        while True:
            q = Q.shape[1]
            AQ = apply(Q)
            matvecs += q
            Bb[:, m : m + q] = Q
            ABb[:, m : m + q] = AQ
            H[: m + q, m : m + q] = Bb[:, : m + q].T @ AQ
            H[m : m + q, :m] = H[:m, m : m + q].T
            m += q
            nblocks += 1
            full = m + b > mb or m >= dim
            if full or nblocks % check_every == 0:
                Hm = H[:m, :m]
                theta, S = torch.linalg.eigh((Hm + Hm.T) / 2)
                theta, S = theta.flip(0), S.flip(1)
                kk = min(kp, m)
                Y, AY = Bb[:, :m] @ S[:, :kk], ABb[:, :m] @ S[:, :kk]
                R = AY - Y * theta[:kk]
                res = torch.linalg.vector_norm(R, dim=0)
                scale = float(theta[0].abs())
                if kk >= r and (bool((res[:r] <= tol * scale).all()) or m >= dim):
                    # AY is an exact linear combination of computed products A Q (also after
                    # restarts), so these residuals are true ones up to round-off.
                    return TopEigen(
                        to_numpy(theta[:r]), to_numpy(Y[:, :r]), to_numpy(res[:r]), restart, matvecs
                    )
                if full:
                    break
            Q = orth(AQ, Bb[:, :m])
            if Q.shape[1] == 0:
                break
        # Thick restart: keep the leading Ritz pairs, continue from the largest residuals.
        kk = Y.shape[1]
        Bb[:, :kk] = Y
        ABb[:, :kk] = AY
        H.zero_()
        H[:kk, :kk] = Y.T @ AY
        m = kk
        idx = torch.argsort(-res)[:b]
        Q = orth(R[:, idx], Y)
        nblocks = 0
    raise RuntimeError(
        f"top_eigenpairs did not converge to tol={tol} in {max_restarts} restarts; largest "
        f"relative residual {float(res[:r].max()) / scale:.3g}"
    )


def jacobian_split(
    net: ShallowNet, X: torch.Tensor, *, cutoff: float | None = None, info_rank: int | None = None
) -> InfoNuisance:
    """Split of ``J(W)`` (Definition 1.1) at ``cutoff``, or just below the ``info_rank``-th singular value."""
    lam, U = gram_eigh(net, X)
    lam = np.clip(lam, 0.0, None)
    if (cutoff is None) == (info_rank is None):
        raise ValueError("give exactly one of cutoff or info_rank")
    if info_rank is not None:
        if not 1 <= info_rank <= len(lam):
            raise ValueError(f"info_rank must lie in [1, {len(lam)}], got {info_rank}")
        cutoff = float(np.sqrt(lam[info_rank - 1]))
    assert cutoff is not None
    return InfoNuisance.from_eigh(lam, U, cutoff)


def slq_density(
    apply: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    grid: np.ndarray,
    *,
    probes: int = 10,
    steps: int = 80,
    sigma: float | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Spectral density of a symmetric operator on ``grid`` by stochastic Lanczos quadrature.

    ``probes`` Rademacher vectors, ``steps`` Lanczos steps each (full reorthogonalisation), nodes
    and weights from the tridiagonal matrices, smoothed by a Gaussian of width ``sigma`` (default
    1/100 of the grid span).  The density integrates to about 1 over the spectrum.
    """
    g = np.asarray(grid, dtype=np.float64)
    s = sigma if sigma is not None else (g.max() - g.min()) / 100
    gen = torch.Generator(device="cpu").manual_seed(seed)
    dens = np.zeros_like(g)
    m = min(steps, dim)
    for _ in range(probes):
        v = (torch.randint(0, 2, (dim, 1), generator=gen).to(dtype) * 2 - 1).to(device)
        v = v / torch.linalg.vector_norm(v)
        Vs = [v]
        alphas, betas = [], []
        for j in range(m):
            w = apply(Vs[-1])
            a = float((Vs[-1].T @ w).squeeze())
            B = torch.cat(Vs, dim=1)
            w = w - B @ (B.T @ w)
            w = w - B @ (B.T @ w)
            alphas.append(a)
            bnorm = float(torch.linalg.vector_norm(w))
            if j == m - 1 or bnorm < 1e-12:
                break
            betas.append(bnorm)
            Vs.append(w / bnorm)
        T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        nodes, vecs = np.linalg.eigh(T)
        weights = vecs[0] ** 2
        dens += (weights[None, :] * np.exp(-((g[:, None] - nodes[None, :]) ** 2) / (2 * s**2))).sum(
            axis=1
        ) / (s * np.sqrt(2 * np.pi))
    return dens / probes
