"""From data to the quantities the theorems read, and theorem reports straight from data.

``from_data("6.24", X, y, alpha=..., Gamma=..., ...)`` computes ``Sigma(X)`` (Definition 2.1),
its eigendecomposition, the cutoff of the theorem (docs/theory.md#cutoffs), ``||X||``, ``||Pi_I(y)||``,
``||Pi_N(y)||``, ``||J_I^+ y||`` and ``D_{alpha_0,Gamma}(y)``, and returns the report.
``from_jacobian("6.22", J=..., r0=..., ...)`` does the same from a Jacobian (or its Gram matrix)
and an initial residual.  All vectors are class-major (docs/theory.md#class-major).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import formulas as F
from . import validate as v
from .kernels import (
    DEFAULT_DEGREE,
    Activation,
    get_activation,
    lambda_min_centers,
    ntk,
)
from .references import see
from .report import Condition, Report
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
    Kc = int(v.scalar("K", K, v.positive_int))
    lam, U = np.linalg.eigh(ntk(X, activation, degree))
    return InfoNuisance.from_eigh(lam, U, cutoff, kron=Kc)


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
    with np.errstate(all="ignore"):  # overflow is refused below, by name
        q = _raw_quantities(split, vec, Gamma, name, X_norm)
    if not all(np.isfinite(x) for x in (q.norm, q.info, q.nuisance, q.pinv, q.distance)):
        raise ValueError(
            f"the data quantities of {name} overflow float64 at Gamma={Gamma:g}, cutoff="
            f"{split.cutoff:g} (distance D = {q.distance:g}); Gamma is too large or the cutoff "
            "(alpha) too small"
        )
    return q


def _raw_quantities(
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


#: What each reference route computes (``TheoremDef.reference``); the theorem's required inputs
#: among these come from the data, and passing one is an error, not an override.
_DATA_NAMES: dict[str, tuple[str, ...]] = {
    "kernel": ("n", "K", "X_norm", "y_info", "y_nuisance", "y_pinv", "distance"),
    "centers": ("n", "K", "lambda_M"),
    "jacobian": ("r0_norm", "r0_info", "r0_nuisance", "r0_pinv", "distance"),
}


def _route(key: str, fn: str, references: tuple[str, ...]) -> F.TheoremDef:
    """The definition of ``key``, refused unless its ``reference`` is one ``fn`` computes."""
    d = F.get(v.theorem_key(key))
    if d.reference not in references:
        covered = [k_ for k_, e in F.DEFS.items() if e.reference in references]
        other = "from_jacobian" if fn == "from_data" else "from_data"
        hint = (
            f"use {other} for {d.key}"
            if d.reference is not None
            else f"{d.key} has no reference matrix: call bounds.{d.function_name} directly"
        )
        raise ValueError(f"{fn} covers {', '.join(covered)}; {hint}")
    return d


def _computed(d: F.TheoremDef) -> tuple[str, ...]:
    """Required inputs of ``d`` that its reference route computes from the data."""
    assert d.reference is not None
    return tuple(n_ for n_ in _DATA_NAMES[d.reference] if n_ in d.inputs)


def _checked_gamma(key: str, **values: Any) -> float:
    """:func:`effective_gamma`, refused (naming the inputs) where it is not a finite number >= 1.

    Tiny step sizes or cutoffs make ``T`` overflow, huge ones make it underflow to 0; the
    distance ``D_{alpha,Gamma}`` would then be computed at a NaN or infinite ``Gamma``.
    """
    with np.errstate(all="ignore"):
        try:
            G = effective_gamma(key, **values)
        except ZeroDivisionError:
            G = float("nan")
    if not (np.isfinite(G) and G >= 1.0):
        d = F.get(key)
        shown = ", ".join(
            f"{n_}={float(np.ravel(values[n_])[0]):.6g}"
            for n_ in sorted(values)
            if n_ in d.inputs or n_ in d.defaults
        )
        raise ValueError(
            f"Theorem {d.key}: Gamma * ceil(T) / T with T = {d.iterations} evaluates to {G} "
            f"at {shown}; these inputs are outside the range the formulas can be evaluated in"
        )
    return G


#: Inputs of the split that ``from_data``/``from_jacobian`` accept as grids: the one
#: eigendecomposition is split at each value's cutoff (:meth:`InfoNuisance.with_cutoff`).
GRID_NAMES = ("alpha",)


def _check_scalars(
    fn: str,
    d: F.TheoremDef,
    scalars: dict[str, Any],
    computed: tuple[str, ...],
    defaulted: tuple[str, ...] = (),
    cutoff: Any = None,
) -> None:
    """Validate the user scalars of ``from_data``/``from_jacobian`` by name before any work.

    Each value must lie in its theorem's range; names the data determine are refused.  Inputs
    the data quantities depend on (those of ``cutoff``, and of ``Gamma ceil(T)/T`` at which the
    distance is computed) must be scalars: each value would need its own split.  ``alpha`` is
    the exception: an ``alpha`` grid is split once per value from one decomposition
    (:data:`GRID_NAMES`).  The others (``delta``, ``k``, ...) may be grids, as in
    :func:`bounds.evaluate`.
    """
    from .theorems import _validate_input

    point = _point_names(d, cutoff)
    allowed = [n_ for n_ in (*d.inputs, *d.defaults) if n_ not in computed]
    for name, val in scalars.items():
        if name in computed:
            raise ValueError(
                f"{fn}: {name} is computed from the data for Theorem {d.key}; do not pass it"
            )
        if name in d.derived:
            raise ValueError(
                f"{name} is fixed by Theorem {d.key} ({name} = {d.derived[name]}); do not pass it"
            )
        if name not in allowed:
            raise ValueError(
                f"{fn}: Theorem {d.key} takes no argument {name!r}; arguments: {', '.join(allowed)}"
            )
        if val is None:
            continue
        arr = _validate_input(d, name, val)
        if arr.ndim and name in point and name not in GRID_NAMES:
            raise ValueError(
                f"{fn}: {name} must be a scalar (the data quantities depend on it), got shape "
                f"{arr.shape}; call {fn} once per value"
                + (" (pass kernel_eigh= to reuse the kernel)" if fn == "from_data" else "")
            )
    missing = [
        n_ for n_ in d.inputs if n_ not in (*computed, *defaulted) and scalars.get(n_) is None
    ]
    if missing:
        raise ValueError(f"{fn}: Theorem {d.key} needs {', '.join(missing)}")


def data_cutoff(key: str) -> Any:
    """The cutoff (sympy) at which ``from_data``/``from_jacobian`` split for Theorem ``key``:
    its ``cutoff`` when its reference is the kernel or a Jacobian, else ``None``."""
    d = F.get(key)
    return d.cutoff if d.reference in ("kernel", "jacobian") else None


def computed_names(key: str) -> tuple[str, ...]:
    """Inputs of Theorem ``key`` that ``from_data``/``from_jacobian`` compute from the data."""
    d = F.get(key)
    return _computed(d) if d.reference is not None else ()


def point_names(key: str) -> set[str]:
    """Inputs of ``from_data``/``from_jacobian`` for ``key`` that need their own split or
    distance (scalars there, except :data:`GRID_NAMES`)."""
    return _point_names(F.get(key), data_cutoff(F.get(key).key))


def _point_names(d: F.TheoremDef, cutoff: Any) -> set[str]:
    """Inputs the split or the early-stopping distance depend on (see :func:`_check_scalars`)."""
    names = {"Gamma", "n", "C"} | ({str(s) for s in cutoff.free_symbols} if cutoff else set())
    if d.iterations is not None and not d.informal:
        todo = [str(s) for s in d.iterations.free_symbols]
        while todo:
            name = todo.pop()
            if name in names:
                continue
            names.add(name)
            expr = d.derived.get(name, d.defaults.get(name))
            if expr is not None:
                todo += [str(s) for s in expr.free_symbols]
    return names


def _check_cutoff(cutoff: float, lambda_1: float, d: F.TheoremDef, expr: Any, values: Any) -> None:
    """The cutoff must lie in ``(0, lambda_1]`` (Definition 1.1); name the inputs it comes from."""
    names = sorted(str(s) for s in expr.free_symbols)
    shown = ", ".join(f"{n_}={float(values[n_]):.6g}" for n_ in names if n_ in values)
    # Same round-off allowance at lambda_1 as InfoNuisance (a relative 1e-12).
    if np.isfinite(cutoff) and 0.0 < cutoff <= lambda_1 * (1 + 1e-12):
        if cutoff * cutoff < np.finfo(np.float64).tiny:
            # The split divides by cutoff^2 (the tail of the early-stopping value).
            raise ValueError(
                f"Theorem {d.key}: the cutoff {expr} = {cutoff:.6g} at {shown} is too small: "
                "its square underflows float64"
            )
        return
    raise ValueError(
        f"Theorem {d.key}: the cutoff {expr} = {cutoff:.6g} at {shown} must lie in "
        f"(0, lambda_1 = {lambda_1:.6g}] (Definition 1.1); alpha is too large for this spectrum"
    )


def _check_centers(
    centers: Any, n_classes: int, X: np.ndarray, C: Any, key: str = "A.3"
) -> np.ndarray:
    """``centers`` must be ``K C`` unit-norm rows of the data's dimension."""
    if centers is None:
        raise ValueError(f"Theorem {key} needs centers (the KC x d matrix M of cluster centres)")
    M = v.unit_rows("centers", centers)
    if C is not None:
        expected = n_classes * int(v.positive_int("C", C))
        if M.shape[0] != expected:
            raise ValueError(
                f"centers must have K*C = {n_classes}*{int(C)} = {expected} rows (one per "
                f"cluster), got shape {M.shape}"
            )
    if M.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers must have the dimension of X ({X.shape[1]} columns), got shape {M.shape}"
        )
    return M


