"""Gradient descent on the linearised network at infinite width (the NTK limit of Thms 6.23–6.25).

Scaling
-------
The theorems initialise ``W_0`` i.i.d. N(0, 1) and ``V`` = Rademacher x ``nu / sqrt(kK)`` with
``nu = zeta / (50 B sqrt(log 2K))`` (6.67).  Then ``E[J(W_0) J(W_0)^T] = (nu^2 / K) Sigma(X)``
with ``Sigma(X) = I_K ⊗ Sigma~(X)`` (Lemma 6.11; Definition 2.1 with the scaling of
docs/theory.md#lemma-6-11 and docs/theory.md#i4-ntk-scaling), and Lemma 6.13 gives
``||J J^T - E[J J^T]|| = O(1/sqrt(k))`` relative: as ``k -> inf`` the
Jacobian Gram at initialisation *is* ``(nu^2/K) Sigma(X)``, i.e. the reference Jacobian of the
proof of Theorem 6.23 is ``(nu / sqrt K) Sigma(X)^{1/2}`` (cutoff ``alpha_J = nu alpha_0 /
sqrt K``).  Gradient descent (1.5) on the linearised model, ``r_{t+1} = (I - eta J J^T) r_t``
(Lemma 6.5, eq. 6.5), becomes

    r_T = (I - eta_inf Sigma(X))^T r_0,        eta_inf = eta nu^2 / K.

The dynamics use ``Sigma`` itself (``J J^T``), the theorems' spaces use ``Sigma^{1/2}`` (its
singular values are ``sqrt(eig Sigma~)``, cut at ``alpha_0``).  At the theorems' largest step
``eta = 1/(nu^2 B^2 ||X||^2)`` (Lemma 6.10), ``eta_inf = 1/(K B^2 ||X||^2)``, and
``T = Gamma K / (eta nu^2 alpha_0^2) = Gamma / (eta_inf alpha_0^2)``: both are free of ``nu``
(hence of ``zeta``), and ``(1 - eta_inf alpha_0^2)^T <= e^{-Gamma}`` (Corollary 6.6, eq. 6.10).
``eta_inf lambda_max(Sigma) <= 1/K`` by Schur's bound (Lemma 6.12).

Predictions
-----------
For a test input ``x`` the linearised output moves by ``J(x)(theta_T - theta_0)`` with
``J(x) J^T -> (nu^2/K) Sigma(x, X)``, so per class (``I_K ⊗``)

    f_T(x) = f_0(x) + Sigma~(x, X) g_T(Sigma~) (y - f_0(X)),
    g_T(lambda) = (1 - (1 - eta_inf lambda)^T) / lambda = eta_inf sum_{t<T} (1 - eta_inf lambda)^t,

which for invertible ``Sigma~`` is ``Sigma~(x,X) Sigma~^{-1} (I - (I - eta_inf Sigma~)^T)(y - f_0)``
and tends to kernel regression (interpolation) as ``T -> inf``; on the training inputs
``f_T(X) = y + r_T``.  ``g_T`` is a polynomial, so no inverse is formed.

Initial output.  The theorems do *not* use a zero-output initialisation: at infinite width
``f_0`` is a centred Gaussian process of scale ``nu`` (Lemma 6.14 bounds ``||f(W_0)|| <= zeta
sqrt(n)``).  ``f_T`` is affine in ``f_0``, so the *mean* limit over initialisations is the one
with ``f_0 = 0`` (``r_0 = -y``): that is what :func:`limit_gd_eigh` and :func:`limit_gd_lanczos`
return by default.  Passing ``f0_train``/``f0_test`` (a finite net's own initial outputs) gives
the limit coupled to that initialisation, which the width sweep compares against.

Scale
-----
:func:`ntk_blocks` fills ``Sigma~`` in row blocks into one preallocated ``n x n`` array (only
the lower triangle is computed and mirrored), with the Chebyshev interpolant of
:mod:`bounds.kernels` evaluated in place, block by block.  :func:`limit_gd_eigh` takes a full
eigendecomposition (``eigh_inplace``: LAPACK ``syevd`` overwriting the kernel);
:func:`limit_gd_lanczos` needs only products with ``Sigma~``: block Lanczos from ``y - f_0``
(full reorthogonalisation) gives ``(I - eta Sigma~)^T`` and ``g_T(Sigma~)`` applied to it, to a
relative ``tol``, in ``O(sqrt(T))``-ish products instead of an ``O(n^3)`` decomposition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

import bounds
from bounds import formulas as F
from bounds.kernels import DEFAULT_DEGREE, dual_expectation, dual_interpolant, get_activation
from bounds.report import Report
from bounds.spectral import InfoNuisance

Array = NDArray[np.float64]

#: Entries per block of the kernel computation (1 MiB of float64 per temporary: the six of them
#: stay in cache while the Chebyshev recurrence sweeps over the block).
BLOCK_ENTRIES = 2**17
#: Unit-norm tolerance for the rows (the same as :mod:`bounds`).
UNIT_NORM_TOL = 1e-6
#: A Krylov block's remainder after reorthogonalisation below this fraction of its product's
#: norm lies in the basis (as :data:`simulate.eig.ORTH_RTOL`).
ORTH_RTOL = 1e-10
#: ``eta * lambda_max`` may exceed 1 by this relative round-off (Lemma 6.5 needs ``<= 1``).
STEP_RTOL = 1e-12


def _unit_rows(name: str, X: ArrayLike) -> Array:
    A = np.ascontiguousarray(X, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must be finite")
    norms = np.linalg.norm(A, axis=1)
    bad = int(np.argmax(np.abs(norms - 1.0)))
    if abs(norms[bad] - 1.0) > UNIT_NORM_TOL:
        raise ValueError(
            f"{name} must have unit-norm rows (| ||x_i|| - 1 | <= {UNIT_NORM_TOL:g}); row {bad} "
            f"has norm {norms[bad]:.6g}"
        )
    return A


def _clenshaw_inplace(rho: Array, coef: Array, bufs: list[Array]) -> Array:
    """``chebval(rho, coef)`` with the operation order of numpy's ``chebval``, in 4 buffers.

    Returns one of the buffers (the same bits as ``numpy.polynomial.chebyshev.chebval``).
    """
    x2, c0, c1, t = bufs
    if coef.shape[0] == 1:
        c0.fill(coef[0])
        return c0
    c0.fill(coef[-2])
    c1.fill(coef[-1])
    np.multiply(rho, 2.0, out=x2)
    for i in range(3, coef.shape[0] + 1):
        np.multiply(c1, x2, out=t)  # c1 * x2
        t += c0  # tmp + c1 * x2
        np.subtract(coef[-i], c1, out=c0)  # c[-i] - c1
        c1, t = t, c1
    np.multiply(c1, rho, out=t)
    t += c0
    return t


def ntk_blocks(
    X: ArrayLike,
    Z: ArrayLike | None = None,
    activation: str = "softplus",
    degree: int = DEFAULT_DEGREE,
    *,
    out: Array | None = None,
    block_entries: int = BLOCK_ENTRIES,
) -> Array:
    """``Sigma~(X)`` (n x n), or the cross kernel ``Sigma~(Z, X)`` (m x n), in row blocks.

    The single-output NTK of Definition 2.1 for unit-norm rows, ``(X X^T) ⊙ kappa(X X^T)`` with
    ``kappa`` the Chebyshev interpolant of :func:`bounds.kernels.dual_interpolant` and the
    diagonal ``||x_i||^2 E[phi'(z)^2]`` (as :func:`bounds.kernels.ntk`).  Written into ``out``
    (allocated if ``None``; C-contiguous float64 of the result's shape) with temporaries of
    ``block_entries`` entries only: for ``Z = None`` the lower triangle is computed block row by
    block row and mirrored, so the result is exactly symmetric and costs half the work.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Unit-norm rows (within :data:`UNIT_NORM_TOL`).
    Z : array_like, shape (m, d), optional
        Unit-norm rows of a second set (e.g. test inputs): gives the cross kernel.
    activation : str
        A smooth activation of :data:`bounds.activations.ACTIVATIONS`.
    degree : int
        Gauss–Hermite nodes per axis of the interpolant's samples.
    out : ndarray, optional
        Preallocated C-contiguous float64 array of shape (n, n), or (m, n) with ``Z``.
    block_entries : int
        Entries per temporary block.

    Returns
    -------
    ndarray, shape (n, n) or (m, n)
        ``Sigma~(X)`` (exactly symmetric) or ``Sigma~(Z, X)``; ``out`` when given.

    Raises
    ------
    ValueError
        For rows that are not unit-norm, mismatched columns, a bad ``out`` or
        ``block_entries``, or an activation whose ``phi''`` is unbounded (ReLU: use
        :func:`bounds.kernels.ntk`).

    Examples
    --------
    >>> from bounds.kernels import ntk
    >>> from simulate.data import uniform_sphere
    >>> X = uniform_sphere(40, 5, seed=0)
    >>> S = ntk_blocks(X, block_entries=200)  # blocks of 5 rows
    >>> bool(np.abs(S - ntk(X)).max() < 1e-12), bool((S == S.T).all())
    (True, True)
    >>> ntk_blocks(X, uniform_sphere(3, 5, seed=1)).shape
    (3, 40)
    """
    act = get_activation(activation)
    if not act.smooth:
        raise ValueError(f"activation {act.name!r} is not smooth; use bounds.kernels.ntk")
    A = _unit_rows("X", X)
    B = A if Z is None else _unit_rows("Z", Z)
    if B.shape[1] != A.shape[1]:
        raise ValueError(f"Z must have {A.shape[1]} columns like X, got shape {B.shape}")
    if not (isinstance(block_entries, int) and block_entries >= 1):
        raise ValueError(f"block_entries must be a positive integer, got {block_entries!r}")
    m, n = B.shape[0], A.shape[0]
    if out is None:
        out = np.empty((m, n))
    elif out.shape != (m, n) or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float64 array of shape {(m, n)}")
    coef = dual_interpolant(act, degree).coefficients
    diag = float(dual_expectation(1.0, act, degree))
    rows = max(1, block_entries // n)
    bufs = [np.empty(rows * n) for _ in range(6)]
    for lo in range(0, m, rows):
        hi = min(m, lo + rows)
        cols = hi if Z is None else n  # lower triangle (and the diagonal block) only
        size = (hi - lo) * cols
        gram = bufs[0][:size].reshape(hi - lo, cols)
        np.matmul(B[lo:hi], A[:cols].T, out=gram)
        rho = np.clip(gram, -1.0, 1.0, out=bufs[1][:size].reshape(hi - lo, cols))
        val = _clenshaw_inplace(rho, coef, [b[:size].reshape(hi - lo, cols) for b in bufs[2:]])
        np.multiply(gram, val, out=out[lo:hi, :cols])
        if Z is None:
            idx = np.arange(lo, hi)
            out[idx, idx] = gram[idx - lo, idx] * diag
            blk = out[lo:hi, lo:hi]
            blk[...] = (blk + blk.T) / 2
            out[:lo, lo:hi] = out[lo:hi, :lo].T
    return out


def eigh_inplace(S: Array) -> tuple[Array, Array]:
    """Eigenpairs of the symmetric ``S`` by LAPACK ``syevd``, overwriting ``S`` (no copy of it).

    The eigenvectors may occupy ``S``'s memory.  ``syevd`` takes ``1 + 6n + 2n^2`` floats of
    workspace.

    Parameters
    ----------
    S : ndarray, shape (n, n)
        Symmetric float64 matrix; its contents are destroyed.

    Returns
    -------
    ndarray, shape (n,)
        Eigenvalues, ascending.
    ndarray, shape (n, n)
        Orthonormal eigenvectors (columns).

    Examples
    --------
    >>> lam, U = eigh_inplace(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> np.round(lam, 12).tolist()
    [1.0, 3.0]
    """
    A = np.asfortranarray(S.T) if S.flags.c_contiguous else S  # S symmetric: S.T is S, F-ordered
    lam, U = scipy.linalg.eigh(A, overwrite_a=True, driver="evd", check_finite=False)
    return lam, U


def gd_factors(lam: ArrayLike, eta: float, T: int) -> tuple[Array, Array]:
    """``((1 - eta lam)^T, g_T(lam))`` with ``g_T = (1 - (1 - eta lam)^T) / lam`` (``eta T`` at 0).

    Eq. (6.5) of Lemma 6.5 per eigenvalue; formed as ``expm1(T log1p(-eta lam))``, so that
    ``g_T`` keeps full relative accuracy for tiny ``lam`` (no cancellation).  Needs ``eta > 0``,
    an integer ``T >= 0`` and ``0 <= eta lam <= 1`` (Lemma 6.5's ``eta <= 1/lambda_1^2``); negative
    eigenvalues of round-off size must be clipped by the caller.

    Parameters
    ----------
    lam : array_like
        Eigenvalues (>= 0, finite), any shape.
    eta : float
        Step size (> 0).
    T : int
        Number of steps (>= 0).

    Returns
    -------
    ndarray
        ``(1 - eta lam)^T``, the shape of ``lam``.
    ndarray
        ``g_T(lam)``, the shape of ``lam``.

    Raises
    ------
    ValueError
        For a non-positive ``eta``, a ``T`` that is not a non-negative integer, negative or
        non-finite eigenvalues, or ``eta lam > 1``.

    Examples
    --------
    >>> decay, g = gd_factors([0.0, 1.0, 2.0], 0.5, 2)
    >>> decay.tolist(), g.tolist()
    ([1.0, 0.25, 0.0], [1.0, 0.75, 0.5])
    """
    x = np.asarray(lam, dtype=np.float64)
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be positive and finite, got {eta!r}")
    if not (isinstance(T, int | np.integer) and T >= 0):
        raise ValueError(f"T must be a non-negative integer, got {T!r}")
    if np.any(x < 0) or not np.all(np.isfinite(x)):
        raise ValueError("eigenvalues must be finite and >= 0 (clip round-off first)")
    ex = eta * x
    if np.any(ex > 1 + STEP_RTOL):
        raise ValueError(
            f"eta * lambda_max = {float(ex.max()):.6g} must be <= 1 (Lemma 6.5: eta <= 1/lambda_1^2)"
        )
    ex = np.minimum(ex, 1.0)
    if T == 0:
        return np.ones_like(x), np.zeros_like(x)
    with np.errstate(divide="ignore"):
        log = np.where(ex < 1.0, np.log1p(-ex), -np.inf)
        em1 = np.where(ex < 1.0, np.expm1(T * log), -1.0)
        decay = np.where(ex < 1.0, np.exp(T * log), 0.0)  # not 1 + em1: relative accuracy
    safe = np.where(x > 0, x, 1.0)
    g = np.where(x > 0, -em1 / safe, eta * float(T))
    return decay, g


@dataclass(frozen=True)
class LimitGD:
    """Result of gradient descent in the infinite-width limit.

    Returned by :func:`limit_gd_eigh` and :func:`limit_gd_lanczos`.

    Attributes
    ----------
    train_pred : ndarray, shape (n, K)
        ``f_T(X) = y + r_T``.
    train_residual : ndarray, shape (n, K)
        ``r_T``.
    test_pred : ndarray, shape (m, K) or None
        ``f_T`` on the test inputs when the cross kernel was given.
    method : str
        ``"eigh"`` or ``"lanczos"``.
    steps : int
        ``T``.
    eta : float
        The step ``eta_inf``.
    products : int
        For the Lanczos path, products with ``Sigma~`` (columns); 0 for eigh.
    error_estimate : float
        For the Lanczos path, the last change of the coefficients relative to
        ``||y - f_0||`` (0 when exact, and for eigh).
    """

    train_pred: Array
    train_residual: Array
    test_pred: Array | None
    method: str
    steps: int
    eta: float
    products: int = 0
    error_estimate: float = 0.0


def _start(Y: ArrayLike, f0_train: ArrayLike | None) -> tuple[Array, Array]:
    """``(Y, Y - f_0)``: labels and the negated initial residual ``-r_0``."""
    Yt = np.asarray(Y, dtype=np.float64)
    if Yt.ndim != 2:
        raise ValueError(f"Y must be an (n, K) array, got shape {Yt.shape}")
    F0 = np.zeros_like(Yt) if f0_train is None else np.asarray(f0_train, dtype=np.float64)
    if F0.shape != Yt.shape:
        raise ValueError(f"f0_train must have the shape of Y {Yt.shape}, got {F0.shape}")
    return Yt, Yt - F0


def _test_part(
    cross: ArrayLike | None, f0_test: ArrayLike | None, coef: Array, n: int
) -> Array | None:
    if cross is None:
        if f0_test is not None:
            raise ValueError("f0_test needs cross (the test-train kernel)")
        return None
    C = np.asarray(cross, dtype=np.float64)
    if C.ndim != 2 or C.shape[1] != n:
        raise ValueError(f"cross must be (m, {n}) (Sigma~(X_test, X)), got shape {C.shape}")
    pred = C @ coef
    if f0_test is not None:
        F0t = np.asarray(f0_test, dtype=np.float64)
        if F0t.shape != pred.shape:
            raise ValueError(f"f0_test must have shape {pred.shape}, got {F0t.shape}")
        pred = pred + F0t
    return np.asarray(pred)


def limit_gd_eigh(
    lam: ArrayLike,
    U: ArrayLike,
    Y: ArrayLike,
    eta: float,
    T: int,
    *,
    cross: ArrayLike | None = None,
    f0_train: ArrayLike | None = None,
    f0_test: ArrayLike | None = None,
) -> LimitGD:
    """``T`` steps of ``r <- (I - eta Sigma~) r`` per class in closed form from ``Sigma~ = U diag(lam) U^T``.

    Lemma 6.5 (6.5) at infinite width (module notes): ``r_T = -U diag((1 - eta lam)^T) U^T
    (y - f_0)``, ``f_T(X) = y + r_T`` and, with ``cross = Sigma~(X_test, X)``, ``f_T(x) = f_0(x)
    + Sigma~(x, X) U diag(g_T(lam)) U^T (y - f_0)``.  ``eta`` is ``eta_inf`` (the theorems'
    ``eta nu^2 / K``).  Eigenvalues down to ``-1e-10 lambda_max`` are round-off and clipped.

    Parameters
    ----------
    lam : array_like, shape (n,)
        Eigenvalues of ``Sigma~`` (any order, matching ``U``).
    U : array_like, shape (n, n)
        Orthonormal eigenvectors (columns).
    Y : array_like, shape (n, K)
        Labels.
    eta : float
        Step ``eta_inf`` with ``eta_inf lambda_max <= 1``.
    T : int
        Number of steps.
    cross : array_like, shape (m, n), optional
        ``Sigma~(X_test, X)`` (:func:`ntk_blocks` with ``Z``), for test predictions.
    f0_train : array_like, shape (n, K), optional
        Initial outputs on the training inputs (default 0: the mean limit).
    f0_test : array_like, shape (m, K), optional
        Initial outputs on the test inputs (needs ``cross``).

    Returns
    -------
    LimitGD

    Raises
    ------
    ValueError
        For mismatched shapes, a kernel that is not PSD, or a step with ``eta lambda_max > 1``.

    Examples
    --------
    One step of ``eta = 1/lambda_1`` fits the top eigendirection exactly and the other one
    half-way (``f_0 = 0``, ``f_T(X) = y + r_T``):

    >>> res = limit_gd_eigh([2.0, 1.0], np.eye(2), np.eye(2), eta=0.5, T=1)
    >>> res.train_pred.tolist()
    [[1.0, 0.0], [0.0, 0.5]]
    """
    lv = np.asarray(lam, dtype=np.float64)
    Um = np.asarray(U, dtype=np.float64)
    Yt, Bm = _start(Y, f0_train)
    n = Yt.shape[0]
    if lv.shape != (n,) or Um.shape != (n, n):
        raise ValueError(f"lam, U must be (n,), (n, n) with n = {n}; got {lv.shape}, {Um.shape}")
    scale = max(float(np.abs(lv).max()), np.finfo(float).tiny)
    if np.any(lv < -1e-10 * scale):
        raise ValueError(f"Sigma~ must be PSD; smallest eigenvalue {lv.min():.3g}")
    decay, g = gd_factors(np.clip(lv, 0.0, None), eta, T)
    A = Um.T @ Bm
    resid = -(Um @ (decay[:, None] * A))
    test = _test_part(cross, f0_test, Um @ (g[:, None] * A), n)
    return LimitGD(Yt + resid, resid, test, "eigh", int(T), float(eta))


def limit_gd_lanczos(
    S: Array | Callable[[Array], Array],
    Y: ArrayLike,
    eta: float,
    T: int,
    *,
    cross: ArrayLike | None = None,
    f0_train: ArrayLike | None = None,
    f0_test: ArrayLike | None = None,
    tol: float = 1e-11,
    check_every: int = 5,
    max_blocks: int = 2000,
) -> LimitGD:
    """As :func:`limit_gd_eigh`, from products with ``Sigma~`` only (block Lanczos).

    The Krylov space of ``Sigma~`` from the block ``R = y - f_0`` (K columns) is built with two
    passes of full reorthogonalisation; with ``Q`` its basis and ``H = Q^T Sigma~ Q``,
    ``h(Sigma~) R ~ Q h(H) Q^T R`` for ``h`` = ``(1 - eta lam)^T`` and ``g_T`` (exact once the
    basis holds a polynomial of degree ``T``, or an invariant subspace).  Every ``check_every``
    blocks both coefficient vectors are compared with the previous check; the run stops when
    the change is at most ``tol`` relative to ``||R||`` (and ``eta T ||R||`` for ``g_T``).

    Parameters
    ----------
    S : ndarray, shape (n, n), or callable
        The kernel ``Sigma~``, or a function ``V (n, b) -> Sigma~ V``.
    Y, eta, T, cross, f0_train, f0_test
        As :func:`limit_gd_eigh`.
    tol : float
        Relative change of the coefficients at which the run stops (> 0).
    check_every : int
        Blocks between two convergence checks.
    max_blocks : int
        Blocks before giving up.

    Returns
    -------
    LimitGD
        With ``products`` and ``error_estimate`` set.

    Raises
    ------
    ValueError
        For mismatched shapes, a non-positive ``tol`` or ``eta lambda_max > 1`` on the Ritz
        values.
    RuntimeError
        If ``tol`` is not reached in ``max_blocks`` blocks.

    Examples
    --------
    >>> from simulate.data import gaussian_mixture
    >>> data = gaussian_mixture(60, 5, K=2, C=1, d=5, sigma=0.3, seed=0)
    >>> S = ntk_blocks(data.X_train)
    >>> lam, U = np.linalg.eigh(S)
    >>> eta = 1.0 / lam[-1]
    >>> a = limit_gd_eigh(lam, U, data.y_train, eta, 50)
    >>> b = limit_gd_lanczos(S, data.y_train, eta, 50)
    >>> bool(np.abs(a.train_pred - b.train_pred).max() < 1e-8), b.products < 60
    (True, True)
    """
    Yt, Bm = _start(Y, f0_train)
    n, K = Bm.shape
    apply: Callable[[Array], Array] = S if callable(S) else (lambda V: S @ V)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be positive, got {tol!r}")
    bnorm = float(np.linalg.norm(Bm))
    if bnorm == 0.0:
        zero = np.zeros_like(Bm)
        test = _test_part(cross, f0_test, zero, n)
        return LimitGD(Yt.copy(), zero, test, "lanczos", int(T), float(eta))
    cap = min(n, K * max_blocks)
    Q = np.empty((n, cap))
    H = np.zeros((cap, cap))
    Q0, Rfirst = np.linalg.qr(Bm)
    keep = np.abs(np.diag(Rfirst)) > ORTH_RTOL * bnorm  # dependent columns: dropped
    Qb = Q0[:, keep]
    m = 0
    products = 0
    prev: tuple[Array, Array] | None = None
    err = np.inf
    exact = False
    blocks = 0
    coef_r = coef_g = np.zeros((0, K))
    QtB = np.zeros((0, K))
    while True:
        q = Qb.shape[1]
        Q[:, m : m + q] = Qb
        W = apply(Qb)
        products += q
        # Relative to the products as given: after two projections their in-basis part is
        # round-off ~eps sqrt(m) |A Q|; a remainder below ORTH_RTOL |A Q| lies in the basis.
        wscale = float(np.linalg.norm(W, axis=0).max())
        m_new = m + q
        h = Q[:, :m_new].T @ W
        H[:m_new, m:m_new] = h
        H[m:m_new, :m_new] = h.T
        W = W - Q[:, :m_new] @ h
        W = W - Q[:, :m_new] @ (Q[:, :m_new].T @ W)
        m = m_new
        blocks += 1
        Qn, Rn = np.linalg.qr(W)
        good = np.abs(np.diag(Rn)) > ORTH_RTOL * max(wscale, np.finfo(float).tiny)
        Qb = Qn[:, good][:, : cap - m]
        invariant = Qb.shape[1] == 0  # the basis holds an invariant subspace: exact
        if invariant or m >= cap or blocks % check_every == 0:
            QtB = Q[:, :m].T @ Bm
            Hm = (H[:m, :m] + H[:m, :m].T) / 2
            theta, Sv = np.linalg.eigh(Hm)
            theta = np.clip(theta, 0.0, None)
            decay, g = gd_factors(theta, eta, T)
            C = Sv.T @ QtB
            coef_r = Sv @ (decay[:, None] * C)
            coef_g = Sv @ (g[:, None] * C)
            if prev is not None:
                pr, pg = prev
                dr = (
                    np.linalg.norm(coef_r[: pr.shape[0]] - pr) ** 2
                    + np.linalg.norm(coef_r[pr.shape[0] :]) ** 2
                )
                dg = (
                    np.linalg.norm(coef_g[: pg.shape[0]] - pg) ** 2
                    + np.linalg.norm(coef_g[pg.shape[0] :]) ** 2
                )
                err = max(np.sqrt(dr) / bnorm, np.sqrt(dg) / (eta * max(T, 1) * bnorm))
            prev = (coef_r, coef_g)
            if invariant or m >= cap:
                exact = True
                break
            if err <= tol:
                break
        if blocks >= max_blocks:
            raise RuntimeError(
                f"limit_gd_lanczos did not reach tol={tol} in {max_blocks} blocks (last change "
                f"{err:.3g}); raise max_blocks or use limit_gd_eigh"
            )
    resid = -(Q[:, :m] @ coef_r)
    test = _test_part(cross, f0_test, Q[:, :m] @ coef_g, n)
    return LimitGD(
        Yt + resid,
        resid,
        test,
        "lanczos",
        int(T),
        float(eta),
        products,
        0.0 if exact else float(err),
    )


def top_kernel_split(
    S: Array, cutoff_fraction: float, K: int, *, r: int = 16, tol: float = 1e-10, seed: int = 0
) -> InfoNuisance:
    """Split of ``Sigma(X)^{1/2}`` at ``alpha_0 = cutoff_fraction * lambda_1`` from top eigenpairs.

    Top-``r`` eigenpairs of the n x n ``S = Sigma~`` by :func:`simulate.eig.top_eigenpairs`
    (products with ``S`` only), ``r`` doubled until the smallest one found lies below
    ``alpha_0^2``; the unknown rest of the spectrum is bounded by it (``tail_bound``), so the
    nuisance norms are exact complements and ``D_{alpha_0,Gamma}`` an upper bound
    (:class:`bounds.InfoNuisance`).  ``kron = K`` represents ``I_K ⊗ Sigma~``.

    Parameters
    ----------
    S : ndarray, shape (n, n)
        The kernel ``Sigma~`` (float64).
    cutoff_fraction : float
        ``alpha_0 / sqrt(lambda_1(Sigma~))`` in (0, 1]: the cutoff relative to the largest
        singular value of ``Sigma~^{1/2}``.
    K : int
        Number of classes.
    r : int
        Eigenpairs computed at first.
    tol : float
        Residual tolerance of :func:`simulate.eig.top_eigenpairs`.
    seed : int
        Seed of its starting vector.

    Returns
    -------
    bounds.InfoNuisance
        A partial split of ``R^{nK}`` with ``kron = K``.

    Raises
    ------
    ValueError
        If ``cutoff_fraction`` is outside (0, 1].

    Examples
    --------
    >>> from simulate.data import gaussian_mixture
    >>> S = ntk_blocks(gaussian_mixture(60, 5, K=2, C=1, d=5, sigma=0.3, seed=0).X_train)
    >>> top, full = top_kernel_split(S, 0.5, 2, r=4), full_kernel_split(*np.linalg.eigh(S), 0.5, 2)
    >>> top.rank == full.rank, top.dim
    (True, 120)
    """
    import torch

    from .eig import top_eigenpairs

    if not 0 < cutoff_fraction <= 1:
        raise ValueError(f"cutoff_fraction must lie in (0, 1], got {cutoff_fraction!r}")
    n = S.shape[0]
    St = torch.from_numpy(S)
    rr = min(r, n)
    while True:
        te = top_eigenpairs(lambda V: St @ V, n, rr, tol=tol, seed=seed)
        lam = np.asarray(te.eigenvalues)
        alpha0 = cutoff_fraction * float(np.sqrt(max(lam[0], 0.0)))
        if lam[-1] < alpha0**2 or rr == n:
            break
        rr = min(n, 2 * rr)
    return InfoNuisance.from_eigh(lam, np.asarray(te.eigenvectors), alpha0, kron=K)


def full_kernel_split(lam: Array, U: Array, cutoff_fraction: float, K: int) -> InfoNuisance:
    """Split of ``Sigma(X)^{1/2}`` at ``alpha_0 = cutoff_fraction * lambda_1`` from a full eigh.

    Parameters
    ----------
    lam : ndarray, shape (n,)
        Every eigenvalue of ``Sigma~`` (any order).
    U : ndarray, shape (n, n)
        Its eigenvectors (columns).
    cutoff_fraction : float
        ``alpha_0 / sqrt(lambda_1(Sigma~))`` in (0, 1].
    K : int
        Number of classes.

    Returns
    -------
    bounds.InfoNuisance
        The complete split of ``R^{nK}`` with ``kron = K``.

    Raises
    ------
    ValueError
        If ``cutoff_fraction`` is outside (0, 1].

    Examples
    --------
    >>> split = full_kernel_split(np.array([4.0, 1.0]), np.eye(2), 0.6, K=3)
    >>> split.rank, split.dim, round(split.cutoff, 12)
    (3, 6, 1.2)
    """
    if not 0 < cutoff_fraction <= 1:
        raise ValueError(f"cutoff_fraction must lie in (0, 1], got {cutoff_fraction!r}")
    alpha0 = cutoff_fraction * float(np.sqrt(max(float(np.max(lam)), 0.0)))
    return InfoNuisance.from_eigh(lam, U, alpha0, kron=K)


def report_from_split(
    key: str, split: InfoNuisance, X: ArrayLike, Y: ArrayLike, **scalars: Any
) -> tuple[Report, dict[str, float]]:
    """Theorem 6.23, 6.24 or 6.25 from a kernel split of ``Sigma(X)^{1/2}`` (full or top-r).

    :func:`bounds.from_data` on the split's eigenpairs, at the ``alpha`` whose cutoff
    ``alpha_0 = alpha B sqrt(sqrt(n) K ||X||)`` (docs/theory.md#r26-cutoff-random) is the
    split's.  For a partial split ``D`` is an upper bound.

    Parameters
    ----------
    key : str
        ``"6.23"``, ``"6.24"`` or ``"6.25"``.
    split : bounds.InfoNuisance
        A split of ``Sigma(X)^{1/2}`` with ``kron = K`` (:func:`full_kernel_split`,
        :func:`top_kernel_split`).
    X : array_like, shape (n, d)
        Unit-norm inputs.
    Y : array_like, shape (n, K)
        One-hot labels.
    **scalars
        The theorem's other inputs (``Gamma``, ``zeta``, ``delta``, ``k``, ``B`` (default 1),
        ...); not ``alpha``, which the split fixes.

    Returns
    -------
    bounds.Report
        The theorem's report.
    dict
        Its required inputs and ``lambda_1`` (for :func:`bounds.symbolic.solve_for`).

    Raises
    ------
    ValueError
        If the split does not act on ``nK`` vectors with ``kron = K``, ``alpha`` is passed,
        or the theorem refuses its inputs.

    Examples
    --------
    >>> from simulate.data import gaussian_mixture
    >>> data = gaussian_mixture(60, 5, K=2, C=1, d=5, sigma=0.3, seed=0)
    >>> split = full_kernel_split(*np.linalg.eigh(ntk_blocks(data.X_train)), 0.5, 2)
    >>> rep, inputs = report_from_split(
    ...     "6.24", split, data.X_train, data.y_train, Gamma=3.0, zeta=0.01, delta=0.1, k=10**6
    ... )
    >>> rep.theorem, inputs["n"], inputs["K"]
    ('6.24', 60, 2)
    """
    if "alpha" in scalars:
        raise ValueError("alpha is set by the split's cutoff; do not pass it")
    n, K = np.shape(Y)
    B = float(scalars.pop("B", 1.0))
    X_norm = bounds.spectral_norm(X)
    alpha = split.cutoff / (B * np.sqrt(np.sqrt(n) * K * X_norm))
    rep = bounds.from_data(key, X, Y, split=split, alpha=alpha, B=B, **scalars)
    names = (*F.get(key).inputs, "lambda_1")
    inputs = {name: float(rep.inputs[name]) for name in names if name in rep.inputs}
    return rep, {**inputs, "n": n, "K": K}
