"""Numeric evaluation of every theorem: ``theorem_6_24(alpha=..., ...) -> Report``.

The formulas are those of :mod:`bounds.formulas` (sympy), compiled with ``lambdify``; this
module adds input validation, defaults, the integer iteration count and the report.  Arguments
are keyword-only, scalars or numpy arrays that broadcast together (evaluate a bound on a grid).

Iterations.  The paper's ``T`` is real.  Formal statements run ``m`` = :func:`whole_steps` of
``T`` (the ceiling, except that a ``T`` within ``ITERATION_RTOL`` of a whole number counts as
that number) and are evaluated at ``Gamma_eff = Gamma * max(m / T, 1)`` (so
``m = Gamma_eff / (eta cutoff^2)`` exactly (docs/theory.md#iterations), unless ``T`` was up to 1e-9 above ``m``;
see :func:`gamma_factor`); ``Gamma_eff`` is reported in ``inputs``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from . import validate as v
from .formulas import DEFS, INTEGER_INPUTS, SYMBOLS, TheoremDef, get
from .report import BOUNDARY_RTOL, RELATIONS, Condition, Report
from .spectral import InfoNuisance

#: Functions of this module that are not generated from the registry (the generated
#: ``theorem_*`` / ``lemma_*`` functions are appended below, from :mod:`bounds._functions`).
__all__ = [
    "assumption_2_eps",
    "delta_star_5_3",
    "evaluate",
    "evaluate_expression",
    "lemma_6_2",
    "list_theorems",
    "make_function",
    "nu_random_init",
    "theorem_function",
    "width_5_3",
]

#: A real iteration count within this relative distance of a whole number ``m`` counts as ``m``
#: steps.  ``T = Gamma / (eta cutoff^2)`` carries a few ulp of round-off (~1e-15): without the
#: tolerance an exact ``T = 1`` computed as ``1 + 2e-16`` would become 2 steps and double
#: ``Gamma_eff``.  The price: a ``T`` up to 1e-9 above ``m`` runs ``m >= T (1 - ITERATION_RTOL)``
#: steps at ``Gamma`` (:func:`gamma_factor`), a relative 1e-9 short of ``(1 - eta a^2)^T``.
ITERATION_RTOL = 1e-9


@lru_cache(maxsize=512)
def _compiled(expr: sp.Basic) -> tuple[Callable[..., Any], tuple[str, ...]]:
    names = tuple(sorted(str(s) for s in expr.free_symbols))
    fn = sp.lambdify([sp.Symbol(n_) for n_ in names], expr, modules="numpy")
    return fn, names


def evaluate_expression(expr: sp.Basic, values: Mapping[str, Any]) -> Any:
    """Evaluate a sympy expression of :data:`bounds.formulas.SYMBOLS` on numbers (or arrays).

    Examples
    --------
    >>> from bounds.formulas import CUTOFF_RANDOM
    >>> round(float(evaluate_expression(CUTOFF_RANDOM, dict(alpha=0.5, B=1, n=100, K=4, X_norm=10))), 12)
    10.0
    """
    fn, names = _compiled(sp.sympify(expr))
    missing = [n_ for n_ in names if n_ not in values]
    if missing:
        raise ValueError(f"missing value(s) for {', '.join(missing)}")
    # Overflow, 0/0 and division by zero are not warnings here: evaluate() checks every value it
    # reports for finiteness and raises a ValueError naming the inputs involved.
    with np.errstate(all="ignore"):
        out = fn(*(values[n_] for n_ in names))
    return np.asarray(out, dtype=np.float64) if not isinstance(out, bool | np.bool_) else out


def _validate_input(d: TheoremDef, name: str, value: Any) -> np.ndarray:
    if name in INTEGER_INPUTS:
        return v.positive_int(name, value)
    lo, hi, lo_open, hi_open = d.input_range(name)
    return v.in_range(name, value, lo, hi, lo_open=lo_open, hi_open=hi_open)


#: Relative tolerance of ``y_info^2 + y_nuisance^2 = n`` (and of the same identity for ``r0``
#: and for label fractions, :mod:`bounds.fractions`): norms computed by users carry far less
#: error than 1e-6, and a wrong split is off by far more.
PYTHAGORAS_RTOL = 1e-6


def _consistency(vals: Mapping[str, np.ndarray]) -> None:
    """Norms of a vector and of its two projections must satisfy Pythagoras."""
    if {"y_info", "y_nuisance", "n"} <= vals.keys():
        tot = vals["y_info"] ** 2 + vals["y_nuisance"] ** 2
        if not np.allclose(tot, vals["n"], rtol=PYTHAGORAS_RTOL, atol=1e-9):
            raise ValueError(
                "y_info and y_nuisance must satisfy y_info^2 + y_nuisance^2 = ||y||^2 = n "
                f"(one-hot labels); got {np.ravel(tot)[0]:.6g} vs n = {np.ravel(vals['n'])[0]:g}"
            )
    if {"r0_info", "r0_nuisance", "r0_norm"} <= vals.keys():
        tot = vals["r0_info"] ** 2 + vals["r0_nuisance"] ** 2
        if not np.allclose(tot, vals["r0_norm"] ** 2, rtol=PYTHAGORAS_RTOL, atol=1e-9):
            raise ValueError(
                "r0_info and r0_nuisance must satisfy r0_info^2 + r0_nuisance^2 = r0_norm^2; "
                f"got {np.ravel(tot)[0]:.6g} vs {np.ravel(vals['r0_norm'] ** 2)[0]:.6g}"
            )


def whole_steps(T: ArrayLike) -> tuple[Any, Any]:
    """Integer step count for a real ``T > 0`` and where that choice is at its boundary.

    Returns ``(m, at_boundary)``: ``m = round(T)`` when ``|T - round(T)| <= ITERATION_RTOL *
    round(T)``, else ``ceil(T)``, and at least 1.  The rule switches from ``j`` to ``j + 1`` steps
    at ``T = j (1 + ITERATION_RTOL)``; ``at_boundary`` is True within a relative
    ``BOUNDARY_RTOL / 10`` of such a switch (there a 1e-13 change of the inputs may change
    ``m``; it moves ``T`` by at most ~1e-12).

    Examples
    --------
    >>> [float(whole_steps(t)[0]) for t in (1.0000000000000002, 1.5, 0.3)]
    [1.0, 2.0, 1.0]
    """
    t = np.asarray(T, dtype=np.float64)
    near = np.round(t)
    snap = (near >= 1) & (np.abs(t - near) <= ITERATION_RTOL * near)
    steps = np.maximum(np.where(snap, near, np.ceil(t)), 1.0)
    edge = np.maximum(near, 1.0) * (1 + ITERATION_RTOL)  # the nearest switch
    at_boundary = np.abs(t - edge) <= (BOUNDARY_RTOL / 10) * edge
    return steps, at_boundary


@lru_cache(maxsize=512)
def _guaranteed(key: str, name: str, defaulted: frozenset[str]) -> bool:
    """Whether hypothesis ``name`` of ``key`` holds by construction for these defaulted inputs.

    Either it is a non-strict inequality that becomes an identity once the derived values and
    the defaults of ``defaulted`` are substituted (``eta`` at its largest value, ``c`` equal to
    ``||Pi_I y|| / ||y||``), or it compares an input with a constant that the input's validated
    range already implies (``Gamma >= 1``; ``Gamma_eff >= Gamma`` by :func:`gamma_factor`).
    Decided symbolically, so the last digits of the two sides cannot make it fail.
    """
    d = get(key)
    cd = next(c for c in d.conditions if c.name == name)
    if cd.relation not in ("<=", ">="):
        return False
    lhs, rhs = cd.lhs, cd.rhs
    subs = {SYMBOLS[k_]: e for k_, e in d.defaults.items() if k_ in defaulted}
    if subs and (lhs.free_symbols | rhs.free_symbols) & set(subs):
        for _ in range(3):  # defaults may refer to derived values and to each other
            lhs, rhs = lhs.subs(subs), rhs.subs(subs)
            lhs, rhs = (
                lhs.subs({SYMBOLS[k_]: e for k_, e in d.derived.items()}),
                rhs.subs({SYMBOLS[k_]: e for k_, e in d.derived.items()}),
            )
        if sp.count_ops(lhs - rhs) <= 200 and sp.simplify(lhs - rhs) == 0:
            return True
    for side, other, lower in (
        (cd.lhs, cd.rhs, cd.relation == ">="),
        (cd.rhs, cd.lhs, cd.relation == "<="),
    ):
        if isinstance(side, sp.Symbol) and other.is_number and str(side) not in d.derived:
            lo, hi, _, _ = d.input_range(str(side))
            bound = float(other)
            if (lower and lo >= bound) or (not lower and hi <= bound):
                return True
    return False


def gamma_factor(T: ArrayLike) -> Any:
    """``Gamma_eff / Gamma = max(m / T, 1)`` for ``m = whole_steps(T)``.

    Never below 1: a ``T`` just above a whole number ``m`` runs ``m`` steps at ``Gamma`` itself
    (then ``m >= T (1 - ITERATION_RTOL)``), so ``Gamma_eff >= Gamma >= 1`` holds exactly.
    """
    t = np.asarray(T, dtype=np.float64)
    return np.maximum(whole_steps(t)[0] / t, 1.0)


def _holds(cond_lhs: Any, rel: str, cond_rhs: Any) -> Any:
    return RELATIONS[rel](cond_lhs, cond_rhs)


def check_arguments(
    d: TheoremDef, kwargs: Mapping[str, Any], *, omit: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Validate the keyword arguments of Theorem ``d`` by name and return them as float arrays.

    Unknown, derived, missing (except the names in ``omit``) and out-of-range arguments, and
    grids that do not broadcast together, raise ``ValueError``/``TypeError`` naming them.
    """
    given = {k_: val for k_, val in kwargs.items() if val is not None}
    for name in given:
        if name in d.derived:
            raise ValueError(
                f"{name} is fixed by Theorem {d.key} ({name} = {d.derived[name]}); do not pass it"
            )
        if name not in d.inputs and name not in d.defaults:
            allowed = ", ".join([*d.inputs, *d.defaults])
            raise ValueError(f"Theorem {d.key} takes no argument {name!r}; arguments: {allowed}")
    missing = [name for name in d.inputs if name not in given and name not in omit]
    if missing:
        raise ValueError(f"Theorem {d.key} needs {', '.join(missing)}")
    vals: dict[str, Any] = {name: _validate_input(d, name, val) for name, val in given.items()}
    v.broadcastable(vals)
    with np.errstate(all="ignore"):  # squares of huge norms overflow: then they are unequal
        _consistency(vals)
    return vals


