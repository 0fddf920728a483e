"""From data to the quantities the theorems read, and theorem reports straight from data.

``from_data("6.24", X, y, alpha=..., Gamma=..., ...)`` computes ``Sigma(X)`` (Definition 2.1),
its eigendecomposition, the cutoff of the theorem (spec §11), ``||X||``, ``||Pi_I(y)||``,
``||Pi_N(y)||``, ``||J_I^+ y||`` and ``D_{alpha_0,Gamma}(y)``, and returns the report.
``from_jacobian("6.22", J=..., r0=..., ...)`` does the same from a Jacobian (or its Gram matrix)
and an initial residual.  All vectors are class-major (spec §1.2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _validate as v
from . import formulas as F
from .kernels import (
    DEFAULT_DEGREE,
    Activation,
    dual_expectation,
    get_activation,
    lambda_min_centers,
    ntk,
)
from .report import Report
from .spectral import InfoNuisance
from .theorems import evaluate, evaluate_expression, gamma_factor

__all__ = [
    "DataQuantities",
    "class_major",
    "effective_gamma",
    "from_data",
    "from_jacobian",
    "kernel_split",
    "spectral_norm",
]


#: ``lambda_M = lambda_min(Sigma(M))`` must exceed this fraction of ``trace(Sigma(M))``.  The
#: kernel entries carry an absolute error of ~1e-13 (quadrature, see :mod:`bounds.kernels`), so
#: ``lambda_min`` is known to ~``KC * 1e-13`` while the trace is ``KC E[phi'(z)^2]`` (0.29 for
#: softplus): the threshold is ~3000x above that error, and a ``lambda_M`` below it is zero to
#: working precision (e.g. repeated centres), where its sign would be round-off.
LAMBDA_M_RTOL = 1e-9


def _mark_rank_boundary(rep: Report, split: InfoNuisance) -> Report:
    """Add ``"rank"`` to ``rep.boundary`` when a singular value sits at the cutoff."""
    if split.rank_at_boundary and "rank" not in rep.boundary:
        return replace(rep, boundary=(*rep.boundary, "rank"))
    return rep


def spectral_norm(X: ArrayLike) -> float:
    """``||X||``, the largest singular value (float64, via ``svd``)."""
    return float(np.linalg.svd(v.matrix("X", X), compute_uv=False)[0])


def class_major(y: ArrayLike) -> np.ndarray:
    """Stack an (n, K) label or output matrix class-major: ``[y^(1); ...; y^(K)]`` (eq. 5.4).

    >>> class_major(np.array([[1, 0], [0, 1], [1, 0]]))
    array([1., 0., 1., 0., 1., 0.])
    """
    return v.matrix("y", y).T.reshape(-1)


def kernel_split(
    X: ArrayLike,
    K: int,
    cutoff: float,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
) -> InfoNuisance:
    """Information/nuisance split of ``Sigma(X)^{1/2}`` (Definition 1.1) at ``cutoff``.

    Uses ``Sigma(X) = I_K ⊗ Sigma~(X)``: the eigendecomposition of the n x n kernel with
    ``kron = K``, so the nK x nK matrix is never formed.
    """
    lam, U = np.linalg.eigh(ntk(X, activation, degree))
    return InfoNuisance.from_eigh(lam, U, cutoff, kron=int(v.positive_int("K", K)))


@dataclass(frozen=True)
class DataQuantities:
    """The data-dependent inputs of a theorem, computed at its cutoff.

    Norms refer to the vector named by ``vector`` (``"y"`` or ``"r0"``) and to the spaces of the
    reference (``Sigma(X)^{1/2}`` or ``J``) at ``cutoff``.
    """

    vector: str
    cutoff: float
    rank: int
    lambda_1: float
    norm: float
    info: float
    nuisance: float
    pinv: float
    distance: float
    X_norm: float | None = None

    def as_inputs(self) -> dict[str, float]:
        """Keyword arguments named as the theorem functions expect (``y_info``, ``r0_pinv``, ...)."""
        p = self.vector
        out = {
            f"{p}_info": self.info,
            f"{p}_nuisance": self.nuisance,
            f"{p}_pinv": self.pinv,
            "distance": self.distance,
        }
        if p == "r0":
            out["r0_norm"] = self.norm
        if self.X_norm is not None:
            out["X_norm"] = self.X_norm
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quantities(
    split: InfoNuisance, vec: np.ndarray, Gamma: float, name: str, X_norm: float | None
) -> DataQuantities:
    return DataQuantities(
        vector=name,
        cutoff=split.cutoff,
        rank=split.rank,
        lambda_1=split.lambda_1,
        norm=float(np.linalg.norm(vec)),
        info=float(split.info_norm(vec)),
        nuisance=float(split.nuisance_norm(vec)),
        pinv=float(split.pinv_norm(vec)),
        distance=float(split.early_stopping_distance(vec, Gamma)),
        X_norm=X_norm,
    )


def effective_gamma(key: str, **values: Any) -> float:
    """``Gamma * gamma_factor(T)`` for the theorem's ``T``: the Gamma its report is evaluated at."""
    d = F.get(key)
    vals = {k_: np.asarray(val, dtype=float) for k_, val in values.items() if val is not None}
    for name, expr in d.derived.items():
        vals[name] = evaluate_expression(expr, vals)
    for name, expr in d.defaults.items():
        if name not in vals:
            vals[name] = evaluate_expression(expr, vals)
    if d.iterations is None or d.informal:
        return float(vals["Gamma"])
    T = float(evaluate_expression(d.iterations, vals))
    return float(vals["Gamma"]) * float(gamma_factor(T))


