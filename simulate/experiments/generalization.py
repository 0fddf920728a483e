"""Theorems 6.21/6.22, 6.24/6.25, the informal 2.2, 2.3, 2.5 and Arora et al. (2019) beside
measured errors, over ``n``, seeds and cutoffs; the informal bounds calibrated and predicting.

For every ``n`` in ``n_values``, seed and cutoff fraction in ``cutoff_fractions`` the network is
initialised as in Theorem 6.24 (``W_0`` Gaussian, ``V`` Rademacher x ``nu/sqrt(kK)`` with ``nu``
from (6.67)) and trained by GD with the theorems' step ``eta = 1/(nu^2 B^2 ||X||^2)``.  The
cutoff is ``alpha_0 = fraction * lambda_1(Sigma(X)^{1/2})``, i.e.
``alpha = alpha_0 / (B sqrt(sqrt(n) K ||X||))`` (docs/theory.md#cutoffs).  Because
``abar^2 = nu^2 alpha_0^2 / K`` (Theorem 6.21's cutoff with ``nu = sqrt(kK) ||V||_inf``), the
run at 6.24's ``T`` is also 6.21/6.22's.  Each informal theorem is measured at its own ``T``
(the report's ``iterations``, hidden constant 1, same ``eta``): one GD run continued through the
sorted ``T``'s, the test error read at each.  Theorem 2.5 needs the mixture's centres
(``dataset = "mixture"``).

**Calibration.**  An informal bound ``b(n)`` states ``Err ≲ b(n)``: a hidden constant ``c``.  It
is fitted once, as the geometric mean of ``measured / b`` over the ``calibrate_on`` smallest
``n`` (seed-averaged), and ``c b(n)`` then predicts the larger ``n`` out of sample; the
calibration error is ``predicted / measured``.  The rate: per seed, the least-squares slope of
``log Err`` (and of ``log b``) against ``log n``; a check fails when the measured slope and the
bound's slope are further apart than the sum of their t-intervals (95%) over seeds.  The measured
error enters logarithms floored at ``1/(2 n_test)``.

**Arora et al.** (:func:`bounds.competing.arora_2019`): ``sqrt(2 y^T H^{-1} y / n)`` plus the
confidence term, ``H = Sigma~(X)`` the NTK Gram of the same network (the bound does not depend
on the output scale ``nu``; see that module for the multiclass reading), at the run's ``k``,
``kappa = 1`` (``W_0 ~ N(0, I)``), the step in their normalisation ``eta nu^2 / K`` and 6.24's
``T``.

Negative control: ``labels = "random"`` draws train and test labels independently of the
inputs; nothing can be learnt, and the check that the measured error decreases with ``n`` fails.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

import bounds
from bounds.competing import IllConditioned, arora_2019

from .. import plots, sweep
from ..backend import to_numpy
from ..data import Dataset, check_dataset
from ..model import init_random, nu_for_random_init
from ..train import train
from .base import BaseConfig, Experiment, positive, register
from .checks import Check, to_json
from .common import classification_dataset, failing_hypotheses, spectral_norm, status, tensors

THEOREMS = ("6.21", "6.22", "6.24", "6.25", "2.2", "2.3", "2.5", "Arora")
#: Informal statements whose hidden constant is fitted (Arora et al.'s O(.) too).
CALIBRATED = ("2.2", "2.3", "2.5", "Arora")
#: The terms a report's conclusions may split its error into.
TERMS = ("bias", "variance", "precision", "confidence", "optimization", "complexity")
#: Two-sided level of the t-intervals over seeds and of the Wilson intervals per run.
LEVEL = 0.95


def cutoff_label(frac: float) -> str:
    """A sweep's cutoff as the table rows, the CSV and the figure files name it.

    ``alpha0=0.15lambda1`` is ``alpha_0 = 0.15 lambda_1(Sigma(X)^{1/2})``: one curve over ``n``
    holds one fraction, while ``alpha`` itself changes with ``n`` (the table gives both).
    """
    return f"alpha0={frac:g}lambda1"


@dataclasses.dataclass(frozen=True)
class Config(BaseConfig):
    dataset: str = "mixture"
    """"mixture" (Definition 2.4, unit-norm rows), "digits" (scikit-learn's 8x8 digits) or "mnist"
    (10,000 MNIST digits shipped with the package; n + n_test <= 10000); for the real data K, C,
    d and sigma are ignored.
    """
    n_values: tuple[int, ...] = (100, 200, 400, 800)
    """Training-set sizes n, one run each (per seed and cutoff fraction)."""
    n_test: int = 2000
    """Number of test samples for the observed test error."""
    seeds: int = 3
    """Number of seeds (seed, seed + 1, ...): data, initialisation; t-intervals over them."""
    K: int = 2
    """Number of classes (mixture only)."""
    C: int = 2
    """Clusters per class (mixture only)."""
    d: int = 20
    """Input dimension (mixture only)."""
    sigma: float = 1.5
    """Noise level of the mixture (mixture only)."""
    k: int = 512
    """Hidden width of the network."""
    zeta: float = 0.1
    """Precision zeta of Theorems 6.21-6.25, in (0, 1/2]; it sets nu by (6.67)."""
    Gamma: float = 2.0
    """Stopping scale Gamma >= 1: the theorems' T iterations."""
    delta: float = 0.05
    """Failure probability delta of the generalisation bounds, in (0, 1)."""
    cutoff_fractions: tuple[float, ...] = (0.4,)
    """Actual cutoffs alpha_0 as fractions of lambda_1(Sigma(X)^{1/2}), one run each; each in (0,
    1].
    """
    record_every: int = 50
    """Record losses and errors every this many steps."""
    calibrate_on: int = 2
    """Number of smallest n on which the hidden constant of each informal bound is fitted."""
    labels: str = "true"
    """"true", or "random" (negative control: labels independent of the inputs)."""

    def validate(self) -> None:
        super().validate()
        positive(
            self, "n_values", "n_test", "seeds", "K", "C", "d", "k", "record_every", integer=True
        )
        positive(self, "zeta", "Gamma", "delta", "cutoff_fractions", "calibrate_on")
        check_dataset(self.dataset)
        if self.labels not in ("true", "random"):
            raise ValueError(f"labels must be 'true' or 'random', got {self.labels!r}")
        if not 0 < self.zeta <= 0.5:
            raise ValueError(f"zeta must lie in (0, 1/2], got {self.zeta}")
        if self.Gamma < 1:
            raise ValueError(f"Gamma must be >= 1, got {self.Gamma}")
        if not 0 < self.delta < 1:
            raise ValueError(f"delta must lie in (0, 1), got {self.delta}")
        if not all(0 < f <= 1 for f in self.cutoff_fractions):
            raise ValueError(f"cutoff_fractions must lie in (0, 1], got {self.cutoff_fractions}")
        if not isinstance(self.calibrate_on, int) or self.calibrate_on >= len(self.n_values):
            raise ValueError(
                "calibrate_on must be an integer below the number of n_values (the rest is "
                f"predicted), got {self.calibrate_on!r} with {len(self.n_values)} n_values"
            )


def wilson(errors: int, total: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``errors / total``."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = errors / total
    den = 1 + z * z / total
    mid = (p + z * z / (2 * total)) / den
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / den
    # At 0 (or total) errors the end is 0 (or 1) exactly; computed, it cancels to ~1e-18.
    lo = 0.0 if errors == 0 else max(mid - half, 0.0)
    hi = 1.0 if errors == total else min(mid + half, 1.0)
    return float(lo), float(hi)


def t_interval(values: list[float] | np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """``(mean, half-width)`` of the t-interval over seeds; half-width 0 for one value."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()), 0.0
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return float(x.mean()), half


def _labels(cfg: Config, ds: Dataset, seed: int) -> Dataset:
    if cfg.labels == "true":
        return ds
    rng = np.random.default_rng(seed + 12345)
    K = ds.K
    return Dataset(
        ds.X_train,
        np.eye(K)[rng.integers(0, K, ds.n)],
        ds.X_test,
        np.eye(K)[rng.integers(0, K, ds.X_test.shape[0])],
        {**ds.meta, "labels": "random"},
    )


def _entry(rep: Any) -> dict[str, Any]:
    return {
        "error": float(rep.error),
        "status": status(rep),
        "rigorous": bool(rep.rigorous),
        "vacuous": bool(rep.vacuous),
        "iterations": None if rep.iterations is None else int(rep.iterations),
        "train_residual": float(rep.conclusions["train_residual"])
        if "train_residual" in rep.conclusions
        else None,
        "train_loss": float(rep.conclusions["train_loss"])
        if "train_loss" in rep.conclusions
        else None,
        "terms": {t: float(rep.conclusions[t]) for t in TERMS if t in rep.conclusions},
        "failing": list(rep.failing),
        "failing_hypotheses": failing_hypotheses(rep),
    }


def one_run(cfg: Config, n: int, seed: int, progress: bool) -> dict[str, Any]:
    """Every cutoff fraction at one ``(n, seed)``: the spectra are shared."""
    ds = _labels(
        cfg,
        classification_dataset(
            cfg.dataset, n, cfg.n_test, seed, K=cfg.K, C=cfg.C, d=cfg.d, sigma=cfg.sigma
        ),
        seed,
    )
    K, B = ds.K, 1.0
    X_norm = spectral_norm(ds.X_train)
    H = bounds.kernels.ntk(ds.X_train)
    eig = np.linalg.eigh(H)
    lam1 = float(np.sqrt(eig[0][-1]))
    nu = nu_for_random_init(cfg.zeta, K, B)
    X, Y, Xt, Yt = tensors(ds, cfg.device)
    net0 = init_random(cfg.k, ds.d, K, nu, seed + 1, device=cfg.device)
    nu_V = float(np.sqrt(cfg.k * K) * float(net0.V.abs().max()))
    r0 = to_numpy((net0.forward(X) - Y).T.reshape(-1))
    gram = to_numpy(net0.gram(X))
    # One eigendecomposition of J0 J0^T serves 6.21, 6.22 and 2.3 at every cutoff (from_jacobian
    # re-cuts a split); 2.3's network is J0 / nu_V: the same eigenvectors, eigenvalues / nu_V^2.
    lam_g, U_g = np.linalg.eigh((gram + gram.T) / 2)
    s1 = float(np.sqrt(max(lam_g.max(), 0.0)))  # any cutoff in (0, s1] will do
    split0 = bounds.InfoNuisance.from_eigh(lam_g, U_g, cutoff=s1)
    split23 = bounds.InfoNuisance.from_eigh(lam_g / nu_V**2, U_g, cutoff=s1 / nu_V)
    del gram, U_g
    rep25 = None
    if "centers" in ds.meta:
        lam_M = bounds.kernels.lambda_min_centers(ds.meta["centers"])
        rep25 = bounds.theorem_2_5(
            Gamma=cfg.Gamma, k=cfg.k, n=n, K=K, C=cfg.C, lambda_M=lam_M, sigma=cfg.sigma
        )
    out = []
    for frac in cfg.cutoff_fractions:
        alpha0 = frac * lam1
        alpha = alpha0 / (B * np.sqrt(np.sqrt(n) * K * X_norm))
        common = dict(alpha=alpha, Gamma=cfg.Gamma, zeta=cfg.zeta, k=cfg.k, kernel_eigh=eig)
        rep24, q = bounds.from_data(
            "6.24", ds.X_train, ds.y_train, delta=cfg.delta, return_quantities=True, **common
        )
        rep25f = bounds.from_data("6.25", ds.X_train, ds.y_train, delta=cfg.delta, **common)
        arb = dict(
            alpha=alpha,
            Gamma=cfg.Gamma,
            zeta=cfg.zeta,
            delta=cfg.delta,
            k=cfg.k,
            n=n,
            nu=nu_V,
            B=B,
            X_norm=X_norm,
        )
        rep21 = bounds.from_jacobian("6.21", split=split0, r0=r0, **arb)
        rep22 = bounds.from_jacobian("6.22", split=split0, r0=r0, **arb)
        # Theorem 2.3 is stated for nu = 1: J / nu_V is that network's Jacobian, and its cutoff
        # alpha' sqrt(n) equals 6.21's abar / nu_V for alpha' = B alpha (||X|| / sqrt(n))^{1/2}.
        abar = float(rep21.cutoff)
        rep23 = bounds.from_jacobian(
            "2.3",
            split=split23,
            r0=r0,
            alpha=abar / (nu_V * np.sqrt(n)),
            Gamma=cfg.Gamma,
            k=cfg.k,
            n=n,
        )
        rep22i = bounds.from_data(
            "2.2",
            ds.X_train,
            ds.y_train,
            alpha=alpha0 / np.sqrt(n * K),
            Gamma=cfg.Gamma,
            k=cfg.k,
            kernel_eigh=eig,
        )
        T, eta = int(rep24.iterations), float(rep24.step_size)
        reports: dict[str, Any] = {
            "6.21": rep21,
            "6.22": rep22,
            "6.24": rep24,
            "6.25": rep25f,
            "2.2": rep22i,
            "2.3": rep23,
        }
        if rep25 is not None:
            reports["2.5"] = rep25
        arora_note = None
        try:
            reports["Arora"] = arora_2019(
                H,
                bounds.class_major(ds.y_train),
                delta=cfg.delta,
                K=K,
                k=cfg.k,
                kappa=1.0,
                eta=eta * nu_V**2 / K,
                iterations=T,
                label_max=1.0,
            )
        except IllConditioned as exc:
            arora_note = str(exc)
        # The T of each statement: 6.21/6.22/6.25 at 6.24's (the run is theirs), informal ones
        # at their own.
        own_T = {
            key: (T if key in ("6.21", "6.22", "6.25", "Arora") else int(rep.iterations))
            for key, rep in reports.items()
        }
        observed: dict[int, dict[str, Any]] = {}
        net, t_done, series = net0, 0, None
        for t_target in sorted(set(own_T.values())):
            net, h = train(
                net,
                X,
                Y,
                eta=eta,
                steps=t_target - t_done,
                record_every=cfg.record_every,
                X_test=Xt,
                Y_test=Yt,
                step_bound=eta,
                progress=progress,
                desc=f"n={n} s={seed} a0={frac:g}l1",
            )
            t_done = t_target
            assert h.test_error is not None
            err = float(h.test_error[-1])
            observed[t_target] = {
                "test_error": err,
                "test_error_wilson": wilson(round(err * cfg.n_test), cfg.n_test),
                "train_loss": float(h.train_loss[-1]),
                "train_residual": float(h.residual_norm[-1]),
                "train_error": float(h.train_error[-1]),
            }
            if t_target == T:
                series = h.series()
        predicted = {key: {**_entry(rep), "T_run": own_T[key]} for key, rep in reports.items()}
        for key, p in predicted.items():
            p["observed"] = observed[own_T[key]]
        out.append(
            {
                "n": n,
                "seed": seed,
                "cutoff_fraction": frac,
                "alpha": alpha,
                "alpha_0": alpha0,
                "lambda_1": lam1,
                "X_norm": X_norm,
                "nu": nu,
                "eta": eta,
                "T": T,
                "iterations_6_21": int(rep21.iterations),
                "quantities": q.to_dict() if q is not None else None,
                "observed_test_error": observed[T]["test_error"],
                "observed_train_residual": observed[T]["train_residual"],
                "observed_train_error": observed[T]["train_error"],
                "observed_train_loss": observed[T]["train_loss"],
                "arora_not_computed": arora_note,
                "predicted": predicted,
                "series": series,
            }
        )
    return {"fractions": out}


def _slope(ns: np.ndarray, vals: np.ndarray) -> float:
    return float(np.polyfit(np.log(ns), np.log(vals), 1)[0])


def calibrate(cfg: Config, runs: list[dict[str, Any]], frac: float) -> dict[str, Any]:
    """Hidden constants fitted on the smallest ``n``, predictions, calibration errors, rates."""
    floor = 0.5 / cfg.n_test
    sel = [r for r in runs if r["cutoff_fraction"] == frac]
    ns = np.array(sorted({r["n"] for r in sel}), dtype=np.float64)
    seeds = sorted({r["seed"] for r in sel})
    out: dict[str, Any] = {}
    for thm in CALIBRATED:
        if not all(thm in r["predicted"] for r in sel):
            continue
        # err[s, j], bound[s, j]: seed s, n_j.
        err = np.array(
            [
                [
                    next(
                        r["predicted"][thm]["observed"]["test_error"]
                        for r in sel
                        if r["n"] == n and r["seed"] == s
                    )
                    for n in ns
                ]
                for s in seeds
            ]
        )
        bnd = np.array(
            [
                [
                    next(
                        r["predicted"][thm]["error"] for r in sel if r["n"] == n and r["seed"] == s
                    )
                    for n in ns
                ]
                for s in seeds
            ]
        )
        m_err, m_bnd = err.mean(0), bnd.mean(0)
        fit = slice(0, cfg.calibrate_on)
        c = float(np.exp(np.mean(np.log(np.maximum(m_err[fit], floor) / m_bnd[fit]))))
        pred = c * m_bnd
        ci = [t_interval(err[:, j]) for j in range(ns.size)]
        s_meas = [_slope(ns, np.maximum(err[i], floor)) for i in range(len(seeds))]
        s_bnd = [_slope(ns, bnd[i]) for i in range(len(seeds))]
        (sm, hm), (sb, hb) = t_interval(s_meas), t_interval(s_bnd)
        out[thm] = {
            "n": ns.astype(int).tolist(),
            "constant": c,
            "calibrated_on": ns[fit].astype(int).tolist(),
            "bound_mean": m_bnd.tolist(),
            "predicted": pred.tolist(),
            "measured_mean": m_err.tolist(),
            "measured_ci_half": [h for _, h in ci],
            "calibration_error": (pred / np.maximum(m_err, floor)).tolist(),
            "out_of_sample": [j >= cfg.calibrate_on for j in range(ns.size)],
            "slope_measured": sm,
            "slope_measured_ci": hm,
            "slope_bound": sb,
            "slope_bound_ci": hb,
            "slopes_measured_per_seed": s_meas,
            "slopes_bound_per_seed": s_bnd,
            "seeds": len(seeds),
        }
    return out


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    points = [
        sweep.Point(
            f"n{n}_s{cfg.seed + s}",
            {**dataclasses.asdict(cfg), "n": n, "run_seed": cfg.seed + s},
            functools.partial(one_run, cfg, n, cfg.seed + s, progress),
        )
        for s in range(cfg.seeds)
        for n in cfg.n_values
    ]
    runs = [f for res in sweep.map_points(out, points) for f in res["fractions"]]
    cal = {f"{frac:g}": calibrate(cfg, runs, frac) for frac in cfg.cutoff_fractions}
    first_seed = [r for r in runs if r["seed"] == cfg.seed]
    pvo = []
    for r in first_seed:
        for thm, p in r["predicted"].items():
            pvo.append(
                {
                    "quantity": f"test error at T={p['T_run']}, Thm {thm}, n={r['n']}, "
                    f"alpha={r['alpha']:.3g} ({cutoff_label(r['cutoff_fraction'])}), "
                    f"seed {r['seed']}",
                    "predicted": p["error"],
                    "observed": p["observed"]["test_error"],
                    "status": p["status"],
                    "failing": p.get("failing_hypotheses", p["failing"]),
                }
            )
    tables: dict[str, list[dict[str, Any]]] = {}
    for fkey, per in cal.items():
        rows = []
        for thm, c in per.items():
            fails = sorted(
                {
                    h
                    for r in runs
                    if r["cutoff_fraction"] == float(fkey)
                    for h in r["predicted"][thm]["failing"]
                }
            )
            for j, n in enumerate(c["n"]):
                rows.append(
                    {
                        "theorem": thm,
                        "n": n,
                        "bound (c=1)": c["bound_mean"][j],
                        "fitted c": c["constant"],
                        "c x bound": c["predicted"][j],
                        "measured (mean ± 95% t)": f"{c['measured_mean'][j]:.4g} ± {c['measured_ci_half'][j]:.2g}",
                        "predicted/measured": c["calibration_error"][j],
                        "role": "out of sample" if c["out_of_sample"][j] else "fit",
                        "failing hypotheses": ", ".join(fails) or "none",
                    }
                )
        tables[f"calibrated informal bounds, alpha_0 = {fkey} lambda_1"] = rows
        tables[f"log-log rates, alpha_0 = {fkey} lambda_1"] = [
            {
                "theorem": thm,
                "bound slope": f"{c['slope_bound']:.3f} ± {c['slope_bound_ci']:.2g}",
                "measured slope": f"{c['slope_measured']:.3f} ± {c['slope_measured_ci']:.2g}",
                "seeds": c["seeds"],
            }
            for thm, c in per.items()
        ]
    curves = {}
    for frac in cfg.cutoff_fractions:
        sel = [r for r in first_seed if r["cutoff_fraction"] == frac]
        cols: dict[str, list[Any]] = {
            "n": [r["n"] for r in sel],
            "alpha": [r["alpha"] for r in sel],
            "T": [r["T"] for r in sel],
            "observed_test_error": [r["observed_test_error"] for r in sel],
            "observed_train_residual": [r["observed_train_residual"] for r in sel],
            "observed_train_loss": [r["observed_train_loss"] for r in sel],
        }
        for thm in THEOREMS:
            if not all(thm in r["predicted"] for r in sel):
                continue
            cols[f"bound_{thm}"] = [r["predicted"][thm]["error"] for r in sel]
            cols[f"vacuous_{thm}"] = [int(r["predicted"][thm]["vacuous"]) for r in sel]
            cols[f"rigorous_{thm}"] = [int(r["predicted"][thm]["rigorous"]) for r in sel]
            cols[f"observed_{thm}"] = [r["predicted"][thm]["observed"]["test_error"] for r in sel]
        curves[f"generalization_{cutoff_label(frac)}"] = cols
    # Where a bound is rigorous the measured error must lie below it; a premise that holds in
    # no case leaves the check "not tested" (at small widths no hypothesis set is met).
    # 6.21/6.22 speak of their own T: a case only where it equals the T the run trained for.
    cases = [(r, k) for r in runs for k in r["predicted"]]
    rigorous = [
        bool(r["predicted"][k]["rigorous"])
        and (k not in ("6.21", "6.22") or r["iterations_6_21"] == r["T"])
        for r, k in cases
    ]
    checks = [
        Check.over(
            "rigorous_bounds_hold",
            rigorous,
            [
                r["predicted"][k]["observed"]["test_error"] <= r["predicted"][k]["error"]
                for r, k in cases
            ],
            "test error <= bound where every hypothesis holds",
        ),
        Check.over(
            "rigorous_train_residual_bounds_hold",
            [
                rig and r["predicted"][k]["train_residual"] is not None
                for rig, (r, k) in zip(rigorous, cases, strict=True)
            ],
            [
                r["predicted"][k]["train_residual"] is None
                or r["predicted"][k]["observed"]["train_residual"]
                <= r["predicted"][k]["train_residual"]
                for r, k in cases
            ],
            "||f(W_T) - y|| <= the theorem's train_residual where every hypothesis holds",
        ),
    ]
    multi = cfg.seeds >= 2
    first = CALIBRATED[0]
    dec = [per[first] for per in cal.values() if first in per]
    checks.append(
        Check.over(
            "measured_error_decreases_in_n",
            [multi] * len(dec),
            [c["slope_measured"] + c["slope_measured_ci"] < 0 for c in dec],
            f"log-log slope of the test error at Thm {first}'s T, upper end of its "
            f"{LEVEL:.0%} t-interval over seeds < 0",
        )
    )
    for thm in CALIBRATED:
        fits = [c[thm] for c in cal.values() if thm in c]
        checks.append(
            Check.over(
                f"rate_{thm}_not_contradicted",
                [multi] * len(fits),
                [
                    abs(c["slope_bound"] - c["slope_measured"])
                    <= c["slope_bound_ci"] + c["slope_measured_ci"]
                    for c in fits
                ],
                "bound slope and measured slope within the sum of their t-intervals over "
                "seeds; "
                + "; ".join(
                    f"{c['slope_bound']:.2f} vs {c['slope_measured']:.2f} ± {c['slope_measured_ci']:.2g}"
                    for c in fits
                ),
            )
        )
    summary = {
        "calibration": cal,
        "labels": cfg.labels,
        "seeds": [cfg.seed + s for s in range(cfg.seeds)],
        "runs": [{k: v for k, v in r.items() if k != "series"} for r in runs],
    }
    return {
        "summary": summary,
        "checks": to_json(checks),
        "curves": curves,
        "tables": tables,
        "predicted_vs_observed": pvo,
    }


def _caption(fig: Any, res: dict[str, Any], ns: list[int], fkey: str) -> None:
    c = res["config"]
    plots.add_caption(
        fig,
        res,
        dataset=plots.dataset_label(res),
        n=ns,
        k=c["k"],
        alpha=f"α₀ = {fkey} λ₁(Σ(X)^½)",
        Γ=c["Gamma"],
        ζ=c["zeta"],
        δ=c["delta"],
        seeds=c["seeds"],
        n_test=c["n_test"],
        labels=c["labels"],
    )


@plots.styled
def plot(res: dict[str, Any], out: Path) -> list[str]:
    """Per cutoff: bounds, measured error and calibrated predictions; calibration errors;
    the terms of each bound and the training-loss bounds against the measured loss."""
    names: list[str] = []
    runs = res["summary"]["runs"]
    for fkey, per in res["summary"]["calibration"].items():
        frac = float(fkey)
        sel = [r for r in runs if r["cutoff_fraction"] == frac]
        ns = sorted({r["n"] for r in sel})
        fig, (ax, axc) = plots.new_figure(ncols=2, width=4.6, height=3.6)
        # Every bound (hollow markers: vacuous), mean over seeds.
        for i, thm in enumerate(THEOREMS, start=1):
            if not all(thm in r["predicted"] for r in sel):
                continue
            st = plots.style(i)
            b = [np.mean([r["predicted"][thm]["error"] for r in sel if r["n"] == n]) for n in ns]
            fails = bool(any(r["predicted"][thm]["failing"] for r in sel))
            ax.loglog(
                ns,
                b,
                label=f"{thm}" + (" (hyp. fail)" if fails else ""),
                **{**st, "marker": None},
            )
            vac = np.array(b) >= 1
            x, y = np.array(ns), np.array(b)
            ax.scatter(
                x[vac], y[vac], marker=st["marker"], facecolors="none", edgecolors=st["color"]
            )
            ax.scatter(x[~vac], y[~vac], marker=st["marker"], color=st["color"])
        c0 = next(iter(per.values()), None)
        if c0 is not None:
            st = plots.style(0)
            ax.errorbar(
                c0["n"],
                np.maximum(c0["measured_mean"], 1e-3),
                yerr=c0["measured_ci_half"],
                label=f"measured (T of {next(iter(per))})",
                capsize=2,
                **st,
            )
        for thm, c in per.items():
            st = plots.style(THEOREMS.index(thm) + 1)
            ax.loglog(c["n"], c["predicted"], **{**st, "linestyle": ":", "marker": "x"})
            axc.semilogx(
                c["n"],
                c["calibration_error"],
                label=f"{thm}: c={c['constant']:.3g}",
                **st,
            )
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.set_xlabel(r"training samples $n$")
        ax.set_ylabel(r"$\mathrm{Err}_{\mathcal{D}}(W_T)$")
        ax.set_title("lines: bounds (c = 1); x dotted: c x bound, c fitted", fontsize=7)
        plots.legend(ax, fontsize=5)
        axc.axhline(1.0, color="0.5", lw=0.8)
        cal_n = c0["calibrated_on"] if c0 else []
        if cal_n:
            axc.axvspan(min(cal_n) * 0.95, max(cal_n) * 1.05, color="0.9")
        axc.set_xlabel(r"training samples $n$ (shaded: fit)")
        axc.set_ylabel("calibration error: predicted / measured")
        plots.legend(axc, fontsize=6)
        _caption(fig, res, ns, fkey)
        names += plots.save(fig, out, f"generalization_{cutoff_label(frac)}")
        names += _plot_terms(res, sel, ns, fkey, out)
    return names


def _plot_terms(
    res: dict[str, Any], sel: list[dict[str, Any]], ns: list[int], fkey: str, out: Path
) -> list[str]:
    thms = [t for t in THEOREMS if all(t in r["predicted"] for r in sel)]
    fig, axes = plots.new_figure(ncols=len(thms) + 1, width=2.6, height=2.8)
    for ax, thm in zip(axes, thms, strict=False):
        terms = sorted({t for r in sel for t in r["predicted"][thm]["terms"]}, key=TERMS.index)
        for i, t in enumerate(terms):
            v = [np.mean([r["predicted"][thm]["terms"][t] for r in sel if r["n"] == n]) for n in ns]
            ax.loglog(ns, np.maximum(v, 1e-12), label=t, **plots.style(i))
        ax.set_title(f"Thm {thm}", fontsize=8)
        ax.set_xlabel(r"$n$")
        plots.legend(ax, fontsize=5, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    ax = axes[-1]
    for i, thm in enumerate(t for t in thms if sel[0]["predicted"][t]["train_loss"] is not None):
        v = [np.mean([r["predicted"][thm]["train_loss"] for r in sel if r["n"] == n]) for n in ns]
        obs = [
            np.mean([r["predicted"][thm]["observed"]["train_loss"] for r in sel if r["n"] == n])
            for n in ns
        ]
        st = plots.style(i)
        ax.loglog(ns, v, label=f"bound {thm}", **st)
        ax.loglog(ns, np.maximum(obs, 1e-12), **{**st, "linestyle": "none", "marker": "x"})
    ax.set_title(r"training loss $\frac{1}{2}\|f(W_T)-y\|^2$ (x: measured)", fontsize=7)
    ax.set_xlabel(r"$n$")
    plots.legend(ax, fontsize=5, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    _caption(fig, res, ns, fkey)
    return plots.save(fig, out, f"generalization_terms_{cutoff_label(float(fkey))}")


#: A few seconds on a 2-core CPU (the contract tests and the demo).
SMALL: dict[str, Any] = {
    "n_values": (30, 60),
    "n_test": 100,
    "seeds": 2,
    "k": 64,
    "d": 8,
    "cutoff_fractions": (0.5,),
    "record_every": 20,
    "calibrate_on": 1,
}


register(
    Experiment(
        name="generalization",
        description="Thms 6.21-6.25, 2.2, 2.3, 2.5 and Arora et al. vs measured test error; "
        "informal bounds calibrated on small n, predicting larger n",
        config=Config,
        run=run,
        plot=plot,
        small=SMALL,
        # The demo runs the small sizes, where the known negative results are known.
        demo_overrides=SMALL,
        # At k = 64 no bound is rigorous: the width hypotheses ask for k >= 1e20.
        not_tested_at_small=frozenset(
            {"rigorous_bounds_hold", "rigorous_train_residual_bounds_hold"}
        ),
        # At n = 30, 60 the measured error falls faster (slope ~ -0.9) than 2.2/2.3's bounds
        # (~ -0.33), beyond the two seeds' spread: the rate is contradicted there.
        fails_at_small=frozenset({"rate_2.2_not_contradicted", "rate_2.3_not_contradicted"}),
        negative_control={"labels": "random"},
        control_fails=frozenset({"measured_error_decreases_in_n"}),
    )
)
