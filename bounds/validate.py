"""Input checks of both layers: every public function of :mod:`bounds` and of ``simulate``.

Every check raises :class:`ValueError` (or :class:`TypeError` for a value of the wrong kind)
whose message names the parameter and the allowed range, so that a bad call never turns into a
silent NaN further down.  Theorem inputs may be grids (:func:`positive_int`, :func:`in_range`
return float64 arrays); sizes and counts of a computation are single Python integers
(:func:`count`), and scalar settings single numbers (:func:`positive_number`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Tolerance on ``| ||x_i|| - 1 |`` for rows that must have unit Euclidean norm.  The theorems
#: assume exactly unit-norm inputs; 1e-6 accepts float32 round-off of normalised data.
UNIT_NORM_TOL = 1e-6

Array = NDArray[np.float64]


def _describe(value: Any) -> str:
    """A one-line, bounded ``repr`` of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=6, separator=", ").replace("\n", "")
        return f"array of shape {value.shape}: {text}"
    text = " ".join(repr(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _describe_big(value: Any) -> str:
    if isinstance(value, int):
        return f"an integer of {len(str(abs(value)))} digits"
    return _describe(value)


def as_float(name: str, value: ArrayLike) -> Array:
    """Return ``value`` as a float64 array (0-d for scalars), rejecting anything that is not a
    non-empty real number or array of real numbers.

    Rejected with a message naming ``name``: NaN and inf, complex numbers (even with a zero
    imaginary part: the caller's intent is unclear and numpy would drop it with only a warning),
    booleans (``True`` is not a count), strings and bytes (also numeric ones: ``"1.5"`` is
    almost always a parsing bug upstream), ragged or empty arrays, and integers too large for
    float64 (``10**400``).

    Examples
    --------
    >>> float(as_float("alpha", 0.5))
    0.5
    >>> as_float("alpha", 10**400)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be a real number representable in float64 (|x| < 1.8e308), got an integer of 401 digits
    """
    if isinstance(value, str | bytes):
        raise TypeError(
            f"{name} must be a real number or array of real numbers, got the string "
            f"{_describe(value)}"
        )
    if value is None:
        raise TypeError(f"{name} must be a real number, got None")
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a real number, got the boolean {value!r}")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"{name} must be a real number or a rectangular array of real numbers, got "
            f"{_describe(value)}"
        ) from exc
    kind = raw.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{name} must be real, got a complex value {_describe(value)}; pass the real part "
            "explicitly if that is what you mean"
        )
    if kind == "b":
        raise TypeError(f"{name} must hold real numbers, got booleans {_describe(value)}")
    if kind in "USV":
        raise TypeError(f"{name} must hold real numbers, got strings {_describe(value)}")
    if kind in "Mm":
        raise TypeError(f"{name} must hold real numbers, got dates/times {_describe(value)}")
    try:
        arr = raw.astype(np.float64) if kind != "f" or raw.dtype != np.float64 else raw
    except OverflowError as exc:
        raise ValueError(
            f"{name} must be a real number representable in float64 (|x| < 1.8e308), got "
            f"{_describe_big(value)}"
        ) from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a real number or array of real numbers, got {_describe(value)}"
        ) from exc
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_describe(value)}")
    return np.asarray(arr, dtype=np.float64)


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
        bad = arr[~((arr >= 1) & (arr == np.round(arr)))] if arr.ndim else arr
        raise ValueError(
            f"{name} must be a positive integer (1, 2, ...), got {_fmt(float(np.ravel(bad)[0]))}"
        )
    return arr


