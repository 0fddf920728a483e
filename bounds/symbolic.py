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

from . import validate as v
from .formulas import DEFS, LATEX_NAMES, SYMBOLS, TheoremDef, get
from .theorems import check_arguments, evaluate

__all__ = ["Solution", "expanded", "latex", "solve_for"]

_SYMBOL_NAMES = {SYMBOLS[k]: v for k, v in LATEX_NAMES.items() if k in SYMBOLS}


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
        ``"nonvacuous"``, ``"rigorous"`` or a condition name.
    exact : sympy expression or None
        The boundary in closed form when sympy finds one.
    """

    unknown: str
    value: float
    goal: str
    exact: sp.Basic | None = None


def _predicate(
    key: str, unknown: str, goal: str, values: dict[str, Any], errors: list[ValueError]
) -> Any:
    def ok(x: float) -> bool:
        try:
            rep = evaluate(key, **{**values, unknown: x})
        except ValueError as exc:
            # Out of range for this value of the unknown (e.g. alpha above lambda_1): infeasible.
            # Kept so that an error at every value is reported instead of "no k satisfies".
            errors.append(exc)
            return False
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
        A condition name (``"width"`` by default), ``"rigorous"`` (all hypotheses) or
        ``"nonvacuous"`` (headline bound below its vacuity threshold).
    extremum : {"min", "max"}, optional
        Default ``"max"`` for ``alpha`` and ``"min"`` otherwise.
    search : (float, float), optional
        Bracket to search (log-spaced scan, then bisection); defaults depend on the unknown.
    **values
        Every other input of the theorem.

    Notes
    -----
    Data quantities (projections, distances) are held fixed although in reality they depend on
    ``n`` and ``alpha``; the answer is what the formula needs at those values.
    """
    d = get(v.theorem_key(key))
    if not isinstance(unknown, str) or (unknown not in d.inputs and unknown not in d.defaults):
        raise ValueError(
            f"unknown must be an input of Theorem {d.key} ({', '.join(d.inputs)}), got {unknown!r}"
        )
    if values.get(unknown) is not None:
        raise ValueError(f"{unknown} is the unknown solved for; do not pass a value for it")
    goals = ("nonvacuous", "rigorous", *(c.name for c in d.conditions))
    if not isinstance(goal, str) or goal not in goals:
        raise ValueError(f"goal must be one of {', '.join(map(repr, goals))}, got {goal!r}")
    if extremum is not None and (not isinstance(extremum, str) or extremum not in ("min", "max")):
        raise ValueError(f"extremum must be 'min' or 'max', got {extremum!r}")
    ext = extremum or ("max" if unknown == "alpha" else "min")
    checked = check_arguments(d, values, omit=(unknown,))
    for name, arr in checked.items():
        if np.ndim(arr):
            raise ValueError(f"solve_for needs scalar values; {name} has shape {np.shape(arr)}")
    lo, hi = (
        _check_search(search)
        if search is not None
        else {"alpha": (1e-8, 10.0), "k": (1.0, 1e60), "n": (1.0, 1e30)}.get(unknown, (1e-12, 1e12))
    )
    errors: list[ValueError] = []
    ok0 = _predicate(d.key, unknown, goal, dict(values), errors)
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
    if not mask.any():
        if len(errors) == len(grid):
            # Not one value of the unknown gives a valid evaluation: the other inputs are at
            # fault (or the search range is), so say why instead of "no k satisfies".
            raise ValueError(
                f"Theorem {d.key} cannot be evaluated for any {unknown} in [{lo:g}, {hi:g}]: "
                f"{errors[0]}"
            )
        raise ValueError(f"no {unknown} in [{lo:g}, {hi:g}] satisfies {goal!r} for Theorem {d.key}")
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
    return Solution(unknown, x, goal, _exact(d, unknown, goal))


def _exact(d: TheoremDef, unknown: str, goal: str) -> sp.Basic | None:
    cond = next((c for c in d.conditions if c.name == goal), None)
    if cond is None:
        return None
    sym = SYMBOLS[unknown]
    lhs, rhs = expanded(d, cond.lhs), expanded(d, cond.rhs)
    if sym not in (lhs - rhs).free_symbols:
        return None
    try:
        sols = sp.solve(sp.Eq(lhs, rhs), sym)
    except (NotImplementedError, TypeError):
        return None
    return sols[0] if len(sols) == 1 else None
