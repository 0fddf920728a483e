"""Theorem reports: formulas against independent transcriptions, flags, monotonicity, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import formulas as F
from bounds import symbolic
from bounds.theorems import evaluate_expression
from tests.theorem_cases import REFERENCE

# A valid 6.24 point: ||X|| = sqrt(n) allows alpha <= 1/sqrt(K).
BASE_624 = dict(
    alpha=0.3,
    Gamma=2.0,
    zeta=0.1,
    delta=0.05,
    k=4096,
    n=1000,
    K=10,
    B=1.0,
    X_norm=math.sqrt(1000),
    y_info=30.0,
    y_nuisance=math.sqrt(100.0),
    y_pinv=5.0,
)


def _oracle_6_24(p, Gamma):
    """Theorem 6.24 transcribed by hand from docs/theory.md#thm-6-24 (independent of bounds.formulas)."""
    n, K, B, X = p["n"], p["K"], p["B"], p["X_norm"]
    a0 = p["alpha"] * B * math.sqrt(math.sqrt(n) * K * X)
    bias = 2 * p["y_nuisance"] / math.sqrt(n)
    var = 12 * B * math.sqrt(K) / math.sqrt(n) * (p["y_pinv"] + Gamma / a0 * p["y_nuisance"])
    prec = 12 * (1 + Gamma / (p["alpha"] * (n * X**2) ** 0.25)) * p["zeta"]
    conf = 5 * math.sqrt(math.log(2 / p["delta"]) / n)
    return bias + var + prec + conf + 2 * math.exp(-Gamma), a0


def test_6_24_matches_hand_transcription():
    rep = bounds.theorem_6_24(**BASE_624)
    G = float(rep.inputs["Gamma_effective"])
    err, a0 = _oracle_6_24(BASE_624, G)
    assert rep.error == pytest.approx(err, rel=1e-12)
    assert rep.cutoff == pytest.approx(a0, rel=1e-12)
    nu = BASE_624["zeta"] / (50 * math.sqrt(math.log(20)))
    eta = 1 / (nu**2 * 1000)
    T = BASE_624["Gamma"] * 10 / (eta * nu**2 * a0**2)
    assert rep.iterations == math.ceil(T)
    assert G == pytest.approx(BASE_624["Gamma"] * math.ceil(T) / T, rel=1e-12)
    assert rep.step_size == pytest.approx(eta, rel=1e-12)
    c = 30 / math.sqrt(1000)
    width = 12e7 * G**4 * 10**4 * 1000**2 * 1000**2 * math.log(1000) / (c**4 * 0.1**4 * a0**8)
    cond = {c_.name: c_ for c_ in rep.conditions}["width"]
    assert float(cond.rhs) == pytest.approx(width, rel=1e-10)


def test_6_21_matches_hand_transcription():
    p = dict(REFERENCE["6.21"].inputs)  # the reference point, transcribed again by hand below
    rep = bounds.theorem_6_21(**p)
    G = float(rep.inputs["Gamma_effective"])
    abar = 0.5 * math.sqrt(20 * 15)
    Cr = 25 / 20
    err = (
        2 * 5 / 20
        + 12 / 20 * (3 + G / abar * 5)
        + 5 * math.sqrt(math.log(20) / 400)
        + 2 * Cr * (math.exp(-G) + 0.2)
    )
    assert rep.cutoff == pytest.approx(abar)
    assert rep.error == pytest.approx(err, rel=1e-12)
    width = 25600 * Cr**2 * G**4 / (0.5**8 * 0.2**2)
    assert float({c.name: c for c in rep.conditions}["width"].rhs) == pytest.approx(width)


@st.composite
def point_624(draw):
    n = draw(st.integers(10, 10**6))
    K = draw(st.integers(1, min(n, 50)))
    X = math.sqrt(n) * draw(st.floats(0.2, 1.0))
    amax = math.sqrt(X / math.sqrt(n)) / math.sqrt(K)  # alpha_0 <= B ||X||
    frac = draw(st.floats(0.05, 1.0))
    theta = draw(st.floats(0.05, 1.5))
    return dict(
        alpha=amax * frac,
        Gamma=draw(st.floats(1, 20)),
        zeta=draw(st.floats(1e-4, 0.5)),
        delta=draw(st.floats(1e-4, 0.99)),
        k=draw(st.integers(1, 10**9)),
        n=n,
        K=K,
        B=1.0,
        X_norm=X,
        y_info=math.sqrt(n) * math.cos(theta),
        y_nuisance=math.sqrt(n) * math.sin(theta),
        y_pinv=draw(st.floats(0, 100)),
    )