def evaluate(key: str, **kwargs: Any) -> Report:
    """Evaluate the theorem ``key`` (e.g. ``"6.24"``, ``"A.3"``, ``"L6.19"``) on keyword values.

    Required inputs must be given; optional ones (``eta``, ``lambda_1``, ``c``, ``C_r``, ...)
    default to the expressions of the definition.  Raises ``ValueError`` for unknown, missing or
    out-of-range arguments, and for inputs at which a reported number would overflow float64
    (the message names the inputs involved): a report never carries NaN or inf.
    """
    # Overflow and 0/0 inside the formulas are not warnings: every reported number is checked
    # by _require_finite, which raises a ValueError naming the inputs instead.
    with np.errstate(all="ignore"):
        return _evaluate(key, kwargs)


def _evaluate(key: str, kwargs: Mapping[str, Any]) -> Report:
    d = get(v.theorem_key(key))
    given = {k_: val for k_, val in kwargs.items() if val is not None}
    vals = check_arguments(d, given)
    for name, expr in d.derived.items():
        vals[name] = evaluate_expression(expr, vals)
        _require_finite(d, f"{name} (fixed by the theorem)", vals[name], expr, vals)
    for name, expr in d.defaults.items():
        if name not in vals:
            vals[name] = evaluate_expression(expr, vals)
            _require_finite(d, f"{name} (default)", vals[name], expr, vals)
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in vals.values()))
    vals = {name: (a if a.ndim else a[()]) for name, a in zip(vals, arrays, strict=True)}
    vals = {name: np.array(a, dtype=np.float64) for name, a in vals.items()}

    iterations: Any = None
    boundary: tuple[str, ...] = ()
    if d.iterations is not None:
        T = evaluate_expression(d.iterations, vals)
        iterations, steps_edge = whole_steps(T)
        if np.any(steps_edge):
            boundary = ("iterations",)
        if not d.informal:
            vals["Gamma"] = vals["Gamma"] * gamma_factor(T)
    cutoff = evaluate_expression(d.cutoff, vals) if d.cutoff is not None else None
    step = vals.get("eta") if d.step_size is not None else None
    _check_schedule(d, iterations, cutoff, vals)

    conditions = []
    defaulted = frozenset(name for name in d.defaults if name not in given)
    for cd in d.conditions:
        lhs = evaluate_expression(cd.lhs, vals)
        rhs = evaluate_expression(cd.rhs, vals)
        sure = not cd.fatal and _guaranteed(d.key, cd.name, defaulted)
        holds = (
            np.ones(np.broadcast(lhs, rhs).shape, dtype=bool)
            if sure
            else _holds(lhs, cd.relation, rhs)
        )
        applies: Any = True
        if cd.applies is not None:
            applies = np.asarray(evaluate_expression(cd.applies, vals), dtype=bool)
            holds = np.logical_or(holds, np.logical_not(applies))
        if cd.fatal and not np.all(holds):
            # Range checks tolerate round-off at the boundary (e.g. alpha at its largest value).
            holds = _holds(
                lhs, cd.relation, rhs + 1e-12 * np.abs(rhs) * (1 if "<" in cd.relation else -1)
            )
        if cd.fatal and not np.all(holds):
            raise ValueError(
                f"Theorem {d.key}: {cd.description} is violated ({_first(lhs)} {cd.relation} "
                f"{_first(rhs)} is false, at {_shown(cd.lhs - cd.rhs, vals, d)}); {cd.hint}"
            )
        conditions.append(
            Condition(
                cd.name, lhs, cd.relation, rhs, np.asarray(holds), cd.description, applies, sure
            )
        )

    conclusions = {name: evaluate_expression(expr, vals) for name, expr in d.conclusions.items()}
    for cd, cond in zip(d.conditions, conditions, strict=True):
        _require_finite(d, "hypothesis " + cd.name, cond.lhs, cd.lhs, vals)
        _require_finite(d, "hypothesis " + cd.name, cond.rhs, cd.rhs, vals)
    for name, val in conclusions.items():
        _require_finite(d, "the conclusion " + name, val, d.conclusions[name], vals)
    prob = evaluate_expression(d.probability, vals) if d.probability is not None else None
    if d.probability is not None:
        _require_finite(d, "the probability", prob, d.probability, vals)
    threshold = evaluate_expression(d.vacuous_threshold, vals) if d.vacuous_key else None
    if d.vacuous_key:
        _require_finite(d, "the vacuity threshold", threshold, d.vacuous_threshold, vals)
    inputs = dict(vals)
    if d.iterations is not None and not d.informal:
        inputs["Gamma_effective"] = inputs.pop("Gamma")
        inputs["Gamma"] = np.asarray(v.as_float("Gamma", kwargs["Gamma"]))
    return Report(
        theorem=d.key,
        title=d.title,
        conclusions=conclusions,
        conditions=tuple(conditions),
        cutoff=cutoff,
        step_size=step,
        iterations=iterations,
        informal=d.informal,
        probability=prob,
        vacuous_key=d.vacuous_key,
        vacuous_threshold=threshold,
        inputs=inputs,
        notes=d.notes,
        boundary=boundary,
    )