_RANDOM_INIT = {"6.23", "6.24", "6.25"}


@overload
def from_data(
    theorem: str,
    X: ArrayLike,
    y: ArrayLike,
    *,
    activation: str | Activation = ...,
    degree: int = ...,
    centers: ArrayLike | None = ...,
    kernel_eigh: tuple[ArrayLike, ArrayLike] | None = ...,
    return_quantities: Literal[False] = ...,
    **scalars: Any,
) -> Report: ...
@overload
def from_data(
    theorem: str,
    X: ArrayLike,
    y: ArrayLike,
    *,
    activation: str | Activation = ...,
    degree: int = ...,
    centers: ArrayLike | None = ...,
    kernel_eigh: tuple[ArrayLike, ArrayLike] | None = ...,
    return_quantities: Literal[True],
    **scalars: Any,
) -> tuple[Report, DataQuantities | None]: ...
def from_data(
    theorem: str,
    X: ArrayLike,
    y: ArrayLike,
    *,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    centers: ArrayLike | None = None,
    kernel_eigh: tuple[ArrayLike, ArrayLike] | None = None,
    return_quantities: bool = False,
    **scalars: Any,
) -> Report | tuple[Report, DataQuantities | None]:
    """Evaluate Theorem 6.23, 6.24, 6.25, 2.2 or A.3 on a dataset.

    Parameters
    ----------
    theorem : str
        ``"6.23"``, ``"6.24"``, ``"6.25"``, ``"2.2"`` or ``"A.3"``.
    X : array_like, shape (n, d)
        Unit-norm inputs (for A.3 rows may deviate from unit norm, spec I-14; they are only used
        through ``||X||``).
    y : array_like, shape (n, K)
        One-hot labels.
    activation, degree
        Passed to :func:`bounds.kernels.ntk`; ``B`` defaults to the activation's bound.
    centers : array_like, shape (KC, d), optional
        Unit-norm cluster centres, required for A.3 (``lambda_M = lambda_min(Sigma(M))``).
    kernel_eigh : (ndarray (n,), ndarray (n, n)), optional
        ``numpy.linalg.eigh(bounds.kernels.ntk(X, activation, degree))`` when already computed
        (e.g. to evaluate several theorems on one dataset); otherwise computed here.
    **scalars
        The theorem's user scalars (``alpha``, ``Gamma``, ``zeta``, ``delta``, ``k``, ...).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5)); X /= np.linalg.norm(X, axis=1, keepdims=True)
    >>> y = np.eye(2)[rng.integers(0, 2, 40)]
    >>> rep = from_data("6.24", X, y, alpha=0.05, Gamma=2, zeta=0.05, delta=0.1, k=10**6)
    >>> sorted(rep.conclusions)[:2]
    ['bias', 'confidence']
    """
    key = F.get(theorem).key
    if key not in _RANDOM_INIT | {"2.2", "A.3"}:
        raise ValueError(
            f"from_data covers 6.23, 6.24, 6.25, 2.2 and A.3; use from_jacobian for {key}"
        )
    act = get_activation(activation)
    Y = v.one_hot("y", y)
    n, K = Y.shape
    if key == "A.3":
        A = v.matrix("X", X)
        if A.shape[0] != n:
            raise ValueError(f"X and y must have the same number of rows: {A.shape[0]} vs {n}")
        if centers is None:
            raise ValueError("Theorem A.3 needs centers (the KC x d matrix M of cluster centres)")
        lam_M = lambda_min_centers(centers, act, degree)
        trace = np.shape(centers)[0] * float(dual_expectation(1.0, act, degree))
        if lam_M <= LAMBDA_M_RTOL * trace:
            raise ValueError(
                f"Sigma(M) must be positive definite: lambda_min = {lam_M:.3g} is not above "
                f"{LAMBDA_M_RTOL:g} * trace = {LAMBDA_M_RTOL * trace:.3g} (zero to working "
                "precision, e.g. repeated or nearly parallel centres)"
            )
        scalars.setdefault("B", act.B)
        scalars.setdefault("X_norm", spectral_norm(A))
        rep = evaluate("A.3", n=n, K=K, lambda_M=lam_M, **scalars)
        return (rep, None) if return_quantities else rep
    A = v.unit_rows("X", X)
    if A.shape[0] != n:
        raise ValueError(f"X and y must have the same number of rows: {A.shape[0]} vs {n}")
    X_norm = spectral_norm(A)
    if kernel_eigh is None:
        lam, U = np.linalg.eigh(ntk(A, act, degree))
    else:
        lam, U = (v.as_float("kernel_eigh", part) for part in kernel_eigh)
        if lam.shape != (n,) or U.shape != (n, n):
            raise ValueError(
                f"kernel_eigh must be (eigenvalues (n,), eigenvectors (n, n)) of Sigma~(X) with "
                f"n = {n}; got shapes {lam.shape}, {U.shape}"
            )
    y_cm = class_major(Y)
    base = {"n": n, "K": K}
    if key == "2.2":
        cutoff = float(evaluate_expression(F.DEFS["2.2"].cutoff, {**scalars, **base}))
    else:
        scalars.setdefault("B", act.B)
        cutoff = float(evaluate_expression(F.CUTOFF_RANDOM, {**scalars, **base, "X_norm": X_norm}))
    split = InfoNuisance.from_eigh(lam, U, cutoff, kron=K)
    if key == "2.2":
        q = _quantities(split, y_cm, float(scalars.get("Gamma", 1.0)), "y", X_norm)
        rep = evaluate("2.2", y_nuisance=q.nuisance, **base, **scalars)
    else:
        scalars.setdefault("lambda_1", split.lambda_1)
        G = effective_gamma(
            key, **scalars, **base, X_norm=X_norm, y_info=float(split.info_norm(y_cm))
        )
        q = _quantities(split, y_cm, G, "y", X_norm)
        inputs = {
            name: val
            for name, val in q.as_inputs().items()
            if name in (*F.DEFS[key].inputs, *F.DEFS[key].defaults)
        }
        rep = evaluate(key, **base, **inputs, **scalars)
    rep = _mark_rank_boundary(rep, split)
    return (rep, q) if return_quantities else rep


