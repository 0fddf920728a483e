"""Input fuzzer for every public entry point of ``bounds`` and every ``jacobound`` subcommand.

The contract checked (issue #8, section 4):

* a bad input raises :class:`ValueError` or :class:`TypeError` whose message names the argument
  (the CLI prints one line on stderr and exits 2);
* an accepted input gives finite conclusions (a :class:`~bounds.Report` whose every number is
  finite, that prints, and whose ``to_dict`` is strict JSON), and ``--json`` prints strict JSON.

Each call is classified as ``ok`` (accepted, result sound), ``clean`` (the contract's error),
``unclear`` (ValueError/TypeError that does not name the argument, or a CLI error that is not one
line with exit 2), ``traceback`` (any other exception) or ``silent`` (accepted but the result is
non-finite, empty, not JSON, or a value that must be rejected was accepted).

Run ``PYTHONPATH=. python tests/fuzz_inputs.py [--random 15000] [--seed 0] [-v]`` for the figures;
``tests/test_fuzz.py`` drives the same cases with hypothesis.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import bounds
from bounds import formulas as F
from bounds import kernels, symbolic
from bounds.spectral import InfoNuisance

# ---------------------------------------------------------------------------- valid points
#: One valid value per theorem input, by name.  Chosen so that every registered theorem is
#: evaluable at the same table: n = 100, ||X|| = sqrt(n), ||y||^2 = 81 + 19 = n, r0 = (4, 3, 5).
GOOD: dict[str, float] = {
    "alpha": 0.1,
    "Gamma": 2.0,
    "zeta": 0.1,
    "delta": 0.1,
    "k": 100.0,
    "n": 100.0,
    "K": 2.0,
    "C": 2.0,
    "B": 1.0,
    "nu": 1.0,
    "eta": 1e-3,
    "c": 0.5,
    "C_r": 1.0,
    "lambda_M": 0.2,
    "X_norm": 10.0,
    "beta": 4.0,
    "lambda_1": 10.0,
    "y_norm": 10.0,
    "M_W": 1.0,
    "R": 1.0,
    "energy": 1.0,
    "sigma": 0.01,
    "y_info": 9.0,
    "y_nuisance": math.sqrt(19.0),
    "y_pinv": 5.0,
    "r0_norm": 5.0,
    "r0_info": 4.0,
    "r0_nuisance": 3.0,
    "r0_pinv": 2.0,
    "distance": 2.0,
    "eps0": 0.0,
    "eps": 0.0,
    "M_V": 0.0,
    "train_loss": 0.1,
}


def theorem_keys() -> list[str]:
    """Every registered theorem (the registry, so new ones are covered automatically)."""
    return [key for key, _fn, _title in bounds.list_theorems()]


def base_point(key: str) -> dict[str, float]:
    """Valid required inputs of theorem ``key`` (KeyError names a symbol missing from GOOD)."""
    return {name: GOOD[name] for name in F.get(key).inputs}


# ---------------------------------------------------------------------------- bad values
class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


#: (label, value, must_reject).  ``must_reject`` values can never be a valid number; the others
#: (0, -1, 1e308, ...) are invalid for some parameters and valid for others.
BAD: list[tuple[str, Any, bool]] = [
    ("nan", float("nan"), True),
    ("inf", float("inf"), True),
    ("-inf", -float("inf"), True),
    ("np.nan", np.float64("nan"), True),
    ("int 10**400", 10**400, True),
    ("-int 10**400", -(10**400), True),
    ("complex", 1.0 + 1.0j, True),
    ("complex real", 2.0 + 0.0j, True),
    ("complex array", np.array([1.0 + 2.0j]), True),
    ("string", "abc", True),
    ("numeric string", "1.5", True),
    ("bytes", b"1", True),
    ("empty list", [], True),
    ("empty array", np.array([]), True),
    ("empty 2d", np.zeros((0, 3)), True),
    ("ragged", [[1.0], [1.0, 2.0]], True),
    ("dict", {"a": 1}, True),
    ("object", _Opaque(), True),
    ("bool True", True, True),
    ("bool False", False, True),
    ("bool array", np.array([True, False]), True),
    ("nan in array", np.array([1.0, np.nan]), True),
    ("zero", 0.0, False),
    ("negative", -1.0, False),
    ("int zero", 0, False),
    ("tiny", 1e-300, False),
    ("subnormal", 5e-324, False),
    ("huge", 1e308, False),
    ("big", 1e200, False),
    ("-huge", -1e308, False),
    ("half", 0.5, False),
    ("non-integer", 2.5, False),
    ("one", 1.0, False),
    ("float32", np.float32(3.0), False),
    ("int64", np.int64(50), False),
    ("grid", np.array([0.05, 0.1, 0.2]), False),
    ("grid 2x1", np.array([[0.05], [0.1]]), False),
    ("length-2 grid", np.array([0.1, 0.2]), False),
]


# ---------------------------------------------------------------------------- classification
@dataclass
class Outcome:
    kind: str  # ok | clean | unclear | traceback | silent
    label: str
    detail: str = ""


def _names_argument(msg: str, names: Sequence[str]) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", msg) for n in names)


def _finite_tree(x: Any, where: str) -> str | None:
    if isinstance(x, dict):
        for k, val in x.items():
            bad = _finite_tree(val, f"{where}.{k}")
            if bad:
                return bad
        return None
    if isinstance(x, list | tuple):
        for i, val in enumerate(x):
            bad = _finite_tree(val, f"{where}[{i}]")
            if bad:
                return bad
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return f"{where} = {x}"
    return None


def _strict_json(obj: Any) -> str | None:
    try:
        json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"not strict JSON: {exc}"
    return None


def check_report(rep: Any) -> str | None:
    """None if ``rep`` is a sound report, else what is wrong with it."""
    if not isinstance(rep, bounds.Report):
        return f"returned {type(rep).__name__}, not a Report"
    if not rep.conclusions:
        return "no conclusions"
    for name, val in rep.conclusions.items():
        arr = np.asarray(val)
        if arr.size == 0:
            return f"conclusion {name} is empty"
        if arr.dtype.kind not in "fiu":
            return f"conclusion {name} has dtype {arr.dtype}"
        if not np.all(np.isfinite(arr)):
            return f"conclusion {name} is not finite: {arr}"
    for label in ("cutoff", "step_size", "iterations", "probability", "vacuous_threshold"):
        val = getattr(rep, label)
        if val is not None and not np.all(np.isfinite(np.asarray(val, dtype=float))):
            return f"{label} is not finite: {val}"
    if rep.probability is not None:
        p = np.asarray(rep.probability, dtype=float)
        if np.any(p > 1) or np.any(p < -1e-12):
            return f"probability {p} outside [0, 1]"
    for c in rep.conditions:
        for side in (c.lhs, c.rhs):
            if not np.all(np.isfinite(np.asarray(side, dtype=float))):
                return f"hypothesis {c.name}: side {side} is not finite"
    try:
        text = str(rep)
        d = rep.to_dict()
    except Exception as exc:
        return f"printing the report raised {type(exc).__name__}: {exc}"
    if not text:
        return "empty printout"
    bad = _finite_tree(d, "to_dict()") or _strict_json(d)
    return bad


def call(
    label: str,
    fn: Callable[[], Any],
    names: Sequence[str],
    *,
    must_reject: bool = False,
    check: Callable[[Any], str | None] = check_report,
) -> Outcome:
    """Run ``fn`` and classify it; ``names`` are the argument names an error may cite."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            out = fn()
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        if "\n" not in msg.strip() and _names_argument(msg, names):
            return Outcome("clean", label, msg)
        return Outcome("unclear", label, f"{type(exc).__name__}: {msg}")
    except Exception as exc:
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome("traceback", label, tb)
    if must_reject:
        return Outcome("silent", label, "a value that is never valid was accepted")
    bad = check(out)
    return Outcome("silent", label, bad) if bad else Outcome("ok", label)