def _first(x: Any) -> str:
    return f"{float(np.ravel(x)[0]):.6g}"


def _shown(expr: sp.Basic | None, vals: Mapping[str, Any], d: TheoremDef | None = None) -> str:
    """``"alpha=0.1, n=100"``: the inputs ``expr`` depends on, with their (first) values.

    With ``d``, quantities computed from other inputs are followed back to them (``nu`` of
    (6.67) to ``zeta, B, K``; a default such as ``lambda_1`` to its expression; ``Gamma``, which
    is ``Gamma ceil(T)/T`` once the iteration count is rounded, to the inputs of ``T``), so that
    the argument at fault is named.
    """
    if expr is None:
        return ", ".join(f"{n_}={_first(vals[n_])}" for n_ in sorted(vals))
    names = {str(s) for s in sp.sympify(expr).free_symbols}
    if d is not None:
        todo = list(names)
        while todo:
            name = todo.pop()
            more: set[str] = set()
            if name in d.derived:
                more = {str(s) for s in d.derived[name].free_symbols}
            elif name in d.defaults:
                more = {str(s) for s in d.defaults[name].free_symbols}
            elif name == "Gamma" and d.iterations is not None and not d.informal:
                more = {str(s) for s in d.iterations.free_symbols}
            todo += sorted(more - names)
            names |= more
    return ", ".join(f"{n_}={_first(vals[n_])}" for n_ in sorted(names) if n_ in vals)


