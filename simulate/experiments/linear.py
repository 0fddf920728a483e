"""Section 5.1 / Fig. 8: gradient descent on the low-rank linear model.

``w_0 = 0`` and ``eta = eta_fraction / ||X||^2`` (the paper leaves both open).  At every step the
closed forms ``E L``, ``E L_I``, ``E L_N`` of Section 5.1 are evaluated at ``w_tau``; a Monte Carlo
estimate over ``mc_samples`` fresh draws of ``(Z, z)`` checks them.  The dip: ``E L`` reaches its
minimum well before the last iteration because ``E L_I`` drops fast while ``E L_N`` grows.

Checks (each can fail; the first two fail on the negative control):

* ``population_loss_dips``: the minimiser ``tau*`` of ``E L(w_tau)`` lies in the first quarter of
  the run (``tau* <= steps/4``) and ``E L`` rises by at least 10% after it,
  ``E L(w_T)/E L(w_tau*) - 1 >= 0.10``.  The model at the default config gives ``tau* = 10`` of
  200 and a rise of 35% (seeds 0-2: 32-39%); the small config 16-25%, so 10% is a third of the
  default's value with room for seeds.
* ``nuisance_loss_makes_the_rise``: at least half of the rise after ``tau*`` is nuisance loss,
  ``E L_N(w_T) - E L_N(w_tau*) >= (E L(w_T) - E L(w_tau*))/2 > 0`` (default config: 114%, the
  information loss still falls; at ``||w*|| = 1``: 94%).
* ``monte_carlo_matches_closed_form``: every Monte Carlo mean within 5 standard errors.

Negative control (registered): ``sigma_x = 0``.  Without input noise ``E L_N`` is the constant
``(1 - r/n) sigma_y^2 / 2`` (fitting the label noise costs nothing on a fresh ``(Z, z)`` that
leaves ``Xbar`` unchanged) and ``E L`` decreases to its floor: no dip, no nuisance rise.

**The size of w*.**  The paper does not say how large ``w*`` is; ``w_star_norm`` sets ``||w*||``
(0: ``sqrt(n)``, so that ``||ybar|| = sqrt(n)`` like one-hot labels).  The information part decays
like ``(1 - eta s^2)^{2 tau} ||w*||^2`` and must fall to the noise level before ``E L`` turns, so
``tau*`` grows like ``log ||w*||`` (default model: ``tau* = 3-4`` at ``||w*|| = 1``, 10 at
``sqrt(n) = 14``, 11 at 100), while the relative rise shrinks, because the minimum itself carries
``sigma_x^2 ||w||^2 >= sigma_x^2 ||w*||^2``-sized terms (rise 51-58% at ``||w*|| = 1``, 32-39% at
``sqrt(n)``, 28-34% at 100; seeds 0-2).  The dip therefore exists at every ``||w*||`` tried, but
is sharpest for a small signal.
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
    w_star_norm: float = 0.0
    """||w*|| (0: sqrt(n)); the paper leaves it open, and it moves the dip (module docstring)."""

    def validate(self) -> None:
        super().validate()
        positive(self, "n", "d", "r", "steps", "mc_samples", integer=True)
        positive(self, "eta_fraction")
        if not (np.isfinite(self.w_star_norm) and self.w_star_norm >= 0):
            raise ValueError(f"w_star_norm must be >= 0 (0: sqrt(n)), got {self.w_star_norm!r}")
        if not self.r <= self.n <= self.d:
            raise ValueError(f"need r <= n <= d, got r={self.r}, n={self.n}, d={self.d}")
        if self.eta_fraction > 1:
            raise ValueError(
                f"eta_fraction must lie in (0, 1] (stable GD), got {self.eta_fraction}"
            )


#: "Well before the end": the minimiser of E L lies in the first quarter of the run.
DIP_BY = 0.25
#: Smallest relative rise of E L after its minimiser that counts as a dip: a third of the 35%
#: the model gives at the default config (32-39% over seeds 0-2, 16-25% at the small config).
DIP_MIN_RISE = 0.10
#: Share of the rise of E L after its minimiser that must be nuisance loss (114% at the default
#: config, where E L_I still falls; 94% at ||w*|| = 1, where E L_I rises a little too).
NUISANCE_SHARE_MIN = 0.5
#: Monte Carlo against closed form: every mean within this many standard errors (over
#: 3 x (steps+1) comparisons at 200 samples, |z| > 5 has probability ~1e-4 per run).
MC_Z_MAX = 5.0


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    lm = linear_model(
        cfg.n,
        cfg.d,
        cfg.r,
        cfg.sigma_x,
        cfg.sigma_y,
        seed=cfg.seed,
        w_star_norm=cfg.w_star_norm or None,
    )
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
    rise = float(EL[-1] / EL[t_min] - 1) if EL[t_min] > 0 else 0.0
    rise_N = float(ELN[-1] - ELN[t_min])
    rise_L = float(EL[-1] - EL[t_min])
    dip = bool(t_min <= DIP_BY * cfg.steps and rise >= DIP_MIN_RISE)
    summary = {
        "eta": eta,
        "w_star_norm": float(np.linalg.norm(lm.w_star)),
        "argmin_population_loss": t_min,
        "min_population_loss": float(EL[t_min]),
        "final_population_loss": float(EL[-1]),
        "initial_population_loss": float(EL[0]),
        "relative_rise_after_min": rise,
        "nuisance_rise_after_min": rise_N,
        "max_mc_z_score": float(z.max()),
        "dip": dip,
    }
    checks = [
        Check.single(
            "population_loss_dips",
            dip,
            f"argmin of E L at tau*={t_min} (<= {DIP_BY:g} x {cfg.steps} steps), E L rises by "
            f"{rise:.1%} after it (>= {DIP_MIN_RISE:.0%}; the model at the default config gives "
            "35%, seeds 0-2: 32-39%)",
        ),
        Check.single(
            "nuisance_loss_makes_the_rise",
            bool(rise_L > 0 and rise_N >= NUISANCE_SHARE_MIN * rise_L),
            f"after tau*={t_min}: E L_N rises by {rise_N:.3g}, E L by {rise_L:.3g} (need "
            f"E L_N rise >= {NUISANCE_SHARE_MIN:g} x E L rise > 0)",
        ),
        Check.single(
            "monte_carlo_matches_closed_form",
            bool(z.max() < MC_Z_MAX),
            f"largest |MC - closed form| / standard error = {z.max():.3g} < {MC_Z_MAX:g}",
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
    s = res["summary"]
    a.axvline(s["argmin_population_loss"], color=plots.REFERENCE, lw=0.8)
    a.set_title(
        rf"$\tau^*={s['argmin_population_loss']}$, rise after it "
        f"{s['relative_rise_after_min']:.0%}, " + rf"$\|w^*\|={s['w_star_norm']:.3g}$",
        fontsize=8,
    )
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
        negative_control={"sigma_x": 0.0},
        control_fails=frozenset({"population_loss_dips", "nuisance_loss_makes_the_rise"}),
    )
)