# ---------------------------------------------------------------------------- API cases
def _X(n: int = 12, d: int = 5, seed: int = 0) -> np.ndarray:
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _y(n: int = 12, K: int = 2, seed: int = 0) -> np.ndarray:
    labels = np.arange(n) % K
    np.random.default_rng(seed).shuffle(labels)
    return np.eye(K)[labels]


def _split() -> InfoNuisance:
    J = np.diag([3.0, 2.0, 0.5, 0.1])
    return InfoNuisance.from_jacobian(J, cutoff=1.0)


FROM_DATA_SCALARS = {
    "6.23": dict(alpha=0.05, Gamma=2.0, zeta=0.05, k=10**6),
    "6.24": dict(alpha=0.05, Gamma=2.0, zeta=0.05, delta=0.1, k=10**6),
    "6.25": dict(alpha=0.05, Gamma=2.0, zeta=0.05, delta=0.1, k=10**6),
    "2.2": dict(alpha=0.05, Gamma=2.0, k=10**6),
    "A.3": dict(Gamma=2.0, zeta=0.1, delta=0.1, k=10**6, C=2, sigma=0.01),
}
FROM_J_SCALARS = {
    "6.21": dict(alpha=0.1, Gamma=2.0, zeta=0.1, delta=0.1, k=100, n=6, nu=1.0, B=1.0, X_norm=2.0),
    "6.22": dict(alpha=0.1, Gamma=2.0, zeta=0.1, delta=0.1, k=100, n=6, nu=1.0, B=1.0, X_norm=2.0),
    "2.3": dict(alpha=0.1, Gamma=2.0, k=100, n=6),
    "5.3": dict(alpha=0.5, Gamma=2.0, delta=0.5, beta=4.0, eps0=0.0, eps=0.0),
    "L6.19": dict(alpha=0.5, Gamma=2.0, delta=0.5, k=100, nu=1.0, B=1.0, X_norm=2.0, eps0=0.0),
    "L6.20": dict(
        alpha=0.5, Gamma=2.0, zeta=0.5, k=100, nu=1.0, B=1.0, X_norm=2.0, eps0=0.0, c=0.5
    ),
}


def _centers(K: int = 2, C: int = 2, d: int = 5) -> np.ndarray:
    return _X(K * C, d, seed=7)


def _r0(N: int = 12, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(N)


def _J(N: int = 12, p: int = 30, seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N, p)) / np.sqrt(p)


@dataclass
class Case:
    label: str
    fn: Callable[[], Any]
    names: tuple[str, ...]
    must_reject: bool = False
    check: Callable[[Any], str | None] = check_report


def _ok_array(out: Any) -> str | None:
    arr = np.asarray(out)
    if arr.size == 0:
        return "empty result"
    if arr.dtype.kind not in "fiu" or not np.all(np.isfinite(arr)):
        return f"non-finite or non-real result {arr.dtype}"
    return None


def _ok_solution(out: Any) -> str | None:
    if not isinstance(out, symbolic.Solution) or not math.isfinite(out.value):
        return f"bad solution {out!r}"
    return None


def _ok_any(out: Any) -> str | None:
    if isinstance(out, tuple):
        return check_report(out[0])
    return check_report(out)


def theorem_cases() -> Iterator[Case]:
    """Every theorem, every argument, every bad value; plus unknown/missing arguments and keys."""
    for key in theorem_keys():
        if key == "L6.2":
            continue
        d = F.get(key)
        fn = getattr(bounds, d.function_name)
        base = base_point(key)
        yield Case(f"{key} base", lambda fn=fn, b=base: fn(**b), ())
        for name in (*d.inputs, *d.defaults):
            for blabel, val, must in BAD:
                kw = {**base, name: val}
                yield Case(
                    f"{key} {name}={blabel}",
                    lambda fn=fn, kw=kw: fn(**kw),
                    (name,),
                    must,
                )
        for name in d.inputs:
            kw = {k_: v_ for k_, v_ in base.items() if k_ != name}
            yield Case(
                f"{key} missing {name}",
                lambda k=key, kw=kw: bounds.evaluate(k, **kw),
                (name,),
                True,
            )
        yield Case(
            f"{key} unknown arg",
            lambda k=key, b=base: bounds.evaluate(k, **b, bogus=1.0),
            ("bogus",),
            True,
        )
        for name in d.derived:
            yield Case(
                f"{key} derived {name}",
                lambda k=key, b=base, n=name: bounds.evaluate(k, **b, **{n: 1.0}),
                (name,),
                True,
            )
    for blabel, val in [
        ("float key", 6.24),
        ("int key", 5),
        ("None key", None),
        ("list key", ["6.24"]),
        ("unknown key", "9.99"),
        ("empty key", ""),
        ("bytes key", b"6.24"),
    ]:
        yield Case(
            f"evaluate key={blabel}",
            lambda val=val: bounds.evaluate(val, **base_point("6.24")),
            ("theorem", "key"),
            True,
        )