def _require_finite(
    d: TheoremDef,
    what: str,
    value: Any,
    expr: sp.Basic | None,
    vals: Mapping[str, Any],
    *,
    show: bool = True,
) -> None:
    """Raise ``ValueError`` naming the inputs of ``expr`` when ``value`` is not finite.

    Finite inputs can still overflow float64 (``alpha = 1e308`` squared) or give ``0 * inf``; a
    report must never carry such a number, so the combination of inputs is refused instead.
    ``expr`` is printed (after ``what``, when ``show``) only then: printing is slow.
    """
    arr = np.asarray(value, dtype=np.float64)
    finite = np.isfinite(arr)
    if np.all(finite):
        return
    bad = float(arr[~finite].ravel()[0]) if arr.ndim else float(arr)
    if show and expr is not None:
        what = f"{what} = {expr}"
    raise ValueError(
        f"Theorem {d.key}: {what} evaluates to {bad} (float64 overflow or 0/0) at "
        f"{_shown(expr, vals, d)}; these inputs are outside the range the formulas can be "
        "evaluated in"
    )


def _check_schedule(d: TheoremDef, iterations: Any, cutoff: Any, vals: Mapping[str, Any]) -> None:
    """The iteration count, ``Gamma ceil(T)/T`` and the cutoff must be finite (named if not)."""
    if d.iterations is not None:
        _require_finite(d, "the iteration count T", iterations, d.iterations, vals)
        _require_finite(d, "Gamma * ceil(T) / T", vals["Gamma"], d.iterations, vals, show=False)
    if d.cutoff is not None:
        _require_finite(d, "the cutoff", cutoff, d.cutoff, vals)