def _lambda_M(M: np.ndarray, act: Activation, degree: int) -> float:
    """``lambda_M = lambda_min(Sigma~(M))``, refused when it is not above its round-off.

    Coinciding (or nearly coinciding) centres make ``Sigma(M)`` singular; ``eigvalsh`` then
    returns round-off of size ``m eps lambda_max`` (m = KC; ``lambda_max <= B^2 ||M||^2`` by
    Schur, Lemma 6.12) plus the kernel's own entry error (the Chebyshev truncation estimate of
    :func:`bounds.kernels.dual_interpolant`, times m for the spectral norm), which the A.3 bound
    would divide by.  Eigenvalues within 100 times that noise, or below
    :data:`LAMBDA_M_RTOL` times ``trace(Sigma~(M))`` (the larger), are refused.
    """
    from .kernels import dual_expectation, dual_interpolant, schur_upper_bound

    lam_min = lambda_min_centers(M, act, degree)
    m = M.shape[0]
    entry_err = dual_interpolant(act, degree).error_estimate if act.smooth else 0.0
    scale = float(schur_upper_bound(spectral_norm(M), act.B))
    noise = m * (np.finfo(np.float64).eps * scale + entry_err)
    trace = m * float(dual_expectation(1.0, act, degree))
    threshold = max(100.0 * noise, LAMBDA_M_RTOL * trace)
    if lam_min <= threshold:
        G = M @ M.T
        np.fill_diagonal(G, -np.inf)
        i, j = np.unravel_index(int(np.argmax(G)), G.shape)
        raise ValueError(
            f"Sigma(M) of the centers is numerically singular: lambda_min = {lam_min:.3g} is not "
            f"above {threshold:.2g} (the larger of 100x its round-off {noise:.2g} and "
            f"{LAMBDA_M_RTOL:g} x trace); centers must be distinct (rows {min(i, j)} and "
            f"{max(i, j)} have <m_i, m_j> = {M[i] @ M[j]:.12g})"
        )
    return lam_min