@given(point_624())
def test_symbolic_and_numeric_agree(p):
    """sympy's exact evaluation (evalf) equals the compiled numeric report."""
    rep = bounds.theorem_6_24(**p)
    vals = {
        **p,
        "Gamma": float(rep.inputs["Gamma_effective"]),
        "eta": float(rep.step_size),
        "c": p["y_info"] / math.sqrt(p["n"]),
    }
    t = symbolic.theorem_6_24()
    subs = {F.SYMBOLS[k]: sp.Float(v, 30) for k, v in vals.items()}
    subs[F.SYMBOLS["nu"]] = symbolic.expanded(t, F.SYMBOLS["nu"]).subs(subs)
    for name, expr in t.conclusions.items():
        exact = float(expr.subs(subs).evalf(30))
        assert rep.conclusions[name] == pytest.approx(exact, rel=1e-10), name


@given(point_624(), st.floats(1.01, 3.0))
def test_6_24_error_monotone(p, factor):
    """At fixed data, the bound grows with zeta and shrinks with alpha and delta.

    ``T`` (hence ``Gamma_eff``) does not depend on zeta or delta (nu cancels in T), so those two
    compare reports directly.  A larger alpha changes ``ceil(T)``; the bound is compared as the
    theorem's own error expression at one ``Gamma``, after checking that this expression is
    what each report evaluates.
    """
    rep = bounds.theorem_6_24(**p)
    base = rep.error
    assert bounds.theorem_6_24(**{**p, "zeta": min(0.5, p["zeta"] * factor)}).error >= base
    if p["delta"] * factor < 1:
        assert bounds.theorem_6_24(**{**p, "delta": p["delta"] * factor}).error <= base
    try:
        bigger = bounds.theorem_6_24(**{**p, "alpha": p["alpha"] * factor})
    except ValueError:
        return  # alpha left the valid range (cutoff above lambda_1)
    error = F.DEFS["6.24"].conclusions["error"]

    def at(r, **kw):
        vals = {**r.inputs, "Gamma": r.inputs["Gamma_effective"], **kw}
        return float(evaluate_expression(error, vals))

    assert at(rep) == pytest.approx(base, rel=1e-12)
    assert at(bigger) == pytest.approx(bigger.error, rel=1e-12)
    G = float(rep.inputs["Gamma_effective"])
    assert at(bigger, Gamma=G) <= at(rep, Gamma=G)


@given(st.floats(1, 10), st.floats(1.01, 2.0), st.integers(10, 10**6))
def test_width_monotone_in_Gamma_and_zeta(Gamma, f, n):
    p = dict(
        BASE_624,
        n=n,
        X_norm=math.sqrt(n),
        y_info=math.sqrt(n) * 0.9,
        y_nuisance=math.sqrt(n) * math.sqrt(1 - 0.81),
        Gamma=Gamma,
        alpha=0.2,
    )

    def w(**kw):
        return float(
            {c.name: c for c in bounds.theorem_6_24(**{**p, **kw}).conditions}["width"].rhs
        )

    # Gamma enters through Gamma_eff = eta alpha_0^2 ceil(T), equal for both when ceil(T) is:
    # then the widths agree in exact arithmetic and differ by round-off (~1e-15 relative), so
    # the comparison allows 1e-12 relative.
    assert w(Gamma=Gamma * f) >= w() * (1 - 1e-12)
    assert w(zeta=0.1 / f) >= w()


@given(st.integers(10, 10**8), st.floats(1.01, 10))
def test_mixture_bounds_decrease_in_n(n, f):
    p = dict(Gamma=2.0, k=10**9, K=3, C=2, lambda_M=0.1, sigma=0.0)
    e1 = bounds.theorem_2_5(n=n, **p).error
    e2 = bounds.theorem_2_5(n=int(n * f), **p).error
    assert e2 <= e1
    q = dict(Gamma=2.0, zeta=0.1, delta=0.1, k=10**9, K=3, C=2, B=1.0, lambda_M=0.1, sigma=1e-6)
    assert bounds.theorem_a_3(n=int(n * f), **q).error <= bounds.theorem_a_3(n=n, **q).error


def test_gamma_effective_and_integer_iterations():
    rep = bounds.theorem_6_21(
        alpha=0.5,
        Gamma=1.3,
        zeta=0.2,
        delta=0.1,
        k=100,
        n=16,
        nu=1.0,
        B=1.0,
        X_norm=4.0,
        r0_norm=4.0,
        r0_nuisance=1.0,
        r0_pinv=1.0,
    )
    T = rep.iterations
    assert T == math.ceil(T)
    G = float(rep.inputs["Gamma_effective"])
    assert 1.3 <= G <= 1.3 + rep.step_size * rep.cutoff**2 + 1e-12
    assert float(rep.inputs["Gamma"]) == 1.3


def test_flags_rigorous_vacuous_failing():
    ok = bounds.theorem_6_24(**{**BASE_624, "k": 1e40, "zeta": 1e-4, "alpha": 0.31})
    assert bool(ok.rigorous) and ok.failing == ()
    bad = bounds.theorem_6_24(**BASE_624)
    assert bad.failing == ("width",) and not bool(bad.rigorous)
    assert bool(bad.vacuous) == (bad.error >= 1)
    inf = bounds.theorem_2_2(alpha=0.1, Gamma=2, k=10**20, n=10**6, K=2, y_nuisance=10.0)
    assert not bool(inf.rigorous) and inf.informal
    assert "INFORMAL" in str(inf)