def list_theorems() -> list[tuple[str, str, str]]:
    """``(key, function name, title)`` for every encoded theorem and lemma."""
    rows = [(d.key, d.function_name, d.title) for d in DEFS.values()]
    rows.append(("L6.2", "lemma_6_2", "bounds on the early-stopping value, eqs. (6.2)-(6.3)"))
    return rows


def nu_random_init(*, zeta: ArrayLike, K: ArrayLike, B: ArrayLike = 1.0) -> Any:
    """``nu = zeta / (50 B sqrt(log 2K))``, eq. (6.67): output scale for random initialisation."""
    from .formulas import NU_RANDOM_INIT

    vals = {"zeta": v.positive("zeta", zeta), "K": v.positive_int("K", K), "B": v.positive("B", B)}
    return evaluate_expression(NU_RANDOM_INIT, vals)


def assumption_2_eps(
    *, k: ArrayLike, nu: ArrayLike, B: ArrayLike, X_norm: ArrayLike, radius: ArrayLike
) -> Any:
    """``eps`` of Assumption 2 on the ball of radius ``R``, from Lemma 6.10's Lipschitz bound.

    Lemma 6.10 (unit-norm rows, ``|phi'|, |phi''| <= B``, ``||V||_inf <= nu/sqrt(kK)``):
    ``||J(W) - J(W0)|| <= (nu B ||X|| / sqrt(k)) ||W - W0||_F``.  Assumption 2 asks for
    ``||J(W) - J(W0)|| <= eps/2`` whenever ``||W - W0||_F <= R`` (the eps/2 reading of Assumption 2), so
    ``eps = 2 R nu B ||X|| / sqrt(k)`` holds rigorously, for every ``W`` in the ball, not only
    along one gradient-descent path.

    Examples
    --------
    >>> float(assumption_2_eps(k=10_000, nu=1.0, B=1.0, X_norm=2.0, radius=3.0))
    0.12
    """
    from .formulas import LIPSCHITZ_SHALLOW

    vals = {
        "k": v.positive("k", k),
        "nu": v.positive("nu", nu),
        "B": v.positive("B", B),
        "X_norm": v.positive("X_norm", X_norm),
    }
    return 2 * v.nonnegative("radius", radius) * evaluate_expression(LIPSCHITZ_SHALLOW, vals)