def lemma_6_2_cases() -> Iterator[Case]:
    split = _split()
    r0 = np.array([1.0, 2.0, 3.0, 4.0])
    yield Case("L6.2 base", lambda: bounds.lemma_6_2(split, r0, Gamma=2.0), ())
    for blabel, val, must in BAD:
        yield Case(
            f"L6.2 Gamma={blabel}",
            lambda val=val: bounds.lemma_6_2(split, r0, Gamma=val),
            ("Gamma",),
            must,
        )
        yield Case(
            f"L6.2 r0={blabel}",
            lambda val=val: bounds.lemma_6_2(split, val, Gamma=2.0),
            ("r0",),
            True,
        )
    for blabel, val in [("dict split", {}), ("None split", None), ("array split", np.eye(3))]:
        yield Case(
            f"L6.2 split={blabel}",
            lambda val=val: bounds.lemma_6_2(val, r0, Gamma=2.0),
            ("split",),
            True,
        )
    yield Case(
        "L6.2 r0 wrong length",
        lambda: bounds.lemma_6_2(split, np.ones(3), Gamma=2.0),
        ("r0",),
        True,
    )


def from_data_cases() -> Iterator[Case]:
    X, y = _X(), _y()
    M = _centers()
    for key, sc in FROM_DATA_SCALARS.items():
        extra: dict[str, Any] = {"centers": M} if key == "A.3" else {}

        def fd(
            key: str = key, X: Any = X, y: Any = y, extra: dict[str, Any] = extra, **kw: Any
        ) -> Any:
            return bounds.from_data(key, X, y, **{**extra, **kw})

        yield Case(f"from_data {key} base", lambda fd=fd, sc=sc: fd(**sc), ())
        for name in sc:
            for blabel, val, must in BAD:
                kw = {**sc, name: val}
                yield Case(
                    f"from_data {key} {name}={blabel}", lambda fd=fd, kw=kw: fd(**kw), (name,), must
                )
        for name in (
            "n",
            "K",
            "y_info",
            "y_nuisance",
            "y_pinv",
            "distance",
            "lambda_M",
            "nu",
            "bogus",
        ):
            if key == "A.3" and name in ("y_info", "y_nuisance", "y_pinv", "distance"):
                continue
            kw = {**sc, name: 1.0}
            yield Case(f"from_data {key} pass {name}", lambda fd=fd, kw=kw: fd(**kw), (name,), True)
        for blabel, val, _must in BAD:
            yield Case(
                f"from_data {key} X={blabel}",
                lambda fd=fd, val=val, sc=sc: fd(X=val, **sc),
                ("X",),
                True,
            )
            yield Case(
                f"from_data {key} y={blabel}",
                lambda fd=fd, val=val, sc=sc: fd(y=val, **sc),
                ("y",),
                True,
            )
        bad_xy = [
            ("X not unit", ("X",), dict(X=X * 2.0)),
            ("X rows mismatch", ("X", "y"), dict(X=X[:-1])),
            ("X 1-d", ("X",), dict(X=X[0])),
            ("X 3-d", ("X",), dict(X=X[None])),
            ("y not one-hot", ("y",), dict(y=y * 0.5)),
            ("y labels non-integer", ("y",), dict(y=(np.arange(12) % 2) + 0.5)),
            ("y labels negative", ("y",), dict(y=(np.arange(12) % 2) - 1)),
            ("y labels strings", ("y",), dict(y=np.array(["a", "b"] * 6))),
            ("y labels 2-d ints", ("y",), dict(y=(np.arange(24) % 3).reshape(12, 2))),
            ("y zero rows", ("y",), dict(y=np.zeros((12, 2)))),
        ]
        for blabel, names, kw in bad_xy:
            # A.3 reads X only through ||X||: its rows need not be unit norm (docs/theory.md#i14-mixture-unit-norm).
            must = not (key == "A.3" and blabel == "X not unit")
            yield Case(
                f"from_data {key} {blabel}", lambda fd=fd, kw=kw, sc=sc: fd(**kw, **sc), names, must
            )
        for blabel, val in [("unknown", "tanh"), ("int", 3), ("None", None), ("list", ["relu"])]:
            yield Case(
                f"from_data {key} activation={blabel}",
                lambda fd=fd, val=val, sc=sc: fd(activation=val, **sc),
                ("activation",),
                True,
            )
        for blabel, val in [
            ("0", 0),
            ("float", 3.5),
            ("huge", 10**6),
            ("bool", True),
            ("str", "8"),
            ("1e400", 10**400),
        ]:
            yield Case(
                f"from_data {key} degree={blabel}",
                lambda fd=fd, val=val, sc=sc: fd(degree=val, **sc),
                ("degree",),
                True,
            )
        if key == "A.3":
            centers_bad = [
                ("wrong count", M[:3]),
                ("wrong dim", _X(4, 6, seed=3)),
                ("duplicate", np.vstack([M[:3], M[:1]])),
                (
                    "near-duplicate",
                    np.vstack([M[:3], (M[0] + 1e-9 * M[1]) / np.linalg.norm(M[0] + 1e-9 * M[1])]),
                ),
                ("not unit", M * 3.0),
                ("1-d", M[0]),
                ("nan", np.full_like(M, np.nan)),
                ("empty", np.zeros((0, 5))),
                ("None", None),
                ("string", "abc"),
                ("complex", M + 1j),
            ]
            for blabel, val in centers_bad:
                yield Case(
                    f"from_data A.3 centers={blabel}",
                    lambda fd=fd, val=val, sc=sc: fd(extra={"centers": val}, **sc),
                    ("centers",),
                    True,
                )
        else:
            lam, U = np.linalg.eigh(kernels.ntk(X))
            for blabel, val in [
                ("ok", (lam, U)),
                ("wrong shape", (lam[:-1], U)),
                ("nan", (lam * np.nan, U)),
                ("not a pair", lam),
                ("None pair", (None, None)),
                ("three", (lam, U, U)),
                ("negative", (-np.abs(lam) - 1, U)),
            ]:
                yield Case(
                    f"from_data {key} kernel_eigh={blabel}",
                    lambda fd=fd, val=val, sc=sc: fd(kernel_eigh=val, **sc),
                    ("kernel_eigh",),
                    blabel != "ok",
                )
    for blabel, val in [("float", 6.24), ("None", None), ("5.3", "5.3"), ("unknown", "7.1")]:
        yield Case(
            f"from_data theorem={blabel}",
            lambda val=val: bounds.from_data(val, X, y, **FROM_DATA_SCALARS["6.24"]),
            ("theorem", "from_data", "from_jacobian"),
            True,
        )