def test_broadcasting_grid():
    alphas = np.linspace(0.05, 0.3, 7)
    rep = bounds.theorem_6_24(**{**BASE_624, "alpha": alphas})
    assert rep.error.shape == (7,) and rep.rigorous.shape == (7,)
    for i, a in enumerate(alphas):
        single = bounds.theorem_6_24(**{**BASE_624, "alpha": a})
        assert rep.error[i] == pytest.approx(single.error, rel=1e-14)


def test_report_serialises_and_prints():
    rep = bounds.theorem_6_24(**BASE_624)
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["theorem"] == "6.24" and d["conclusions"]["error"] == pytest.approx(rep.error)
    assert "width" in str(rep) and "| width |" in rep._repr_markdown_()
    with pytest.raises(AttributeError):
        _ = rep.nonexistent


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": 5.0}, "cutoff"),
        ({"Gamma": 0.5}, "Gamma"),
        ({"zeta": 0.6}, "zeta"),
        ({"zeta": 0.0}, "zeta"),
        ({"delta": 1.0}, "delta"),
        ({"delta": 0.0}, "delta"),
        ({"k": 10.5}, "k"),
        ({"n": 0}, "n"),
        ({"K": -2}, "K"),
        ({"y_pinv": float("nan")}, "y_pinv"),
        ({"B": float("inf")}, "B"),
        ({"X_norm": 40.0}, "unit norm"),
        ({"y_info": 20.0}, "y_info"),
    ],
)
def test_bad_inputs_raise(change, match):
    with pytest.raises(ValueError, match=match):
        bounds.theorem_6_24(**{**BASE_624, **change})


@pytest.mark.parametrize(("change", "match"), [({"nu": 1.0}, "fixed"), ({"bogus": 1.0}, "bogus")])
def test_generic_entry_rejects_foreign_arguments(change, match):
    with pytest.raises(ValueError, match=match):
        bounds.evaluate("6.24", **{**BASE_624, **change})


def test_missing_input_named():
    p = dict(BASE_624)
    del p["y_pinv"]
    with pytest.raises(ValueError, match="needs y_pinv"):
        bounds.evaluate("6.24", **p)


@pytest.mark.parametrize("key", list(F.DEFS))
def test_every_theorem_evaluates(key):
    """Every registered theorem at its reference point (tests/theorem_cases.py): finite
    conclusions, and the generated function gives the report of ``evaluate``."""
    kw = REFERENCE[key].inputs
    rep = bounds.evaluate(key, **kw)
    assert rep.conclusions and all(np.isfinite(v).all() for v in rep.conclusions.values())
    fn = getattr(bounds, F.DEFS[key].function_name)
    assert fn(**kw).to_dict() == rep.to_dict()


def test_lemma_6_20_information_ratio_applies_only_with_eps0():
    kw = dict(
        alpha=0.5,
        Gamma=2,
        zeta=0.5,
        k=100,
        nu=1,
        B=1,
        X_norm=10,
        c=0.9,
        r0_norm=5,
        r0_info=3,
        r0_nuisance=4,
        distance=2,
    )
    holds = lambda rep: {c.name: bool(c.holds) for c in rep.conditions}["information_ratio"]  # noqa: E731
    assert holds(bounds.lemma_6_20(eps0=0.0, **kw))
    assert not holds(bounds.lemma_6_20(eps0=1e-3, **kw))


def test_solve_for_width_matches_closed_form():
    p = dict(BASE_624)
    del p["k"]
    sol = symbolic.solve_for("6.24", "k", **p)
    rep = bounds.theorem_6_24(**BASE_624)
    rhs = float({c.name: c for c in rep.conditions}["width"].rhs)
    assert sol.value == pytest.approx(rhs, rel=1e-13) and sol.value >= rhs
    assert sol.exact is not None


def test_solve_for_alpha_and_n():
    base = dict(Gamma=2.0, k=10**6, K=2, y_nuisance=1.0)
    sol = symbolic.solve_for("2.2", "n", goal="nonvacuous", alpha=0.1, **base)
    at = bounds.theorem_2_2(n=sol.value, alpha=0.1, **base)
    before = bounds.theorem_2_2(n=sol.value - 1, alpha=0.1, **base)
    assert not bool(at.vacuous) and bool(before.vacuous)
    sol_a = symbolic.solve_for("2.2", "alpha", goal="width", extremum="min", n=1000, **base)
    w = (2.0**4 * math.log(1000) / 10**6) ** (1 / 8)
    assert sol_a.value == pytest.approx(w, rel=1e-8)


def test_latex_output():
    t = symbolic.theorem_6_21()
    assert r"\Gamma" in symbolic.latex(t.conclusions["variance"])