def delta_star_5_3(*, alpha: ArrayLike, Gamma: ArrayLike, beta: ArrayLike, eps: ArrayLike) -> Any:
    """Smallest tolerance ``delta`` meeting Theorem 5.3's ``eps`` condition (5.13).

    (5.13) asks ``eps <= delta alpha^3 / (5 Gamma beta^2)``, so ``delta* = 5 Gamma beta^2 eps /
    alpha^3``; the theorem applies when ``delta* <= 1`` (its range ``0 < delta <= 1``).  The two
    sides of (5.13) at ``delta = delta*`` are equal in exact arithmetic and differ in the last
    digit in floating point: evaluate the theorem at ``delta*(1 + BOUNDARY_RTOL)`` (then (5.13)
    holds with a relative margin 1e-9, 10^6 above round-off) and compare ``delta*`` with 1 within
    :data:`bounds.report.BOUNDARY_RTOL`.  ``Gamma`` is the one the theorem is evaluated at
    (``Gamma_effective`` of its report).

    Examples
    --------
    >>> float(delta_star_5_3(alpha=1.0, Gamma=2.0, beta=2.0, eps=0.01))
    0.4
    """
    a = v.positive("alpha", alpha)
    g = v.in_range("Gamma", Gamma, 1.0)
    b = v.positive("beta", beta)
    return 5 * g * b**2 * v.nonnegative("eps", eps) / a**3


def width_5_3(
    *,
    alpha: ArrayLike,
    Gamma: ArrayLike,
    nu: ArrayLike,
    B: ArrayLike,
    X_norm: ArrayLike,
    r0_norm: ArrayLike,
    r0_nuisance: ArrayLike,
    r0_pinv: ArrayLike,
    delta: ArrayLike = 1.0,
) -> Any:
    """Smallest width ``k`` at which Theorem 5.3 holds rigorously for the shallow network.

    With ``eps`` from Lemma 6.10 over the ball of radius ``R`` of (5.12)
    (:func:`assumption_2_eps`) and ``beta = nu B ||X||``, (5.13) at tolerance ``delta`` reads
    ``2 R beta / sqrt(k) <= delta alpha^3 / (5 Gamma beta^2)``, i.e.

    ``k >= (10 Gamma beta^3 R / (delta alpha^3))^2``,
    ``R = 2(||J_I^+ r0|| + Gamma ||Pi_N(r0)|| / alpha + delta Gamma ||r0|| / alpha)``.

    The data quantities (``alpha``, ``r0``, ...) are held fixed at their values, although they
    move a little with the width of the network they come from.  Lemma 6.19's width (6.45) is the
    same condition on the smaller radius ``R' = 2(D_{alpha,Gamma} + delta Gamma ||r0||/alpha)``
    of its proof (docs/theory.md#i8-radius).

    Examples
    --------
    >>> k = width_5_3(alpha=1.0, Gamma=1.0, nu=1.0, B=1.0, X_norm=2.0, r0_norm=3.0,
    ...               r0_nuisance=1.0, r0_pinv=2.0)
    >>> float(k)  # (10 * 8 * 2 (2 + 1 + 3))^2
    921600.0
    >>> float(assumption_2_eps(k=k, nu=1.0, B=1.0, X_norm=2.0, radius=12.0))  # = 1/(5*4)
    0.05
    """
    from .formulas import BETA_SHALLOW

    a = v.positive("alpha", alpha)
    g = v.in_range("Gamma", Gamma, 1.0)
    dl = v.in_range("delta", delta, 0.0, 1.0, lo_open=True)
    beta = evaluate_expression(
        BETA_SHALLOW,
        {
            "nu": v.positive("nu", nu),
            "B": v.positive("B", B),
            "X_norm": v.positive("X_norm", X_norm),
        },
    )
    R = 2 * (
        v.nonnegative("r0_pinv", r0_pinv)
        + g * v.nonnegative("r0_nuisance", r0_nuisance) / a
        + dl * g * v.nonnegative("r0_norm", r0_norm) / a
    )
    return (10 * g * beta**3 * R / (dl * a**3)) ** 2


# ---------------------------------------------------------------------------- public functions
#: Type of every theorem argument: a number or an array (arrays broadcast together).
Num = ArrayLike


