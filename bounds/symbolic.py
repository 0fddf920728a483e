"""Symbolic forms of the theorems (sympy): expressions, LaTeX, and solving for k, n or alpha.

``bounds.symbolic.theorem_6_24()`` returns the :class:`~bounds.formulas.TheoremDef` whose
expressions the numeric functions are compiled from, so the two can never disagree.

Examples
--------
>>> t = theorem_6_24()
>>> sorted(t.conclusions)[:3]
['bias', 'confidence', 'error']
>>> print(latex(t.conclusions["bias"]))
\\frac{2 \\|\\Pi_{\\mathcal N}(y)\\|}{\\sqrt{n}}
>>> s = solve_for("6.24", "k", alpha=0.3, Gamma=2, zeta=0.1, delta=0.05, n=1000, K=10, B=1,
...               X_norm=30, y_info=30, y_nuisance=10, y_pinv=5)
>>> s.value > 1e18
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from . import fractions as fr
from . import validate as v
from .formulas import DEFS, LATEX_NAMES, SYMBOLS, TheoremDef, get
from .report import Report
from .theorems import check_arguments, evaluate

__all__ = ["Solution", "expanded", "latex", "solve_for"]

#: ``Gamma * max(m/T, 1)``: the Gamma at which formal statements are evaluated
#: (:func:`bounds.theorems.gamma_factor`); closed forms of :func:`solve_for` use it.
GAMMA_EFF = sp.Symbol("Gamma_eff", positive=True)
#: Symbols of the fractions of :mod:`bounds.fractions`.
FRACTION_SYMBOLS = {name: sp.Symbol(name, nonnegative=True) for name in fr.FRACTIONS}

_SYMBOL_NAMES = {SYMBOLS[k]: v for k, v in LATEX_NAMES.items() if k in SYMBOLS}
_SYMBOL_NAMES[GAMMA_EFF] = r"\Gamma_{\mathrm{eff}}"
_SYMBOL_NAMES.update(
    {
        FRACTION_SYMBOLS["y_info_fraction"]: r"f_{\mathcal I}",
        FRACTION_SYMBOLS["y_nuisance_fraction"]: r"f_{\mathcal N}",
        FRACTION_SYMBOLS["X_norm_fraction"]: r"f_X",
    }
)


def latex(expr: sp.Basic) -> str:
    """LaTeX of an expression in the paper's notation."""
    return sp.latex(expr, symbol_names=_SYMBOL_NAMES)


def expanded(definition: TheoremDef, expr: sp.Basic) -> sp.Basic:
    """``expr`` with the theorem's derived quantities (e.g. ``nu`` of (6.67)) substituted."""
    subs = {SYMBOLS[name]: val for name, val in definition.derived.items()}
    return expr.subs(subs)


def _make(key: str) -> Any:
    def accessor() -> TheoremDef:
        return DEFS[key]

    d = DEFS[key]
    accessor.__name__ = d.function_name
    accessor.__doc__ = f"Symbolic form of {d.key}: {d.title}."
    return accessor


for _key, _d in DEFS.items():
    globals()[_d.function_name] = _make(_key)
    __all__.append(_d.function_name)