def from_jacobian_cases() -> Iterator[Case]:
    r0, J = _r0(), _J()
    G = J @ J.T
    for key, sc in FROM_J_SCALARS.items():
        yield Case(
            f"from_jacobian {key} J",
            lambda key=key, sc=sc: bounds.from_jacobian(key, r0=r0, J=J, **sc),
            (),
        )
        yield Case(
            f"from_jacobian {key} gram",
            lambda key=key, sc=sc: bounds.from_jacobian(key, r0=r0, gram=G, **sc),
            (),
        )
        for name in sc:
            for blabel, val, must in BAD:
                kw = {**sc, name: val}
                yield Case(
                    f"from_jacobian {key} {name}={blabel}",
                    lambda key=key, kw=kw: bounds.from_jacobian(key, r0=r0, J=J, **kw),
                    (name,),
                    must,
                )
        for blabel, val, _must in BAD:
            yield Case(
                f"from_jacobian {key} r0={blabel}",
                lambda key=key, val=val, sc=sc: bounds.from_jacobian(key, r0=val, J=J, **sc),
                ("r0",),
                True,
            )
            yield Case(
                f"from_jacobian {key} J={blabel}",
                lambda key=key, val=val, sc=sc: bounds.from_jacobian(key, r0=r0, J=val, **sc),
                ("J",),
                True,
            )
            yield Case(
                f"from_jacobian {key} gram={blabel}",
                lambda key=key, val=val, sc=sc: bounds.from_jacobian(key, r0=r0, gram=val, **sc),
                ("gram",),
                True,
            )
        for blabel, names, kw in [
            ("J and gram", ("J", "gram"), dict(J=J, gram=G)),
            ("neither", ("J", "gram"), {}),
            ("J rows", ("J",), dict(J=J[:-1])),
            ("gram shape", ("gram",), dict(gram=G[:-1])),
            ("gram asym", ("gram",), dict(gram=G + np.triu(np.ones_like(G)))),
            ("gram not psd", ("gram",), dict(gram=-G)),
        ]:
            yield Case(
                f"from_jacobian {key} {blabel}",
                lambda key=key, kw=kw, sc=sc: bounds.from_jacobian(key, r0=r0, **kw, **sc),
                names,
                True,
            )
        yield Case(
            f"from_jacobian {key} bogus",
            lambda key=key, sc=sc: bounds.from_jacobian(key, r0=r0, J=J, bogus=1.0, **sc),
            ("bogus",),
            True,
        )
    yield Case(
        "from_jacobian 6.21 n not dividing",
        lambda: bounds.from_jacobian("6.21", r0=r0, J=J, **{**FROM_J_SCALARS["6.21"], "n": 5}),
        ("n",),
        True,
    )
    yield Case(
        "from_jacobian 6.21 missing n",
        lambda: bounds.from_jacobian(
            "6.21", r0=r0, J=J, **{k: v for k, v in FROM_J_SCALARS["6.21"].items() if k != "n"}
        ),
        ("n",),
        True,
    )
    for blabel, val in [("float", 6.21), ("None", None), ("6.24", "6.24")]:
        yield Case(
            f"from_jacobian theorem={blabel}",
            lambda val=val: bounds.from_jacobian(val, r0=r0, J=J, **FROM_J_SCALARS["6.21"]),
            ("theorem", "from_data", "from_jacobian"),
            True,
        )


SOLVE_POINT = dict(
    alpha=0.3,
    Gamma=2,
    zeta=0.1,
    delta=0.05,
    n=1000,
    K=10,
    B=1,
    X_norm=30,
    y_info=30,
    y_nuisance=10,
    y_pinv=5,
)


def solve_cases() -> Iterator[Case]:
    sp_ = SOLVE_POINT

    def solve(*a: Any, **kw: Any) -> Any:
        return symbolic.solve_for(*a, **kw)

    yield Case("solve base", lambda: solve("6.24", "k", **sp_), (), check=_ok_solution)
    for name in sp_:
        for blabel, val, must in BAD:
            if blabel in ("grid", "grid 2x1", "length-2 grid", "bool array", "nan in array"):
                must = True
            kw = {**sp_, name: val}
            yield Case(
                f"solve {name}={blabel}",
                lambda kw=kw: solve("6.24", "k", **kw),
                (name,),
                must,
                _ok_solution,
            )
    for blabel, names, a, kw in [
        (
            "alpha above lambda_1",
            ("alpha", "lambda_1", "cutoff"),
            ("6.24", "k"),
            {**sp_, "alpha": 50.0},
        ),
        ("unknown input", ("bogus",), ("6.24", "k"), {**sp_, "bogus": 1.0}),
        (
            "missing input",
            ("y_pinv",),
            ("6.24", "k"),
            {k: v for k, v in sp_.items() if k != "y_pinv"},
        ),
        ("unknown=bogus", ("unknown", "bogus"), ("6.24", "bogus"), sp_),
        ("unknown=list", ("unknown",), ("6.24", ["k"]), sp_),
        ("unknown=None", ("unknown",), ("6.24", None), sp_),
        ("key float", ("theorem", "key"), (6.24, "k"), sp_),
        ("key unknown", ("theorem", "key"), ("9.9", "k"), sp_),
        ("goal bogus", ("goal",), ("6.24", "k"), {**sp_, "goal": "bogus"}),
        ("goal list", ("goal",), ("6.24", "k"), {**sp_, "goal": ["width"]}),
        ("goal None", ("goal",), ("6.24", "k"), {**sp_, "goal": None}),
        ("extremum bogus", ("extremum",), ("6.24", "k"), {**sp_, "extremum": "mid"}),
        ("extremum list", ("extremum",), ("6.24", "k"), {**sp_, "extremum": ["min"]}),
        ("search reversed", ("search",), ("6.24", "k"), {**sp_, "search": (1e6, 1.0)}),
        ("search nan", ("search",), ("6.24", "k"), {**sp_, "search": (float("nan"), 1.0)}),
        ("search negative", ("search",), ("6.24", "k"), {**sp_, "search": (-1.0, 10.0)}),
        ("search one", ("search",), ("6.24", "k"), {**sp_, "search": (1.0,)}),
        ("search str", ("search",), ("6.24", "k"), {**sp_, "search": "1,2"}),
        ("search inf", ("search",), ("6.24", "k"), {**sp_, "search": (1.0, float("inf"))}),
        ("k given", ("k",), ("6.24", "n"), {**sp_, "n": None, "k": float("nan")}),
    ]:
        yield Case(f"solve {blabel}", lambda a=a, kw=kw: solve(*a, **kw), names, True, _ok_solution)
    for key in theorem_keys():
        if key == "L6.2":
            continue
        d = F.get(key)
        base = base_point(key)
        for unknown in d.inputs:
            kw = {k_: v_ for k_, v_ in base.items() if k_ != unknown}
            yield Case(
                f"solve {key} for {unknown} nan",
                lambda key=key, unknown=unknown, kw=kw: solve(
                    key, unknown, goal="rigorous", **{**kw, next(iter(kw)): float("nan")}
                ),
                (next(iter(kw)),),
                True,
                _ok_solution,
            )