def _require_smooth(rep: Report, act: Activation) -> Report:
    """Add the failing hypothesis ``|phi''| <= B`` for a non-smooth activation (e.g. ReLU).

    Every theorem assumes ``|phi'|, |phi''| <= B`` (docs/theory.md#activation); the formulas read only ``B``,
    so without this hypothesis a ReLU report would come out rigorous.  Smooth activations get
    no extra row (their reports are unchanged).
    """
    if act.smooth:
        return rep
    cond = Condition(
        "smooth_activation",
        0.0,
        ">=",
        1.0,
        np.asarray(False),
        f"phi'' exists with |phi''| <= B ({see('activation')}): 1 if so, 0 if not; {act.name}'s phi' jumps",
    )
    note = f"{act.name} is not covered by the theorems (phi'' unbounded): never rigorous."
    return replace(rep, conditions=(*rep.conditions, cond), notes=(*rep.notes, note))


def _alpha_grid(
    point: Any,
    key: str,
    scalars: dict[str, Any],
    base: dict[str, Any],
    return_quantities: bool,
) -> Any:
    """A report on an ``alpha`` grid: one split per value, from one decomposition.

    ``point(**scalars)`` evaluates one ``alpha`` (reusing the decomposition) and returns
    ``(report, quantities)``; the data quantities of every point are then passed, as arrays of
    ``alpha``'s shape, to one :func:`bounds.evaluate` call, so the grid report broadcasts as a
    report of :func:`bounds.evaluate` does.  Errors name the ``alpha`` value at fault.
    """
    alphas = v.as_float("alpha", scalars["alpha"])
    d = F.get(key)
    reps, qs = [], []
    for a in alphas.reshape(-1):
        try:
            rep, q = point(**{**scalars, "alpha": float(a)}, return_quantities=True)
        except ValueError as exc:
            raise ValueError(f"at alpha={float(a):g} of the alpha grid: {exc}") from None
        reps.append(rep)
        qs.append(q)

    def stack(field_: str) -> np.ndarray:
        return np.array([getattr(q, field_) for q in qs]).reshape(alphas.shape)

    takes = (*d.inputs, *d.defaults)
    data: dict[str, Any] = {
        name: np.array([q.as_inputs()[name] for q in qs], dtype=np.float64).reshape(alphas.shape)
        for name in qs[0].as_inputs()
        if name in takes and name not in base and name not in scalars
    }
    extra = dict(reps[0].inputs)
    for name in ("lambda_1", "B", "X_norm"):  # the same at every alpha (one spectrum)
        if name in takes and name not in scalars and name not in data and name in extra:
            data[name] = float(extra[name])
    rep = evaluate(key, **base, **data, **scalars)
    # Rows the data add (a non-smooth activation's hypothesis) and the rank boundary.
    known = {c.name for c in rep.conditions}
    more = tuple(c for c in reps[0].conditions if c.name not in known)
    if more:
        rep = replace(rep, conditions=(*rep.conditions, *more), notes=reps[0].notes)
    if any("rank" in r.boundary for r in reps) and "rank" not in rep.boundary:
        rep = replace(rep, boundary=(*rep.boundary, "rank"))
    if not return_quantities:
        return rep
    q0 = qs[0]
    grid_q = replace(
        q0,
        **{f: stack(f) for f in ("cutoff", "rank", "norm", "info", "nuisance", "pinv", "distance")},
    )
    return rep, grid_q


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
    split: InfoNuisance | None = ...,
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
    split: InfoNuisance | None = ...,
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
    split: InfoNuisance | None = None,
    return_quantities: bool = False,
    **scalars: Any,
) -> Report | tuple[Report, DataQuantities | None]:
    """Evaluate a theorem whose reference is ``Sigma(X)^{1/2}`` or ``Sigma(M)`` on a dataset.

    Parameters
    ----------
    theorem : str
        A theorem whose ``reference`` is ``"kernel"`` (``"6.23"``, ``"6.24"``, ``"6.25"``,
        ``"2.2"``) or ``"centers"`` (``"A.3"``, ``"2.5"``).
    X : array_like, shape (n, d)
        Unit-norm inputs (for A.3 rows may deviate from unit norm, docs/theory.md#i14-mixture-unit-norm; they are only used
        through ``||X||``).
    y : array_like, shape (n, K) or (n,)
        One-hot labels, or integer class labels ``0..K-1`` as scikit-learn takes them (one-hot
        internally; ``K = max(y) + 1`` unless ``K=`` is given, e.g. when a class is absent).
    activation, degree
        Passed to :func:`bounds.kernels.ntk`; ``B`` defaults to the activation's bound.  A
        non-smooth activation (``Activation.smooth`` false, e.g. ``"relu"``) adds the failing
        hypothesis ``smooth_activation``: the theorems need ``|phi''| <= B``.
    centers : array_like, shape (KC, d), optional
        Unit-norm cluster centres, required for A.3 and 2.5 (``lambda_M =
        lambda_min(Sigma(M))``).
    kernel_eigh : (ndarray (n,), ndarray (n, n)), optional
        ``numpy.linalg.eigh(bounds.kernels.ntk(X, activation, degree))`` when already computed
        (e.g. to evaluate several theorems on one dataset); otherwise computed here.
    split : InfoNuisance, optional
        Instead of ``kernel_eigh``: a split of ``Sigma(X)^{1/2}`` (``kron = K``, order ``nK``) at
        any cutoff, whose eigenpairs are re-cut at the theorem's (:meth:`InfoNuisance.with_cutoff`).
        It may hold the top eigenpairs only (e.g. from a matrix-free solver at large ``n``): the
        projections are then those of the top ones and ``distance`` an upper bound
        (:attr:`InfoNuisance.tail_bound`).
    **scalars
        The theorem's user scalars (``alpha``, ``Gamma``, ``zeta``, ``delta``, ``k``, ...).
        ``alpha`` may be an array: the kernel is decomposed once and split at each value's
        cutoff, and the report holds one value per ``alpha`` (as :func:`bounds.evaluate` on a
        grid; other grids, e.g. of ``delta``, must broadcast with it).  ``K`` may be given
        (see ``y``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5)); X /= np.linalg.norm(X, axis=1, keepdims=True)
    >>> labels = rng.integers(0, 2, 40)
    >>> rep = from_data("6.24", X, labels, alpha=0.05, Gamma=2, zeta=0.05, delta=0.1, k=10**6)
    >>> sorted(rep.conclusions)[:2]
    ['bias', 'confidence']
    >>> grid = from_data("6.24", X, labels, alpha=[0.02, 0.05], Gamma=2, zeta=0.05, delta=0.1,
    ...                  k=10**6)
    >>> grid.error.shape, bool(grid.error[1] == rep.error)
    ((2,), True)
    """
    d = _route(theorem, "from_data", ("kernel", "centers"))
    key = d.key
    n_classes = scalars.pop("K", None)
    # B defaults to the activation's bound.
    cut = d.cutoff if d.reference == "kernel" else None
    _check_scalars("from_data", d, scalars, _computed(d), ("B",), cut)
    scalars = {k_: val for k_, val in scalars.items() if val is not None}
    if not isinstance(activation, str | Activation):
        raise TypeError(
            f"activation must be a name such as 'softplus' or an Activation, got {activation!r}"
        )
    act = get_activation(activation)
    Y = v.label_matrix("y", y, n_classes)
    n, K = Y.shape
    if "B" in d.arguments:
        scalars.setdefault("B", act.B)
    if d.reference == "centers":
        A = v.matrix("X", X)
        if A.shape[0] != n:
            raise ValueError(f"X and y must have the same number of rows: {A.shape[0]} vs {n}")
        M = _check_centers(centers, K, A, scalars.get("C"), key)
        lam_M = _lambda_M(M, act, degree)
        if "X_norm" in d.arguments:
            scalars.setdefault("X_norm", spectral_norm(A))
        rep = _require_smooth(evaluate(key, n=n, K=K, lambda_M=lam_M, **scalars), act)
        return (rep, None) if return_quantities else rep
    A = v.unit_rows("X", X)
    if A.shape[0] != n:
        raise ValueError(f"X and y must have the same number of rows: {A.shape[0]} vs {n}")
    X_norm = spectral_norm(A)
    if split is not None:
        if kernel_eigh is not None:
            raise ValueError("pass at most one of kernel_eigh and split")
        if not isinstance(split, InfoNuisance):
            raise TypeError(f"split must be an InfoNuisance, got {type(split).__name__}")
        if split.kron != K or split.dim != n * K:
            raise ValueError(
                f"split must be a split of Sigma(X)^(1/2) on n K = {n * K} vectors with kron = "
                f"K = {K}; got dim {split.dim}, kron {split.kron}"
            )
    if split is not None:
        lam, U = split.eigenvalues, split.eigenvectors
    elif kernel_eigh is None:
        lam, U = np.linalg.eigh(ntk(A, act, degree))
    else:
        if not isinstance(kernel_eigh, tuple | list) or len(kernel_eigh) != 2:
            raise ValueError(
                "kernel_eigh must be the pair (eigenvalues, eigenvectors) returned by "
                f"numpy.linalg.eigh, got {type(kernel_eigh).__name__}"
            )
        lam, U = (v.as_float("kernel_eigh", part) for part in kernel_eigh)
        if lam.shape != (n,) or U.shape != (n, n):
            raise ValueError(
                f"kernel_eigh must be (eigenvalues (n,), eigenvectors (n, n)) of Sigma~(X) with "
                f"n = {n}; got shapes {lam.shape}, {U.shape}"
            )
    if np.ndim(scalars.get("alpha", 0.0)) > 0:
        return _alpha_grid(
            lambda **kw: from_data(
                key,
                A,
                Y,
                activation=act,
                degree=degree,
                **({"split": split} if split is not None else {"kernel_eigh": (lam, U)}),
                **kw,
            ),
            key,
            scalars,
            {"n": n, "K": K},
            return_quantities,
        )
    y_cm = class_major(Y)
    base = {"n": n, "K": K}
    assert d.cutoff is not None
    cut_expr, cut_vals = d.cutoff, {**scalars, **base, "X_norm": X_norm}
    cutoff = float(evaluate_expression(cut_expr, cut_vals))
    lam_1 = float(np.sqrt(max(float(np.max(lam)), 0.0)))
    if lam_1 > 0:
        _check_cutoff(cutoff, lam_1, d, cut_expr, cut_vals)
    if split is not None:
        split = split.with_cutoff(cutoff)
    else:
        try:
            split = InfoNuisance.from_eigh(lam, U, cutoff, kron=K)
        except ValueError as exc:
            if kernel_eigh is None:
                raise
            raise ValueError(f"kernel_eigh: {exc}") from None
    if "lambda_1" in d.defaults:
        scalars.setdefault("lambda_1", split.lambda_1)
    G = _checked_gamma(key, **scalars, **base, X_norm=X_norm, y_info=float(split.info_norm(y_cm)))
    q = _quantities(split, y_cm, G, "y", X_norm)
    inputs = {name: val for name, val in q.as_inputs().items() if name in d.arguments}
    rep = evaluate(key, **base, **inputs, **scalars)
    rep = _mark_rank_boundary(_require_smooth(rep, act), split)
    return (rep, q) if return_quantities else rep


