"""Inputs given relative to ``sqrt(n)``, so that ``n`` can vary with everything else consistent.

The theorems read absolute norms: ``y_info = ||Pi_I(y)||``, ``y_nuisance = ||Pi_N(y)||`` (with
``y_info^2 + y_nuisance^2 = ||y||^2 = n`` for one-hot labels) and ``||X||`` (at most ``sqrt(n)``
for unit-norm rows).  Held fixed while ``n`` changes, they describe a different dataset at every
``n`` (and the Pythagoras check refuses every ``n`` but one).  Fractions of ``sqrt(n)`` keep the
label split and the conditioning of ``X`` fixed instead:

=====================  =============================  ==========
fraction               absolute input                 range
=====================  =============================  ==========
``y_info_fraction``    ``y_info = f sqrt(n)``         [0, 1]
``y_nuisance_fraction`` ``y_nuisance = f sqrt(n)``    [0, 1]
``X_norm_fraction``    ``X_norm = f sqrt(n)``         (0, inf)
=====================  =============================  ==========

Given one of the two label fractions, the other is ``sqrt(1 - f^2)``; given both, they must
satisfy ``f_I^2 + f_N^2 = 1`` (relative :data:`bounds.theorems.PYTHAGORAS_RTOL`).  With the
fractions, ``c = y_info / sqrt(n)`` (the default of 6.23-6.25) is ``y_info_fraction``.
``y_pinv`` and ``distance`` stay absolute: ``Sigma(X)`` grows like ``n``, so ``||J_I^+ y||``
(``||y|| / lambda``) stays of order one.

>>> vals = absolute("6.24", n=100.0, y_info_fraction=0.8)
>>> round(float(vals["y_info"]), 12), round(float(vals["y_nuisance"]), 12)
(8.0, 6.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import validate as v
from .formulas import get

__all__ = ["FRACTIONS", "absolute", "fraction_names"]

#: Fraction name -> the absolute input it sets (``fraction * sqrt(n)``).
FRACTIONS: dict[str, str] = {
    "y_info_fraction": "y_info",
    "y_nuisance_fraction": "y_nuisance",
    "X_norm_fraction": "X_norm",
}
_PAIR = ("y_info_fraction", "y_nuisance_fraction")


def fraction_names(key: str) -> tuple[str, ...]:
    """The fractions Theorem ``key`` accepts: those whose absolute input it takes, with ``n``."""
    d = get(v.theorem_key(key))
    takes = (*d.inputs, *d.defaults)
    if "n" not in takes:
        return ()
    return tuple(f for f, a in FRACTIONS.items() if a in takes)


def _check(key: str, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
    d = get(v.theorem_key(key))
    allowed = fraction_names(d.key)
    out: dict[str, np.ndarray] = {}
    for name in FRACTIONS:
        if values.get(name) is None:
            continue
        if name not in allowed:
            raise ValueError(
                f"Theorem {d.key} takes no argument {name!r}"
                + (f"; fractions it takes: {', '.join(allowed)}" if allowed else "")
            )
        if values.get(FRACTIONS[name]) is not None:
            raise ValueError(
                f"pass either {name} or {FRACTIONS[name]}, not both ({name} sets "
                f"{FRACTIONS[name]} = {name} * sqrt(n))"
            )
        if name == "X_norm_fraction":
            out[name] = v.positive(name, values[name])
        else:
            out[name] = v.in_range(name, values[name], 0.0, 1.0)
    if all(p in out for p in _PAIR) and "y_info" in d.inputs:
        from .theorems import PYTHAGORAS_RTOL

        tot = out[_PAIR[0]] ** 2 + out[_PAIR[1]] ** 2
        if not np.allclose(tot, 1.0, rtol=PYTHAGORAS_RTOL, atol=0.0):
            raise ValueError(
                "y_info_fraction and y_nuisance_fraction must satisfy y_info_fraction^2 + "
                f"y_nuisance_fraction^2 = 1 (fractions of ||y||); got {float(np.ravel(tot)[0]):.6g}"
                " (pass one of them alone and the other is computed)"
            )
    return out


def given(values: Mapping[str, Any]) -> bool:
    """Whether ``values`` holds any fraction."""
    return any(values.get(f) is not None for f in FRACTIONS)


def absolute(key: str, **values: Any) -> dict[str, Any]:
    """``values`` with the fractions replaced by the absolute inputs of Theorem ``key``.

    Needs ``n`` when a fraction is given; grids broadcast (``n`` and a fraction may both be
    arrays).  Raises ``ValueError`` naming the fraction when it is out of range, given with its
    absolute input, not taken by the theorem, or when the two label fractions disagree.
    """
    d = get(v.theorem_key(key))
    fr = _check(d.key, values)
    rest = {k_: val for k_, val in values.items() if k_ not in FRACTIONS}
    if not fr:
        return rest
    if rest.get("n") is None:
        raise ValueError(f"{', '.join(fr)} need n (they are fractions of sqrt(n))")
    root_n = np.sqrt(v.positive_int("n", rest["n"]))
    if "y_info" in d.inputs and "y_nuisance" in d.inputs:
        # One label fraction fixes the other, unless its absolute norm is given too (then the
        # Pythagoras check of the theorem compares them).
        for a, b in (_PAIR, _PAIR[::-1]):
            if a in fr and b not in fr and rest.get(FRACTIONS[b]) is None:
                fr[b] = np.sqrt(np.maximum(1.0 - fr[a] ** 2, 0.0))
    for name, f in fr.items():
        rest[FRACTIONS[name]] = f * root_n
    return rest
