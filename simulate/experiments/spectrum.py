"""Fig. 3: the Jacobian spectrum at initialisation on the Gaussian mixture (Definition 2.4).

For ``n = m C`` with ``m`` in ``n_multipliers`` (the caption's 30C and 60C), the singular values
of ``J(W_0)`` are plotted after normalising by ``sqrt(KC/n)``; the ``K^2 C``-th index is marked.
Theory (Theorem A.1 and Sec. 2.3): the top ``K^2 C`` singular values grow like ``sqrt(n)``, so
their ratio between the two sizes is about ``sqrt(m_2/m_1)`` (``sqrt 2``), and the rest is small.

``method``: ``"dense"`` computes every singular value (``eigh`` of the Gram), ``"lanczos"`` the
top ``n_top`` (default ``2 K^2 C``) matrix-free (:func:`simulate.spectra.top_eigenpairs` with the
float32 closed-form operator for the Krylov phase, residuals certified in float64 to
``tol * sigma_1^2``); ``"auto"`` takes the dense route up to ``nK = 6000``.  The energy share of
the top ``K^2 C`` uses ``trace(J J^T)`` in closed form either way.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import plots
from ..data import gaussian_mixture
from ..model import ShallowNet, init_random
from ..spectra import gram_eigh, gram_operator, top_eigenpairs
from .base import BaseConfig, Experiment, positive, register
from .checks import Check, to_json
from .common import tensors


@dataclasses.dataclass(frozen=True)
class Config(BaseConfig):
    K: int = 3
    """Number of classes (outputs of the network)."""
    C: int = 4
    """Clusters per class in the Gaussian mixture (Definition 2.4)."""
    d: int = 32
    """Input dimension."""
    k: int = 256
    """Hidden width of the network at which J(W_0) is taken."""
    sigma: float = 0.1
    """Noise level of the mixture: x ~ N(mu, sigma^2 I_d / d) around its unit-norm centre; 0 gives
    the noiseless model of Theorem A.1.
    """
    min_distance: float = 0.5
    """Smallest Euclidean distance between two cluster centres (rejection sampling; in [0, 2])."""
    n_multipliers: tuple[int, ...] = (30, 60)
    """Sample sizes as multiples m of C, n = m C (the figure's 30C and 60C); at least two."""
    nu: float = 1.0
    """Output-layer scale: V has Rademacher entries times nu / sqrt(k K)."""
    method: str = "auto"
    """How the singular values are computed: "dense" (all, by eigh of the Gram), "lanczos" (the top
    n_top, matrix-free), or "auto" (dense up to nK = 6000).
    """
    n_top: int = 0
    """Number of top singular values for the Lanczos route; 0 means 2 K^2 C."""
    tol: float = 1e-6
    """Relative residual tolerance of the Lanczos route, in (0, 1): Ritz residuals <= tol sigma_1^2."""

    def validate(self) -> None:
        super().validate()
        positive(self, "K", "C", "d", "k", "n_multipliers", integer=True)
        positive(self, "nu")
        if self.sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {self.sigma}")
        if len(self.n_multipliers) < 2:
            raise ValueError("n_multipliers needs at least two sizes")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if not (isinstance(self.n_top, int) and self.n_top >= 0):
            raise ValueError(
                f"n_top must be a non-negative integer (0: 2 K^2 C), got {self.n_top!r}"
            )
        if not (0 < self.tol < 1):
            raise ValueError(f"tol must lie in (0, 1), got {self.tol!r}")


METHODS = ("auto", "dense", "lanczos")
DENSE_MAX_DIM = 6000  # nK up to which "auto" takes every eigenvalue by eigh


def singular_values(
    net: ShallowNet, X: torch.Tensor, method: str, n_top: int, tol: float
) -> tuple[np.ndarray, str]:
    """Descending singular values of ``J(W)``: all (dense) or the top ``n_top`` (Lanczos)."""
    dim = X.shape[0] * net.K
    if method == "auto":
        method = "dense" if dim <= DENSE_MAX_DIM else "lanczos"
    if method == "dense":
        lam, _ = gram_eigh(net, X)
    else:
        top = top_eigenpairs(
            gram_operator(net, X),
            dim,
            min(n_top, dim),
            tol=tol,
            fast_apply=gram_operator(net, X, dtype=torch.float32),
            device=X.device,
        )
        lam = top.eigenvalues
    return np.sqrt(np.clip(lam, 0, None)), method


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    K, C = cfg.K, cfg.C
    r = K * K * C
    curves: dict[str, dict[str, list[float]]] = {}
    svs: dict[int, np.ndarray] = {}
    traces: dict[int, float] = {}
    methods: dict[int, str] = {}
    n_top = max(cfg.n_top or 2 * r, r + 1)
    for m in cfg.n_multipliers:
        n = m * C
        ds = gaussian_mixture(
            n, 1, K=K, C=C, d=cfg.d, sigma=cfg.sigma, seed=cfg.seed, min_distance=cfg.min_distance
        )
        X, _, _, _ = tensors(ds, cfg.device)
        net = init_random(cfg.k, cfg.d, K, cfg.nu, cfg.seed + 1, device=cfg.device)
        s, methods[n] = singular_values(net, X, cfg.method, n_top, cfg.tol)
        svs[n] = s
        traces[n] = net.gram_trace(X)
        curves[f"singular_values_n{n}"] = {
            "index": list(range(1, len(s) + 1)),
            "sigma": s.tolist(),
            "sigma_normalized": (s * np.sqrt(K * C / n)).tolist(),
        }
    ns = sorted(svs)
    lo, hi = svs[ns[0]], svs[ns[-1]]
    ratio = hi[:r] / lo[:r]
    expected = float(np.sqrt(ns[-1] / ns[0]))
    gap = float(lo[r - 1] / lo[r]) if len(lo) > r else float("inf")
    summary = {
        "K2C": r,
        "n_values": ns,
        "ratio_top_K2C_mean": float(ratio.mean()),
        "ratio_top_K2C_min": float(ratio.min()),
        "ratio_top_K2C_max": float(ratio.max()),
        "ratio_expected": expected,
        "gap_at_K2C": gap,
        "energy_top_K2C": float(np.sum(lo[:r] ** 2) / traces[ns[0]]),
        "method": {str(n): methods[n] for n in ns},
    }
    # The gap needs the (K^2 C + 1)-th singular value; without it the check has no case.
    checks = [
        Check.single(
            "ratio_near_sqrt",
            bool(abs(ratio.mean() / expected - 1) < 0.15),
            f"mean ratio {ratio.mean():.4g} vs sqrt(n2/n1) = {expected:.4g} (within 15%)",
        ),
        Check.over(
            "spectrum_gap_at_K2C",
            [len(lo) > r],
            [gap > 1.5],
            f"s_K2C / s_(K2C+1) = {gap:.3g} > 1.5",
        ),
    ]
    return {"summary": summary, "checks": to_json(checks), "curves": curves}


@plots.styled
def plot(res: dict[str, Any], out: Path) -> list[str]:
    cfg = res["config"]
    fig, (ax,) = plots.new_figure()
    ns = []
    for i, (name, c) in enumerate(sorted(res["curves"].items(), key=lambda kv: _n_of(kv[0]))):
        n = _n_of(name)
        ns.append(n)
        ax.semilogy(c["index"], c["sigma_normalized"], label=f"$n={n}$", **plots.style(i, 10))
    r = res["summary"]["K2C"]
    ax.axvline(r, color=plots.REFERENCE, lw=0.8)
    ax.annotate(
        r"$K^2C$",
        (r, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -12),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set_xlabel(r"singular value index $s$ (mark: $K^2C$)")
    ax.set_ylabel(r"$\lambda_s\left(\sqrt{KC/n}\;\mathcal{J}(W_0)\right)$")
    ax.set_title(
        rf"ratio of top $K^2C$: {res['summary']['ratio_top_K2C_mean']:.3f} "
        rf"(theory $\approx${res['summary']['ratio_expected']:.3f})",
        fontsize=8,
    )
    plots.legend(ax)
    plots.add_caption(
        fig,
        res,
        dataset=plots.dataset_label(res, "mixture"),
        n=ns,
        k=cfg["k"],
        alpha="none (singular values at W_0)",
        ν=cfg["nu"],
    )
    return plots.save(fig, out, "spectrum")


def _n_of(curve_name: str) -> int:
    """``n`` of a curve named ``singular_values_n<n>`` (sorted numerically, not as text)."""
    return int(curve_name.rsplit("_n", 1)[-1])


register(
    Experiment(
        name="spectrum",
        description="Jacobian spectrum at initialisation on the mixture model (Fig. 3)",
        config=Config,
        run=run,
        plot=plot,
        small={"K": 2, "C": 2, "d": 12, "k": 128, "n_multipliers": (30, 60)},
    )
)