def kernel_cases() -> Iterator[Case]:
    X = _X()
    for blabel, val, _must in BAD:
        # A (2, 1) array of non-zero entries is a valid matrix: two inputs of dimension 1 for
        # ntk(unit_norm=False), an operator norm, two outputs of one class.
        matrix_ok = blabel == "grid 2x1"
        yield Case(f"ntk X={blabel}", lambda val=val: kernels.ntk(val), ("X",), True, _ok_array)
        yield Case(
            f"ntk(unit_norm=False) X={blabel}",
            lambda val=val: kernels.ntk(val, unit_norm=False),
            ("X",),
            not matrix_ok,
            _ok_array,
        )
        yield Case(
            f"mntk K={blabel}",
            lambda val=val: kernels.mntk(X, val),
            ("K",),
            blabel not in ("one", "float32", "int64"),
            _ok_array,
        )
        yield Case(
            f"dual_expectation rho={blabel}",
            lambda val=val: kernels.dual_expectation(val),
            ("rho",),
            _must,
            _ok_array,
        )
        yield Case(
            f"dual_expectation a={blabel}",
            lambda val=val: kernels.dual_expectation(0.3, a=val),
            ("a",),
            _must,
            _ok_array,
        )
        yield Case(
            f"schur X_norm={blabel}",
            lambda val=val: kernels.schur_upper_bound(val),
            ("X_norm",),
            _must,
            _ok_array,
        )
        yield Case(
            f"schur B={blabel}",
            lambda val=val: kernels.schur_upper_bound(3.0, val),
            ("B",),
            _must,
            _ok_array,
        )
        yield Case(
            f"lambda_min_centers M={blabel}",
            lambda val=val: kernels.lambda_min_centers(val),
            ("M", "centers"),
            True,
            _ok_array,
        )
        yield Case(
            f"nu_random_init zeta={blabel}",
            lambda val=val: bounds.nu_random_init(zeta=val, K=2),
            ("zeta",),
            _must,
            _ok_array,
        )
        yield Case(
            f"spectral_norm X={blabel}",
            lambda val=val: bounds.spectral_norm(val),
            ("X",),
            not matrix_ok,
            _ok_array,
        )
        yield Case(
            f"class_major y={blabel}",
            lambda val=val: bounds.class_major(val),
            ("y",),
            not matrix_ok,
            _ok_array,
        )
        yield Case(
            f"kernel_split cutoff={blabel}",
            lambda val=val: kernels_split(X, 2, val),
            ("cutoff",),
            _must,
            lambda s: None,
        )
    for blabel, val in [
        ("0", 0),
        ("1", 1),
        ("float", 3.5),
        ("huge", 10**6),
        ("bool", True),
        ("str", "8"),
        ("None", None),
    ]:
        yield Case(
            f"ntk degree={blabel}",
            lambda val=val: kernels.ntk(X, degree=val),
            ("degree",),
            True,
            _ok_array,
        )
        yield Case(
            f"dual_interpolant points={blabel}",
            lambda val=val: kernels.dual_interpolant(points=val),
            ("points",),
            True,
            lambda s: None,
        )
        yield Case(
            f"dual_expectation chunk={blabel}",
            lambda val=val: kernels.dual_expectation(0.3, chunk=val),
            ("chunk",),
            blabel not in ("1", "huge"),  # chunk is a positive integer: 1 is valid
            _ok_array,
        )
    for blabel, val in [
        ("unknown", "tanh"),
        ("int", 3),
        ("None", None),
        ("list", ["relu"]),
        ("dict", {}),
    ]:
        yield Case(
            f"ntk activation={blabel}",
            lambda val=val: kernels.ntk(X, val),
            ("activation",),
            True,
            _ok_array,
        )
        yield Case(
            f"get_activation {blabel}",
            lambda val=val: kernels.get_activation(val),
            ("activation",),
            True,
            lambda s: None,
        )
    yield Case(
        "ntk zero row",
        lambda: kernels.ntk(np.vstack([X, np.zeros(5)]), unit_norm=False),
        ("X",),
        True,
        _ok_array,
    )
    yield Case(
        "ntk huge rows", lambda: kernels.ntk(X * 1e200, unit_norm=False), ("X",), False, _ok_array
    )


def kernels_split(X: Any, K: Any, cutoff: Any) -> Any:
    return bounds.kernel_split(X, K, cutoff)


def api_cases() -> Iterator[Case]:
    yield from theorem_cases()
    yield from lemma_6_2_cases()
    yield from from_data_cases()
    yield from from_jacobian_cases()
    yield from solve_cases()
    yield from kernel_cases()


# ---------------------------------------------------------------------------- random calls
def random_value(rng: np.random.Generator, name: str) -> tuple[Any, bool]:
    """A random value for input ``name``: mostly plausible floats of any magnitude, sometimes bad."""
    u = rng.random()
    if u < 0.55:
        mag = 10.0 ** rng.uniform(-320, 308)
        return (mag if rng.random() < 0.9 else -mag), False
    if u < 0.8:
        good = GOOD.get(name, 1.0)
        return good * 10.0 ** rng.uniform(-3, 3), False
    if u < 0.85:
        return float(rng.integers(0, 10**6)), False
    if u < 0.9:
        return GOOD.get(name, 1.0) * np.geomspace(0.1, 10, int(rng.integers(1, 5))), False
    _label, val, must = BAD[int(rng.integers(len(BAD)))]
    return val, must


