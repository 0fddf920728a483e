"""The multiclass neural tangent kernel of Definition 2.1, by Gauss–Hermite quadrature.

For inputs ``X`` (n x d) and ``w ~ N(0, I_d)`` the single-output kernel is

    Sigma~(X) = (X X^T) ⊙ E_w[phi'(X w) phi'(X w)^T]          (n x n)

and the multiclass kernel (M-NTK) is ``Sigma(X) = I_K ⊗ Sigma~(X)`` (nK x nK, class-major,
docs/theory.md#class-major).  Entry (i, j) of the expectation is the 2-D Gaussian integral
``E[phi'(u) phi'(v)]`` with ``(u, v)`` of covariance ``[[|x_i|^2, <x_i,x_j>], [., |x_j|^2]]``.

Method and error
----------------
The 2-D integral is computed with a tensor Gauss–Hermite rule of ``degree`` nodes per axis after
writing ``u = a z1``, ``v = b (rho z1 + sqrt(1 - rho^2) z2)`` with independent standard normals.
For smooth ``phi'`` (softplus: the logistic function) the rule converges quickly; the default
``degree = 96`` has an absolute error below 1e-13 for softplus (tests compare against
``degree = 240`` and against Monte Carlo).  Nodes and weights come from :func:`gauss_hermite`,
which is finite for every accepted degree (2 to 1000).  For ReLU (``phi'`` = step) the
expectation has the closed form ``(pi - arccos rho) / (2 pi)`` (the arc-cosine kernel of degree
0), used by default; the quadrature converges only like ``O(degree^{-1/2})`` for this
discontinuous ``phi'`` and is kept (``closed_form=False``) to validate the closed form.  With
``unit_norm=False`` rows of norm ``a`` enter as ``phi'(a z)``, which sharpens as ``a`` grows:
:data:`DEFAULT_DEGREE` is accurate to about 1e-11 for norms in [0.7, 1.3] (the
Gaussian-mixture regime), to about 1e-8 for norms up to 2, and degrades for larger norms
(measured on the Gaussian ``phi'``, whose closed form is known; see the tests).

For unit-norm rows the expectation depends on ``rho = <x_i, x_j>`` only.  ``ntk`` then evaluates
the quadrature at ``CHEB_POINTS`` Chebyshev points of [-1, 1] and interpolates (Clenshaw
evaluation of the truncated Chebyshev series), which costs O(n^2 * degree_cheb) instead of
O(n^2 * degree^2).  The coefficients come from a type-II DCT of the sampled values
(``scipy.fft``, no BLAS): its round-off is about 1 ulp of the largest value (measured: trailing
coefficients below 1.2e-16 for softplus, 2.8e-16 for the Gaussian ``phi'``), and the same on
every CPU, where a least-squares fit (``chebfit``) has BLAS-dependent noise up to ~3e-15.  The
series is cut where the coefficients reach their round-off plateau: the *noise floor* is the
largest coefficient in the upper half of the spectrum, and trailing coefficients below
``CHEB_PLATEAU`` (100) times that floor are dropped (for softplus about 18 are kept, for the
Gaussian ``phi'`` about 24).  The sum of the dropped ones is reported by :func:`dual_interpolant`
as the truncation error estimate (below 2e-14 for both).  A floor above ``CHEB_NOISE_MAX`` of the
largest coefficient means the kernel is not resolved (ValueError).  Tests check the interpolant
against direct quadrature at random ``rho``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial import chebyshev as cheb
from numpy.typing import ArrayLike, NDArray
from scipy import fft, linalg

from . import validate as v

# The activations are defined in bounds.activations and re-exported here.
from .activations import ACTIVATIONS as ACTIVATIONS
from .activations import NUMPY, Activation, get_activation

Array = NDArray[np.float64]

#: Default number of Gauss–Hermite nodes per axis.
DEFAULT_DEGREE = 96
#: Chebyshev points used to interpolate the dual kernel rho -> E[phi'(u) phi'(v)].
CHEB_POINTS = 128
#: Trailing Chebyshev coefficients below this multiple of the measured noise floor (the largest
#: coefficient in the upper half of the spectrum) are dropped: 100x keeps the cut clear of the
#: round-off plateau, so it does not move with the last bits of the values.
CHEB_PLATEAU = 100.0
#: A noise floor above this fraction of the largest coefficient (~450 ulp; a resolved kernel has
#: ~1 ulp) means the coefficients have not decayed: the kernel is not resolved.
CHEB_NOISE_MAX = 1e-13
#: Largest Gauss–Hermite degree accepted.
MAX_DEGREE = 1000
#: Largest number of entries of a (rho, node, node) block in :func:`dual_expectation` (64 MiB of
#: float64): bounds the memory at high degree.
_BLOCK_ENTRIES = 2**23
#: Largest scale accepted for the stds ``a, b`` of :func:`dual_expectation` and the row norms
#: of ``ntk(unit_norm=False)`` (smallest: its inverse).  The quadrature forms ``a z`` with nodes
#: ``|z| <= 63`` (degree 1000), and ``phi'`` may square it (Gaussian ``phi'``); the kernel
#: multiplies two norms.  1e100 keeps all of these (``< 1e204``) far inside float64 (1.8e308,
#: smallest normal 2.2e-308), so that no product overflows or loses its value to underflow.
MAX_SCALE = 1e100
#: Largest number of entries of the dense nK x nK matrix built by :func:`mntk` (2 GiB of
#: float64, nK <= 16384, whose ``eigh`` already takes minutes): beyond it use :func:`ntk` with
#: ``InfoNuisance(..., kron=K)``, which never forms it.
MAX_DENSE_ENTRIES = 2**28


def _check_degree(degree: int) -> int:
    if not (isinstance(degree, int | np.integer) and 2 <= int(degree) <= MAX_DEGREE):
        raise ValueError(f"degree must be an integer in [2, {MAX_DEGREE}], got {degree!r}")
    return int(degree)


def _log_orthonormal_hermite(x: Array, n: int) -> tuple[Array, Array, Array]:
    """``p_n(x)``, ``p_{n-1}(x)`` (orthonormal for ``exp(-x^2)``) as ``(q_n, q_{n-1}, log s)``.

    ``p_k = q_k * exp(log s)``: the three-term recurrence is rescaled whenever ``|q|`` grows past
    1e100, because ``p_n`` at the outer nodes of a high degree exceeds the float64 range.
    """
    prev = np.zeros_like(x)
    cur = np.full_like(x, np.pi**-0.25)
    logs = np.zeros_like(x)
    for k in range(n):
        nxt = np.sqrt(2.0 / (k + 1)) * x * cur - np.sqrt(k / (k + 1)) * prev
        prev, cur = cur, nxt
        big = np.abs(cur) > 1e100
        if np.any(big):
            scale = np.where(big, np.abs(cur), 1.0)
            cur, prev, logs = cur / scale, prev / scale, logs + np.log(scale)
    return cur, prev, logs


@lru_cache(maxsize=16)
def gauss_hermite(degree: int) -> tuple[Array, Array]:
    """Nodes ``z`` and weights ``w`` with ``E[f(Z)] ~ sum w f(z)`` for ``Z ~ N(0,1)``.

    Golub–Welsch nodes (eigenvalues of the symmetric tridiagonal Jacobi matrix) polished by one Newton step, and the
    Christoffel weights ``1 / (n p_{n-1}(x)^2)`` formed in logarithms, so that they stay finite
    for every degree up to :data:`MAX_DEGREE` (``numpy``'s ``hermgauss`` overflows from degree
    ~370 on); the outer weights underflow to zero, where they are below 1e-300.  The rule is
    exact for polynomials of degree ``2 degree - 1``.

    >>> z, w = gauss_hermite(20)
    >>> round(float(w @ z**2), 12), round(float(w @ z**4), 12)
    (1.0, 3.0)
    """
    m = _check_degree(degree)
    x = linalg.eigvalsh_tridiagonal(np.zeros(m), np.sqrt(np.arange(1, m) / 2.0))
    pn, pn1, _ = _log_orthonormal_hermite(x, m)
    x = x - pn / (np.sqrt(2.0 * m) * pn1)  # Newton: p_n' = sqrt(2 n) p_{n-1}
    _, pn1, logs = _log_orthonormal_hermite(x, m)
    logw = -2.0 * (np.log(np.abs(pn1)) + logs)
    w = np.exp(logw - logw.max())
    # Symmetrise (the rule is even) and normalise to E[1] = 1.
    w = (w + w[::-1]) / 2
    x = (x - x[::-1]) / 2
    w = w / w.sum()
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w))):  # pragma: no cover - guarded
        raise ValueError(f"Gauss-Hermite rule of degree {m} is not finite")
    return np.sqrt(2.0) * x, w


def dual_expectation(
    rho: ArrayLike,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    *,
    a: ArrayLike = 1.0,
    b: ArrayLike = 1.0,
    chunk: int = 4096,
    closed_form: bool = True,
) -> Array:
    """``E[phi'(u) phi'(v)]`` for ``(u, v)`` centred Gaussian with stds ``a, b`` and correlation ``rho``.

    Tensor Gauss–Hermite quadrature with ``degree`` nodes per axis (see the module notes for the
    error), or the activation's closed form (``Activation.dual``, ReLU) unless
    ``closed_form=False``.  ``rho``, ``a`` and ``b`` broadcast together; ``a`` and ``b`` lie in
    ``[0, MAX_SCALE]``.  At most ``chunk`` (a positive integer) values of ``rho`` (fewer at
    high degree, to bound memory) are integrated at once.

    Examples
    --------
    Closed form for ``phi'(z) = exp(-z^2/2)``: ``((1+a^2)(1+b^2) - a^2 b^2 rho^2)^{-1/2}``.

    >>> float(dual_expectation(0.3, "gaussian", 40))  # doctest: +ELLIPSIS
    0.505721737...
    >>> float(1 / np.sqrt(4 - 0.3**2))  # doctest: +ELLIPSIS
    0.505721737...

    ReLU, the arc-cosine kernel: ``(pi - arccos rho) / (2 pi)``.

    >>> round(float(dual_expectation(0.0, "relu")), 15)
    0.25
    """
    act = get_activation(activation)
    m = _check_degree(degree)
    r = np.clip(v.in_range("rho", rho, -1.0 - 1e-9, 1.0 + 1e-9), -1.0, 1.0)
    aa = v.in_range("a", a, 0.0, MAX_SCALE)
    bb = v.in_range("b", b, 0.0, MAX_SCALE)
    chunk_ = int(v.scalar("chunk", chunk, v.positive_int))
    v.broadcastable({"rho": r, "a": aa, "b": bb})
    r, aa, bb = np.broadcast_arrays(r, aa, bb)
    shape = r.shape
    if act.dual is not None and closed_form:
        return np.asarray(act.dual(r, aa, bb), dtype=np.float64).reshape(shape)
    r, aa, bb = r.ravel(), aa.ravel(), bb.ravel()
    z, w = gauss_hermite(m)
    dphi = act.on(NUMPY).dphi
    out = np.empty(r.shape[0])
    step = max(1, min(chunk_, _BLOCK_ENTRIES // (m * m)))
    for lo in range(0, r.shape[0], step):
        sl = slice(lo, lo + step)
        rr, ra, rb = r[sl, None, None], aa[sl, None, None], bb[sl, None, None]
        s = np.sqrt(np.clip(1.0 - rr**2, 0.0, None))
        f1 = dphi(ra * z[None, :, None])
        f2 = dphi(rb * (rr * z[None, :, None] + s * z[None, None, :]))
        out[sl] = np.einsum("i,j,cij->c", w, w, f1 * f2)
    return out.reshape(shape)


@dataclass(frozen=True)
class DualInterpolant:
    """Chebyshev interpolant of ``rho -> E[phi'(u) phi'(v)]`` on [-1, 1] for unit variances."""

    coefficients: Array
    error_estimate: float

    def __call__(self, rho: ArrayLike) -> Array:
        return np.asarray(cheb.chebval(np.clip(np.asarray(rho), -1.0, 1.0), self.coefficients))


def chebyshev_coefficients(values: ArrayLike) -> Array:
    """Chebyshev coefficients of the interpolant through values at the 1st-kind points.

    ``values[j] = f(cos(pi (j + 1/2) / N))``; returns ``c`` with ``sum_k c_k T_k`` equal to
    ``f`` at those points.  A type-II DCT (FFT, no BLAS): round-off about 1 ulp of
    ``max |f|``, the same on every CPU.

    >>> x = np.cos(np.pi * (np.arange(8) + 0.5) / 8)
    >>> np.round(chebyshev_coefficients(2 * x**2 - 1 + 3 * x), 14) + 0.0  # T_2 + 3 T_1
    array([0., 3., 1., 0., 0., 0., 0., 0.])
    """
    f = np.asarray(values, dtype=np.float64)
    c = fft.dct(f, type=2) / f.shape[0]
    c[0] /= 2
    return np.asarray(c, dtype=np.float64)


def truncate_chebyshev(coef: ArrayLike, name: str = "function") -> tuple[Array, float, float]:
    """Cut a Chebyshev series where its coefficients reach the round-off plateau.

    Returns ``(kept coefficients, sum of |dropped|, noise floor)``.  The noise floor is the
    largest ``|c_k|`` over the upper half of the spectrum; trailing coefficients at or below
    ``CHEB_PLATEAU`` times the floor (and at least ``CHEB_PLATEAU`` ulp of the largest) are
    dropped.  Raises ``ValueError`` if the floor exceeds ``CHEB_NOISE_MAX`` of the largest
    coefficient or the kept part reaches the upper half: the coefficients have not decayed.
    """
    c = np.asarray(coef, dtype=np.float64)
    N = c.shape[0]
    scale = float(np.abs(c).max())
    floor = float(np.abs(c[N // 2 :]).max())
    threshold = CHEB_PLATEAU * max(floor, np.finfo(float).eps * scale)
    keep = np.nonzero(np.abs(c) > threshold)[0]
    last = int(keep[-1]) + 1 if keep.size else 1
    if floor > CHEB_NOISE_MAX * scale or last > N // 2:
        raise ValueError(
            f"the dual kernel of {name!r} is not resolved by {N} Chebyshev points "
            f"(its coefficients do not decay: noise floor {floor / max(scale, 1e-300):.2g} of "
            "the largest); use unit_norm=False for direct quadrature"
        )
    return c[:last].copy(), float(np.abs(c[last:]).sum()), floor


@lru_cache(maxsize=32)
def _dual_interpolant(act: Activation, degree: int, points: int) -> DualInterpolant:
    nodes = np.cos(np.pi * (np.arange(points) + 0.5) / points)  # Chebyshev points, 1st kind
    values = dual_expectation(nodes, act, degree)
    kept, dropped, _ = truncate_chebyshev(chebyshev_coefficients(values), act.name)
    return DualInterpolant(kept, dropped)


def dual_interpolant(
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    points: int = CHEB_POINTS,
) -> DualInterpolant:
    """The cached Chebyshev interpolant used by :func:`ntk` for unit-norm rows."""
    if not (isinstance(points, int) and 8 <= points <= 2000):
        raise ValueError(f"points must be an integer in [8, 2000], got {points!r}")
    return _dual_interpolant(get_activation(activation), _check_degree(degree), points)


def ntk(
    X: ArrayLike,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    *,
    unit_norm: bool = True,
) -> Array:
    """Single-output NTK ``Sigma~(X) = (X X^T) ⊙ E_w[phi'(Xw) phi'(Xw)^T]`` (Definition 2.1).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs as rows.  With ``unit_norm=True`` (the theorems' setting) every row must have
        norm 1 within :data:`bounds.validate.UNIT_NORM_TOL`; the fast interpolated path is used.
        With ``unit_norm=False`` rows of any norm in ``[1 / MAX_SCALE, MAX_SCALE]`` are
        accepted and every pair is integrated directly (O(n^2 degree^2) work: for n up to a few
        thousand).
    activation : str or Activation
        ``"softplus"`` (default), ``"gaussian"``, ``"relu"`` or an :class:`Activation`.
    degree : int
        Gauss–Hermite nodes per axis.

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric PSD kernel matrix, float64.

    Examples
    --------
    >>> X = np.eye(3)
    >>> K = ntk(X)
    >>> bool(np.allclose(K, np.diag(np.diag(K))))  # orthogonal inputs: diagonal kernel
    True
    """
    act = get_activation(activation)
    deg = _check_degree(degree)
    if unit_norm and act.smooth:
        A = v.unit_rows("X", X)
        gram = A @ A.T
        rho = np.clip(gram, -1.0, 1.0)
        G = dual_interpolant(act, deg)(rho)
        np.fill_diagonal(G, float(dual_expectation(1.0, act, deg)))
    else:
        A = v.unit_rows("X", X) if unit_norm else v.matrix("X", X)
        _check_row_norms(A)
        norms = np.linalg.norm(A, axis=1)
        gram = A @ A.T
        rho = gram / np.outer(norms, norms)
        # A row's correlation with itself is 1; computed, it may be 1 - 2e-16, which the ReLU
        # kernel (slope ~ (1 - rho)^{-1/2} at 1) would turn into an error of ~1e-8.
        np.fill_diagonal(rho, 1.0)
        iu = np.triu_indices(A.shape[0])
        vals = dual_expectation(rho[iu], act, deg, a=norms[iu[0]], b=norms[iu[1]])
        G = np.empty_like(gram)
        G[iu] = vals
        G.T[iu] = vals
    K = gram * G
    return np.asarray((K + K.T) / 2, dtype=np.float64)


def _check_row_norms(A: Array) -> None:
    """Refuse rows whose norm lies outside ``[1 / MAX_SCALE, MAX_SCALE]`` (see MAX_SCALE).

    The norms are computed scaled by each row's largest entry, since the squares formed by
    ``np.linalg.norm`` overflow (or underflow to 0) for the rows refused here.
    """
    lo, hi = 1.0 / MAX_SCALE, MAX_SCALE
    big = np.max(np.abs(A), axis=1)
    scaled = A / np.where(big > 0, big, 1.0)[:, None]  # entries in [-1, 1], one of them +-1
    norms = big * np.linalg.norm(scaled, axis=1)
    bad = (norms < lo) | (norms > hi)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"X must have rows of norm in [{lo:g}, {hi:g}] with unit_norm=False (the products "
            f"of norms the kernel forms stay inside float64); row {i} has norm {norms[i]:.3g}"
        )


def mntk(
    X: ArrayLike,
    K: int,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    *,
    unit_norm: bool = True,
) -> Array:
    """Multiclass NTK ``Sigma(X) = I_K ⊗ Sigma~(X)``, shape (nK, nK), class-major (Def. 2.1).

    Dense, at most :data:`MAX_DENSE_ENTRIES` entries; for large ``n K`` use :func:`ntk` with
    ``InfoNuisance(..., kron=K)`` instead.
    """
    Kf = v.scalar("K", K, v.positive_int)
    S = ntk(X, activation, degree, unit_norm=unit_norm)
    n = S.shape[0]
    K_max = max(1, math.isqrt(MAX_DENSE_ENTRIES) // n)
    if Kf > K_max:
        raise ValueError(
            f"K must be at most {K_max} for n = {n} inputs, got {Kf:g}: mntk forms the dense "
            f"nK x nK matrix and stops at {MAX_DENSE_ENTRIES:.3g} entries "
            f"({MAX_DENSE_ENTRIES * 8 / 2**30:g} GiB); use ntk(X) with InfoNuisance(..., kron=K)"
        )
    Kc = int(Kf)
    return np.asarray(np.kron(np.eye(Kc), S), dtype=np.float64)


def lambda_min_centers(
    M: ArrayLike, activation: str | Activation = "softplus", degree: int = DEFAULT_DEGREE
) -> float:
    """``lambda_M = lambda_min(Sigma(M))`` for unit-norm cluster centres ``M`` (KC x d), Thm 2.5/A.1."""
    centers = v.unit_rows("M", M)  # checked here so that errors name M, not ntk's X
    return float(np.linalg.eigvalsh(ntk(centers, activation, degree))[0])


def schur_upper_bound(X_norm: ArrayLike, B: ArrayLike = 1.0) -> Array:
    """Schur's bound (Lemma 6.12) for the M-NTK: ``lambda_max(Sigma(X)) <= B^2 ||X||^2``.

    ``X_norm`` and ``B`` are non-negative and broadcast together; ``X_norm``, ``B`` and their
    product must be below ``sqrt(float64 max) ~ 1.3e154``, so that the bound is finite.

    >>> float(schur_upper_bound(3.0, 0.5))
    2.25
    """
    xn = v.nonnegative("X_norm", X_norm)
    bb = v.nonnegative("B", B)
    v.broadcastable({"X_norm": xn, "B": bb})
    with np.errstate(all="ignore"):  # overflow is refused below, by name
        out = bb**2 * xn**2
    if not np.all(np.isfinite(out)):
        i = int(np.argmax(~np.isfinite(np.ravel(out))))
        x_i = float(np.ravel(np.broadcast_to(xn, out.shape))[i])
        b_i = float(np.ravel(np.broadcast_to(bb, out.shape))[i])
        raise ValueError(
            f"schur_upper_bound: B^2 X_norm^2 overflows float64 at X_norm = {x_i:g}, B = {b_i:g}; "
            f"X_norm, B and B * X_norm must each be below {np.sqrt(np.finfo(np.float64).max):.3g}"
        )
    return np.asarray(out, dtype=np.float64)