def make_function(d: TheoremDef) -> Callable[..., Report]:
    """Build the public function of theorem ``d``: the one :mod:`bounds._generate` writes.

    The registered theorems' functions are generated into :mod:`bounds._functions` (and
    re-exported here); this gives the same function, with the same signature and docstring, for
    a theorem registered at run time with :func:`bounds.formulas.register`.
    """
    from ._generate import function_source

    namespace: dict[str, Any] = {"Num": Num, "Report": Report, "evaluate": evaluate}
    exec(compile(function_source(d), f"<theorem {d.key}>", "exec"), namespace)
    fn: Callable[..., Report] = namespace[d.function_name]
    fn.__module__ = __name__
    return fn


def theorem_function(key: str) -> Callable[..., Report]:
    """The public function of theorem ``key``: the generated one, else :func:`make_function`."""
    d = get(v.theorem_key(key))
    fn = globals().get(d.function_name)
    return fn if callable(fn) else make_function(d)


@np.errstate(all="ignore")  # overflow of huge Gamma or r0 is refused below, by name
def lemma_6_2(split: InfoNuisance, r0: ArrayLike, *, Gamma: float) -> Report:
    """Lemma 6.2, eqs. (6.2)-(6.3), checked on a split and a residual.

    Conclusions: ``value`` = ``B_{alpha,Gamma}(r0)``, ``upper`` = ``(||Pi_I r0||^2 + Gamma^2
    ||Pi_N r0||^2)^{1/2}``, ``upper_gamma`` = ``Gamma ||r0||``, ``lower`` =
    ``(alpha/lambda_1) ||Pi_I r0||``; the three inequalities are the report's conditions.
    """
    if not isinstance(split, InfoNuisance):
        raise TypeError(f"split must be an InfoNuisance, got {type(split).__name__}")
    G_arr = v.in_range("Gamma", Gamma, 1.0)
    if G_arr.ndim:
        raise ValueError(f"Gamma must be a scalar, got shape {G_arr.shape}")
    # np.float64, not float: a Python float power raises OverflowError instead of giving inf.
    G = np.float64(G_arr)
    r = v.as_float("r0", r0)
    if r.shape[-1:] != (split.dim,):
        raise ValueError(
            f"r0 must have length {split.dim} (class-major, K*n) in its last axis, got shape "
            f"{r.shape}"
        )
    val = split.early_stopping_value(r, G)
    info, nuis = split.info_norm(r), split.nuisance_norm(r)
    upper = np.sqrt(info**2 + G**2 * nuis**2)
    upper_g = G * np.linalg.norm(r, axis=-1)
    lower = split.cutoff / split.lambda_1 * info
    # Round-off slack: the inequalities are compared at relative precision 1e-12 of
    # Gamma ||r0||, the largest of the quantities (no absolute floor: r0's scale is free).
    tol = 1e-12 * upper_g
    conds = (
        Condition(
            "6.2a",
            val,
            "<=",
            upper,
            np.asarray(val <= upper + tol),
            "B <= sqrt(|Pi_I r0|^2 + Gamma^2 |Pi_N r0|^2)",
        ),
        Condition(
            "6.2b",
            upper,
            "<=",
            upper_g,
            np.asarray(upper <= upper_g + tol),
            "... <= Gamma ||r0|| (Gamma >= 1)",
        ),
        Condition(
            "6.3",
            val,
            ">=",
            lower,
            np.asarray(val >= lower - tol),
            "B >= (alpha/lambda_1) ||Pi_I r0||",
        ),
    )
    for label, x in (("value", val), ("upper", upper), ("upper_gamma", upper_g), ("lower", lower)):
        if not np.all(np.isfinite(x)):
            raise ValueError(
                f"Lemma 6.2: {label} overflows float64 at Gamma={G:g}, ||r0|| = "
                f"{float(np.max(np.linalg.norm(r, axis=-1))):.3g}; Gamma and r0 are too large"
            )
    return Report(
        "L6.2",
        "bounds on the early-stopping value, eqs. (6.2)-(6.3)",
        {"value": val, "upper": upper, "upper_gamma": upper_g, "lower": lower},
        conds,
        split.cutoff,
        None,
        None,
    )


# The generated theorem functions (one per registry entry): see bounds/_generate.py.
from . import _functions  # noqa: E402
from ._functions import *  # noqa: E402, F403

__all__ += _functions.__all__