@dataclass(frozen=True)
class Solution:
    """Result of :func:`solve_for`.

    Attributes
    ----------
    unknown : str
        The variable solved for (``"k"``, ``"n"``, ``"alpha"``, ...).
    value : float
        The extreme value (smallest for ``extremum="min"``, largest for ``"max"``); integers are
        rounded up (min) or down (max) for ``k``, ``n``, ``K``, ``C``.
    goal : str
        ``"nonvacuous"``, ``"rigorous"``, a condition name, or a conclusion name (with
        ``target``).
    exact : sympy expression or None
        The boundary of a condition goal in closed form when sympy finds one (never for a
        conclusion with ``target``), in what the number used: the
        theorem's derived values and the defaults that were not given substituted, fractions
        (:mod:`bounds.fractions`) as ``y_info_fraction * sqrt(n)``, ..., and ``Gamma_eff`` (the
        symbol printed ``\\Gamma_{\\mathrm{eff}}``) in place of ``Gamma`` for formal
        statements with an iteration count, which are evaluated at ``Gamma_eff``.
    target : float or None
        The bound a conclusion goal must not exceed.
    gamma_effective : float or None
        ``Gamma_eff`` at the solution (the value ``exact`` is to be read with).
    exact_value : float or None
        ``exact`` evaluated at the inputs and ``gamma_effective``: the real boundary whose
        rounding (for integers) is ``value``.
    report : Report or None
        The theorem evaluated at the solution.
    """

    unknown: str
    value: float
    goal: str
    exact: sp.Basic | None = None
    target: float | None = None
    gamma_effective: float | None = None
    exact_value: float | None = None
    report: Report | None = None

    @property
    def exact_latex(self) -> str | None:
        """:attr:`exact` in LaTeX (``\\Gamma_{\\mathrm{eff}}`` where the number used it)."""
        return None if self.exact is None else latex(self.exact)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary, with the report at the solution."""
        return {
            "unknown": self.unknown,
            "value": self.value,
            "goal": self.goal,
            "target": self.target,
            "exact": None if self.exact is None else str(self.exact),
            "exact_latex": self.exact_latex,
            "exact_value": self.exact_value,
            "gamma_effective": self.gamma_effective,
            "report": None if self.report is None else self.report.to_dict(),
        }


def _predicate(
    key: str,
    unknown: str,
    goal: str,
    values: dict[str, Any],
    errors: list[ValueError],
    target: float | None = None,
) -> Any:
    def ok(x: float) -> bool:
        try:
            rep = evaluate(key, **fr.absolute(key, **{**values, unknown: x}))
        except ValueError as exc:
            # Out of range for this value of the unknown (e.g. alpha above lambda_1): infeasible.
            # Kept so that an error at every value is reported instead of "no k satisfies".
            errors.append(exc)
            return False
        if target is not None:
            return bool(np.asarray(rep.conclusions[goal]) <= target)
        if goal == "nonvacuous":
            return not bool(rep.vacuous)
        if goal == "rigorous":
            return bool(rep.hypotheses_hold)
        return bool({c.name: c for c in rep.conditions}[goal].holds)

    return ok


def _check_search(search: Any) -> tuple[float, float]:
    if isinstance(search, str | bytes) or not isinstance(search, tuple | list) or len(search) != 2:
        raise ValueError(f"search must be a pair (lo, hi) with 0 < lo < hi, got {search!r}")
    lo, hi = (float(v.positive("search", x)) for x in search)
    if not lo < hi:
        raise ValueError(f"search must be a pair (lo, hi) with 0 < lo < hi, got {search!r}")
    return lo, hi


def solve_for(
    key: str,
    unknown: str,
    *,
    goal: str = "width",
    target: float | None = None,
    extremum: str | None = None,
    search: tuple[float, float] | None = None,
    **values: Any,
) -> Solution:
    """Smallest (or largest) value of ``unknown`` for which ``goal`` holds, all else fixed.

    Parameters
    ----------
    key : str
        Theorem key, e.g. ``"6.24"``.
    unknown : str
        The input to solve for: ``"k"``, ``"n"``, ``"alpha"``, ...
    goal : str
        A condition name (``"width"`` by default), ``"rigorous"`` (all hypotheses),
        ``"nonvacuous"`` (headline bound below its vacuity threshold), or a conclusion name
        (``"error"``, ``"variance"``, ...) with ``target``.
    target : float, optional
        With a conclusion ``goal``: the value it must not exceed (``error <= target``).
    extremum : {"min", "max"}, optional
        Default ``"max"`` for ``alpha`` and ``"min"`` otherwise.
    search : (float, float), optional
        Bracket to search (log-spaced scan, then bisection); defaults depend on the unknown.
    **values
        Every other input of the theorem.  For ``unknown="n"`` give the label split and
        ``||X||`` as fractions of ``sqrt(n)`` (``y_info_fraction``, ``y_nuisance_fraction``,
        ``X_norm_fraction``; :mod:`bounds.fractions`), so that they follow ``n``: absolute
        ``y_info``/``y_nuisance`` fix ``n`` through ``y_info^2 + y_nuisance^2 = n``.

    Notes
    -----
    Data quantities other than the fractions (``y_pinv``, distances) are held fixed although
    in reality they depend on ``n`` and ``alpha``; the answer is what the formula needs at those
    values.  Formal statements are evaluated at ``Gamma_eff`` (:func:`bounds.theorems.
    gamma_factor`), and so is :attr:`Solution.exact`.

    Examples
    --------
    >>> s = solve_for("6.24", "n", goal="error", target=0.5, alpha=0.1, Gamma=4, zeta=0.005,
    ...               delta=0.05, k=10**30, K=10, B=1, y_info_fraction=0.99, X_norm_fraction=0.3,
    ...               y_pinv=5)
    >>> bool(s.report.error <= 0.5), s.value > 1000
    (True, True)
    """
    d = get(v.theorem_key(key))
    if not isinstance(unknown, str) or (unknown not in d.inputs and unknown not in d.defaults):
        raise ValueError(
            f"unknown must be an input of Theorem {d.key} ({', '.join(d.inputs)}), got {unknown!r}"
        )
    if values.get(unknown) is not None:
        raise ValueError(f"{unknown} is the unknown solved for; do not pass a value for it")
    goals = ("nonvacuous", "rigorous", *(c.name for c in d.conditions))
    if target is not None:
        if not isinstance(goal, str) or goal not in d.conclusions:
            raise ValueError(
                f"with a target, goal must be a conclusion of Theorem {d.key} "
                f"({', '.join(d.conclusions)}), got {goal!r}"
            )
        target = float(v.scalar("target", target))
    elif not isinstance(goal, str) or goal not in goals:
        more = f"; or a conclusion ({', '.join(d.conclusions)}) with target="
        raise ValueError(f"goal must be one of {', '.join(map(repr, goals))}{more}, got {goal!r}")
    if extremum is not None and (not isinstance(extremum, str) or extremum not in ("min", "max")):
        raise ValueError(f"extremum must be 'min' or 'max', got {extremum!r}")
    ext = extremum or ("max" if unknown == "alpha" else "min")
    values = {k_: val for k_, val in values.items() if val is not None}
    tied = {"y_info", "y_nuisance"} <= set(d.inputs)  # y_info^2 + y_nuisance^2 = n
    if unknown == "n" and tied and {"y_info", "y_nuisance"} & set(values):
        given = sorted({"y_info", "y_nuisance"} & set(values))
        raise ValueError(
            f"solving Theorem {d.key} for n: {' and '.join(given)} are absolute norms, which fix "
            "n (y_info^2 + y_nuisance^2 = ||y||^2 = n); give the label split as fractions of "
            "||y|| = sqrt(n) instead (y_info_fraction, y_nuisance_fraction; and X_norm_fraction "
            "for ||X||/sqrt(n))"
        )
    # Fractions need n: with n the unknown, the absolute inputs they set are checked per value.
    probe = fr.absolute(d.key, **{**values, "n": 1} if unknown == "n" else values)
    omit = (unknown, *(name for name in probe if name not in values and name != "n"))
    checked = check_arguments(
        d, {k_: val for k_, val in probe.items() if k_ not in omit}, omit=omit
    )
    if unknown != "n":
        values = probe
    for name, arr in checked.items():
        if np.ndim(arr):
            raise ValueError(f"solve_for needs scalar values; {name} has shape {np.shape(arr)}")
    for name in fr.FRACTIONS:
        if np.ndim(values.get(name, 0.0)):
            raise ValueError(f"solve_for needs scalar values; {name} is an array")
    lo, hi = (
        _check_search(search)
        if search is not None
        else {"alpha": (1e-8, 10.0), "k": (1.0, 1e60), "n": (1.0, 1e30)}.get(unknown, (1e-12, 1e12))
    )
    errors: list[ValueError] = []
    ok0 = _predicate(d.key, unknown, goal, dict(values), errors, target)
    integer = unknown in ("k", "n", "K", "C")
    rnd = np.ceil if ext == "min" else np.floor

    def ok(x: float) -> bool:
        return ok0(float(rnd(x)) if integer else x)

    grid = np.geomspace(lo, hi, 400)
    # Fast path: the same error at both ends and the middle of the range does not come from the
    # unknown (its messages name the inputs involved, with their values): report it at once.
    for x in (grid[0], grid[len(grid) // 2], grid[-1]):
        ok(float(x))
    if len(errors) == 3 and len({str(e) for e in errors}) == 1:
        raise ValueError(
            f"Theorem {d.key} cannot be evaluated for any {unknown} in [{lo:g}, {hi:g}]: "
            f"{errors[0]}"
        )
    errors.clear()
    mask = np.array([ok(float(x)) for x in grid])
    what = f"{goal} <= {target:g}" if target is not None else repr(goal)
    if not mask.any():
        if len(errors) == len(grid):
            # Not one value of the unknown gives a valid evaluation: the other inputs are at
            # fault (or the search range is), so say why instead of "no k satisfies".
            raise ValueError(
                f"Theorem {d.key} cannot be evaluated for any {unknown} in [{lo:g}, {hi:g}]: "
                f"{errors[0]}"
            )
        raise ValueError(f"no {unknown} in [{lo:g}, {hi:g}] satisfies {what} for Theorem {d.key}")
    i = int(np.argmax(mask)) if ext == "min" else int(len(mask) - 1 - np.argmax(mask[::-1]))
    # Refine the boundary between grid[i] (feasible) and its infeasible neighbour.
    j = i - 1 if ext == "min" else i + 1
    x = float(grid[i])
    if 0 <= j < len(grid):
        # Bisection between the infeasible neighbour and the feasible grid point, down to
        # adjacent floats; the feasible end is returned.
        bad = float(grid[j])
        for _ in range(200):
            mid = 0.5 * (bad + x)
            if mid in (bad, x):
                break
            if ok(mid):
                x = mid
            else:
                bad = mid
    if integer:
        x = float(rnd(x))
    at = fr.absolute(d.key, **{**values, unknown: x})
    rep = evaluate(d.key, **at)
    g_eff = rep.inputs.get("Gamma_effective")
    g_eff_f = None if g_eff is None else float(g_eff)
    exact = _exact(d, unknown, goal, target, values, g_eff is not None)
    return Solution(
        unknown,
        x,
        goal,
        exact,
        target,
        g_eff_f,
        _exact_value(exact, {**values, **at}, rep.inputs, g_eff_f),
        rep,
    )


def _what_was_used(d: TheoremDef, expr: sp.Basic, given: dict[str, Any], gamma_eff: bool) -> Any:
    """``expr`` in what the number used: derived values and the defaults not given substituted,
    fractions as ``fraction * sqrt(n)``, ``Gamma_eff`` for ``Gamma``."""
    subs = {SYMBOLS[name]: e for name, e in d.derived.items()}
    subs.update({SYMBOLS[name]: e for name, e in d.defaults.items() if name not in given})
    for _ in range(3):  # defaults may refer to derived values and to each other
        expr = expr.subs(subs)
    n = SYMBOLS["n"]
    fsub = {}
    present = [f for f in fr.FRACTIONS if given.get(f) is not None]
    for f in present:
        fsub[SYMBOLS[fr.FRACTIONS[f]]] = FRACTION_SYMBOLS[f] * sp.sqrt(n)
    pair = ("y_info_fraction", "y_nuisance_fraction")
    for a, b in (pair, pair[::-1]):
        absent = SYMBOLS[fr.FRACTIONS[b]]
        if a in present and b not in present and fr.FRACTIONS[b] not in given:
            fsub[absent] = sp.sqrt(1 - FRACTION_SYMBOLS[a] ** 2) * sp.sqrt(n)
    expr = expr.subs(fsub)
    if gamma_eff:
        expr = expr.subs(SYMBOLS["Gamma"], GAMMA_EFF)
    return expr


def _exact(
    d: TheoremDef,
    unknown: str,
    goal: str,
    target: float | None,
    given: dict[str, Any],
    gamma_eff: bool,
) -> sp.Basic | None:
    if target is not None:
        # sympy's solve can take minutes on a sum of terms (the error bound); not attempted.
        return None
    cond = next((c for c in d.conditions if c.name == goal), None)
    if cond is None:
        return None
    lhs, rhs = cond.lhs, cond.rhs
    sym = SYMBOLS[unknown]
    lhs = _what_was_used(d, lhs, given, gamma_eff)
    rhs = _what_was_used(d, rhs, given, gamma_eff)
    if sym not in (lhs - rhs).free_symbols or sp.count_ops(lhs - rhs) > 120:
        return None
    try:
        sols = sp.solve(sp.Eq(lhs, rhs), sym)
    except (NotImplementedError, TypeError, ValueError):
        return None
    return sols[0] if len(sols) == 1 else None


def _exact_value(
    exact: sp.Basic | None,
    values: dict[str, Any],
    inputs: Any,
    gamma_eff: float | None,
) -> float | None:
    """``exact`` at the inputs (and ``Gamma_eff``); None if not a finite real number."""
    if exact is None:
        return None
    subs: dict[sp.Basic, Any] = {}
    for s_ in exact.free_symbols:
        name = str(s_)
        if s_ is GAMMA_EFF:
            if gamma_eff is None:
                return None
            subs[s_] = gamma_eff
        elif name in values:
            subs[s_] = float(values[name])
        elif name in inputs:
            subs[s_] = float(np.asarray(inputs[name]))
        else:
            return None
    try:
        val = complex(sp.N(exact.subs(subs)))
    except (TypeError, ValueError):
        return None
    if abs(val.imag) > 1e-12 * max(abs(val.real), 1.0) or not np.isfinite(val.real):
        return None
    return float(val.real)
