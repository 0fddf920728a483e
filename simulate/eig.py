"""Spectra of the Jacobian Gram ``J J^T``: dense, matrix-free top-r, and spectral density.

* :func:`gram_eigh` - every eigenpair of the class-major Gram (``eigh``, float64).
* :func:`top_eigenpairs` - the top ``r`` eigenpairs without forming ``J`` or ``J J^T``, by a
  block Krylov method (block Lanczos with thick restarts; partial reorthogonalisation in the
  fast phase, full in the certifying one) on the closed-form operator ``u -> J (J^T u)``.
* :func:`slq_density` - stochastic Lanczos quadrature for the spectral density (App. C.5:
  10 probes, 80 steps, Gaussian smoothing).
* :func:`jacobian_split` - the information/nuisance split of ``J(W)`` as a :class:`bounds.InfoNuisance`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from bounds.spectral import InfoNuisance

from .backend import to_numpy
from .model import ShallowNet

#: A new Krylov direction whose part outside the basis is below this fraction of its norm is
#: taken as lying in the basis (10^4 above the round-off of two reorthogonalisations).
ORTH_RTOL = 1e-10


def gram_eigh(
    net: ShallowNet, X: torch.Tensor, *, max_bytes: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """All eigenpairs of ``J(W) J(W)^T`` (class-major), descending, float64 numpy.

    Forms the Gram by :meth:`ShallowNet.gram <simulate.model.ShallowNet.gram>` and
    decomposes it with ``eigh`` in float64: memory ``(nK)^2``.

    Parameters
    ----------
    net : ShallowNet
        The network at ``W``.
    X : torch.Tensor, shape (n, d)
        Inputs.
    max_bytes : int, optional
        Budget for the Gram's ``n x k``-shaped buffers (:meth:`ShallowNet.gram
        <simulate.model.ShallowNet.gram>`: chunks of hidden units above it).

    Returns
    -------
    ndarray, shape (nK,)
        Eigenvalues ``lambda_s^2`` (squared singular values of ``J``), descending; round-off
        may leave tiny negative ones.
    ndarray, shape (nK, nK)
        Orthonormal eigenvectors (columns), matching.

    Examples
    --------
    >>> from simulate.model import init_random
    >>> net = init_random(k=8, d=3, K=2, nu=1.0, seed=0, device="cpu")
    >>> lam, U = gram_eigh(net, torch.eye(3, dtype=torch.float64))
    >>> lam.shape, U.shape, bool(np.all(np.diff(lam) <= 0))
    ((6,), (6, 6), True)
    """
    G = net.gram(X, max_bytes=max_bytes).to(torch.float64)
    lam, U = torch.linalg.eigh(G)
    return to_numpy(lam.flip(0)), to_numpy(U.flip(1))


def gram_operator(
    net: ShallowNet, X: torch.Tensor, *, dtype: torch.dtype | None = None, chunk: int = 8
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``U -> J J^T U`` for a block ``U`` of shape (nK, b), matrix-free.

    For ``b`` columns at once: ``M = (U^T V) ⊙ D`` (n x bk), ``G = X^T M`` (d x bk: the ``b``
    matrices ``J^T u``, eq. (6.29)), ``P = (X G) ⊙ D`` and ``J G = P V^T`` (6.27): two products
    of ``2 n d (bk)`` flops, as single large GEMMs.  Columns go ``chunk`` at a time to bound the
    (n, chunk k) temporaries.

    ``dtype`` is the arithmetic of the products (default: the network's).  ``torch.float32``
    gives a cheaper operator whose products differ from the float64 ones by a relative
    ``~1e-7`` of ``||J||^2`` (speed and measured error in ``benchmarks/README.md``): fit for
    :func:`top_eigenpairs`' ``fast_apply``, whose results are certified in float64.

    Parameters
    ----------
    net : ShallowNet
        The network at ``W``.
    X : torch.Tensor, shape (n, d)
        Inputs.
    dtype : torch.dtype, optional
        Arithmetic of the products (default: the network's).
    chunk : int
        Columns of ``U`` per pass.

    Returns
    -------
    callable
        ``apply(U)`` for ``U`` of shape (nK, b), class-major rows; returns ``J J^T U`` with the
        shape and dtype of ``U`` (``ValueError`` for another number of rows).

    Examples
    --------
    >>> from simulate.model import init_random
    >>> net = init_random(k=8, d=3, K=2, nu=1.0, seed=0, device="cpu")
    >>> X = torch.eye(3, dtype=torch.float64)
    >>> U = torch.randn(6, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> bool(torch.allclose(gram_operator(net, X)(U), net.gram(X) @ U))
    True
    """
    n, K, k = X.shape[0], net.K, net.k
    dt = dtype or net.W.dtype
    D = net.act.dphi(X @ net.W.T).to(dt)  # n x k, computed once
    Xc, V = X.to(dt), net.V.to(dt)

    def apply(U: torch.Tensor) -> torch.Tensor:
        if U.ndim != 2 or U.shape[0] != K * n:
            raise ValueError(f"U must be (nK, b) = ({K * n}, b), got {tuple(U.shape)}")
        out = torch.empty(U.shape, dtype=U.dtype, device=U.device)
        for lo in range(0, U.shape[1], chunk):
            b = min(chunk, U.shape[1] - lo)
            Ut = U[:, lo : lo + b].to(dt).reshape(K, n, b).permute(1, 2, 0).reshape(n * b, K)
            M = (Ut @ V).view(n, b, k).mul_(D[:, None, :])
            G = Xc.T @ M.view(n, b * k)
            P = (Xc @ G).view(n, b, k).mul_(D[:, None, :])
            JG = (P.view(n * b, k) @ V.T).view(n, b, K)
            out[:, lo : lo + b] = JG.permute(2, 0, 1).reshape(K * n, b)
        return out

    return apply


@dataclass(frozen=True)
class TopEigen:
    """Top eigenpairs of ``J J^T`` and their final residuals ``||J J^T u - lambda u||``.

    Returned by :func:`top_eigenpairs`.

    Attributes
    ----------
    eigenvalues : ndarray, shape (r,)
        Ritz values, descending (float64).
    eigenvectors : ndarray, shape (dim, r)
        Orthonormal Ritz vectors (columns).
    residuals : ndarray, shape (r,)
        ``||A u_i - lambda_i u_i||``, recomputed from products by the exact operator
        (``apply``), never estimated.
    iterations : int
        Thick restarts taken (both phases).
    matvecs : int
        Columns multiplied by ``apply``.
    fast_matvecs : int
        Columns multiplied by ``fast_apply``.
    seconds : dict of str to float
        Where the wall time went: ``"products"`` and ``"fast_products"`` (the operators),
        ``"orthogonalisation"`` (projections against the basis and the new block's QR) and
        ``"rayleigh_ritz"`` (the small eigenproblems, Ritz vectors, restarts and residuals).
        For benchmarks only: timings never enter a result file, and do not take part in ``==``.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray
    iterations: int
    matvecs: int
    fast_matvecs: int = 0
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


class _Clock:
    """Wall time per part of an eigensolver run (synchronising CUDA so GPU work is counted)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        t = time.perf_counter()
        try:
            yield
        finally:
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t


@dataclass
class _Krylov:
    """Basis rows ``B`` (orthonormal), their images ``AB`` and ``H = B A B^T``."""

    B: torch.Tensor  # (cap, dim)
    AB: torch.Tensor  # (cap, dim)
    H: torch.Tensor  # (cap, cap)
    m: int = 0

    @classmethod
    def empty(cls, cap: int, dim: int, dtype: torch.dtype, device: torch.device) -> _Krylov:
        def buf(rows: int, cols: int) -> torch.Tensor:
            return torch.empty(rows, cols, dtype=dtype, device=device)

        return cls(buf(cap, dim), buf(cap, dim), torch.zeros(cap, cap, dtype=dtype, device=device))

    def orth(
        self, W: torch.Tensor, WB: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(I - P) W`` for rows ``W`` (``P``: projector on the basis) as ``R^T Q^T``.

        Returns the orthonormal rows ``Q^T`` (numerically dependent ones dropped) and the full
        triangular ``R``.  ``WB`` may pass ``W B^T`` when already known.
        """
        B = self.B[: self.m]
        # Relative to the rows as given: after two projections their in-basis part is round-off
        # of ~eps * sqrt(m) * |W| (1e-14 for m = 200), and a row whose remainder is below
        # ORTH_RTOL * |W| lies in the basis.  No absolute floor: the operator's scale is free.
        scale = float(torch.linalg.vector_norm(W, dim=1).max()) if W.shape[0] else 0.0
        for i in range(2):  # twice is enough (Kahan-Parlett)
            # W B^T rather than B W^T: the same numbers, and several times faster for a skinny W.
            W = W - (WB if i == 0 and WB is not None else W @ B.T) @ B
        Q, R = torch.linalg.qr(W.T)
        good = R.diagonal().abs() > ORTH_RTOL * scale
        return Q.T[good], R

    def add(self, Q: torch.Tensor, AQ: torch.Tensor) -> torch.Tensor:
        """Append the rows ``Q`` and their images; returns ``AQ B^T`` (over the new basis)."""
        m, q = self.m, Q.shape[0]
        self.B[m : m + q], self.AB[m : m + q] = Q, AQ
        h = AQ @ self.B[: m + q].T  # (q, m+q)
        self.H[m : m + q, : m + q] = h
        self.H[: m + q, m : m + q] = h.T
        self.m = m + q
        return h

    def eig(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Ritz values (descending) and coefficient vectors ``s`` (Ritz vector ``B^T s``)."""
        Hm = self.H[: self.m, : self.m]
        theta, S = torch.linalg.eigh((Hm + Hm.T) / 2)
        return theta.flip(0), S.flip(1)

    def vectors(self, S: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Ritz vectors ``S^T B`` and their images ``S^T AB`` (rows)."""
        return S.T @ self.B[: self.m], S.T @ self.AB[: self.m]

    def reset(self) -> None:
        """Empty the basis (the buffers are reused)."""
        self.H.zero_()
        self.m = 0

    def restart(self, S: torch.Tensor) -> None:
        """Keep only the Ritz vectors ``S^T B`` (and their images, no new products)."""
        Y, AY = self.vectors(S)
        kk = Y.shape[0]
        self.reset()
        self.B[:kk], self.AB[:kk] = Y, AY
        self.H[:kk, :kk] = AY @ Y.T
        self.m = kk


def top_eigenpairs(
    apply: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    r: int,
    *,
    tol: float = 1e-6,
    fast_apply: Callable[[torch.Tensor], torch.Tensor] | None = None,
    block: int = 1,
    max_basis: int | None = None,
    max_restarts: int = 50,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> TopEigen:
    """Top ``r`` eigenpairs of a symmetric PSD operator by block Lanczos with thick restarts.

    A block Krylov basis (blocks of ``block`` vectors, float64; full reorthogonalisation except
    in the fast phase, below) grows to ``max_basis`` vectors (default ``max(6 r, 200)``).  With
    ``W = Q' R`` the part of the last block's images outside the basis, the residual of a Ritz pair ``(theta, B^T s)`` is
    ``||R s_last||`` (``s_last``: the coefficients on the last block), known after every block
    without a product over ``dim`` and without cancellation.  The run stops when
    ``||A u_i - lambda_i u_i|| <= tol * lambda_1`` for the top ``r``, confirmed with explicit
    residuals.  A full basis restarts from the ``r + 10`` leading Ritz vectors (images carried, no
    new products) and continues with the next Krylov block, which holds all their residuals.

    With ``fast_apply`` (an approximation of ``apply``, e.g. :func:`gram_operator` with
    ``dtype=torch.float32``) the Krylov phase runs on it to ``tol / 2``.  With single vectors
    it reorthogonalises only when Simon's estimates of the lost orthogonality call for it, and
    stops at ``tol`` less ``FAST_MARGIN`` times the fast operator's error, when that is closer
    to ``tol`` (:func:`_lanczos_pro`; one product with ``apply`` measures the error).  The top ``r + block``
    Ritz vectors then become the first block of a second run with ``apply``: one product each
    and a Rayleigh–Ritz step, which is usually all; if a fast operator too inexact for ``tol``
    leaves residuals above ``tol * lambda_1`` the block Krylov iteration with ``apply``
    continues from them.  Either way the returned residuals come from ``apply``'s products.

    Parameters
    ----------
    apply, fast_apply : callable
        ``U (dim, b) -> A U (dim, b)``, float64 in and out (``fast_apply`` optional).
    dim : int
        Order of the operator (``nK`` for the Jacobian Gram).
    r : int
        Number of eigenpairs, in [1, dim].
    tol : float
        Residual tolerance relative to ``lambda_1`` (> 0).
    block, max_basis, max_restarts : int
        Block size, basis size before a restart, restarts before giving up (``RuntimeError``).
        Single vectors (the default) needed the fewest products in the benchmarks
        (``benchmarks/README.md``).  Like any Krylov method, a block of ``b`` finds at most
        ``b`` copies of an exactly repeated eigenvalue (round-off aside); use ``block`` >= the
        multiplicity where one is expected.
    seed : int
        Seed of the random starting block (CPU generator: the same start on every device).
    dtype : torch.dtype
        Dtype of the basis (float64).
    device : torch.device or str
        Device of the basis; ``apply`` must accept and return tensors there.

    Returns
    -------
    TopEigen
        The top ``r`` eigenpairs, their residuals and the counts of products.

    Raises
    ------
    ValueError
        If ``r`` is outside [1, dim] or ``tol`` is not positive.
    RuntimeError
        If the residuals do not reach ``tol * lambda_1`` within ``max_restarts`` restarts.

    Examples
    --------
    >>> A = torch.diag(torch.arange(1.0, 31.0, dtype=torch.float64))
    >>> te = top_eigenpairs(lambda U: A @ U, 30, 3, tol=1e-8)
    >>> np.round(te.eigenvalues, 6).tolist()
    [30.0, 29.0, 28.0]
    >>> bool(np.all(te.residuals <= 1e-8 * 30))
    True
    """
    if not (1 <= r <= dim):
        raise ValueError(f"r must lie in [1, {dim}], got {r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be positive, got {tol!r}")
    dev = torch.device(device)
    b = min(block, dim)
    mb = min(max(max_basis or max(6 * r, 200), 2 * (r + b)), dim)
    keep = max(1, min(r + 10, mb - (r + b)))  # >= r + b whenever a restart can happen
    gen = torch.Generator(device="cpu").manual_seed(seed)
    Q = torch.linalg.qr(torch.randn(dim, b, generator=gen, dtype=dtype))[0].T.to(dev)
    counts = {"exact": 0, "fast": 0}
    clock = _Clock(dev)

    def counted(
        fn: Callable[[torch.Tensor], torch.Tensor], key: str
    ) -> Callable[..., torch.Tensor]:
        def rows(Q: torch.Tensor) -> torch.Tensor:
            counts[key] += Q.shape[0]
            with clock.part("products" if key == "exact" else "fast_products"):
                return fn(Q.T).T

        return rows

    kry = _Krylov.empty(mb, dim, dtype, dev)
    restarts = 0
    if fast_apply is not None:
        solver = _lanczos_pro if b == 1 else _lanczos_fast
        n_fast, _, Y, _, _ = solver(
            counted(fast_apply, "fast"),
            kry,
            Q,
            min(r + b, dim),
            r,
            tol,
            mb,
            keep,
            max_restarts,
            gen,
            clock,
            exact_rows=counted(apply, "exact"),
        )
        restarts += n_fast
        Q = torch.linalg.qr(Y.T)[0].T  # top r + b Ritz vectors: the first block of the exact run
        kry.reset()
    n_exact, theta, Y, _, res = _lanczos(
        counted(apply, "exact"), kry, Q, r, r, tol, mb, keep, max_restarts - restarts, gen, clock
    )
    # AY is an exact linear combination of computed products (also after restarts), so these
    # residuals are true ones up to round-off.
    return TopEigen(
        to_numpy(theta[:r]),
        to_numpy(Y[:r].T),
        to_numpy(res[:r]),
        restarts + n_exact,
        counts["exact"],
        counts["fast"],
        clock.seconds,
    )


def _lanczos(
    apply_rows: Callable[[torch.Tensor], torch.Tensor],
    kry: _Krylov,
    Q: torch.Tensor,
    n_out: int,
    r: int,
    tol: float,
    mb: int,
    keep: int,
    max_restarts: int,
    gen: torch.Generator,
    clock: _Clock,
    confirm: bool = True,
) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Block Lanczos from the rows ``Q`` on an empty ``kry`` until the top ``r`` residuals are
    below ``tol * theta_1``.

    Returns the restarts, the top ``n_out`` Ritz values, vectors and images (rows), and the
    residual norms of the top ``r``: explicit ones with ``confirm``, else the estimates (for an
    inexact operator, whose explicit residuals stall at its error while the Krylov relation
    still converges).
    """
    dim = kry.B.shape[1]
    b = Q.shape[0]
    restarts = 0
    est = torch.full((r,), float("inf"))
    while True:
        AQ = apply_rows(Q)
        q = Q.shape[0]
        with clock.part("orthogonalisation"):
            Qn, R = kry.orth(AQ, kry.add(Q, AQ))
        with clock.part("rayleigh_ritz"):
            theta, S = kry.eig()
        scale = float(theta[0].abs())
        if kry.m >= r:
            # Residual of B^T s: (I - P) A B^T s = s_last^T W = s_last^T R^T Q'^T.
            est = torch.linalg.vector_norm(R @ S[kry.m - q : kry.m, :r], dim=0)
            exact = kry.m >= dim  # the basis spans the space: Ritz pairs are eigenpairs
            if exact or bool((est <= tol * scale).all()):
                with clock.part("rayleigh_ritz"):
                    Y, AY = kry.vectors(S[:, :n_out])
                if not confirm:
                    return restarts, theta[:n_out], Y, AY, est
                with clock.part("rayleigh_ritz"):
                    res = torch.linalg.vector_norm(AY[:r] - theta[:r, None] * Y[:r], dim=1)
                if exact or bool((res <= tol * scale).all()):
                    return restarts, theta[:n_out], Y, AY, res
        if Qn.shape[0] == 0:  # an invariant subspace: continue with fresh directions
            fresh = torch.randn(b, dim, generator=gen, dtype=kry.B.dtype).to(kry.B.device)
            with clock.part("orthogonalisation"):
                Qn, _ = kry.orth(fresh)
        if kry.m + Qn.shape[0] > mb:
            # Thick restart: the next block Qn is orthogonal to the kept Ritz vectors and
            # holds all their residuals, so the Krylov relation carries over.
            restarts += 1
            if restarts > max_restarts:
                raise RuntimeError(
                    f"top_eigenpairs did not converge to tol={tol} in {max_restarts} restarts; "
                    f"largest relative residual {float(est.max()) / scale:.3g}"
                )
            with clock.part("rayleigh_ritz"):
                kry.restart(S[:, : min(keep, kry.m)])
        Q = Qn


#: Partial reorthogonalisation (:func:`_lanczos_pro`) keeps the estimated ``|q_i^T q_j|`` of the
#: fast phase's basis below ``PRO_OMEGA_FACTOR * sqrt(tol)``.  The Ritz values of such a
#: semi-orthogonal basis differ from those of an orthonormal one by ``~ omega^2 lambda_1``
#: (Simon 1984, Math. Comp. 42, Thm. 4): ``1e-2 tol lambda_1`` here, far below the ``tol / 2``
#: the fast phase runs to.
PRO_OMEGA_FACTOR = 0.1
#: The fast phase stops when its residual estimates are below ``tol lambda_1`` less this
#: multiple of the fast operator's absolute error on a unit vector (but at ``tol / 2`` at the
#: latest): the certifying float64 residual is the estimate plus about one such error.  A
#: certificate that still misses ``tol`` only costs more float64 products, never a wrong result.
FAST_MARGIN = 3.0


def _operator_error(
    exact_rows: Callable[[torch.Tensor], torch.Tensor] | None, q: torch.Tensor, Aq: torch.Tensor
) -> tuple[float, float]:
    """The fast operator's error on one unit row ``q`` (``Aq`` its fast image).

    Returns ``||A~ q - A q|| / ||A q||`` and ``||A~ q - A q||``.  An inexact operator adds an
    error of about this size to every step of the Lanczos recurrence: the orthogonality
    estimates of :func:`_lanczos_pro` grow from the first, its stopping margin is the second.
    Without the exact operator both are float64 round-off.
    """
    eps64 = float(torch.finfo(torch.float64).eps)
    if exact_rows is None:
        return eps64, eps64 * float(torch.linalg.vector_norm(Aq))
    exact = exact_rows(q)
    err = float(torch.linalg.vector_norm(Aq - exact))
    rel = err / max(float(torch.linalg.vector_norm(exact)), 1e-300)
    return max(rel, eps64), err


def _omega_next(
    alpha: list[float], beta: list[float], om_cur: np.ndarray, om_prev: np.ndarray, noise: float
) -> np.ndarray:
    """Simon's recurrence for ``omega_{j+1,k} ~ q_{j+1}^T q_k``, ``k = 0..j+1``.

    ``alpha[0..j]``, ``beta[0..j+1]`` (``beta[i]`` couples ``q_{i-1}`` and ``q_i``, ``beta[0] =
    0``), ``om_cur = omega_{j,0..j}``, ``om_prev = omega_{j-1,0..j-1}``; ``noise`` is the local
    error (relative to ``beta_{j+1}``'s scale: ``eps ||A||``), added with the sign that makes the
    estimate grow, as in PROPACK.  For ``k < j``:
    ``beta_{j+1} w_{j+1,k} = beta_{k+1} w_{j,k+1} + (alpha_k - alpha_j) w_{j,k} + beta_k w_{j,k-1}
    - beta_j w_{j-1,k}``; ``w_{j+1,j}`` is the local error and ``w_{j+1,j+1} = 1``.
    """
    j = len(alpha) - 1
    a, b = np.asarray(alpha), np.asarray(beta)
    out = np.empty(j + 2)
    if j > 0:
        ks = np.arange(j)
        val = b[ks + 1] * om_cur[ks + 1] + (a[ks] - a[j]) * om_cur[ks] - b[j] * om_prev[ks]
        val[1:] += b[ks[1:]] * om_cur[ks[1:] - 1]
        out[:j] = (val + np.where(val >= 0, noise, -noise)) / b[j + 1]
    out[j] = noise / b[j + 1]
    out[j + 1] = 1.0
    return out


def _lanczos_fast(
    apply_rows: Callable[[torch.Tensor], torch.Tensor],
    kry: _Krylov,
    q: torch.Tensor,
    n_out: int,
    r: int,
    tol: float,
    mb: int,
    keep: int,
    max_restarts: int,
    gen: torch.Generator,
    clock: _Clock,
    exact_rows: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The fast phase for blocks: :func:`_lanczos` to ``tol / 2``, without confirmation
    (``exact_rows`` is not needed; the signature is :func:`_lanczos_pro`'s)."""
    del exact_rows
    return _lanczos(
        apply_rows, kry, q, n_out, r, tol / 2, mb, keep, max_restarts, gen, clock, confirm=False
    )


def _lanczos_pro(
    apply_rows: Callable[[torch.Tensor], torch.Tensor],
    kry: _Krylov,
    q: torch.Tensor,
    n_out: int,
    r: int,
    tol: float,
    mb: int,
    keep: int,
    max_restarts: int,
    gen: torch.Generator,
    clock: _Clock,
    exact_rows: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Single-vector Lanczos with partial reorthogonalisation, for the fast (inexact) phase.

    The three-term recurrence ``beta_{j+1} q_{j+1} = A q_j - alpha_j q_j - beta_j q_{j-1}``,
    with the tridiagonal ``T`` as Rayleigh quotient.  The loss of orthogonality is estimated by
    Simon's recurrence (:func:`_omega_next`; Simon 1984, and PROPACK's ``update_omega``), seeded
    with the operator's measured local error (:func:`_operator_error`).  Only when an estimate
    exceeds ``PRO_OMEGA_FACTOR sqrt(tol / 2)`` is the new vector, and the one after it,
    orthogonalised against the whole basis (one or two memory-bound passes each); every other
    step touches two vectors, where :func:`_lanczos`'s full reorthogonalisation makes four
    passes over the basis per vector.

    The Ritz vectors are combinations of the computed vectors and images, as in
    :func:`_lanczos`, and nearly (not exactly) orthonormal: the caller orthonormalises them for
    the certifying phase.  A full basis thick-restarts: the kept Ritz vectors are orthonormalised
    (their images transformed alike) and :func:`_lanczos` continues with full
    reorthogonalisation.  ``tol`` is the certifying phase's: the run stops when every residual
    estimate ``beta_{j+1} |s_last|`` is below ``tol theta_1`` less :data:`FAST_MARGIN` times the
    operator's absolute error (``tol theta_1 / 2`` at the latest, as :func:`_lanczos` after a
    restart).  Returns as :func:`_lanczos` with ``confirm=False``.
    """
    dim = kry.B.shape[1]
    thresh = PRO_OMEGA_FACTOR * float(np.sqrt(tol / 2))
    alpha: list[float] = []
    beta: list[float] = [0.0]
    om_prev, om_cur = np.zeros(0), np.ones(1)
    eps_loc = err_abs = 0.0
    force = False  # the step after a reorthogonalisation repeats it (Simon)
    while True:
        j = kry.m
        Aq = apply_rows(q)
        if j == 0:
            eps_loc, err_abs = _operator_error(exact_rows, q, Aq)
        with clock.part("orthogonalisation"):
            a = float((Aq * q).sum())
            w = Aq - a * q
            if j > 0:
                w = w - beta[j] * kry.B[j - 1 : j]
            kry.B[j : j + 1], kry.AB[j : j + 1] = q, Aq
            kry.H[j, j] = a
            if j > 0:
                kry.H[j, j - 1] = kry.H[j - 1, j] = beta[j]
            kry.m = m = j + 1
            alpha.append(a)
            bn = float(torch.linalg.vector_norm(w))
        with clock.part("rayleigh_ritz"):
            theta, S = kry.eig()
        scale = float(theta[0].abs())
        om = (
            _omega_next(alpha, [*beta, bn], om_cur, om_prev, eps_loc * max(scale, abs(a)))
            if bn > ORTH_RTOL * scale
            else np.full(m + 1, np.inf)
        )
        if force or float(np.abs(om[:m]).max()) > thresh:
            with clock.part("orthogonalisation"):
                Bm = kry.B[:m]
                for _ in range(2):  # a second pass only when the first removed most of w
                    before = bn
                    w = w - (w @ Bm.T) @ Bm
                    bn = float(torch.linalg.vector_norm(w))
                    if bn > before / 2:
                        break
            om = np.append(np.full(m, eps_loc), 1.0)
            force = not force
        if m >= r:
            est = bn * S[m - 1, :r].abs()
            stop = max(tol * scale / 2, tol * scale - FAST_MARGIN * err_abs)
            if m >= dim or bool((est <= stop).all()):
                with clock.part("rayleigh_ritz"):
                    Y, AY = kry.vectors(S[:, :n_out])
                return 0, theta[:n_out], Y, AY, est
        if bn <= ORTH_RTOL * scale:  # an invariant subspace: continue with a fresh direction
            fresh = torch.randn(1, dim, generator=gen, dtype=kry.B.dtype).to(kry.B.device)
            with clock.part("orthogonalisation"):
                q, _ = kry.orth(fresh)
            bn, force = 0.0, False  # no coupling: T is block diagonal
            om = np.append(np.full(m, eps_loc), 1.0)
        else:
            q = w / bn
        beta.append(bn)
        om_prev, om_cur = om_cur, om
        if m + 1 > mb:
            with clock.part("rayleigh_ritz"):
                Y, AY = kry.vectors(S[:, : min(keep, m)])
                Qy, Ry = torch.linalg.qr(Y.T)  # Y = Ry^T Qy^T: orthonormalise, images alike
                AYo = torch.linalg.solve_triangular(Ry.T, AY, upper=False)
                kry.reset()
                kk = Y.shape[0]
                kry.B[:kk], kry.AB[:kk] = Qy.T, AYo
                kry.H[:kk, :kk] = AYo @ Qy
                kry.m = kk
            with clock.part("orthogonalisation"):
                q, _ = kry.orth(q)
            n_restarts, *rest = _lanczos(
                apply_rows,
                kry,
                q,
                n_out,
                r,
                tol / 2,
                mb,
                keep,
                max_restarts - 1,
                gen,
                clock,
                confirm=False,
            )
            return (n_restarts + 1, *rest)  # type: ignore[return-value]


#: Routes of :func:`jacobian_split` (and of the spectrum experiment's singular values).
METHODS = ("auto", "dense", "lanczos")
#: ``nK`` up to which ``method="auto"`` takes every eigenpair by ``eigh`` (memory ``(nK)^2``).
DENSE_MAX_DIM = 6000
#: Default relative residual tolerance of the Lanczos route of :func:`jacobian_split`.
SPLIT_TOL = 1e-6
#: Eigenpairs the Lanczos route of :func:`jacobian_split` starts with when given a ``cutoff``.
SPLIT_START = 16


def resolve_method(method: str, dim: int) -> str:
    """``"dense"`` or ``"lanczos"`` for ``method`` in :data:`METHODS` at order ``dim``.

    ``"auto"`` is dense up to :data:`DENSE_MAX_DIM`.

    Examples
    --------
    >>> resolve_method("auto", 6000), resolve_method("auto", 6001), resolve_method("dense", 10**5)
    ('dense', 'lanczos', 'dense')
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "auto":
        return "dense" if dim <= DENSE_MAX_DIM else "lanczos"
    return method


def jacobian_split(
    net: ShallowNet,
    X: torch.Tensor,
    *,
    cutoff: float | None = None,
    info_rank: int | None = None,
    max_bytes: int | None = None,
    method: str = "auto",
    tol: float = SPLIT_TOL,
) -> InfoNuisance:
    """Split of ``J(W)`` (Definition 1.1) at ``cutoff``, or at the ``info_rank``-th singular value.

    With ``info_rank`` the cutoff is the ``info_rank``-th largest singular value itself, which
    counts as information (docs/theory.md#r3-cutoff-counts-as-information), so the split has
    rank ``info_rank`` unless that singular value is repeated.

    Two routes (``method``; ``"auto"`` is dense up to ``nK =`` :data:`DENSE_MAX_DIM`):

    * ``"dense"``: every eigenpair of the Gram (:func:`gram_eigh`, memory ``(nK)^2``); negative
      round-off is clipped to 0.  The split is exact.
    * ``"lanczos"``: the top ``m`` eigenpairs matrix-free (:func:`top_eigenpairs` on
      :func:`gram_operator`, float32 Krylov phase, residuals certified in float64 to
      ``tol * lambda_1^2``), memory ``O(nK m)``.  With ``info_rank = r``, ``m = r + 1``; with a
      ``cutoff``, ``m`` starts at :data:`SPLIT_START` and doubles until the smallest computed
      eigenvalue is below ``cutoff^2``.  The split holds a *partial* basis whose
      ``tail_bound`` is ``theta_m + res_m``, the smallest Ritz value plus its residual: Ritz
      values are lower bounds of the eigenvalues (interlacing) and within their residual of one,
      so this bounds every direction outside the basis provided the solver found the top ``m``
      (the usual caveat of a Krylov method: see :func:`top_eigenpairs`).  If that bound is not
      below ``cutoff^2`` (a singular value repeated at the cutoff, or closer to it than the
      residual) ``m`` grows as well.  Information, nuisance and ``J_I^dagger`` norms are then
      those of the dense split to ``O(tol lambda_1^2 / gap)`` (``gap``: the spectral gap at the
      cutoff); the nuisance norm is the complement ``sqrt(||v||^2 - ||Pi_I v||^2)``, and the
      early-stopping value an upper bound (:attr:`bounds.InfoNuisance.exact` is False);
      :attr:`~bounds.InfoNuisance.rank_at_boundary` also flags a tail bound within the band of
      ``cutoff^2``.  The Lanczos route needs ``m < nK`` eigenpairs to be of any use; at
      ``m = nK`` the basis is complete and the split exact.

    Parameters
    ----------
    net : ShallowNet
        The network at ``W`` (``W_0`` for the reference Jacobian of the theorems).
    X : torch.Tensor, shape (n, d)
        Inputs.
    cutoff : float, optional
        The cutoff ``alpha`` on singular values.
    info_rank : int, optional
        Put the cutoff at this singular value instead (in [1, nK]).
    max_bytes : int, optional
        Budget for the Gram's ``n x k``-shaped buffers (:func:`gram_eigh`).
    method : {"auto", "dense", "lanczos"}
        The route (see above).
    tol : float
        Residual tolerance of the Lanczos route relative to ``lambda_1^2``, in (0, 1).

    Returns
    -------
    bounds.InfoNuisance
        The split of ``R^{nK}`` (class-major, ``kron = 1``).

    Raises
    ------
    ValueError
        Unless exactly one of ``cutoff`` and ``info_rank`` is given, or for an ``info_rank``
        out of range, an unknown ``method``, a ``tol`` outside (0, 1), or a cutoff that
        :class:`bounds.InfoNuisance` refuses (e.g. above ``lambda_1``).

    Examples
    --------
    >>> from simulate.model import init_random
    >>> net = init_random(k=8, d=3, K=2, nu=1.0, seed=0, device="cpu")
    >>> split = jacobian_split(net, torch.eye(3, dtype=torch.float64), info_rank=2)
    >>> split.rank, split.dim
    (2, 6)
    >>> X = torch.randn(40, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> lz = jacobian_split(net, X, info_rank=3, method="lanczos", tol=1e-10)
    >>> de = jacobian_split(net, X, info_rank=3, method="dense")
    >>> lz.rank, lz.eigenvectors.shape, lz.exact
    (3, (80, 4), False)
    >>> bool(abs(lz.lambda_1 - de.lambda_1) <= 1e-8 * de.lambda_1)
    True
    """
    if (cutoff is None) == (info_rank is None):
        raise ValueError("give exactly one of cutoff or info_rank")
    dim = X.shape[0] * net.K
    if info_rank is not None and not (
        isinstance(info_rank, (int, np.integer)) and 1 <= info_rank <= dim
    ):
        raise ValueError(f"info_rank must be an integer in [1, {dim}], got {info_rank!r}")
    if not (np.isfinite(tol) and 0 < tol < 1):
        raise ValueError(f"tol must lie in (0, 1), got {tol!r}")
    if resolve_method(method, dim) == "dense":
        lam, U = gram_eigh(net, X, max_bytes=max_bytes)
        lam = np.clip(lam, 0.0, None)
        if info_rank is not None:
            cutoff = float(np.sqrt(lam[info_rank - 1]))
        assert cutoff is not None
        return InfoNuisance.from_eigh(lam, U, cutoff)
    return _lanczos_split(net, X, cutoff, info_rank, tol)


def _lanczos_split(
    net: ShallowNet, X: torch.Tensor, cutoff: float | None, info_rank: int | None, tol: float
) -> InfoNuisance:
    """The Lanczos route of :func:`jacobian_split` (arguments checked there)."""
    dim = X.shape[0] * net.K
    apply = gram_operator(net, X)
    fast = gram_operator(net, X, dtype=torch.float32)
    m = min(dim, info_rank + 1 if info_rank is not None else SPLIT_START)
    while True:
        top = top_eigenpairs(apply, dim, m, tol=tol, fast_apply=fast, device=X.device)
        lam = np.clip(top.eigenvalues, 0.0, None)
        if cutoff is None or info_rank is not None:
            assert info_rank is not None
            cutoff = float(np.sqrt(lam[info_rank - 1]))
        if not cutoff <= np.sqrt(lam[0]) * (1 + 1e-12):
            # Ritz values are lower bounds: lambda_1 may exceed theta_1 by its residual.
            raise ValueError(
                f"cutoff={cutoff:g} must lie in (0, lambda_1 = {np.sqrt(lam[0]):g}] "
                f"(top singular value, Lanczos to tol={tol:g})"
            )
        if m == dim:
            return InfoNuisance.from_eigh(lam, top.eigenvectors, cutoff)
        tail = float(lam[-1] + top.residuals[-1])
        if tail < cutoff**2:
            return InfoNuisance.from_eigh(lam, top.eigenvectors, cutoff, tail_bound=tail)
        m = min(dim, 2 * m)


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

    Parameters
    ----------
    apply : callable
        ``v (dim, 1) -> A v (dim, 1)`` for a symmetric ``A`` (e.g. :func:`gram_operator`).
    dim : int
        Order of the operator.
    grid : ndarray, shape (g,)
        Points at which the density is evaluated (units of ``A``'s eigenvalues).
    probes : int
        Number of random probe vectors.
    steps : int
        Lanczos steps per probe (at most ``dim``).
    sigma : float, optional
        Width of the Gaussian smoothing (default: grid span / 100).
    seed : int
        Seed of the probes (CPU generator).
    dtype : torch.dtype
        Dtype of the Lanczos vectors.
    device : torch.device or str
        Device of the probes; ``apply`` must accept tensors there.

    Returns
    -------
    ndarray, shape (g,)
        The smoothed density on ``grid`` (per unit eigenvalue).

    Examples
    --------
    >>> A = torch.diag(torch.linspace(0.0, 1.0, 50, dtype=torch.float64))
    >>> grid = np.linspace(-0.5, 1.5, 401)
    >>> dens = slq_density(lambda v: A @ v, 50, grid, probes=4, steps=20)
    >>> round(float(dens.sum() * (grid[1] - grid[0])), 3)  # integrates to 1
    1.0
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
            wnorm = float(torch.linalg.vector_norm(w))
            a = float((Vs[-1].T @ w).squeeze())
            B = torch.cat(Vs, dim=1)
            w = w - B @ (B.T @ w)
            w = w - B @ (B.T @ w)
            alphas.append(a)
            bnorm = float(torch.linalg.vector_norm(w))
            # Breakdown (an invariant subspace) relative to |A v|, not an absolute floor.
            if j == m - 1 or bnorm <= ORTH_RTOL * wnorm:
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
