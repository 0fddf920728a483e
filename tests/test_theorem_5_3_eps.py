"""Theorem 5.3 at a rigorous eps: Lemma 6.10's Lipschitz bound, delta* and the width it needs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds.report import BOUNDARY_RTOL

pos = st.floats(1e-3, 1e3)


@given(k=st.integers(1, 10**12), nu=pos, B=pos, X_norm=pos, radius=pos)
def test_assumption_2_eps_is_twice_the_lipschitz_constant_times_r(k, nu, B, X_norm, radius):
    # Lemma 6.10: ||J(W) - J(W0)|| <= nu B ||X|| ||W - W0||_F / sqrt(k) <= eps/2 on the ball.
    eps = float(bounds.assumption_2_eps(k=k, nu=nu, B=B, X_norm=X_norm, radius=radius))
    assert eps == pytest.approx(2 * radius * nu * B * X_norm / math.sqrt(k), rel=1e-12)
    # Four times the width halves it.
    eps4 = float(bounds.assumption_2_eps(k=4 * k, nu=nu, B=B, X_norm=X_norm, radius=radius))
    assert eps4 == pytest.approx(eps / 2, rel=1e-12)


@given(
    alpha=st.floats(0.05, 5),
    Gamma=st.floats(1, 10),
    ratio=st.floats(1, 20),
    eps=st.floats(1e-8, 1e-1),
)
def test_delta_star_meets_5_13_with_a_margin_outside_the_boundary_band(alpha, Gamma, ratio, eps):
    """At delta*(1 + 2 BOUNDARY_RTOL) the eps condition holds and is not at its boundary; a
    little below delta* it fails.  (At delta* itself it is an equality, decided by one ulp.)"""
    beta = alpha * ratio
    common = dict(
        alpha=alpha,
        Gamma=Gamma,
        beta=beta,
        eps0=0.0,
        eps=eps,
        r0_norm=5.0,
        r0_info=4.0,
        r0_nuisance=3.0,
        r0_pinv=2.0,
    )
    # (5.13) is evaluated at Gamma_eff (whole steps): delta* takes the same Gamma.
    G_eff = float(bounds.theorem_5_3(delta=1.0, **common).inputs["Gamma_effective"])
    ds = float(bounds.delta_star_5_3(alpha=alpha, Gamma=G_eff, beta=beta, eps=eps))
    assert ds == pytest.approx(5 * G_eff * beta**2 * eps / alpha**3, rel=1e-12)
    if ds * (1 + 2 * BOUNDARY_RTOL) <= 1:
        rep = bounds.theorem_5_3(delta=ds * (1 + 2 * BOUNDARY_RTOL), **common)
        cond = {c.name: c for c in rep.conditions}["eps"]
        assert bool(cond.holds) and not bool(cond.at_boundary)
    if ds * (1 - 1e-6) <= 1:
        rep = bounds.theorem_5_3(delta=ds * (1 - 1e-6), **common)
        assert not bool({c.name: c for c in rep.conditions}["eps"].holds)


@given(
    alpha=st.floats(0.1, 3),
    Gamma=st.floats(1, 5),
    nu=st.floats(0.1, 3),
    X_norm=st.floats(0.5, 10),
    r0=st.floats(0.1, 10),
    split=st.floats(0, 1),
    pinv=st.floats(0, 10),
)
def test_width_5_3_is_where_the_lipschitz_eps_meets_5_13_at_delta_1(
    alpha, Gamma, nu, X_norm, r0, split, pinv
):
    q = dict(r0_norm=r0, r0_nuisance=r0 * split, r0_pinv=pinv)
    k = float(bounds.width_5_3(alpha=alpha, Gamma=Gamma, nu=nu, B=1.0, X_norm=X_norm, **q))
    R = 2 * (pinv + Gamma * r0 * split / alpha + Gamma * r0 / alpha)  # (5.12) at delta = 1
    beta = nu * X_norm

    def delta_star(width: float) -> float:
        eps = bounds.assumption_2_eps(k=width, nu=nu, B=1.0, X_norm=X_norm, radius=R)
        return float(bounds.delta_star_5_3(alpha=alpha, Gamma=Gamma, beta=beta, eps=eps))

    assert delta_star(k) == pytest.approx(1.0, rel=1e-10)
    assert delta_star(k * 1.01) < 1 < delta_star(k * 0.99)


def test_width_5_3_is_at_least_lemma_6_19s_width():
    """(6.45) is the same condition on the smaller radius R' = 2(D + delta Gamma ||r0||/alpha),
    D <= ||J_I^+ r0|| + Gamma ||Pi_N r0|| / alpha: its width is at most ours."""
    q = dict(r0_norm=3.0, r0_nuisance=1.0, r0_pinv=2.0)
    ours = float(bounds.width_5_3(alpha=1.0, Gamma=2.0, nu=1.0, B=1.0, X_norm=2.0, **q))
    D = 2.0 + 2.0 * 1.0 / 1.0  # the upper bound on D: then (6.45) equals ours
    rep = bounds.lemma_6_19(
        alpha=1.0,
        Gamma=2.0,
        delta=1.0,
        k=ours,
        nu=1.0,
        B=1.0,
        X_norm=2.0,
        eps0=0.0,
        r0_norm=3.0,
        r0_info=np.sqrt(8.0),
        r0_nuisance=1.0,
        distance=D,
    )
    width = {c.name: c for c in rep.conditions}["width"]
    assert float(width.rhs) == pytest.approx(ours, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(k=0, nu=1, B=1, X_norm=1, radius=1), "k must"),
        (dict(k=10, nu=1, B=1, X_norm=1, radius=-1), "radius must"),
    ],
)
def test_assumption_2_eps_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bounds.assumption_2_eps(**kwargs)


def test_delta_star_rejects_gamma_below_one():
    with pytest.raises(ValueError, match="Gamma must"):
        bounds.delta_star_5_3(alpha=1.0, Gamma=0.5, beta=1.0, eps=0.1)