def random_cases(count: int, seed: int = 0) -> Iterator[Case]:
    rng = np.random.default_rng(seed)
    keys = [k for k in theorem_keys() if k != "L6.2"]
    for i in range(count):
        key = keys[int(rng.integers(len(keys)))]
        d = F.get(key)
        kw: dict[str, Any] = dict(base_point(key))
        names = [*d.inputs, *d.defaults]
        changed = []
        must = False
        for name in names:
            if rng.random() < 0.35:
                kw[name], m = random_value(rng, name)
                changed.append(name)
                must |= m
        fn = getattr(bounds, d.function_name)
        yield Case(
            f"random#{i} {key} {changed}", lambda fn=fn, kw=kw: fn(**kw), tuple(changed), must
        )


# ---------------------------------------------------------------------------- CLI
#: Running as root: permission bits do not make a directory unwritable.
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


class _Ran(Exception):
    """Raised in place of an experiment's ``run``: validation let the command through."""


@dataclass
class CliResult:
    code: int | None
    stdout: str
    stderr: str
    exc: BaseException | None
    ran: bool


class _BrokenStdout(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@contextlib.contextmanager
def _no_experiments() -> Iterator[None]:
    """Replace every experiment's ``run`` (and the demo's dataset step) so nothing trains."""
    from simulate import experiments

    saved = dict(experiments.REGISTRY)

    def fake(*_a: Any, **_k: Any) -> Any:
        raise _Ran()

    try:
        for name, exp in saved.items():
            experiments.REGISTRY[name] = dataclasses.replace(exp, run=fake)
        yield
    finally:
        experiments.REGISTRY.update(saved)


def run_cli(argv: Sequence[str], *, broken_pipe: bool = False) -> CliResult:
    """``jacobound.main(argv)`` (the console script) in-process, capturing output; experiments
    never run."""
    import jacobound as cli

    out: io.StringIO = _BrokenStdout() if broken_pipe else io.StringIO()
    err = io.StringIO()
    code: int | None = None
    exc: BaseException | None = None
    ran = False
    with _no_experiments(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        except _Ran:
            ran = True
        except BaseException as e:
            exc = e
    return CliResult(code, "" if broken_pipe else out.getvalue(), err.getvalue(), exc, ran)


def _strict_json_text(text: str) -> str | None:
    def bad_const(c: str) -> Any:
        raise ValueError(f"non-standard JSON constant {c}")

    try:
        json.loads(text, parse_constant=bad_const)
    except ValueError as exc:
        return str(exc)
    return None


def classify_cli(label: str, res: CliResult, *, expect: str, names: Sequence[str] = ()) -> Outcome:
    """``expect``: ``"error"`` (must fail cleanly before running), ``"ok"``, ``"json"``, ``"run"``
    (may pass validation and start the experiment), ``"quiet"`` (broken pipe: no traceback)."""
    if res.exc is not None:
        tb = traceback.format_exception_only(type(res.exc), res.exc)[-1].strip()
        return Outcome("traceback", label, tb)
    if "Traceback" in res.stderr:
        return Outcome("traceback", label, res.stderr.strip().splitlines()[-1])
    err_lines = [line for line in res.stderr.splitlines() if line.strip()]
    if expect == "quiet":
        return Outcome("ok", label) if not err_lines else Outcome("unclear", label, res.stderr)
    if res.ran:
        if expect in ("run",):
            return Outcome("ok", label)
        return Outcome("silent", label, "validation let the command start the experiment")
    if expect == "error":
        if res.code == 0 or res.code is None:
            return Outcome("silent", label, f"exit {res.code}; stdout {res.stdout[:200]!r}")
        if (
            res.code == 2
            and len(err_lines) == 1
            and (not names or _names_argument(err_lines[0], names))
        ):
            return Outcome("clean", label, err_lines[0])
        return Outcome("unclear", label, f"exit {res.code}; stderr {res.stderr.strip()[:300]!r}")
    if res.code == 2 and len(err_lines) == 1:
        return Outcome("clean", label, err_lines[0])
    if res.code not in (0,):
        return Outcome("unclear", label, f"exit {res.code}; stderr {res.stderr.strip()[:300]!r}")
    if expect == "json":
        bad = _strict_json_text(res.stdout)
        if bad:
            return Outcome("silent", label, f"--json output is not JSON: {bad}")
    return Outcome("ok", label)


def _cli_args(values: dict[str, Any]) -> list[str]:
    out = []
    for name, val in values.items():
        out += [f"--{name}", str(val)]
    return out


@dataclass
class CliCase:
    label: str
    argv: list[str]
    expect: str
    names: tuple[str, ...] = ()
    broken_pipe: bool = False


def cli_cases(tmp: Path) -> Iterator[CliCase]:
    """Every subcommand with good and bad arguments; files for --out/--config/report in ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    # bound / solve
    yield CliCase("no command", [], "error")
    yield CliCase("unknown command", ["bogus"], "error", ("bogus",))
    yield CliCase("bound --list", ["bound", "--list"], "ok")
    yield CliCase("bound --list | head", ["bound", "--list"], "quiet", broken_pipe=True)
    yield CliCase(
        "bound 6.24 | head",
        ["bound", "6.24", *_cli_args(base_point("6.24"))],
        "quiet",
        broken_pipe=True,
    )
    yield CliCase("bound unknown theorem", ["bound", "9.9"], "error", ("9.9",))
    yield CliCase("bound extra arg to list", ["list", "--alpha", "1"], "error", ("--alpha",))
    for key in theorem_keys():
        if key == "L6.2":
            yield CliCase("bound L6.2", ["bound", "L6.2"], "error", ("L6.2",))
            continue
        base = base_point(key)
        args = _cli_args(base)
        yield CliCase(f"bound {key}", ["bound", key, *args], "ok")
        yield CliCase(f"bound {key} --json", ["bound", key, *args, "--json"], "json")
        yield CliCase(
            f"bound {key} --markdown --latex", ["bound", key, *args, "--markdown", "--latex"], "ok"
        )
        yield CliCase(
            f"bound {key} --bogus",
            ["bound", key, *args, "--bogus", "1"],
            "error",
            ("--bogus", "bogus"),
        )
        for name in base:
            rest = _cli_args({k: v for k, v in base.items() if k != name})
            yield CliCase(
                f"bound {key} missing --{name}", ["bound", key, *rest], "error", (f"--{name}", name)
            )
            for text in (
                "nan",
                "inf",
                "-inf",
                "1e400",
                "abc",
                "",
                "1,,2",
                "1j",
                "-1",
                "0",
                "1e308",
                "0.1,0.2",
                "1e-320",
            ):
                argv = ["bound", key, *rest, f"--{name}", text, "--json"]
                expect = (
                    "error"
                    if text in ("nan", "inf", "-inf", "1e400", "abc", "", "1,,2", "1j")
                    else "json"
                )
                yield CliCase(f"bound {key} --{name} {text!r}", argv, expect, (f"--{name}", name))
        yield CliCase(
            f"solve {key} bogus --for",
            ["solve", key, "--for", "bogus", *args],
            "error",
            ("bogus", "--for", "unknown"),
        )
        if "k" in base:
            rest = _cli_args({k: v for k, v in base.items() if k != "k"})
            yield CliCase(
                f"solve {key} --for k",
                ["solve", key, "--for", "k", *rest, "--goal", "rigorous"],
                "ok",
            )
            yield CliCase(
                f"solve {key} --goal bogus",
                ["solve", key, "--for", "k", *rest, "--goal", "bogus"],
                "error",
                ("goal", "bogus"),
            )
            first = next(iter(k for k in base if k != "k"))
            nan_rest = _cli_args({**{k: v for k, v in base.items() if k != "k"}, first: "nan"})
            yield CliCase(
                f"solve {key} nan --{first}",
                ["solve", key, "--for", "k", *nan_rest, "--goal", "rigorous"],
                "error",
                (first,),
            )
    sp_rest = _cli_args({k: v for k, v in SOLVE_POINT.items()})
    yield CliCase(
        "solve 6.24 alpha above lambda_1",
        ["solve", "6.24", "--for", "k", *_cli_args({**SOLVE_POINT, "alpha": 50})],
        "error",
        ("alpha", "lambda_1", "cutoff"),
    )
    yield CliCase(
        "solve 6.24 --extremum bad",
        ["solve", "6.24", "--for", "k", *sp_rest, "--extremum", "mid"],
        "error",
        ("--extremum", "extremum"),
    )
    yield CliCase("solve no --for", ["solve", "6.24", *sp_rest], "error", ("--for",))
    # list
    yield CliCase("list", ["list"], "ok")
    yield CliCase("list | head", ["list"], "quiet", broken_pipe=True)
    # run: everything must fail before the experiment starts
    afile = tmp / "a_file"
    afile.write_text("x")
    ro = tmp / "readonly"
    ro.mkdir(exist_ok=True)
    os.chmod(ro, 0o555)
    good_cfg = tmp / "good.toml"
    good_cfg.write_text("n = 40\nd = 80\nr = 3\nsteps = 20\nmc_samples = 50\n")
    out_ok = str(tmp / "out_ok")
    yield CliCase(
        "run linear ok",
        ["run", "linear", "--config", str(good_cfg), "--out", out_ok, "--quiet"],
        "run",
    )
    yield CliCase("--version", ["--version"], "ok")
    yield CliCase("bound 6.24 --help", ["bound", "6.24", "--help"], "ok")
    yield CliCase("solve 6.24 --help", ["solve", "6.24", "--help"], "ok")
    yield CliCase("run --print-config", ["run", "linear", "n=40", "--print-config"], "ok")
    for text, name in [
        ("n=abc", "n"),
        ("n=", "n"),
        ("n=[1,2]", "n"),
        ("n=1e400", "n"),
        ("sigma_x=nan", "sigma_x"),
        ("bogus=1", "bogus"),
        ("=3", "=3"),
        ("n", "n"),
    ]:
        yield CliCase(
            f"run linear {text}",
            ["run", "linear", text, "--out", out_ok, "--quiet"],
            "error",
            (name,),
        )
    yield CliCase("run unknown experiment", ["run", "bogus", "--out", out_ok], "error", ("bogus",))
    yield CliCase("run no experiment", ["run"], "error", ("experiment",))
    for blabel, out in [
        ("file", afile),
        ("under a file", afile / "sub"),
        ("unwritable dir", ro),
        ("under unwritable dir", ro / "sub"),
        ("/proc", Path("/proc/jacobound_fuzz")),
        ("/proc/self", Path("/proc/self")),
        ("empty", ""),
    ]:
        # Permission bits do not stop root: there the read-only directory is writable.
        exp_run = "run" if blabel.endswith("unwritable dir") and ROOT else "error"
        yield CliCase(
            f"run --out {blabel}",
            ["run", "linear", "--out", str(out), "--quiet"],
            exp_run,
            ("--out", "out", str(out)),
        )
        yield CliCase(
            f"demo --out {blabel}",
            ["demo", "--out", str(out), "--quiet"],
            exp_run,
            ("--out", "out", str(out)),
        )
    bad_cfgs = {
        "missing": (tmp / "nope.toml", None),
        "directory": (tmp, None),
        "malformed": (tmp / "malformed.toml", "n = = 3\n"),
        "binary": (tmp / "binary.toml", b"\xff\xfe\x00"),
        "unknown key": (tmp / "unknown.toml", "bogus = 3\n"),
        "k = true": (tmp / "ktrue.toml", "k = true\n"),
        "n = true": (tmp / "ntrue.toml", "n = true\n"),
        "n = 1.5": (tmp / "nfloat.toml", "n = 1.5\n"),
        "n = -3": (tmp / "nneg.toml", "n = -3\n"),
        "n huge": (tmp / "nhuge.toml", "n = 9223372036854775807\n"),
        "sigma_x = nan": (tmp / "nan.toml", "sigma_x = nan\n"),
        "sigma_y = inf": (tmp / "inf.toml", "sigma_y = inf\n"),
        "seed = -1": (tmp / "seed.toml", "seed = -1\n"),
        "seed = true": (tmp / "seedb.toml", "seed = true\n"),
        "device bogus": (tmp / "dev.toml", 'device = "tpu"\n'),
        "device int": (tmp / "devi.toml", "device = 3\n"),
        "table": (tmp / "table.toml", "[n]\na = 1\n"),
    }
    for blabel, (path, text) in bad_cfgs.items():
        if isinstance(text, bytes):
            path.write_bytes(text)
        elif text is not None:
            path.write_text(text)
        key_name = text.split("=")[0].strip() if isinstance(text, str) and "=" in text else ""
        names = ("--config", "config", str(path), *((key_name,) if key_name else ()))
        if blabel == "table":
            names = (*names, "n")
        yield CliCase(
            f"run --config {blabel}",
            ["run", "linear", "--config", str(path), "--out", out_ok, "--quiet"],
            "error",
            names,
        )
    for exp, text, name in [
        ("corruption", "corruptions = []\n", "corruptions"),
        ("dynamics", "corruptions = []\n", "corruptions"),
        ("generalization", "n_values = []\n", "n_values"),
        ("generalization", "cutoff_fractions = []\n", "cutoff_fractions"),
        ("mixture", "n_values = []\n", "n_values"),
        ("spectrum", "n_multipliers = []\n", "n_multipliers"),
        ("spectrum", "k = true\n", "k"),
        ("mixture", "k = true\n", "k"),
        ("dynamics", "corruptions = [true]\n", "corruptions"),
        ("dynamics", "corruptions = [nan]\n", "corruptions"),
        ("dynamics", 'corruptions = "0.5"\n', "corruptions"),
        ("generalization", "n_values = [10.5]\n", "n_values"),
        ("tracking", "Gamma = nan\n", "Gamma"),
    ]:
        path = tmp / f"{exp}_{name}.toml"
        path.write_text(text)
        yield CliCase(
            f"run {exp} --config {text.strip()}",
            ["run", exp, "--config", str(path), "--out", out_ok, "--quiet"],
            "error",
            (name,),
        )
    for blabel, val in [("abc", "abc"), ("-1", "-1"), ("1e400", "1e400"), ("2**70", str(2**70))]:
        yield CliCase(
            f"run --seed {blabel}",
            ["run", "linear", "--seed", val, "--out", out_ok, "--quiet"],
            "error",
            ("--seed", "seed"),
        )
    yield CliCase(
        "run --device bogus",
        ["run", "linear", "--device", "tpu", "--out", out_ok, "--quiet"],
        "error",
        ("device",),
    )
    # report
    rep_root = tmp / "reports"
    for blabel, text in [
        ("invalid json", "{"),
        ("list", "[1, 2]"),
        ("empty object", "{}"),
        ("missing keys", '{"experiment": "x"}'),
        ("wrong types", '{"experiment": 1, "device": [], "seed": "s", "versions": 3, "checks": 5}'),
        (
            "bad table",
            '{"experiment": "x", "device": "cpu", "seed": 0, "versions": {}, "tables": {"t": [1]}}',
        ),
        (
            "bad pvo",
            '{"experiment": "x", "device": "cpu", "seed": 0, "versions": {}, "predicted_vs_observed": [{"a": 1}]}',
        ),
        (
            "NaN",
            '{"experiment": "x", "device": "cpu", "seed": 0, "versions": {}, "summary": {"a": NaN}}',
        ),
        ("binary", None),
    ]:
        d = rep_root / blabel.replace(" ", "_")
        d.mkdir(parents=True, exist_ok=True)
        if text is None:
            (d / "results.json").write_bytes(b"\xff\xfe\x00\x01")
        else:
            (d / "results.json").write_text(text)
        yield CliCase(
            f"report {blabel}",
            ["report", str(d)],
            "error",
            ("results.json", str(d / "results.json")),
        )
    good = rep_root / "good"
    good.mkdir(parents=True, exist_ok=True)
    (good / "results.json").write_text(
        json.dumps({"experiment": "x", "device": "cpu", "seed": 0, "versions": {"torch": "2"}})
    )
    yield CliCase("report good", ["report", str(good)], "ok")
    yield CliCase(
        "report missing dir", ["report", str(tmp / "nope")], "error", (str(tmp / "nope"),)
    )
    yield CliCase("report a file", ["report", str(afile)], "error", (str(afile),))
    yield CliCase("report empty dir", ["report", str(ro)], "error", (str(ro),))
    rodir = tmp / "ro_report"
    rodir.mkdir(exist_ok=True)
    (rodir / "results.json").write_text((good / "results.json").read_text())
    os.chmod(rodir, 0o555)
    yield CliCase(
        "report unwritable",
        ["report", str(rodir)],
        "ok" if ROOT else "error",
        (str(rodir), "report.md"),
    )
    yield CliCase("report no dir", ["report"], "error", ("dir",))


# ---------------------------------------------------------------------------- driver
def tally(outcomes: Sequence[Outcome]) -> Counter[str]:
    return Counter(o.kind for o in outcomes)


def run_api(cases: Sequence[Case]) -> list[Outcome]:
    return [call(c.label, c.fn, c.names, must_reject=c.must_reject, check=c.check) for c in cases]


def run_cli_cases(cases: Sequence[CliCase]) -> list[Outcome]:
    return [
        classify_cli(
            c.label, run_cli(c.argv, broken_pipe=c.broken_pipe), expect=c.expect, names=c.names
        )
        for c in cases
    ]


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--random", type=int, default=15000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-v", "--verbose", action="count", default=0)
    a = p.parse_args(argv)
    groups: list[tuple[str, list[Outcome]]] = [
        (title, run_api(list(gen())))
        for title, gen in (
            ("theorems", theorem_cases),
            ("lemma_6_2", lemma_6_2_cases),
            ("from_data", from_data_cases),
            ("from_jacobian", from_jacobian_cases),
            ("solve_for", solve_cases),
            ("kernels", kernel_cases),
        )
    ]
    groups.append(("random theorems", run_api(list(random_cases(a.random, a.seed)))))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            groups.append(("CLI", run_cli_cases(list(cli_cases(Path(tmp))))))
        finally:
            for root, dirs, _files in os.walk(tmp):
                for dname in dirs:
                    os.chmod(os.path.join(root, dname), 0o755)
    bad_kinds = ("traceback", "silent", "unclear")
    for title, res in groups:
        t = tally(res)
        print(
            f"{title:<15} calls {len(res):>6}  "
            + "  ".join(f"{k} {t[k]}" for k in ("ok", "clean", *bad_kinds))
        )
        if a.verbose:
            shown: Counter[str] = Counter()
            for o in res:
                if o.kind in bad_kinds:
                    sig = f"{o.kind}: {o.detail[:160]}"
                    shown[sig] += 1
                    if a.verbose > 1 or shown[sig] <= 2:
                        print(f"   [{o.kind}] {o.label}: {o.detail[:300]}")
    total = [o for _t, res in groups for o in res]
    t = tally(total)
    print(
        f"{'total':<15} calls {len(total):>6}  "
        + "  ".join(f"{k} {t[k]}" for k in ("ok", "clean", *bad_kinds))
    )
    return 0 if not any(t[k] for k in bad_kinds) else 1


if __name__ == "__main__":
    sys.exit(main())
