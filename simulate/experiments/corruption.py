"""Figs. 7 and 15, Tables 1-7: label corruption against the information/nuisance split.

For each corruption fraction ``p`` the network is trained as in ``dynamics``; reported: the label
energy ``||Pi_N(y)||/||y||`` on the initial and final Jacobian, the test error (clean test
labels), and the table of label and initial-residual energies on I and N for ``J_init`` and
``J_final``.  The summary gives the correlation of the final test error with
``||Pi_N(y)||/sqrt(n)`` on the initial Jacobian, the quantity Theorem 6.21's bias term reads.

The default config is the scikit-learn digits (``K = 10``, shipped with the package, no download)
at ``p = 0, 0.1, ..., 0.9``; ``p = 1`` is left out because for small ``K`` it turns the labels into
a permutation of the classes (for ``K = 2`` exactly), which is no corruption at all.

Checks, over all levels (tested when there are at least three distinct levels):

* ``nuisance_energy_rank_correlates_with_corruption``: Spearman's rank correlation between ``p``
  and ``||Pi_N(y)||/||y||`` on ``J_init`` is at least 0.8, and the energy grows by at least 0.1
  from the lowest to the highest level;
* ``test_error_rank_correlates_with_corruption``: the same for the final test error.

A rank correlation >= 0.8 has an exact permutation p-value of 0.0035 at 10 levels and 0.017 at
7 (a monotone trend with a neighbour or two swapped); the growth of at least 0.1 keeps a chance
ordering of flat values from passing.  Measured (all monotone): the digits at ``n = 100`` and
``n = 200``, ``||Pi_N(y)||/||y||`` 0.80 -> 0.96 and test error 0.07 -> 0.52-0.59 from ``p = 0`` to
``p = 0.6``; the small config (mixture, ``K = 5``) 0.21 -> 0.87 and 0 -> 0.87 up to ``p = 0.9``.
The demo runs the digits at ``n = 100`` (the default ``n = 200`` takes three ``eigh`` of
``nK = 2000`` per level).

MNIST at scale (``jacobound run corruption dataset=mnist n=8000 n_test=2000``; the splits take
the matrix-free route of :func:`simulate.eig.jacobian_split` above ``nK = 6000``): at ``p = 0``,
``n = 8000`` (``nK = 80000``) one level takes 4 min on 2 shared CPU cores and 2.0 GB peak
RSS; ``||Pi_N(y)||/||y||`` is 0.881 on ``J_init`` (0.880 on ``J_final``) and the test error
0.091 (``n = 2000``: 0.880 and 0.085, 3 min, 1.0 GB).

Negative control (registered): unstructured inputs (the mixture at ``sigma = 10``, where the
clusters dissolve into the sphere).  The labels then carry no information about the inputs at
any ``p``, the label energy on N and the test error (about ``1 - 1/K``) stay flat, and both checks
fail.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from .. import plots
from .base import Experiment, register
from .checks import Check, to_json
from .common import info_rank_of
from .dynamics import Config as DynamicsConfig
from .dynamics import corruption_sweep


@dataclasses.dataclass(frozen=True)
class Config(DynamicsConfig):
    dataset: str = "digits"
    """Dataset: "digits" (scikit-learn's 8x8, K = 10), "mnist" (10,000 MNIST digits, K = 10; both
    shipped, no download) or "mixture"."""
    n: int = 200
    """Number of training samples."""
    n_test: int = 200
    """Number of test samples (clean labels)."""
    corruptions: tuple[float, ...] = tuple(i / 10 for i in range(10))
    """Fractions of training labels switched to a different class, one run each; each in [0, 1]
    (default 0, 0.1, ..., 0.9: at p = 1 the labels of a small K become a class permutation)."""


#: Smallest Spearman rank correlation between p and each quantity (see the module docstring).
SPEARMAN_MIN = 0.8
#: Smallest growth of each quantity from the lowest to the highest corruption level.
GROWTH_MIN = 0.1


def _trend(frac: np.ndarray, vals: np.ndarray) -> tuple[float, float]:
    """Spearman's rho of ``vals`` against ``frac`` (nan when either is constant) and the growth
    from the lowest to the highest level."""
    from scipy.stats import spearmanr

    if np.ptp(vals) == 0 or np.ptp(frac) == 0:
        rho = float("nan")
    else:
        rho = float(spearmanr(frac, vals).statistic)
    return rho, float(vals[int(np.argmax(frac))] - vals[int(np.argmin(frac))])


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    rows = list(zip(cfg.corruptions, corruption_sweep(cfg, out, progress), strict=True))
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
    spread = [len(set(frac.tolist())) >= 3]
    checks = []
    for name, what, vals in (
        (
            "nuisance_energy_rank_correlates_with_corruption",
            "||Pi_N(y)||/||y|| on J_init",
            nuis_init,
        ),
        ("test_error_rank_correlates_with_corruption", "final test error", test_err),
    ):
        rho, growth = _trend(frac, vals)
        summary[f"spearman_{name.split('_rank')[0]}"] = rho
        checks.append(
            Check.over(
                name,
                spread,
                [bool(rho >= SPEARMAN_MIN and growth >= GROWTH_MIN)],
                f"{what}: Spearman rho over {len(frac)} levels {rho:.3g} (>= {SPEARMAN_MIN:g}), "
                f"growth {growth:.3g} (>= {GROWTH_MIN:g}) from p={frac.min():g} to "
                f"p={frac.max():g}; values " + ", ".join(f"{v:.3g}" for v in vals),
            )
        )
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
    ax.set_xlabel("label corruption fraction $p$")
    ax.set_ylabel("fraction")
    s = res["summary"]
    ax.set_title(
        rf"Spearman $\rho$ over $p$: {s.get('spearman_nuisance_energy', float('nan')):.2f} "
        f"(energy), {s.get('spearman_test_error', float('nan')):.2f} (test error)",
        fontsize=8,
    )
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
            "dataset": "mixture",
            "K": 5,
            "C": 1,
            "d": 16,
            "n": 60,
            "n_test": 100,
            "k": 64,
            "steps": 60,
            "record_every": 20,
            "corruptions": (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9),
        },
        demo_overrides={"n": 100},
        negative_control={"sigma": 10.0},
        control_fails=frozenset(
            {
                "nuisance_energy_rank_correlates_with_corruption",
                "test_error_rank_correlates_with_corruption",
            }
        ),
    )
)