_FROM_J = {"6.21", "6.22", "2.3", "5.3", "L6.19", "L6.20"}


@overload
def from_jacobian(
    theorem: str,
    *,
    r0: ArrayLike,
    J: ArrayLike | None = ...,
    gram: ArrayLike | None = ...,
    return_quantities: Literal[False] = ...,
    **scalars: Any,
) -> Report: ...
@overload
def from_jacobian(
    theorem: str,
    *,
    r0: ArrayLike,
    J: ArrayLike | None = ...,
    gram: ArrayLike | None = ...,
    return_quantities: Literal[True],
    **scalars: Any,
) -> tuple[Report, DataQuantities]: ...
def from_jacobian(
    theorem: str,
    *,
    r0: ArrayLike,
    J: ArrayLike | None = None,
    gram: ArrayLike | None = None,
    return_quantities: bool = False,
    **scalars: Any,
) -> Report | tuple[Report, DataQuantities]:
    """Evaluate Theorem 6.21, 6.22, 2.3, 5.3 or Lemma 6.19/6.20 from ``J`` (or ``J J^T``) and ``r0``.

    Parameters
    ----------
    theorem : str
        ``"6.21"``, ``"6.22"``, ``"2.3"``, ``"5.3"``, ``"6.19"`` or ``"6.20"``.
    r0 : array_like, shape (nK,)
        Initial residual ``f(W_0) - y``, class-major.
    J : array_like, shape (nK, p), optional
        Reference Jacobian (e.g. ``J(W_0)``, class-major rows).
    gram : array_like, shape (nK, nK), optional
        ``J J^T`` instead of ``J``.
    **scalars
        The theorem's scalars.  For 6.21/6.22 pass ``n`` (``K = len(r0)/n``), ``nu``, ``B``,
        ``X_norm``, ``alpha`` (normalised); for 2.3 ``n`` and ``alpha``; for 5.3 and the lemmas
        ``alpha`` is the raw cutoff.
    """
    key = F.get(theorem).key
    if key not in _FROM_J:
        raise ValueError(f"from_jacobian covers {sorted(_FROM_J)}; use from_data for {key}")
    if (J is None) == (gram is None):
        raise ValueError("pass exactly one of J (Jacobian) or gram (J J^T)")
    r = v.matrix("r0", r0, ndim=1)
    if key in ("6.21", "6.22"):
        if "n" not in scalars:
            raise ValueError(f"Theorem {key} needs n (number of samples)")
        cutoff = float(evaluate_expression(F.CUTOFF_ARBITRARY, scalars))
    elif key == "2.3":
        cutoff = float(evaluate_expression(F.DEFS["2.3"].cutoff, scalars))
    else:
        if "alpha" not in scalars:
            raise ValueError(f"{key} needs alpha (the raw cutoff)")
        cutoff = float(v.positive("alpha", scalars["alpha"]))
    if J is not None:
        Jm = v.matrix("J", J)
        if Jm.shape[0] != r.shape[0]:
            raise ValueError(f"J must have len(r0) = {r.shape[0]} rows, got shape {Jm.shape}")
        split = InfoNuisance.from_jacobian(Jm, cutoff)
    else:
        assert gram is not None
        Gm = v.matrix("gram", gram)
        if Gm.shape != (r.shape[0], r.shape[0]):
            raise ValueError(f"gram must be {r.shape[0]} x {r.shape[0]}, got shape {Gm.shape}")
        split = InfoNuisance.from_gram(Gm, cutoff)
    d = F.DEFS[key]
    if "lambda_1" in d.defaults:
        scalars.setdefault("lambda_1", split.lambda_1)
    base = dict(scalars)
    r0_norm = float(np.linalg.norm(r))
    G = effective_gamma(key, **base, r0_norm=r0_norm) if "Gamma" in base else 1.0
    q = _quantities(split, r, G, "r0", None)
    inputs = {
        name: val
        for name, val in q.as_inputs().items()
        if name in (*d.inputs, *d.defaults) and name not in base
    }
    rep = _mark_rank_boundary(evaluate(key, **inputs, **base), split)
    return (rep, q) if return_quantities else rep
