"""Theorem 2.5 / A.3 on the Gaussian mixture, and the facts of Theorem A.1 on noiseless data.

Part 1 (sigma = 0, Theorem A.1): ``Sigma(X)`` has rank ``K^2 C``; the class-major label vector
lies in its range; its non-zero eigenvalues lie in ``[n/(2KC) s_min(Sigma(M)), 2n/(KC) ||Sigma(M)||]``
(on the event that every cluster has between half and twice ``n/(KC)`` points, also checked).

Part 2 (sigma > 0): for each ``n`` the network of Theorem A.3 (random init, ``nu`` from (6.67),
``eta = 1/(nu^2 B^2 ||X||^2)``, ``T = 2 Gamma K^2 C/(eta nu^2 n lambda_M)``) is trained and its test
error put beside the A.3 and 2.5 bounds (hidden constants 1), with ``lambda_M = lambda_min(Sigma(M))``.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np

import bounds

from .. import plots, sweep
from ..data import gaussian_mixture
from ..model import init_random, nu_for_random_init
from ..train import train_as_theorem
from .base import BaseConfig, Experiment, positive, register
from .checks import Check, to_json
from .common import failing_hypotheses, spectral_norm, status, tensors


@dataclasses.dataclass(frozen=True)
class Config(BaseConfig):
    K: int = 2
    """Number of classes."""
    C: int = 2
    """Clusters per class (Definition 2.4)."""
    d: int = 20
    """Input dimension."""
    sigma: float = 1.0
    """Noise level of the mixture in part 2 (x ~ N(mu, sigma^2 I_d / d), rows renormalised); >= 0.

    """
    min_distance: float = 0.5
    """Smallest Euclidean distance between two cluster centres (in [0, 2]); keeps lambda_M away
    from 0.
    """
    n_values: tuple[int, ...] = (40, 80, 160, 320)
    """Training-set sizes n of part 2, one run each."""
    n_noiseless: int = 200
    """Number of samples of part 1 (sigma = 0, the facts of Theorem A.1)."""
    noiseless_labels: str = "clusters"
    """Labels of part 1: "clusters" (Definition 2.4: the label is the class of the cluster) or
    "random" (drawn independently of the inputs: the negative control, under which the label
    vector no longer lies in the K^2 C-dimensional range of Sigma(X)).
    """
    n_test: int = 500
    """Number of test samples for the observed test error."""
    k: int = 512
    """Hidden width of the network."""
    Gamma: float = 2.0
    """Stopping scale Gamma >= 1 of Theorem A.3."""
    zeta: float = 0.1
    """Precision zeta, in (0, 1/2]; it sets nu by (6.67)."""
    delta: float = 0.05
    """Failure probability delta, in (0, 1)."""
    record_every: int = 50
    """Record losses and errors every this many steps."""

    def validate(self) -> None:
        super().validate()
        positive(
            self,
            "K",
            "C",
            "d",
            "n_values",
            "n_noiseless",
            "n_test",
            "k",
            "record_every",
            integer=True,
        )
        positive(self, "Gamma", "zeta", "delta")
        if self.noiseless_labels not in ("clusters", "random"):
            raise ValueError(
                f"noiseless_labels must be 'clusters' or 'random', got {self.noiseless_labels!r}"
            )
        if self.sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {self.sigma}")
        if not 0 < self.zeta <= 0.5:
            raise ValueError(f"zeta must lie in (0, 1/2], got {self.zeta}")
        if not 0 < self.delta < 1:
            raise ValueError(f"delta must lie in (0, 1), got {self.delta}")
        if self.Gamma < 1:
            raise ValueError(f"Gamma must be >= 1, got {self.Gamma}")


def noiseless_checks(cfg: Config) -> dict[str, Any]:
    ds = gaussian_mixture(
        cfg.n_noiseless,
        1,
        K=cfg.K,
        C=cfg.C,
        d=cfg.d,
        sigma=0.0,
        seed=cfg.seed,
        min_distance=cfg.min_distance,
    )
    K, C, n = cfg.K, cfg.C, cfg.n_noiseless
    M = ds.meta["centers"]
    SM = bounds.kernels.ntk(M)
    ev_M = np.linalg.eigvalsh(SM)
    lam, U = np.linalg.eigh(bounds.kernels.ntk(ds.X_train))
    lam, U = lam[::-1], U[:, ::-1]
    tol = 1e-9 * lam[0]
    rank_single = int(np.sum(lam > tol))
    top = lam[: K * C]  # each repeated K times in Sigma(X) = I_K (x) Sigma~(X)
    lo, hi = n / (2 * K * C) * ev_M[0], 2 * n / (K * C) * ev_M[-1]
    Y, Ut = ds.y_train, U[:, : K * C]  # Sigma(X) = I_K ⊗ Sigma~(X): one class at a time
    if cfg.noiseless_labels == "random":
        Y = np.eye(K)[np.random.default_rng(cfg.seed + 7).integers(0, K, n)]
    sizes = np.bincount(ds.meta["clusters_train"], minlength=K * C)
    nt = n / (K * C)
    return {
        "rank_Sigma_X": rank_single * K,
        "K2C": K * K * C,
        # The explicit residual of the projection: InfoNuisance.nuisance_norm takes
        # sqrt(|y|^2 - |Pi_I y|^2), whose cancellation leaves ~1e-8 |y| for y in the range.
        "label_nuisance_fraction": float(np.linalg.norm(Y - Ut @ (Ut.T @ Y)) / np.linalg.norm(Y)),
        "eigenvalue_range_theory": [float(lo), float(hi)],
        "eigenvalues_top": [float(top.min()), float(top.max())],
        "cluster_sizes_in_range": bool(np.all((sizes >= 0.5 * nt) & (sizes <= 2 * nt))),
        "lambda_M": float(ev_M[0]),
    }


def one_run(cfg: Config, n: int, progress: bool) -> dict[str, Any]:
    ds = gaussian_mixture(
        n,
        cfg.n_test,
        K=cfg.K,
        C=cfg.C,
        d=cfg.d,
        sigma=cfg.sigma,
        seed=cfg.seed,
        min_distance=cfg.min_distance,
    )
    M = ds.meta["centers"]
    rep = bounds.from_data(
        "A.3",
        ds.X_train,
        ds.y_train,
        centers=M,
        Gamma=cfg.Gamma,
        zeta=cfg.zeta,
        delta=cfg.delta,
        k=cfg.k,
        C=cfg.C,
        sigma=cfg.sigma,
    )
    lam_M = bounds.kernels.lambda_min_centers(M)
    rep25 = bounds.theorem_2_5(
        Gamma=cfg.Gamma, k=cfg.k, n=n, K=cfg.K, C=cfg.C, lambda_M=lam_M, sigma=cfg.sigma
    )
    nu = nu_for_random_init(cfg.zeta, cfg.K)
    X, Y, Xt, Yt = tensors(ds, cfg.device)
    net0 = init_random(cfg.k, cfg.d, cfg.K, nu, cfg.seed + 1, device=cfg.device)
    _, h = train_as_theorem(
        rep,
        net0,
        X,
        Y,
        record_every=cfg.record_every,
        X_test=Xt,
        Y_test=Yt,
        progress=progress,
        desc=f"mixture n={n}",
    )
    T, eta = int(rep.iterations), float(rep.step_size)
    return {
        "n": n,
        "lambda_M": lam_M,
        "T": T,
        "eta": eta,
        "X_norm": spectral_norm(ds.X_train),
        "observed_test_error": float(h.test_error[-1]) if h.test_error is not None else None,
        "bound_A3": float(rep.error),
        "status_A3": status(rep),
        "bound_2_5": float(rep25.error),
        "status_2_5": status(rep25),
        "failing_A3": failing_hypotheses(rep),
        "failing_2_5": failing_hypotheses(rep25),
        "terms_A3": {
            t: float(rep.conclusions[t])
            for t in ("bias", "variance", "precision", "confidence", "optimization")
            if t in rep.conclusions
        },
    }


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    a1 = noiseless_checks(cfg)
    points = [
        sweep.Point(
            f"n{n}",
            {**dataclasses.asdict(cfg), "n": n},
            functools.partial(one_run, cfg, n, progress),
        )
        for n in cfg.n_values
    ]
    runs = sweep.map_points(out, points)
    lo, hi = a1["eigenvalue_range_theory"]
    pairs = len(runs) - 1
    checks = [
        Check.single(
            "A1_rank_is_K2C",
            a1["rank_Sigma_X"] == a1["K2C"],
            f"rank {a1['rank_Sigma_X']} vs K^2 C = {a1['K2C']}",
        ),
        # 1e-6 is far above the ~1e-14 round-off of the projection on an exact range; labels
        # outside it leave a fraction of order 1.
        Check.single(
            "A1_labels_in_information_space",
            a1["label_nuisance_fraction"] < 1e-6,
            f"||Pi_N(y)||/||y|| = {a1['label_nuisance_fraction']:.3g}",
        ),
        # The range is promised on the event that every cluster has n/(2KC)..2n/(KC) points.
        Check.over(
            "A1_eigenvalues_in_range",
            [a1["cluster_sizes_in_range"]],
            [lo <= a1["eigenvalues_top"][0] and a1["eigenvalues_top"][1] <= hi],
            "premise: every cluster size within [n/(2KC), 2n/(KC)]",
        ),
        Check.over(
            "bounds_decrease_in_n",
            [True] * max(pairs, 0),
            [runs[i + 1]["bound_A3"] <= runs[i]["bound_A3"] for i in range(max(pairs, 0))],
            "A.3 bound at consecutive n (a property of the formula at these inputs)",
        ),
    ]
    curves = {
        "mixture": {
            "n": [r["n"] for r in runs],
            "observed_test_error": [r["observed_test_error"] for r in runs],
            "bound_A3": [r["bound_A3"] for r in runs],
            "bound_2_5": [r["bound_2_5"] for r in runs],
        }
    }
    pvo = [
        {
            "quantity": f"test error, Thm {label}, n={r['n']}",
            "predicted": r[f"bound_{t}"],
            "observed": r["observed_test_error"],
            "status": r[f"status_{t}"],
            "failing": r.get(f"failing_{t}", []),
        }
        for r in runs
        for t, label in (("A3", "A.3"), ("2_5", "2.5"))
    ]
    return {
        "summary": {"theorem_A1": a1, "runs": runs},
        "checks": to_json(checks),
        "curves": curves,
        "predicted_vs_observed": pvo,
    }


@plots.styled
def plot(res: dict[str, Any], out: Path) -> list[str]:
    c = res["curves"]["mixture"]
    cfg = res["config"]
    fig, (ax, ax_t) = plots.new_figure(ncols=2, width=3.8)
    ax.loglog(
        c["n"],
        np.maximum(c["observed_test_error"], 1e-3),
        label="observed test error",
        **plots.style(0),
    )
    # A bound whose hypotheses fail is labelled so in the legend, not drawn as a plain curve.
    runs = res["summary"]["runs"]
    fail = {t: any(r.get(f"failing_{t}") for r in runs) for t in ("A3", "2_5")}
    tag = {t: ", hypotheses fail" if f else "" for t, f in fail.items()}
    ax.loglog(c["n"], c["bound_A3"], label=f"Thm A.3 (constants 1{tag['A3']})", **plots.style(1))
    ax.loglog(c["n"], c["bound_2_5"], label=f"Thm 2.5 (constants 1{tag['2_5']})", **plots.style(2))
    ax.axhline(1.0, color=plots.REFERENCE, lw=0.8, label="error 1 (vacuous above)")
    ax.set_xlabel(r"training samples $n$")
    plots.ticks_at(ax.xaxis, c["n"])
    ax.set_ylabel(r"$\mathrm{Err}_{\mathcal{D}}(W_T)$")
    lm = runs[0]["lambda_M"]
    ax.set_title(rf"$\lambda_M = {lm:.3g}$ (informal bounds: hidden constants 1)", fontsize=8)
    plots.legend(ax)
    # The terms of A.3's bound against n (constants 1).
    terms = runs[0].get("terms_A3", {})
    for i, t in enumerate(terms):
        ax_t.loglog(c["n"], [max(r["terms_A3"][t], 1e-12) for r in runs], label=t, **plots.style(i))
    ax_t.set_xlabel(r"training samples $n$")
    ax_t.set_ylabel("term of the Thm A.3 bound")
    ax_t.set_title(
        "failing hypotheses: "
        + (
            ", ".join(sorted({h.split(":")[0] for r in runs for h in r.get("failing_A3", [])}))
            or "none"
        ),
        fontsize=6,
    )
    plots.legend(ax_t)
    plots.add_caption(
        fig,
        res,
        dataset=plots.dataset_label(res, "mixture"),
        n=c["n"],
        k=cfg["k"],
        alpha="α₀ = (nλ_M/(2KC))^½ (Thm A.3)",
        Γ=cfg["Gamma"],
        ζ=cfg["zeta"],
        δ=cfg["delta"],
    )
    return plots.save(fig, out, "mixture")


register(
    Experiment(
        name="mixture",
        description="Theorem 2.5/A.3 test error vs n, lambda_M, and Theorem A.1 checks at sigma = 0",
        config=Config,
        run=run,
        plot=plot,
        small={"n_values": (30, 60), "n_noiseless": 60, "n_test": 100, "k": 64, "d": 8},
        negative_control={"noiseless_labels": "random"},
        control_fails=frozenset({"A1_labels_in_information_space"}),
    )
)
