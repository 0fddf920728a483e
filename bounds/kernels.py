"""The multiclass neural tangent kernel of Definition 2.1, by Gauss–Hermite quadrature.

For inputs ``X`` (n x d) and ``w ~ N(0, I_d)`` the single-output kernel is

    Sigma~(X) = (X X^T) ⊙ E_w[phi'(X w) phi'(X w)^T]          (n x n)

and the multiclass kernel (M-NTK) is ``Sigma(X) = I_K ⊗ Sigma~(X)`` (nK x nK, class-major,
spec §1.2).  Entry (i, j) of the expectation is the 2-D Gaussian integral
``E[phi'(u) phi'(v)]`` with ``(u, v)`` of covariance ``[[|x_i|^2, <x_i,x_j>], [., |x_j|^2]]``.

Method and error
----------------
The 2-D integral is computed with a tensor Gauss–Hermite rule of ``degree`` nodes per axis after
writing ``u = a z1``, ``v = b (rho z1 + sqrt(1 - rho^2) z2)`` with independent standard normals.
For smooth ``phi'`` (softplus: the logistic function) the rule converges quickly; the default
``degree = 96`` has an absolute error below 1e-13 for softplus (tests compare against
``degree = 240`` and against Monte Carlo).  For a discontinuous ``phi'`` (ReLU's step) the rule
converges only like ``O(degree^{-1/2})``; it is kept for validation against the arc-cosine
closed form, not for bounds.  With ``unit_norm=False`` rows of norm ``a`` enter as ``phi'(a z)``,
which sharpens as ``a`` grows: the same degree is accurate to about 1e-11 for norms in
[0.7, 1.3] (the Gaussian-mixture regime) and degrades for much larger norms.

For unit-norm rows the expectation depends on ``rho = <x_i, x_j>`` only.  ``ntk`` then evaluates
the quadrature at ``CHEB_POINTS`` Chebyshev points of [-1, 1] and interpolates (Clenshaw
evaluation of the truncated Chebyshev series), which costs O(n^2 * degree_cheb) instead of
O(n^2 * degree^2).  The truncation drops trailing coefficients below ``CHEB_RTOL`` relative to the largest
(for softplus about 22 are kept, for the Gaussian ``phi'`` about 32), and the sum of the dropped
ones is reported by :func:`dual_interpolant` as the truncation error estimate (about 1e-14 for
both).  Tests check the interpolant against direct quadrature at random ``rho``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial import chebyshev as cheb
from numpy.polynomial import hermite
from numpy.typing import ArrayLike, NDArray
from scipy import special

from . import _validate as v

Array = NDArray[np.float64]

#: Default number of Gauss–Hermite nodes per axis.
DEFAULT_DEGREE = 96
#: Chebyshev points used to interpolate the dual kernel rho -> E[phi'(u) phi'(v)].
CHEB_POINTS = 128
#: Trailing Chebyshev coefficients below this fraction of the largest are dropped (they sit at
#: the round-off floor of the sampled quadrature values).
CHEB_RTOL = 1e-15


@dataclass(frozen=True)
class Activation:
    """An activation ``phi`` with derivatives and the bound ``B`` used by the theorems.

    Parameters
    ----------
    name : str
        Identifier (``"softplus"``, ``"gaussian"``, ``"relu"`` or a user name).
    phi, dphi, ddphi : callable
        Vectorised ``phi``, ``phi'`` and ``phi''`` on float64 arrays (``ddphi`` may be None).
    B : float
        Bound with ``|phi(0)|, |phi'(z)|, |phi''(z)| <= B`` for all ``z`` (spec §0.2).
    smooth : bool
        Whether ``phi''`` is bounded, i.e. the theorems cover this activation (ReLU: no).
    """

    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]
    ddphi: Callable[[Array], Array] | None
    B: float
    smooth: bool = True


def _softplus(z: Array) -> Array:
    return np.logaddexp(0.0, z)


def _sigmoid_prime(z: Array) -> Array:
    s = special.expit(z)
    return s * (1.0 - s)


def _gauss_phi(z: Array) -> Array:
    return np.sqrt(np.pi / 2) * special.erf(z / np.sqrt(2.0))


def _gauss_dphi(z: Array) -> Array:
    return np.exp(-(z**2) / 2)


def _gauss_ddphi(z: Array) -> Array:
    return -z * np.exp(-(z**2) / 2)


def _step(z: Array) -> Array:
    return (z > 0).astype(np.float64)


#: Built-in activations.  softplus: |log 2| <= 1, |sigmoid| <= 1, |sigmoid'| <= 1/4, so B = 1.
#: gaussian (phi' = exp(-z^2/2)): |phi(0)| = 0, |phi'| <= 1, |phi''| <= e^{-1/2}, so B = 1.
ACTIVATIONS: dict[str, Activation] = {
    "softplus": Activation("softplus", _softplus, special.expit, _sigmoid_prime, 1.0),
    "gaussian": Activation("gaussian", _gauss_phi, _gauss_dphi, _gauss_ddphi, 1.0),
    "relu": Activation("relu", lambda z: np.maximum(z, 0.0), _step, None, 1.0, smooth=False),
}


def get_activation(activation: str | Activation) -> Activation:
    """Look up a built-in activation by name, or pass an :class:`Activation` through."""
    if isinstance(activation, Activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)} or an Activation, got {activation!r}"
        ) from None


def _check_degree(degree: int) -> int:
    if not (isinstance(degree, int | np.integer) and 2 <= int(degree) <= 1000):
        raise ValueError(f"degree must be an integer in [2, 1000], got {degree!r}")
    return int(degree)


@lru_cache(maxsize=16)
def _gh(degree: int) -> tuple[Array, Array]:
    """Nodes ``z`` and weights ``w`` with ``E[f(Z)] ~ sum w f(z)`` for ``Z ~ N(0,1)``."""
    with np.errstate(all="ignore"):  # large degrees underflow harmlessly in the far weights
        t, w = hermite.hermgauss(degree)
    return np.sqrt(2.0) * t, w / np.sqrt(np.pi)


def dual_expectation(
    rho: ArrayLike,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    *,
    a: ArrayLike = 1.0,
    b: ArrayLike = 1.0,
    chunk: int = 4096,
) -> Array:
    """``E[phi'(u) phi'(v)]`` for ``(u, v)`` centred Gaussian with stds ``a, b`` and correlation ``rho``.

    Tensor Gauss–Hermite quadrature with ``degree`` nodes per axis (see the module notes for the
    error).  ``rho``, ``a`` and ``b`` broadcast together.

    Examples
    --------
    Closed form for ``phi'(z) = exp(-z^2/2)``: ``((1+a^2)(1+b^2) - a^2 b^2 rho^2)^{-1/2}``.

    >>> float(dual_expectation(0.3, "gaussian", 40))  # doctest: +ELLIPSIS
    0.505721737...
    >>> float(1 / np.sqrt(4 - 0.3**2))  # doctest: +ELLIPSIS
    0.505721737...
    """
    act = get_activation(activation)
    m = _check_degree(degree)
    r = np.clip(v.in_range("rho", rho, -1.0 - 1e-9, 1.0 + 1e-9), -1.0, 1.0)
    aa = v.nonnegative("a", a)
    bb = v.nonnegative("b", b)
    r, aa, bb = np.broadcast_arrays(r, aa, bb)
    shape = r.shape
    r, aa, bb = r.ravel(), aa.ravel(), bb.ravel()
    z, w = _gh(m)
    out = np.empty(r.shape[0])
    for lo in range(0, r.shape[0], chunk):
        sl = slice(lo, lo + chunk)
        rr, ra, rb = r[sl, None, None], aa[sl, None, None], bb[sl, None, None]
        s = np.sqrt(np.clip(1.0 - rr**2, 0.0, None))
        f1 = act.dphi(ra * z[None, :, None])
        f2 = act.dphi(rb * (rr * z[None, :, None] + s * z[None, None, :]))
        out[sl] = np.einsum("i,j,cij->c", w, w, f1 * f2)
    return out.reshape(shape)


@dataclass(frozen=True)
class DualInterpolant:
    """Chebyshev interpolant of ``rho -> E[phi'(u) phi'(v)]`` on [-1, 1] for unit variances."""

    coefficients: Array
    error_estimate: float

    def __call__(self, rho: ArrayLike) -> Array:
        return np.asarray(cheb.chebval(np.clip(np.asarray(rho), -1.0, 1.0), self.coefficients))


@lru_cache(maxsize=32)
def _dual_interpolant(act: Activation, degree: int, points: int) -> DualInterpolant:
    nodes = np.cos(np.pi * (np.arange(points) + 0.5) / points)  # Chebyshev points, 1st kind
    values = dual_expectation(nodes, act, degree)
    coef = cheb.chebfit(nodes, values, points - 1)
    keep = np.nonzero(np.abs(coef) > CHEB_RTOL * np.abs(coef).max())[0]
    last = int(keep[-1]) + 1 if keep.size else 1
    if last > points - 8:
        raise ValueError(
            f"the dual kernel of {act.name!r} is not resolved by {points} Chebyshev points "
            "(its coefficients do not decay); use unit_norm=False for direct quadrature"
        )
    return DualInterpolant(
        np.asarray(coef[:last], dtype=np.float64), float(np.abs(coef[last:]).sum())
    )


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
        norm 1 within :data:`bounds._validate.UNIT_NORM_TOL`; the fast interpolated path is used.
        With ``unit_norm=False`` any non-zero rows are accepted and every pair is integrated
        directly (O(n^2 degree^2) work: for n up to a few thousand).
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
        norms = np.linalg.norm(A, axis=1)
        if np.any(norms == 0):
            raise ValueError("X must have non-zero rows")
        gram = A @ A.T
        rho = gram / np.outer(norms, norms)
        iu = np.triu_indices(A.shape[0])
        vals = dual_expectation(rho[iu], act, deg, a=norms[iu[0]], b=norms[iu[1]])
        G = np.empty_like(gram)
        G[iu] = vals
        G.T[iu] = vals
    K = gram * G
    return np.asarray((K + K.T) / 2, dtype=np.float64)


def mntk(
    X: ArrayLike,
    K: int,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    *,
    unit_norm: bool = True,
) -> Array:
    """Multiclass NTK ``Sigma(X) = I_K ⊗ Sigma~(X)``, shape (nK, nK), class-major (Def. 2.1).

    Dense; for large ``n K`` use :func:`ntk` with ``InfoNuisance(..., kron=K)`` instead.
    """
    Kc = int(v.positive_int("K", K))
    return np.asarray(
        np.kron(np.eye(Kc), ntk(X, activation, degree, unit_norm=unit_norm)), dtype=np.float64
    )


def lambda_min_centers(
    M: ArrayLike, activation: str | Activation = "softplus", degree: int = DEFAULT_DEGREE
) -> float:
    """``lambda_M = lambda_min(Sigma(M))`` for unit-norm cluster centres ``M`` (KC x d), Thm 2.5/A.1."""
    return float(np.linalg.eigvalsh(ntk(M, activation, degree))[0])


def schur_upper_bound(X_norm: ArrayLike, B: ArrayLike = 1.0) -> Array:
    """Schur's bound (Lemma 6.12) for the M-NTK: ``lambda_max(Sigma(X)) <= B^2 ||X||^2``."""
    return np.asarray(B, dtype=float) ** 2 * np.asarray(X_norm, dtype=float) ** 2
