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


def gram_operator(net: ShallowNet, X: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``U -> J J^T U`` for a block ``U`` of shape (nK, b), matrix-free (two products per side)."""
    n, K = X.shape[0], net.K
    Z = X @ net.W.T
    D = net.act.dphi(Z)  # n x k, computed once

    def apply(U: torch.Tensor) -> torch.Tensor:
        b = U.shape[1]
        Ub = U.T.reshape(b, K, n)  # (b, K, n)
        # J^T u for every column: ((U^T V) ⊙ D)^T X  ->  (b, k, d)
        M = torch.einsum("bln,lk->bnk", Ub, net.V) * D
        G = torch.einsum("bnk,nd->bkd", M, X)
        # J g for every column: ((D ⊙ (X G^T)) V^T)^T  ->  (b, K, n)
        P = torch.einsum("nd,bkd->bnk", X, G) * D
        out = torch.einsum("bnk,lk->bln", P, net.V)
        return out.reshape(b, K * n).T

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
    block: int | None = None,
    depth: int = 6,
    max_restarts: int = 50,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> TopEigen:
    """Top ``r`` eigenpairs of a PSD operator by restarted block Lanczos.

    Converged when every ``||A u_i - lambda_i u_i|| <= tol * lambda_1``.  Each restart builds a
    Krylov basis of ``depth`` blocks of size ``block`` (default ``r + 10``) from the current Ritz
    vectors, with full reorthogonalisation, and takes the Rayleigh–Ritz pairs.
    """
    if not (1 <= r <= dim):
        raise ValueError(f"r must lie in [1, {dim}], got {r}")
    b = min(block or r + 10, dim)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    Q = torch.linalg.qr(torch.randn(dim, b, generator=gen, dtype=dtype).to(device))[0]
    matvecs = 0
    for it in range(1, max_restarts + 1):
        basis = [Q]
        AQ = []
        for _ in range(depth):
            W = apply(basis[-1])
            matvecs += W.shape[1]
            AQ.append(W)
            if sum(x.shape[1] for x in basis) >= dim:
                break
            B = torch.cat(basis, dim=1)
            for _ in range(2):  # twice is enough (Kahan-Parlett)
                W = W - B @ (B.T @ W)
            Qn, Rn = torch.linalg.qr(W)
            keep = Rn.diagonal().abs() > 1e-12 * max(1.0, float(Rn.abs().max()))
            if not bool(keep.any()):
                break
            basis.append(Qn[:, keep])
        B = torch.cat(basis, dim=1)
        # A B is known for all but the last block; apply once more for that block.
        AB_known = torch.cat(AQ, dim=1)
        if AB_known.shape[1] < B.shape[1]:
            extra = apply(B[:, AB_known.shape[1] :])
            matvecs += extra.shape[1]
            AB = torch.cat([AB_known, extra], dim=1)
        else:
            AB = AB_known[:, : B.shape[1]]
        H = B.T @ AB
        theta, S = torch.linalg.eigh((H + H.T) / 2)
        theta, S = theta.flip(0), S.flip(1)
        Y = B @ S[:, :b]
        AY = AB @ S[:, :b]
        res = torch.linalg.vector_norm(AY[:, :r] - Y[:, :r] * theta[:r], dim=0)
        if bool((res <= tol * theta[0].abs()).all()) or B.shape[1] >= dim:
            return TopEigen(to_numpy(theta[:r]), to_numpy(Y[:, :r]), to_numpy(res), it, matvecs)
        Q = torch.linalg.qr(Y)[0]
    raise RuntimeError(
        f"top_eigenpairs did not converge to tol={tol} in {max_restarts} restarts; "
        f"largest residual {float(res.max()):.3g}"
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
