"""Figs. 7 and 15, Tables 1-7: label corruption against the information/nuisance split.

For each corruption fraction the network is trained as in ``dynamics``; reported: the label
energy ``||Pi_N(y)||/||y||`` on the initial and final Jacobian, the test error (clean test
labels), and the table of label and initial-residual energies on I and N for ``J_init`` and
``J_final``.  The summary gives the correlation of the final test error with
``||Pi_N(y)||/sqrt(n)`` on the initial Jacobian, the quantity Theorem 6.21's bias term reads.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np

from .. import plots, sweep
from .base import Experiment, register
from .checks import Check, to_json
from .common import info_rank_of
from .dynamics import Config as DynamicsConfig
from .dynamics import train_run


@dataclasses.dataclass(frozen=True)
class Config(DynamicsConfig):
    corruptions: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    """Fractions of training labels switched to a different class, one run each; each in [0, 1]."""


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    points = [
        sweep.Point(
            f"p{p:g}",
            {**dataclasses.asdict(cfg), "corruption": p},
            functools.partial(train_run, cfg, p, progress),
        )
        for p in cfg.corruptions
    ]
    rows = list(zip(cfg.corruptions, sweep.map_points(out, points), strict=True))
    frac = np.array([p for p, _ in rows])
    nuis_init = np.array([r["label_nuisance_init"] for _, r in rows])
    nuis_final = np.array([r["label_nuisance_final"] for _, r in rows])
    test_err = np.array([r["final_test_error"] for _, r in rows])
    # ||Pi_N y|| / sqrt(n) equals ||Pi_N y|| / ||y|| for one-hot labels (||y|| = sqrt(n)).
    corr = (
        float(np.corrcoef(nuis_init, test_err)[0, 1])
        if len(rows) > 2 and np.std(test_err) > 0 and np.std(nuis_init) > 0
        else None
    )
    table = []
    for p, r in rows:
        for tag in ("init", "final"):
            table.append(
                {
                    "corruption": p,
                    "jacobian": f"J_{tag}",
                    "label_info": r[f"label_info_{tag}"],
                    "label_nuisance": r[f"label_nuisance_{tag}"],
                    "r0_info": r[f"r0_info_{tag}"],
                    "r0_nuisance": r[f"r0_nuisance_{tag}"],
                }
            )
    summary = {
        "corruption": frac.tolist(),
        "label_nuisance_init": nuis_init.tolist(),
        "label_nuisance_final": nuis_final.tolist(),
        "final_test_error": test_err.tolist(),
        "best_test_error": [r["best_test_error"] for _, r in rows],
        "corr_test_error_vs_nuisance_over_sqrt_n": corr,
    }
    # "Grows with corruption" compares the lowest and the highest corruption level: it needs
    # two distinct levels.
    lo, hi = int(np.argmin(frac)), int(np.argmax(frac))
    spread = [bool(frac[hi] > frac[lo])]
    checks = [
        Check.over(
            "nuisance_energy_grows_with_corruption",
            spread,
            [bool(nuis_init[hi] > nuis_init[lo])],
            f"||Pi_N(y)||/||y|| on J_init: {nuis_init[lo]:.3g} at p={frac[lo]:g}, "
            f"{nuis_init[hi]:.3g} at p={frac[hi]:g}",
        ),
        Check.over(
            "test_error_grows_with_corruption",
            spread,
            [bool(test_err[hi] > test_err[lo])],
            f"test error {test_err[lo]:.3g} at p={frac[lo]:g}, {test_err[hi]:.3g} at p={frac[hi]:g}",
        ),
    ]
    curves = {
        "corruption": {
            "corruption": frac.tolist(),
            "label_nuisance_init": nuis_init.tolist(),
            "label_nuisance_final": nuis_final.tolist(),
            "final_test_error": test_err.tolist(),
        }
    }
    return {
        "summary": summary,
        "checks": to_json(checks),
        "curves": curves,
        "tables": {"energy": table},
    }


@plots.styled
def plot(res: dict[str, Any], out: Path) -> list[str]:
    c = res["curves"]["corruption"]
    cfg = res["config"]
    fig, (ax,) = plots.new_figure()
    ax.plot(
        c["corruption"],
        c["label_nuisance_init"],
        label=r"$\|\Pi_{\mathcal{N}}(y)\|/\|y\|$, $J_{init}$",
        **plots.style(0),
    )
    ax.plot(
        c["corruption"],
        c["label_nuisance_final"],
        label=r"$\|\Pi_{\mathcal{N}}(y)\|/\|y\|$, $J_{final}$",
        **plots.style(1),
    )
    ax.plot(c["corruption"], c["final_test_error"], label="test error", **plots.style(2))
    ax.set_xlabel("label corruption fraction")
    ax.set_ylabel("fraction")
    plots.legend(ax)
    plots.add_caption(
        fig,
        res,
        dataset=plots.dataset_label(res),
        n=cfg["n"],
        k=cfg["k"],
        alpha=f"none (I = top {info_rank_of(cfg)} singular directions of J)",
        steps=cfg["steps"],
    )
    return plots.save(fig, out, "corruption")


register(
    Experiment(
        name="corruption",
        description="label corruption sweep: nuisance energy of labels vs test error (Figs. 7, 15)",
        config=Config,
        run=run,
        plot=plot,
        small={
            "n": 60,
            "n_test": 60,
            "k": 64,
            "steps": 60,
            "record_every": 20,
            "d": 8,
            "corruptions": (0.0, 0.5, 1.0),
        },
    )
)