def count(name: str, value: Any, minimum: int = 1) -> int:
    """A size or count: a Python or numpy integer (not a bool, not a float) ``>= minimum``.

    Unlike :func:`positive_int` (theorem inputs, where ``1e6`` and grids are accepted), a float
    is refused: a width, a sample size or a number of steps given as ``2.5`` or ``1e6`` is
    almost always a configuration mistake.

    >>> count("k", 64)
    64
    >>> count("k", 2.0)
    Traceback (most recent call last):
    ...
    ValueError: k must be an integer >= 1, got 2.0
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_describe(value)}")
    return int(value)


def positive_number(name: str, value: Any) -> float:
    """A single finite real number ``> 0`` (int or float, not a bool, string or array).

    >>> positive_number("nu", 0.5)
    0.5
    >>> positive_number("nu", float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: nu must be a positive finite number, got inf
    """
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {_describe(value)}")
    return float(value)


def scalar(name: str, value: ArrayLike, check: Any = None) -> float:
    """Apply ``check(name, value)`` (default :func:`as_float`) and require a single number.

    For arguments that cannot be grids (a count, a cutoff fixing one split): a size-1 array is
    accepted as its element, as ``float()`` would.

    >>> scalar("K", 3.0, positive_int)
    3.0
    >>> scalar("K", [1, 2], positive_int)
    Traceback (most recent call last):
    ...
    ValueError: K must be a single number, got an array of shape (2,)
    """
    arr = (check or as_float)(name, value)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr.reshape(-1)[0])


def broadcastable(vals: Mapping[str, ArrayLike]) -> tuple[int, ...]:
    """Grid inputs must broadcast together; name the arguments whose shapes clash.

    Returns the common shape.

    >>> broadcastable({"a": np.ones(2), "b": np.ones(3)})
    Traceback (most recent call last):
    ...
    ValueError: array arguments must broadcast to one grid shape; got a (2,), b (3,)
    """
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in vals.values()))
    except ValueError:
        shapes = ", ".join(f"{n_} {np.shape(a)}" for n_, a in vals.items() if np.ndim(a))
        raise ValueError(
            f"array arguments must broadcast to one grid shape; got {shapes}"
        ) from None


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
            f"{name} must be one-hot: an (n, K) array of 0/1 with exactly one 1 per row (or a "
            "1-d array of integer class labels 0..K-1)"
        )
    return arr


def label_matrix(name: str, y: ArrayLike, n_classes: int | None = None) -> Array:
    """Labels as an (n, K) one-hot matrix: ``y`` one-hot already, or integer class labels.

    A 1-d ``y`` holds class labels ``0..K-1`` as scikit-learn takes them (integers, or floats
    with integral values); ``K`` is ``n_classes`` when given, else ``max(y) + 1``.  A 2-d ``y``
    must be one-hot (:func:`one_hot`), with ``n_classes`` columns when that is given.
    Non-integer, negative or out-of-range labels raise ``ValueError`` naming ``name``.

    >>> label_matrix("y", [0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    if n_classes is not None:
        n_classes = int(scalar("K", n_classes, positive_int))
    raw = np.asarray(y) if not isinstance(y, str | bytes) else y
    if isinstance(raw, np.ndarray) and raw.ndim == 1:
        if raw.dtype.kind in "USO":
            raise TypeError(
                f"{name} must hold integer class labels 0..K-1, got {_describe(raw)}; encode "
                "other labels first (e.g. sklearn.preprocessing.LabelEncoder)"
            )
        lab = matrix(name, raw, ndim=1)
        if not np.all(lab == np.round(lab)):
            bad = float(lab[lab != np.round(lab)][0])
            raise ValueError(
                f"{name} must hold integer class labels 0..K-1 (1-d) or be one-hot (2-d); got "
                f"the non-integer label {bad:g}"
            )
        if np.any(lab < 0):
            raise ValueError(
                f"{name} must hold class labels 0..K-1, got the negative label "
                f"{float(lab[lab < 0][0]):g}"
            )
        top = int(lab.max())
        K = top + 1 if n_classes is None else n_classes
        if top >= K:
            raise ValueError(
                f"{name} holds the label {top}, out of range for K = {K} classes (labels 0..K-1)"
            )
        return np.eye(K)[lab.astype(np.intp)]
    Y = one_hot(name, y)
    if n_classes is not None and Y.shape[1] != n_classes:
        raise ValueError(
            f"K = {n_classes} does not match the one-hot {name} with {Y.shape[1]} columns"
        )
    return Y


def theorem_key(value: Any, name: str = "theorem") -> str:
    """Check that a theorem key is a string such as ``"6.24"`` (a float ``6.24`` is refused:
    keys like ``"A.3"`` and ``"L6.19"`` are not numbers, and ``6.20`` would lose its zero)."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string key such as '6.24', 'A.3' or 'L6.19', got "
            f"{_describe(value)} ({type(value).__name__})"
        )
    return value
