"""Reference values of every registered theorem: the test data a new theorem brings.

Each entry is a valid input point and conclusions computed here by hand from the statement in
the paper (transcribed independently of ``bounds.formulas``: the same formula typed twice, once
as sympy and once as ``math``), with the derivation in the comment.  ``tests/test_contracts.py``
checks that every entry of ``bounds.formulas.DEFS`` has one and that the report matches it to a
relative 1e-12 (the two evaluations differ by a few ulp; 1e-12 is ~4500 ulp).

Formal statements are evaluated at ``Gamma_eff = Gamma ceil(T)/T``; the points below are chosen
with a whole ``T`` (derivation beside each), so ``Gamma_eff = Gamma``, except 6.24 where the
oracle computes ``ceil(T)`` itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

E2, E3 = math.exp(-2.0), math.exp(-3.0)


@dataclass(frozen=True)
class ReferenceCase:
    """Inputs of a theorem and conclusions derived by hand; ``iterations`` is the whole T."""

    inputs: dict[str, Any]
    expected: dict[str, float]
    iterations: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _case_6_24() -> ReferenceCase:
    # Theorem 6.24 (docs/theory.md#thm-6-24), B = 1: a0 = alpha sqrt(sqrt(n) K ||X||); eta = 1/(nu^2 ||X||^2)
    # makes T = Gamma K/(eta nu^2 a0^2) = Gamma ||X|| / (alpha^2 sqrt(n)) = 2/0.09 = 22.2..., so
    # 23 steps and Gamma_eff = 2 * 23 / T.
    n, K, X, alpha, Gamma, zeta, delta = 1000, 10, math.sqrt(1000), 0.3, 2.0, 0.1, 0.05
    y_info, y_nuis, y_pinv = 30.0, 10.0, 5.0
    T = Gamma * X / (alpha**2 * math.sqrt(n))
    G = Gamma * math.ceil(T) / T
    a0 = alpha * math.sqrt(math.sqrt(n) * K * X)
    terms = {
        "bias": 2 * y_nuis / math.sqrt(n),
        "variance": 12 * math.sqrt(K) / math.sqrt(n) * (y_pinv + G / a0 * y_nuis),
        "precision": 12 * (1 + G / (alpha * (n * X**2) ** 0.25)) * zeta,
        "confidence": 5 * math.sqrt(math.log(2 / delta) / n),
        "optimization": 2 * math.exp(-G),
    }
    train = y_nuis + math.exp(-G) * y_info + 4 * zeta * math.sqrt(n)
    return ReferenceCase(
        dict(
            alpha=alpha,
            Gamma=Gamma,
            zeta=zeta,
            delta=delta,
            k=4096,
            n=n,
            K=K,
            B=1.0,
            X_norm=X,
            y_info=y_info,
            y_nuisance=y_nuis,
            y_pinv=y_pinv,
        ),
        {
            **terms,
            "error": sum(terms.values()),
            "train_residual": train,
            "train_loss": train**2 / 2,
        },
        iterations=math.ceil(T),
    )


_A0_100 = 0.5 * math.sqrt(10 * 2 * 10)  # a0 = alpha sqrt(sqrt(n) K ||X||) at n=100, K=2, ||X||=10
_NU_01 = 0.1 / (50 * math.sqrt(math.log(4)))  # (6.67) at zeta = 0.1, K = 2, B = 1
_ABAR = 0.5 * math.sqrt(20 * 15)  # abar = nu B alpha sqrt(sqrt(n) ||X||) at n=400, ||X||=15
_CR = 25 / 20  # C_r = ||r0||/sqrt(n)

REFERENCE: dict[str, ReferenceCase] = {
    # Theorem 5.3, (5.14)-(5.16): eta = 1/beta^2 = 1/16, T = Gamma/(eta alpha^2) = 32.
    # residual gap 3 delta alpha ||r0||/(5 beta) = 0.375; parameter gap delta Gamma ||r0||/alpha
    # = 5; R/2 = ||J+ r0|| + Gamma ||Pi_N r0||/alpha + delta Gamma ||r0||/alpha = 2 + 6 + 5.
    "5.3": ReferenceCase(
        dict(
            alpha=1.0,
            Gamma=2.0,
            delta=0.5,
            beta=4.0,
            eps0=0.0,
            eps=1e-3,
            r0_norm=5.0,
            r0_info=4.0,
            r0_nuisance=3.0,
            r0_pinv=2.0,
        ),
        {
            "residual_gap": 0.375,
            "parameter_gap": 5.0,
            "distance_bound": 13.0,
            "radius": 26.0,
            "train_residual": 4 * E2 + 3 + 0.5 / 4 * 5,
        },
        iterations=32,
    ),
    # Lemma 6.13: 30 K sqrt(k) nu^2 B^2 ||X||^2 sqrt(log n) = 30 * 2 * 10 * 100 sqrt(log 100);
    # normalised: divide by k nu^2 = 100.
    "L6.13": ReferenceCase(
        dict(k=100, n=100, K=2, B=1.0, X_norm=10.0, nu=1.0, delta=0.1),
        {
            "deviation": 60000 * math.sqrt(math.log(100)),
            "normalized_deviation": 600 * math.sqrt(math.log(100)),
        },
    ),
    # Lemma 6.14: ||f(W0)|| <= nu ||y|| = 1; (6.39) nu ||y||/(50 B sqrt(K log(2K) k n)).
    "L6.14": ReferenceCase(
        dict(nu=0.1, B=1.0, k=100, K=2, n=100, y_norm=10.0),
        {"output_norm": 1.0, "v_scale": 1.0 / (50 * math.sqrt(2 * math.log(4) * 100 * 100))},
    ),
    # Lemmas 6.17/6.18: rademacher nu B ((M_W + E M_V)/sqrt(n) + (R^2 + M_W M_V)/sqrt(k))
    # = 0.1 + 0.1; loss sqrt(L) + 2 sqrt(2) rad + sqrt(5 log(2/delta)/n); error twice that.
    "L6.18": ReferenceCase(
        dict(
            nu=1.0,
            B=1.0,
            n=100,
            k=100,
            M_W=1.0,
            M_V=0.0,
            R=1.0,
            energy=1.0,
            train_loss=0.1,
            delta=0.1,
        ),
        {
            "rademacher": 0.2,
            "expected_loss": math.sqrt(0.1)
            + 0.4 * math.sqrt(2)
            + math.sqrt(5 * math.log(20) / 100),
            "error": 2 * (math.sqrt(0.1) + 0.4 * math.sqrt(2) + math.sqrt(5 * math.log(20) / 100)),
        },
    ),
    # Lemma 6.19: beta = nu B ||X|| = 10, eta = 1/100, T = Gamma/(eta alpha^2) = 800.
    # (6.46) D + delta Gamma ||r0||/alpha = 2 + 10; (6.47) 2 nu B Gamma ||X|| ||r0||/(sqrt(k)
    # alpha^2) = 80; (6.48) e^-Gamma ||Pi_I r0|| + ||Pi_N r0|| + delta alpha ||r0||/beta.
    "L6.19": ReferenceCase(
        dict(
            alpha=0.5,
            Gamma=2.0,
            delta=0.5,
            k=100,
            nu=1.0,
            B=1.0,
            X_norm=10.0,
            eps0=0.0,
            r0_norm=5.0,
            r0_info=4.0,
            r0_nuisance=3.0,
            distance=2.0,
        ),
        {"W_frobenius": 12.0, "W_rows": 80.0, "train_residual": 4 * E2 + 3 + 0.125},
        iterations=800,
    ),
    # Lemma 6.20: as 6.19 (T = 800); 2D = 4; residual e^-Gamma ||Pi_I r0|| + ||Pi_N r0|| +
    # zeta ||r0||.
    "L6.20": ReferenceCase(
        dict(
            alpha=0.5,
            Gamma=2.0,
            zeta=0.5,
            k=100,
            nu=1.0,
            B=1.0,
            X_norm=10.0,
            eps0=0.0,
            c=0.5,
            r0_norm=5.0,
            r0_info=4.0,
            r0_nuisance=3.0,
            distance=2.0,
        ),
        {"W_frobenius": 4.0, "W_rows": 80.0, "train_residual": 4 * E2 + 3 + 2.5},
        iterations=800,
    ),
    # Theorem 6.21: abar = nu B alpha (sqrt(n)||X||)^{1/2} = 0.5 sqrt(300); eta = 1/225, so
    # T = Gamma/(eta abar^2) = 3 * 225/75 = 9.  Error = 2||Pi_N r0||/sqrt(n) + 12 nu B/sqrt(n)
    # (||J+ r0|| + Gamma ||Pi_N r0||/abar) + 5 sqrt(log(2/delta)/n) + 2 C_r (e^-Gamma + zeta).
    "6.21": ReferenceCase(
        dict(
            alpha=0.5,
            Gamma=3.0,
            zeta=0.2,
            delta=0.1,
            k=10**12,
            n=400,
            nu=1.0,
            B=1.0,
            X_norm=15.0,
            r0_norm=25.0,
            r0_nuisance=5.0,
            r0_pinv=3.0,
        ),
        {
            "bias": 0.5,
            "variance": 12 / 20 * (3 + 3 / _ABAR * 5),
            "confidence": 5 * math.sqrt(math.log(20) / 400),
            "optimization": 2 * _CR * (E3 + 0.2),
            "error": 0.5
            + 12 / 20 * (3 + 15 / _ABAR)
            + 5 * math.sqrt(math.log(20) / 400)
            + 2 * _CR * (E3 + 0.2),
            "train_residual": 5 + _CR * (E3 + 0.2) * 20,
        },
        iterations=9,
    ),
    # Theorem 6.22 at the same point (T = 9) with D = 4: variance 12 nu B D/sqrt(n) = 2.4;
    # (6.64) ||Pi_N r0|| + C_r (e^-Gamma + zeta/2) sqrt(n).
    "6.22": ReferenceCase(
        dict(
            alpha=0.5,
            Gamma=3.0,
            zeta=0.2,
            delta=0.1,
            k=10**12,
            n=400,
            nu=1.0,
            B=1.0,
            X_norm=15.0,
            r0_norm=25.0,
            r0_nuisance=5.0,
            distance=4.0,
        ),
        {
            "bias": 0.5,
            "variance": 2.4,
            "W_frobenius": 8.0,
            "error": 0.5 + 2.4 + 5 * math.sqrt(math.log(20) / 400) + 2 * _CR * (E3 + 0.2),
            "train_residual": 5 + _CR * (E3 + 0.1) * 20,
        },
        iterations=9,
    ),
    # Theorem 6.23, B = 1: T = Gamma ||X||/(alpha^2 sqrt(n)) = 2 * 10/(0.25 * 10) = 8.
    # (6.69) ||Pi_N y|| + e^-Gamma ||Pi_I y|| + 4 zeta sqrt(n); (6.70) 2 sqrt(K)/(nu a0)
    # (a0 D + Gamma zeta sqrt(n)); (6.71) 4 Gamma B K ||X|| sqrt(n/k)/(nu a0^2).
    "6.23": ReferenceCase(
        dict(
            alpha=0.5,
            Gamma=2.0,
            zeta=0.1,
            k=100,
            n=100,
            K=2,
            B=1.0,
            X_norm=10.0,
            y_info=9.0,
            y_nuisance=math.sqrt(19),
            distance=2.0,
        ),
        {
            "train_residual": math.sqrt(19) + 9 * E2 + 4.0,
            "W_frobenius": 2 * math.sqrt(2) / (_NU_01 * _A0_100) * (2 * _A0_100 + 2.0),
            "W_rows": 160 / (_NU_01 * _A0_100**2),
        },
        iterations=8,
    ),
    "6.24": _case_6_24(),
    # Theorem 6.25 at the 6.23 point (T = 8) with delta = 0.1: bias 2||Pi_N y||/sqrt(n),
    # variance 12 B sqrt(K) D/sqrt(n), precision 12 (1 + Gamma/(alpha (n ||X||^2)^{1/4})) zeta
    # = 12 * 1.4 * 0.1, confidence 10 sqrt(log(2/delta)/n), optimisation 2 e^-Gamma ||Pi_I y||
    # /sqrt(n).
    "6.25": ReferenceCase(
        dict(
            alpha=0.5,
            Gamma=2.0,
            zeta=0.1,
            delta=0.1,
            k=100,
            n=100,
            K=2,
            B=1.0,
            X_norm=10.0,
            y_info=9.0,
            y_nuisance=math.sqrt(19),
            distance=2.0,
        ),
        {
            "bias": 2 * math.sqrt(19) / 10,
            "variance": 12 * math.sqrt(2) * 2 / 10,
            "precision": 12 * 1.4 * 0.1,
            "confidence": 10 * math.sqrt(math.log(20) / 100),
            "optimization": 2 * E2 * 0.9,
            "error": 2 * math.sqrt(19) / 10
            + 2.4 * math.sqrt(2)
            + 1.68
            + 10 * math.sqrt(math.log(20) / 100)
            + 1.8 * E2,
        },
        iterations=8,
    ),
    # Theorem 2.2 (informal, constants 1): ||Pi_N y||/sqrt(n) + e^-Gamma + Gamma/(alpha sqrt(n));
    # T = Gamma/alpha^2 = 200; residual ||Pi_N y|| + e^-Gamma sqrt(n).
    "2.2": ReferenceCase(
        dict(alpha=0.1, Gamma=2.0, k=100, n=100, K=2, y_nuisance=1.0),
        {"error": 0.1 + E2 + 2.0, "train_residual": 1 + 10 * E2},
        iterations=200,
    ),
    # Theorem 2.3 (informal): ||Pi_N r0||/sqrt(n) + e^-Gamma + Gamma/(alpha sqrt(n)).
    "2.3": ReferenceCase(
        dict(alpha=0.1, Gamma=2.0, k=100, n=100, r0_norm=5.0, r0_nuisance=1.0),
        {"error": 0.1 + E2 + 2.0, "train_residual": 1 + 10 * E2},
        iterations=200,
    ),
    # Theorem 2.5 (informal): Gamma sqrt(K^2 C/(n lambda_M)) = 2 sqrt(8/20);
    # T = 2 Gamma K^2 C/lambda_M = 160.
    "2.5": ReferenceCase(
        dict(Gamma=2.0, k=100, n=100, K=2, C=2, lambda_M=0.2, sigma=0.01),
        {"error": 2 * math.sqrt(0.4)},
        iterations=160,
    ),
    # Theorem A.3 (≲, constants 1): sqrt(sigma sqrt(log n) B^2 K C/lambda_M) + Gamma B K
    # sqrt(C)/sqrt(n lambda_M) + zeta + sqrt(log(2/delta)/n) + 2 e^-Gamma.
    "A.3": ReferenceCase(
        dict(
            Gamma=2.0, zeta=0.1, delta=0.1, k=100, n=100, K=2, C=2, B=1.0, lambda_M=0.2, sigma=0.01
        ),
        {
            "bias": math.sqrt(0.01 * math.sqrt(math.log(100)) * 4 / 0.2),
            "variance": 4 * math.sqrt(2) / math.sqrt(20),
            "error": math.sqrt(0.01 * math.sqrt(math.log(100)) * 4 / 0.2)
            + 4 * math.sqrt(2) / math.sqrt(20)
            + 0.1
            + math.sqrt(math.log(20) / 100)
            + 2 * E2,
        },
    ),
}
