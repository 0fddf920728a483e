"""A competing bound: Arora, Du, Hu, Li, Wang (ICML 2019), kernel form.

S. Arora, S. S. Du, W. Hu, Z. Li, R. Wang, *Fine-grained analysis of optimization and
generalization for overparameterized two-layer neural networks*, ICML 2019, Theorem 5.1.

Their setting: ``f(x) = m^{-1/2} sum_r a_r relu(w_r^T x)`` with ``a_r`` uniform on ``{±1}`` and
fixed, ``w_r(0) ~ N(0, kappa^2 I)``, unit-norm inputs, labels ``|y_i| <= 1``, the square loss,
gradient descent on the first layer.  ``H^inf_ij = E_w[x_i^T x_j 1{w^T x_i >= 0, w^T x_j >= 0}]``
is the NTK Gram of the first layer at infinite width, ``lambda_0 = lambda_min(H^inf)``.  For a
``(lambda_0, delta/3, n)``-non-degenerate distribution, ``kappa = O(lambda_0 delta / n)``,
``m >= kappa^{-2} poly(n, 1/lambda_0, 1/delta)`` (Theorem 4.1 makes it
``m = Omega(n^6 / (lambda_0^4 kappa^2 delta^3))`` with ``eta = O(lambda_0 / n^2)``) and
``T >= Omega(log(n/delta) / (eta lambda_0))`` iterations, with probability ``1 - delta``, every
loss ``l: R x R -> [0, 1]`` 1-Lipschitz in its first argument with ``l(y, y) = 0`` satisfies

    E_D[l(f_T(x), y)] <= sqrt(2 y^T (H^inf)^{-1} y / n) + O(sqrt(log(n / (lambda_0 delta)) / n)).

For labels ``±1`` the ramp loss ``min(1, |f - y|)`` bounds the 0-1 error, so the right-hand side
bounds the classification error.  The ``O(.)`` constant is not given; here it is 1, so the bound
is informal in the sense of :attr:`bounds.Report.informal` (never rigorous).

Multiclass: the theorem is for one output.  :func:`arora_2019` applies it to the class-major
label vector ``y`` (length ``nK``) with ``H`` the multi-output Gram ``I_K ⊗ H~`` (pass the
single-output ``n x n`` Gram ``H~`` and ``K``), i.e. ``y^T H^{-1} y = sum_l y_l^T H~^{-1} y_l``:
the vector form of the same Rademacher argument, not a statement of the paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import validate as v
from .report import Condition, Report
from .spectral import PSD_RTOL

#: ``lambda_min(H)`` must exceed ``COND_FACTOR * m * eps * lambda_max(H)`` (``m`` the order of
#: ``H``): ``eigh`` computes every eigenvalue to about ``m * eps * lambda_max``, so a smaller
#: ``lambda_min`` is not known even in sign, and ``y^T H^{-1} y`` would be round-off.  100 is
#: the project's margin above the noise guarded against.
COND_FACTOR = 100.0

KEY = "Arora2019-5.1"


class IllConditioned(ValueError):
    """``H`` is too ill-conditioned for ``y^T H^{-1} y`` to be more than round-off."""


def quadratic_form(H: ArrayLike, y: ArrayLike, *, K: int = 1) -> tuple[float, float, float]:
    """``y^T (I_K ⊗ H)^{-1} y`` by ``eigh`` (float64), with ``lambda_min`` and ``lambda_max``.

    Parameters
    ----------
    H : array_like, shape (m, m)
        Symmetric PSD Gram.
    y : array_like, shape (K m,)
        Class-major vector.
    K : int
        Number of blocks of ``I_K ⊗ H``.

    Raises
    ------
    ValueError
        ``H`` not square and symmetric (relative 1e-10), not PSD (an eigenvalue below
        ``-PSD_RTOL * lambda_max``), or ``y`` of the wrong length.
    IllConditioned
        ``lambda_min(H) <= COND_FACTOR * m * eps * lambda_max(H)``; the message gives both.
    """
    A = v.matrix("H", H)
    m = A.shape[0]
    if A.shape != (m, m):
        raise ValueError(f"H must be square, got shape {A.shape}")
    scale = float(np.max(np.abs(A))) if A.size else 0.0
    if scale == 0.0:
        raise IllConditioned("H is the zero matrix: y^T H^{-1} y is undefined")
    if float(np.max(np.abs(A - A.T))) > 1e-10 * scale:
        raise ValueError("H must be symmetric (relative 1e-10)")
    K = int(v.scalar("K", K, v.positive_int))
    yv = np.asarray(v.as_float("y", y), dtype=np.float64).ravel()
    if yv.shape != (K * m,):
        raise ValueError(f"y must have length K * m = {K * m}, got {yv.size}")
    lam, U = np.linalg.eigh((A + A.T) / 2)
    lmax = float(lam[-1])
    if lam[0] < -PSD_RTOL * lmax:
        raise ValueError(
            f"H must be positive semidefinite: lambda_min = {lam[0]:.3g} < "
            f"-{PSD_RTOL:g} lambda_max = {-PSD_RTOL * lmax:.3g}"
        )
    floor = COND_FACTOR * m * np.finfo(np.float64).eps * lmax
    if lam[0] <= floor:
        raise IllConditioned(
            f"H is ill-conditioned: lambda_min = {lam[0]:.3g} <= {COND_FACTOR:g} m eps "
            f"lambda_max = {floor:.3g} (condition number >= {lmax / max(lam[0], 1e-300):.3g}); "
            "y^T H^{-1} y would be round-off"
        )
    coef = U.T @ yv.reshape(K, m).T  # m x K
    q = float(np.sum(coef**2 / lam[:, None]))
    return q, float(lam[0]), lmax


def arora_2019(
    H: ArrayLike,
    y: ArrayLike,
    *,
    delta: float,
    K: int = 1,
    k: float | None = None,
    kappa: float | None = None,
    eta: float | None = None,
    iterations: float | None = None,
    label_max: float | None = None,
) -> Report:
    """Arora et al. (2019), Theorem 5.1: ``Err <= sqrt(2 y^T H^{-1} y / n) + sqrt(log(n/(lambda_0 delta))/n)``.

    Kernel form of the generalisation bound of Theorem 5.1 (ICML 2019; module docstring), the
    ``O(.)`` constant of the confidence term set to 1.  ``n = len(y) / K`` samples;
    ``lambda_0 = lambda_min(H)``.

    Parameters
    ----------
    H : array_like, shape (n, n)
        NTK Gram ``H^inf`` of the first layer (single output), float64.
    y : array_like, shape (n K,)
        Labels, class-major (``K = 1``: one output).
    delta : float
        Failure probability in (0, 1).
    K : int
        Outputs; the bound is applied to ``y`` with ``I_K ⊗ H`` (module docstring).
    k, kappa, eta, iterations : float, optional
        Width ``m``, initial weight scale ``kappa``, the step in the theorem's normalisation
        (``eta`` of GD on ``f = m^{-1/2} sum a_r phi(w_r^T x)``) and ``T``: each given one adds
        its hypothesis (Theorem 4.1's forms with constants 1): ``m >= n^6/(lambda_0^4 kappa^2
        delta^3)``, ``kappa <= lambda_0 delta / n``, ``eta <= lambda_0 / n^2``,
        ``T >= log(n/delta)/(eta lambda_0)``.
    label_max : float, optional
        ``max |y_i|`` (default: computed); hypothesis ``|y_i| <= 1``.

    Returns
    -------
    Report
        ``conclusions``: ``error``, ``complexity`` (``sqrt(2 y^T H^{-1} y / n)``),
        ``confidence``, ``y_Hinv_y``; ``inputs`` holds ``lambda_0``, ``lambda_max``,
        ``condition_number``.  Informal (hidden constant 1), vacuous when ``error >= 1``.

    Raises
    ------
    IllConditioned
        ``H`` too ill-conditioned (see :func:`quadratic_form`): no number is returned.
    """
    d = float(v.scalar("delta", delta))
    if not 0 < d < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    q, lam0, lmax = quadratic_form(H, y, K=K)
    yv = np.asarray(v.as_float("y", y), dtype=np.float64).ravel()
    n = yv.size // int(K)
    complexity = float(np.sqrt(2.0 * q / n))
    confidence = float(np.sqrt(np.log(n / (lam0 * d)) / n)) if n / (lam0 * d) > 1 else 0.0
    conds = [
        Condition(
            "lambda_0",
            lam0,
            ">",
            COND_FACTOR * n * np.finfo(np.float64).eps * lmax,
            True,
            "lambda_0 = lambda_min(H^inf) > 0 (non-degenerate data), above eigh's round-off",
        )
    ]
    ymax = float(np.max(np.abs(yv))) if label_max is None else float(label_max)
    conds.append(Condition("labels", ymax, "<=", 1.0, bool(ymax <= 1.0), "|y_i| <= 1"))
    if k is not None:
        rhs = n**6 / (lam0**4 * (kappa if kappa is not None else 1.0) ** 2 * d**3)
        conds.append(
            Condition(
                "width",
                float(k),
                ">=",
                rhs,
                bool(k >= rhs),
                "m >= n^6/(lambda_0^4 kappa^2 delta^3) (Theorem 4.1, constant 1)",
            )
        )
    if kappa is not None:
        rhs = lam0 * d / n
        conds.append(
            Condition(
                "init_scale",
                float(kappa),
                "<=",
                rhs,
                bool(kappa <= rhs),
                "kappa <= lambda_0 delta / n (w_r(0) ~ N(0, kappa^2 I))",
            )
        )
    if eta is not None:
        rhs = lam0 / n**2
        conds.append(
            Condition("step_size", float(eta), "<=", rhs, bool(eta <= rhs), "eta <= lambda_0 / n^2")
        )
    if iterations is not None:
        if eta is None:
            raise ValueError("iterations needs eta (T >= log(n/delta)/(eta lambda_0))")
        rhs = np.log(n / d) / (float(eta) * lam0)
        conds.append(
            Condition(
                "iterations",
                float(iterations),
                ">=",
                rhs,
                bool(iterations >= rhs),
                "T >= log(n/delta)/(eta lambda_0)",
            )
        )
    inputs: dict[str, Any] = {
        "n": n,
        "K": int(K),
        "delta": d,
        "lambda_0": lam0,
        "lambda_max": lmax,
        "condition_number": lmax / lam0,
    }
    return Report(
        theorem=KEY,
        title="Arora, Du, Hu, Li, Wang (ICML 2019), Theorem 5.1, kernel form",
        conclusions={
            "error": complexity + confidence,
            "complexity": complexity,
            "confidence": confidence,
            "y_Hinv_y": q,
        },
        conditions=tuple(conds),
        cutoff=None,
        step_size=eta,
        iterations=iterations,
        informal=True,
        probability=1 - d,
        vacuous_key="error",
        vacuous_threshold=1.0,
        inputs=inputs,
        notes=(
            "O(.) constant of the confidence term set to 1.",
            "Proved for ReLU; H is the NTK Gram of the network's own activation.",
            "Multiclass: the class-major y with I_K ⊗ H (the paper states one output)."
            if int(K) > 1
            else "One output.",
        ),
    )