@overload
def from_jacobian(
    theorem: str,
    *,
    r0: ArrayLike,
    J: ArrayLike | None = ...,
    gram: ArrayLike | None = ...,
    split: InfoNuisance | None = ...,
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
    split: InfoNuisance | None = ...,
    return_quantities: Literal[True],
    **scalars: Any,
) -> tuple[Report, DataQuantities]: ...
def from_jacobian(
    theorem: str,
    *,
    r0: ArrayLike,
    J: ArrayLike | None = None,
    gram: ArrayLike | None = None,
    split: InfoNuisance | None = None,
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
    split : InfoNuisance, optional
        A split of ``J`` at any cutoff, instead of ``J``/``gram``: its eigenpairs are reused
        (:meth:`InfoNuisance.with_cutoff`), e.g. to evaluate many inputs on one SVD.
    **scalars
        The theorem's scalars.  For 6.21/6.22 pass ``n`` (``K = len(r0)/n``), ``nu``, ``B``,
        ``X_norm``, ``alpha`` (normalised); for 2.3 ``n`` and ``alpha``; for 5.3 and the lemmas
        ``alpha`` is the raw cutoff.  ``alpha`` may be an array: ``J`` is decomposed once and
        split at each value's cutoff (one report on the grid, as for :func:`from_data`).
    """
    d = _route(theorem, "from_jacobian", ("jacobian",))
    key = d.key
    if sum(x is not None for x in (J, gram, split)) != 1:
        raise ValueError(
            "pass exactly one of J (Jacobian), gram (J J^T) or split (an InfoNuisance of J)"
        )
    if split is not None and not isinstance(split, InfoNuisance):
        raise TypeError(f"split must be an InfoNuisance, got {type(split).__name__}")
    cut_expr: Any = d.cutoff
    _check_scalars("from_jacobian", d, scalars, _DATA_NAMES["jacobian"], cutoff=cut_expr)
    scalars = {k_: val for k_, val in scalars.items() if val is not None}
    r = v.matrix("r0", r0, ndim=1)
    if "n" in scalars and r.shape[0] % int(scalars["n"]):
        raise ValueError(
            f"n must divide len(r0) = {r.shape[0]} (r0 is class-major, length n K), got "
            f"n = {int(scalars['n'])}"
        )
    grid = np.ndim(scalars.get("alpha", 0.0)) > 0
    # An alpha grid is split from one decomposition, made at the smallest alpha's cutoff
    # (every cutoff is proportional to alpha), then reused at every value.
    at = {**scalars, "alpha": float(np.min(scalars["alpha"]))} if grid else scalars
    cutoff = float(evaluate_expression(cut_expr, at))
    if not (np.isfinite(cutoff) and cutoff > 0):
        _check_cutoff(cutoff, np.inf, d, cut_expr, at)
    if cutoff * cutoff < np.finfo(np.float64).tiny:
        _check_cutoff(cutoff, np.inf, d, cut_expr, at)
    if split is not None:
        if split.dim != r.shape[0]:
            raise ValueError(
                f"split must act on vectors of length len(r0) = {r.shape[0]}, got {split.dim}"
            )
        _check_cutoff(cutoff, split.lambda_1, d, cut_expr, at)
        split = split.with_cutoff(cutoff)
    elif J is not None:
        Jm = v.matrix("J", J)
        if Jm.shape[0] != r.shape[0]:
            raise ValueError(f"J must have len(r0) = {r.shape[0]} rows, got shape {Jm.shape}")
        try:
            split = InfoNuisance.from_jacobian(Jm, cutoff)
        except ValueError:
            # Only on failure: say which inputs put the cutoff above ||J|| (an extra SVD).
            _check_cutoff(cutoff, float(np.linalg.norm(Jm, 2)), d, cut_expr, at)
            raise
    else:
        assert gram is not None
        Gm = v.matrix("gram", gram)
        if Gm.shape != (r.shape[0], r.shape[0]):
            raise ValueError(f"gram must be {r.shape[0]} x {r.shape[0]}, got shape {Gm.shape}")
        try:
            split = InfoNuisance.from_gram(Gm, cutoff)
        except ValueError as exc:
            lam_top = float(np.linalg.eigvalsh((Gm + Gm.T) / 2)[-1])
            if lam_top > 0 and np.allclose(Gm, Gm.T, rtol=1e-10, atol=1e-12 * np.abs(Gm).max()):
                _check_cutoff(cutoff, float(np.sqrt(lam_top)), d, cut_expr, at)
            raise ValueError(f"gram: {exc}") from None
    if grid:
        base_split = split
        return _alpha_grid(
            lambda **kw: from_jacobian(key, r0=r, split=base_split, **kw),
            key,
            scalars,
            {},
            return_quantities,
        )
    if "lambda_1" in d.defaults:
        scalars.setdefault("lambda_1", split.lambda_1)
    base = dict(scalars)
    r0_norm = float(np.linalg.norm(r))
    G = _checked_gamma(key, **base, r0_norm=r0_norm) if "Gamma" in base else 1.0
    q = _quantities(split, r, G, "r0", None)
    inputs = {
        name: val
        for name, val in q.as_inputs().items()
        if name in (*d.inputs, *d.defaults) and name not in base
    }
    rep = _mark_rank_boundary(evaluate(key, **inputs, **base), split)
    return (rep, q) if return_quantities else rep
