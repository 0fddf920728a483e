"""Input checks shared by every public function of :mod:`bounds`.

Every check raises :class:`ValueError` whose message names the parameter and the allowed
range, so that a bad call never turns into a silent NaN further down.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Tolerance on ``| ||x_i|| - 1 |`` for rows that must have unit Euclidean norm.  The theorems
#: assume exactly unit-norm inputs; 1e-6 accepts float32 round-off of normalised data.
UNIT_NORM_TOL = 1e-6

Array = NDArray[np.float64]


def as_float(name: str, value: ArrayLike) -> Array:
    """Return ``value`` as a float64 array (0-d for scalars), rejecting NaN, inf and non-numbers."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a real number or array of real numbers, got {value!r}"
        ) from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {value!r}")
    return arr


def _fmt(x: float) -> str:
    return "inf" if np.isinf(x) else f"{x:g}"


def in_range(
    name: str,
    value: ArrayLike,
    lo: float = -np.inf,
    hi: float = np.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> Array:
    """Check ``lo <= value <= hi`` elementwise (``<`` on an open end) and return the float array.

    Examples
    --------
    >>> float(in_range("Gamma", 2.0, 1.0))
    2.0
    >>> in_range("Gamma", 0.5, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: Gamma must lie in [1, inf), got 0.5
    """
    arr = as_float(name, value)
    ok_lo = arr > lo if lo_open else arr >= lo
    ok_hi = arr < hi if hi_open else arr <= hi
    if not np.all(ok_lo & ok_hi):
        left = "(" if lo_open else "["
        right = ")" if hi_open or np.isinf(hi) else "]"
        bad = arr[~(ok_lo & ok_hi)] if arr.ndim else arr
        shown = _fmt(float(np.ravel(bad)[0]))
        raise ValueError(f"{name} must lie in {left}{_fmt(lo)}, {_fmt(hi)}{right}, got {shown}")
    return arr


def positive(name: str, value: ArrayLike) -> Array:
    """Check ``value > 0`` elementwise."""
    return in_range(name, value, 0.0, lo_open=True)


def nonnegative(name: str, value: ArrayLike) -> Array:
    """Check ``value >= 0`` elementwise."""
    return in_range(name, value, 0.0)


def positive_int(name: str, value: ArrayLike) -> Array:
    """Check that ``value`` holds positive integers (int or integral float) and return float64."""
    arr = as_float(name, value)
    if not np.all((arr >= 1) & (arr == np.round(arr))):
        raise ValueError(f"{name} must be a positive integer (1, 2, ...), got {value!r}")
    return arr


def optional(name: str, value: ArrayLike | None, check: Any = None) -> Array | None:
    """Apply ``check(name, value)`` (default :func:`as_float`) unless ``value`` is None."""
    if value is None:
        return None
    return (check or as_float)(name, value)


def matrix(name: str, value: ArrayLike, *, ndim: int = 2) -> Array:
    """Return a finite float64 array with exactly ``ndim`` dimensions."""
    arr = as_float(name, value)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def unit_rows(name: str, X: ArrayLike, tol: float = UNIT_NORM_TOL) -> Array:
    """Check that every row of the (n, d) array ``X`` has Euclidean norm 1 within ``tol``."""
    arr = matrix(name, X)
    norms = np.linalg.norm(arr, axis=1)
    worst = int(np.argmax(np.abs(norms - 1.0)))
    if abs(norms[worst] - 1.0) > tol:
        raise ValueError(
            f"{name} must have unit-norm rows (| ||x_i|| - 1 | <= {tol:g}); row {worst} has norm "
            f"{norms[worst]:.6g}. Normalise the inputs, e.g. X / norm(X, axis=1, keepdims=True)."
        )
    return arr


def one_hot(name: str, y: ArrayLike, n: int | None = None) -> Array:
    """Check that ``y`` is an (n, K) one-hot label matrix (each row a standard basis vector)."""
    arr = matrix(name, y)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have {n} rows (one per sample), got shape {arr.shape}")
    is01 = np.all((arr == 0.0) | (arr == 1.0))
    if not is01 or not np.all(arr.sum(axis=1) == 1.0):
        raise ValueError(
            f"{name} must be one-hot: an (n, K) array of 0/1 with exactly one 1 per row"
        )
    return arr
