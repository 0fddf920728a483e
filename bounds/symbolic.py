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

from .formulas import DEFS, LATEX_NAMES, SYMBOLS, TheoremDef, get
from .theorems import evaluate

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


def _predicate(key: str, unknown: str, goal: str, values: dict[str, Any]) -> Any:
    def ok(x: float) -> bool:
        try:
            rep = evaluate(key, **{**values, unknown: x})
        except ValueError:
            return False
        if goal == "nonvacuous":
            return not bool(rep.vacuous)
        if goal == "rigorous":
            return bool(rep.hypotheses_hold)
        conds = {c.name: c for c in rep.conditions}
        if goal not in conds:
            raise ValueError(f"goal must be 'nonvacuous', 'rigorous' or one of {sorted(conds)}")
        return bool(conds[goal].holds)

    return ok


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
    d = get(key)
    if unknown not in d.inputs and unknown not in d.defaults:
        raise ValueError(f"unknown must be an input of Theorem {d.key}: {', '.join(d.inputs)}")
    ext = extremum or ("max" if unknown == "alpha" else "min")
    if ext not in ("min", "max"):
        raise ValueError(f"extremum must be 'min' or 'max', got {ext!r}")
    lo, hi = search or {"alpha": (1e-8, 10.0), "k": (1.0, 1e60), "n": (1.0, 1e30)}.get(
        unknown, (1e-12, 1e12)
    )
    ok0 = _predicate(d.key, unknown, goal, dict(values))
    integer = unknown in ("k", "n", "K", "C")
    rnd = np.ceil if ext == "min" else np.floor

    def ok(x: float) -> bool:
        return ok0(float(rnd(x)) if integer else x)

    grid = np.geomspace(lo, hi, 400)
    mask = np.array([ok(float(x)) for x in grid])
    if not mask.any():
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
