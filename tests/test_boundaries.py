"""Decisions at a tolerance boundary: stable under a relative 1e-13 change, or reported.

Every decision a report makes (the integer step count, each hypothesis' ``holds``, ``rigorous``,
the rank of a split) must come out the same when the inputs move by a relative 1e-13, unless the
report lists that decision in ``at_boundary``.  The strategies below put inputs *on* boundaries
on purpose (a real ``T`` that is a whole number, ``zeta = c/2``, the cutoff at ``lambda_1``, a
step size at its largest value, a cutoff equal to a singular value), so these tests fail if a
boundary goes unreported.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import bounds
from bounds import InfoNuisance
from bounds import formulas as F
from bounds.report import BOUNDARY_RTOL, Condition
from bounds.spectral import RANK_RTOL
from bounds.theorems import ITERATION_RTOL, evaluate, evaluate_expression, whole_steps

from .conftest import unit_rows

PERTURBATION = 1e-13
_INTEGER_INPUTS = {"k", "n", "K", "C"}


# ---------------------------------------------------------------------------- whole steps
@given(st.integers(1, 10**6), st.floats(-1e-12, 1e-12))
def test_whole_steps_counts_a_near_integer_as_that_integer(m, rel):
    """T = m (1 + rel) with |rel| far below ITERATION_RTOL is m steps, not m + 1."""
    steps, edge = whole_steps(m * (1 + rel))
    assert steps == m
    assert not edge


@given(st.floats(1e-3, 1e6))
def test_whole_steps_is_the_ceiling_away_from_integers(T):
    near = round(T)
    assume(abs(T - near) > 2 * ITERATION_RTOL * max(near, 1))
    assert whole_steps(T)[0] == max(math.ceil(T), 1)


@given(st.integers(1, 10**6))
def test_whole_steps_reports_the_switch(m):
    """The count switches from m to m + 1 at T = m (1 + ITERATION_RTOL): reported there."""
    edge = m * (1 + ITERATION_RTOL)
    below, above = edge * (1 - 1e-13), edge * (1 + 1e-13)
    assert whole_steps(below)[1] and whole_steps(above)[1]
    assert whole_steps(below * (1 - 1e-9))[0] == m
    assert whole_steps(above * (1 + 1e-9))[0] == m + 1


def test_issue_example_larger_zeta_gives_larger_error():
    """T is 1 in exact arithmetic: 1 step for both zetas (it used to double Gamma_eff)."""
    p = dict(
        alpha=0.45069390943299864,
        Gamma=1.0,
        delta=0.5,
        k=1,
        n=459,
        K=1,
        B=1.0,
        X_norm=4.351807948643299,
        y_info=11.575590741401962,
        y_nuisance=18.02791443810318,
        y_pinv=0.0,
    )
    lo, hi = bounds.theorem_6_24(zeta=0.046875, **p), bounds.theorem_6_24(zeta=0.0703125, **p)
    assert lo.iterations == hi.iterations == 1
    assert lo.error < hi.error
    assert lo.inputs["Gamma_effective"] >= 1.0
    assert {c.name: bool(c.holds) for c in lo.conditions}["Gamma"]


@given(st.floats(1.0, 10.0), st.integers(1, 50), st.floats(0.05, 1.0))
def test_gamma_effective_never_below_gamma(Gamma, m, frac):
    """Theorem 5.3 with eta chosen so that T = m exactly: Gamma_eff = Gamma, m steps."""
    alpha, beta = frac * 4.0, 4.0
    eta = Gamma / (m * alpha**2)
    rep = bounds.theorem_5_3(
        alpha=alpha,
        Gamma=Gamma,
        delta=0.5,
        beta=beta,
        eps0=0.0,
        eps=1e-6,
        r0_norm=5.0,
        r0_info=4.0,
        r0_nuisance=3.0,
        r0_pinv=2.0,
        eta=eta,
    )
    assert rep.iterations == m
    G = float(rep.inputs["Gamma_effective"])
    assert Gamma <= G <= Gamma * (1 + 1e-14)


# ---------------------------------------------------------------------------- conditions
def test_condition_at_boundary_is_relative():
    c = Condition("x", 1e-20 * (1 + 1e-12), "<=", 1e-20, False)
    assert c.at_boundary
    assert not Condition("x", 1.0, "<=", 1.0 + 1e-6, True).at_boundary
    assert not Condition("x", 0.0, "<=", 0.0, True).at_boundary  # zeros stay zeros
    assert not Condition("x", 1.0, ">=", 1.0, True, applies=False).at_boundary
    assert not Condition("x", 1.0, ">=", 1.0, True, guaranteed=True).at_boundary
    grid = Condition("x", np.array([1.0, 2.0]), "<=", np.array([1.0, 3.0]), np.array([1, 1]))
    np.testing.assert_array_equal(grid.at_boundary, [True, False])
    assert Condition("x", 1.0, "<=", 1.0, True).to_dict()["at_boundary"] is True


def test_vacuity_at_its_threshold_is_reported():
    rep = bounds.theorem_2_5(Gamma=2.0, k=10**9, n=1000, K=3, C=2, lambda_M=0.1, sigma=0.0)
    at = _with_error(rep, float(rep.vacuous_threshold) * (1 + 1e-12))
    assert "vacuous" in at.at_boundary
    assert "vacuous" not in _with_error(rep, 2.0 * float(rep.vacuous_threshold)).at_boundary


def _with_error(rep, value):
    """``rep`` with its headline bound replaced by ``value``."""
    return dataclasses.replace(rep, conclusions={**rep.conclusions, rep.vacuous_key: value})


def test_defaults_meeting_a_hypothesis_hold_by_construction():
    """Default eta is the largest allowed: 'step_size' holds and is not a boundary; an eta given
    equal to that value is at the boundary (its last digits decide)."""
    p = dict(
        alpha=1.0,
        Gamma=2.0,
        delta=0.5,
        beta=4.0,
        eps0=0.0,
        eps=1e-6,
        r0_norm=5.0,
        r0_info=4.0,
        r0_nuisance=3.0,
        r0_pinv=2.0,
    )
    rep = bounds.theorem_5_3(**p)
    step = {c.name: c for c in rep.conditions}["step_size"]
    assert step.guaranteed and bool(step.holds) and not step.at_boundary
    given_eta = bounds.theorem_5_3(**p, eta=1 / 16)
    assert "step_size" in given_eta.at_boundary
    assert "AT A TOLERANCE BOUNDARY" in str(given_eta)
    assert "step_size" in given_eta.to_dict()["at_boundary"]


# ---------------------------------------------------------------------------- perturbations
@st.composite
def point_624(draw: st.DrawFn) -> dict[str, Any]:
    """Valid inputs of Theorem 6.24, often placed on a boundary."""
    n = draw(st.integers(10, 10**5))
    K = draw(st.integers(1, 10))
    X = math.sqrt(n) * draw(st.floats(0.2, 1.0))
    amax = math.sqrt(X / (math.sqrt(n) * K))  # cutoff alpha_0 = lambda_1 = B ||X||
    frac = draw(st.one_of(st.just(1.0), st.floats(0.01, 1.0)))
    theta = draw(st.floats(0.05, 1.5))
    yi, yn = math.sqrt(n) * math.cos(theta), math.sqrt(n) * math.sin(theta)
    c = yi / math.sqrt(n)
    zeta = draw(st.one_of(st.just(min(0.5, c / 2)), st.floats(1e-4, 0.5)))
    p: dict[str, Any] = dict(
        alpha=amax * frac,
        Gamma=draw(st.one_of(st.just(1.0), st.floats(1.0, 10.0))),
        zeta=zeta,
        delta=draw(st.floats(1e-3, 0.9)),
        k=draw(st.integers(1, 10**18)),
        n=n,
        K=K,
        B=1.0,
        X_norm=X,
        y_info=yi,
        y_nuisance=yn,
        y_pinv=draw(st.floats(0.0, 100.0)),
    )
    mode = draw(st.sampled_from(["default", "integer_T", "width"]))
    if mode == "integer_T":
        # eta with T = Gamma K / (eta nu^2 alpha_0^2) a whole number m.
        d = F.get("6.24")
        vals = {k_: np.float64(v_) for k_, v_ in p.items()}
        vals.update({name: evaluate_expression(e, vals) for name, e in d.derived.items()})
        a0 = float(evaluate_expression(d.cutoff, vals))
        m = draw(st.integers(1, 10**6))
        p["eta"] = p["Gamma"] * K / (m * float(vals["nu"]) ** 2 * a0**2)
    elif mode == "width":
        rhs = float({c_.name: c_ for c_ in bounds.theorem_6_24(**p).conditions}["width"].rhs)
        assume(1 <= rhs <= 1e18)
        p["k"] = max(1, round(rhs))
    return p


@st.composite
def point_5_3(draw: st.DrawFn) -> dict[str, Any]:
    beta = draw(st.floats(0.5, 10.0))
    alpha = beta * draw(st.one_of(st.just(1.0), st.floats(0.01, 1.0)))
    Gamma = draw(st.one_of(st.just(1.0), st.floats(1.0, 10.0)))
    delta = draw(st.floats(0.01, 1.0))
    eps_max = delta * alpha**3 / (5 * Gamma * beta**2)
    theta = draw(st.floats(0.0, 1.5))
    norm = draw(st.floats(0.1, 100.0))
    p: dict[str, Any] = dict(
        alpha=alpha,
        Gamma=Gamma,
        delta=delta,
        beta=beta,
        eps0=draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
        eps=draw(st.one_of(st.just(eps_max), st.floats(1e-9, 1.0))),
        r0_norm=norm,
        r0_info=norm * math.cos(theta),
        r0_nuisance=norm * math.sin(theta),
        r0_pinv=draw(st.floats(0.0, 100.0)),
    )
    if draw(st.booleans()):
        p["eta"] = Gamma / (draw(st.integers(1, 10**6)) * alpha**2)  # T a whole number
    return p


@st.composite
def point_a_3(draw: st.DrawFn) -> dict[str, Any]:
    return dict(
        Gamma=draw(st.one_of(st.just(1.0), st.floats(1.0, 10.0))),
        zeta=draw(st.one_of(st.just(0.5), st.floats(1e-4, 0.5))),
        delta=draw(st.floats(1e-3, 0.9)),
        k=draw(st.integers(1, 10**18)),
        n=draw(st.integers(10, 10**6)),
        K=draw(st.integers(1, 10)),
        C=draw(st.integers(1, 10)),
        B=1.0,
        lambda_M=draw(st.floats(1e-6, 1.0)),
        sigma=draw(st.floats(0.0, 1.0)),
    )


@st.composite
def point_6_21(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(10, 10**5))
    X = math.sqrt(n) * draw(st.floats(0.2, 1.0))
    amax = math.sqrt(X) / n**0.25  # cutoff nu B alpha (sqrt(n) ||X||)^{1/2} = lambda_1 = nu B ||X||
    norm = draw(st.floats(0.1, 100.0))
    p: dict[str, Any] = dict(
        alpha=amax * draw(st.one_of(st.just(1.0), st.floats(0.01, 1.0))),
        Gamma=draw(st.one_of(st.just(1.0), st.floats(1.0, 10.0))),
        zeta=draw(st.one_of(st.just(0.5), st.floats(1e-4, 0.5))),
        delta=draw(st.floats(1e-3, 0.9)),
        k=draw(st.integers(1, 10**30)),
        n=n,
        nu=draw(st.floats(1e-3, 10.0)),
        B=1.0,
        X_norm=X,
        r0_norm=norm,
        r0_nuisance=norm * draw(st.floats(0.0, 1.0)),
        r0_pinv=draw(st.floats(0.0, 100.0)),
    )
    if draw(st.booleans()):
        p["C_r"] = norm / math.sqrt(n)  # at the hypothesis C_r >= ||r0|| / sqrt(n)
    return p


def _perturbed(p: dict[str, Any], signs: list[int]) -> dict[str, Any]:
    out = dict(p)
    floats = [k_ for k_ in sorted(p) if k_ not in _INTEGER_INPUTS]
    for k_, s in zip(floats, signs, strict=False):
        out[k_] = p[k_] * (1 + s * PERTURBATION)
    return out


def _check_stable(key: str, p: dict[str, Any], signs: list[int]) -> None:
    rep = evaluate(key, **p)
    try:
        pert = evaluate(key, **_perturbed(p, signs))
    except ValueError:
        assume(False)  # the perturbation left the valid range (e.g. Gamma below 1)
        return
    flagged = set(rep.at_boundary) | set(pert.at_boundary)
    if rep.iterations is not None and not np.array_equal(rep.iterations, pert.iterations):
        assert "iterations" in flagged, (rep.iterations, pert.iterations)
    changed = [
        a.name
        for a, b in zip(rep.conditions, pert.conditions, strict=True)
        if bool(a.holds) != bool(b.holds)
    ]
    for name in changed:
        assert name in flagged, (name, rep, pert)
    if bool(rep.rigorous) != bool(pert.rigorous):
        assert flagged, (rep, pert)
    if bool(rep.vacuous) != bool(pert.vacuous):
        assert "vacuous" in flagged, (rep, pert)


signs_st = st.lists(st.sampled_from([-1, 1]), min_size=16, max_size=16)


@given(point_624(), signs_st)
def test_6_24_decisions_stable_or_at_boundary(p, signs):
    _check_stable("6.24", p, signs)


@given(point_5_3(), signs_st)
def test_5_3_decisions_stable_or_at_boundary(p, signs):
    _check_stable("5.3", p, signs)


@given(point_6_21(), signs_st)
def test_6_21_decisions_stable_or_at_boundary(p, signs):
    _check_stable("6.21", p, signs)


@given(point_a_3(), signs_st)
def test_a_3_decisions_stable_or_at_boundary(p, signs):
    _check_stable("A.3", p, signs)


@given(point_624())
def test_6_24_integer_T_is_one_step_count(p):
    """A whole-number T gives that many steps whatever its last bits (no doubling)."""
    if "eta" not in p:
        return
    d = F.get("6.24")
    vals = {k_: np.float64(v_) for k_, v_ in p.items()}
    vals.update({name: evaluate_expression(e, vals) for name, e in d.derived.items()})
    T = float(evaluate_expression(d.iterations, vals))
    rep = bounds.theorem_6_24(**p)
    assert abs(rep.iterations - T) <= 1e-12 * T
    assert rep.inputs["Gamma_effective"] >= p["Gamma"]


# ---------------------------------------------------------------------------- rank
def test_issue_example_rank_at_each_singular_value():
    J = np.random.default_rng(0).standard_normal((7, 5))
    s = np.linalg.svd(J, compute_uv=False)
    splits = [InfoNuisance.from_jacobian(J, float(x)) for x in s]
    assert [sp_.rank for sp_ in splits] == [1, 2, 3, 4, 5]
    assert all(sp_.rank_at_boundary for sp_ in splits)


@given(
    st.integers(0, 2**31 - 1),
    st.integers(2, 9),
    st.integers(1, 9),
    st.one_of(st.integers(0, 8), st.floats(0.01, 1.0)),
    st.integers(0, 2**31 - 1),
)
def test_rank_stable_under_perturbation_or_at_boundary(seed, N, p, where, pseed):
    """Cutoff on a singular value (integer ``where``) or between: the rank of J and of J
    perturbed by a relative 1e-13 agree unless a split reports ``rank_at_boundary``."""
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((N, p)) * np.exp(-rng.uniform(0, 3) * np.arange(p))[None, :]
    s = np.linalg.svd(J, compute_uv=False)
    cutoff = float(s[min(where, len(s) - 1)]) if isinstance(where, int) else float(s[0] * where)
    signs = np.random.default_rng(pseed).choice([-1.0, 1.0], size=J.shape)
    a = InfoNuisance.from_jacobian(J, cutoff)
    try:
        b = InfoNuisance.from_jacobian(J * (1 + PERTURBATION * signs), cutoff)
    except ValueError:
        assume(False)  # cutoff above the perturbed lambda_1
        return
    if isinstance(where, int) and where < len(s):
        # A cutoff equal to a singular value counts it (docs/theory.md#r3-cutoff-counts-as-information), ties included.
        assert a.rank == int(np.sum(s >= cutoff * (1 - RANK_RTOL)))
        assert a.rank_at_boundary
    if a.rank != b.rank:
        assert a.rank_at_boundary or b.rank_at_boundary


@given(st.floats(0.01, 0.99))
def test_rank_away_from_singular_values_not_at_boundary(frac):
    s = np.array([4.0, 2.0, 1.0, 0.5])
    cutoff = 0.5 + frac * 3.5
    assume(np.min(np.abs(s**2 - cutoff**2)) > 10 * BOUNDARY_RTOL * 16)
    split = InfoNuisance.from_jacobian(np.diag(s), cutoff)
    assert not split.rank_at_boundary
    assert split.rank == int(np.sum(s >= cutoff))


def test_from_data_reports_rank_at_boundary():
    """alpha chosen so that the cutoff alpha_0 equals a singular value of Sigma(X)^{1/2}."""
    rng = np.random.default_rng(3)
    n, K = 20, 2
    X = unit_rows(rng, n, 4)
    y = np.eye(K)[rng.integers(0, K, n)]
    lam = np.linalg.eigvalsh(bounds.kernels.ntk(X))[::-1]
    X_norm = np.linalg.norm(X, 2)
    scale = math.sqrt(math.sqrt(n) * K * X_norm)  # alpha_0 = alpha B scale, B = 1
    base = dict(Gamma=2.0, zeta=0.01, delta=0.1, k=10**9)
    on = bounds.from_data("6.24", X, y, alpha=math.sqrt(lam[2]) / scale, **base)
    assert "rank" in on.at_boundary
    off = bounds.from_data("6.24", X, y, alpha=math.sqrt(lam[2] * lam[3]) ** 0.5 / scale, **base)
    assert "rank" not in off.at_boundary


def test_lambda_m_zero_to_working_precision_is_rejected():
    """Repeated centres: Sigma(M) is singular; its computed lambda_min is round-off of either
    sign, so A.3 must refuse it rather than divide by it."""
    rng = np.random.default_rng(0)
    M = unit_rows(rng, 3, 4)
    M = np.vstack([M, M[:1]])
    n = 40
    X = M[rng.integers(0, 4, n)]
    y = np.eye(2)[rng.integers(0, 2, n)]
    with pytest.raises(ValueError, match="numerically singular"):
        bounds.from_data(
            "A.3", X, y, centers=M, Gamma=2.0, zeta=0.1, delta=0.1, k=10**9, C=2, sigma=0.0
        )
