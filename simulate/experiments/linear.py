"""Section 5.1 / Fig. 8: gradient descent on the low-rank linear model.

``w_0 = 0`` and ``eta = eta_fraction / ||X||^2`` (the paper leaves both open).  At every step the
closed forms ``E L``, ``E L_I``, ``E L_N`` of Section 5.1 are evaluated at ``w_tau``; a Monte Carlo
estimate over ``mc_samples`` fresh draws of ``(Z, z)`` checks them.  The dip: ``E L`` reaches its
minimum well before the last iteration because ``E L_I`` drops fast while ``E L_N`` grows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from .. import plots
from ..data import linear_model
from .base import BaseConfig, Experiment, positive, register
from .checks import Check, to_json


@dataclasses.dataclass(frozen=True)
class Config(BaseConfig):
    n: int = 200
    """Number of samples (rows of X); r <= n <= d."""
    d: int = 500
    """Number of features (columns of X)."""
    r: int = 5
    """Rank of the clean design X-bar."""
    sigma_x: float = 0.2
    """Input noise: Z has i.i.d. N(0, sigma_x^2 / n) entries."""
    sigma_y: float = 2.0
    """Label noise: z has i.i.d. N(0, sigma_y^2 / n) entries."""
    steps: int = 200
    """Number of gradient-descent steps from w_0 = 0."""
    eta_fraction: float = 0.5
    """Step size as a fraction of 1 / ||X||^2, in (0, 1]."""
    mc_samples: int = 200
    """Fresh draws of (Z, z) in the Monte Carlo check of the closed-form population losses."""

    def validate(self) -> None:
        super().validate()
        positive(self, "n", "d", "r", "steps", "mc_samples", integer=True)
        positive(self, "eta_fraction")
        if not self.r <= self.n <= self.d:
            raise ValueError(f"need r <= n <= d, got r={self.r}, n={self.n}, d={self.d}")
        if self.eta_fraction > 1:
            raise ValueError(
                f"eta_fraction must lie in (0, 1] (stable GD), got {self.eta_fraction}"
            )


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    lm = linear_model(cfg.n, cfg.d, cfg.r, cfg.sigma_x, cfg.sigma_y, seed=cfg.seed)
    X, y = lm.X, lm.y
    eta = cfg.eta_fraction / np.linalg.norm(X, 2) ** 2
    w = np.zeros(cfg.d)
    ws = [w]
    for _ in range(cfg.steps):
        w = w - eta * X.T @ (X @ w - y)  # (5.2)
        ws.append(w)
    Wm = np.array(ws).T  # d x (steps+1)
    EL, ELI, ELN = lm.population_losses(Wm)
    # Monte Carlo: fresh (Z, z) around the same (Xbar, ybar).
    P = lm.U @ lm.U.T
    mc = np.zeros((3, Wm.shape[1]))
    mc2 = np.zeros((3, Wm.shape[1]))
    for s in range(cfg.mc_samples):
        Xs, ys = lm.resample(cfg.seed * 100_003 + s + 1)
        R = Xs @ Wm - ys[:, None]
        PR = P @ R
        vals = np.stack([0.5 * (R**2).sum(0), 0.5 * (PR**2).sum(0), 0.5 * ((R - PR) ** 2).sum(0)])
        mc += vals
        mc2 += vals**2
    mean = mc / cfg.mc_samples
    se = np.sqrt(np.maximum(mc2 / cfg.mc_samples - mean**2, 0) / cfg.mc_samples)
    z = np.abs(mean - np.stack([EL, ELI, ELN])) / np.maximum(se, 1e-300)
    t_min = int(np.argmin(EL))
    summary = {
        "eta": eta,
        "argmin_population_loss": t_min,
        "min_population_loss": float(EL[t_min]),
        "final_population_loss": float(EL[-1]),
        "initial_population_loss": float(EL[0]),
        "max_mc_z_score": float(z.max()),
        "dip": bool(t_min < cfg.steps and EL[-1] > EL[t_min]),
    }
    checks = [
        Check.single(
            "monte_carlo_matches_closed_form",
            bool(z.max() < 5.0),
            f"largest |MC - closed form| / standard error = {z.max():.3g} < 5",
        ),
        # The information loss at the minimiser of E L: no case when the minimum is at tau = 0.
        Check.over(
            "information_loss_drops",
            [t_min > 0],
            [bool(ELI[t_min] < ELI[0])],
            f"E L_I at tau={t_min}: {ELI[t_min]:.3g} vs {ELI[0]:.3g} at tau=0",
        ),
        Check.single(
            "nuisance_loss_grows",
            bool(ELN[-1] >= ELN[0]),
            f"E L_N {ELN[0]:.3g} at tau=0, {ELN[-1]:.3g} at tau={cfg.steps}",
        ),
    ]
    curves = {
        "linear": {
            "step": list(range(cfg.steps + 1)),
            "EL": EL.tolist(),
            "EL_I": ELI.tolist(),
            "EL_N": ELN.tolist(),
            "MC_L": mean[0].tolist(),
            "MC_L_I": mean[1].tolist(),
            "MC_L_N": mean[2].tolist(),
            "MC_se_L": se[0].tolist(),
        }
    }
    return {
        "summary": summary,
        "checks": to_json(checks),
        "curves": curves,
        "predicted_vs_observed": [
            {
                "quantity": f"E L(w_tau) at tau={t}",
                "predicted": float(EL[t]),
                "observed": float(mean[0, t]),
                "status": "closed form (exact)",
            }
            for t in sorted({0, t_min, cfg.steps})
        ],
    }


@plots.styled
def plot(res: dict[str, Any], out: Path) -> list[str]:
    c = res["curves"]["linear"]
    cfg = res["config"]
    fig, (a, b) = plots.new_figure(2, width=3.6)
    me = max(1, len(c["step"]) // 10)
    a.plot(
        c["step"],
        c["EL"],
        label=r"$\mathbb{E}\mathcal{L}(w_\tau)$ (closed form)",
        **plots.style(0, me),
    )
    a.plot(c["step"], c["MC_L"], label="Monte Carlo", **plots.style(1, me))
    a.set_xlabel(r"iteration $\tau$")
    a.set_yscale("log")
    a.set_ylabel("population loss")
    a.set_title("(a) population loss", fontsize=8)
    plots.legend(a)
    b.plot(
        c["step"], c["EL_I"], label=r"$\mathbb{E}\mathcal{L}_{\mathcal{I}}$", **plots.style(2, me)
    )
    b.plot(
        c["step"], c["EL_N"], label=r"$\mathbb{E}\mathcal{L}_{\mathcal{N}}$", **plots.style(3, me)
    )
    b.set_xlabel(r"iteration $\tau$")
    b.set_yscale("log")
    b.set_ylabel("loss component")
    b.set_title("(b) information / nuisance parts", fontsize=8)
    plots.legend(b)
    plots.integer_ticks(a.xaxis)
    plots.integer_ticks(b.xaxis)
    plots.add_caption(
        fig,
        res,
        dataset=(
            f"linear model (Sec. 5.1: d={cfg['d']}, r={cfg['r']}, "
            f"σ_x={cfg['sigma_x']:g}, σ_y={cfg['sigma_y']:g})"
        ),
        n=cfg["n"],
        k="none (linear model)",
        alpha="none (I = the rank-r signal space)",
        η=f"{cfg['eta_fraction']:g}/||X||²",
    )
    return plots.save(fig, out, "linear")


register(
    Experiment(
        name="linear",
        description="Sec. 5.1 linear model: population loss and its I/N components (Fig. 8)",
        config=Config,
        run=run,
        plot=plot,
        small={"n": 60, "d": 120, "r": 3, "steps": 60, "mc_samples": 200},
    )
)
