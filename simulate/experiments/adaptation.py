"""Claim C5 (Table 1): the Jacobian adapts to the labels during training.

On the scikit-learn digits (unit-norm rows, one-hot class-major labels ``y``, ``K = 10``) the
network ``x -> V phi(W x)`` starts as in Theorems 6.23-6.25 (``W_0`` Gaussian, ``V``
Rademacher x ``nu/sqrt(kK)``) and is trained by full-batch gradient descent, on ``W`` alone or
on ``W`` and the output layer.  At the recorded iterations ``tau`` the experiment computes the
top-``r`` eigenvectors ``U_r(tau)`` of ``J_tau J_tau^T`` (matrix-free block Lanczos,
:func:`simulate.eig.top_eigenpairs`) with ``r = rank_fraction * nK`` fixed, and the *label
energy* ``||U_r^T y||^2 / ||y||^2`` of the training labels on that subspace.  The paper reports
(Table 1, a ResNet on CIFAR-10) that this energy goes from 0.38 at initialisation to 0.99 after
training.

Laziness is swept through the width ``k`` and the output scale ``nu``: in this
parameterisation the function-space dynamics at the first step do not depend on ``nu`` (the
step is ``eta = lr / lambda_1(J_0 J_0^T)`` and ``J`` is proportional to ``nu``), while the
weights move by ``O(1/nu)``: small ``nu`` is the rich (feature-learning) regime, large ``k``
with ``nu = 1`` the lazy one.  With ``train_V`` the output layer is trained as ``V = s a``,
``s = nu/sqrt(kK)``, with the gradient in ``a`` (so both layers have Jacobians of one scale); its
Jacobian block ``s (I_K ⊗ phi(X W^T))`` joins ``J``.

Reported for every run: the label energy through training, ``||J_T - J_0||_F / ||J_0||_F``,
and the kernel-target alignment ``y^T G y / (||G||_F ||y||^2)`` of ``G = J J^T`` at
initialisation and at the end.  As a control inside every run, the same quantities for a
*held-out* label vector (the training labels permuted among the samples: same class sizes, no
relation to the inputs) that training never sees: adaptation to the labels should lift the
energy of the training labels and not that of the permuted ones.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import bounds

from .. import plots, sweep
from ..backend import resolve_device
from ..data import check_dataset, load
from ..eig import gram_operator, top_eigenpairs
from ..model import ShallowNet, init_random
from ..train import classification_error
from .base import BaseConfig, Experiment, positive, register
from .checks import Check, to_json

#: The paper's Table 1: label energy on the top subspace at initialisation and after training.
PAPER_ENERGY = (0.38, 0.99)
#: Residual tolerance (relative to lambda_1) of the top-r eigensolves.  The energy moves by less
#: than ~tol * lambda_1 / gap; 1e-6 with gaps of ~1e-2 lambda_1 keeps it to ~1e-4, far below
#: the rises (>= 1e-2) the checks look at.
EIG_TOL = 1e-6
#: Step halvings tried before a run is reported as diverged.
MAX_HALVINGS = 6


@dataclasses.dataclass(frozen=True)
class Config(BaseConfig):
    dataset: str = "digits"
    """"digits" (scikit-learn's 8x8, K = 10), "mnist" (10,000 MNIST digits shipped with the package,
    K = 10) or "mixture" (Definition 2.4 with K, C, d, sigma)."""
    n: int = 100
    """Training samples n (nK rows of the Jacobian)."""
    n_test: int = 500
    """Test samples for the test error at T."""
    rank_fraction: float = 0.01
    """r / (nK): the top-r subspace of J_tau J_tau^T whose label energy is tracked, in (0, 1)."""
    widths: tuple[int, ...] = (16, 64, 256, 1024)
    """Hidden widths k (laziness grows with k)."""
    nus: tuple[float, ...] = (0.01, 0.1, 1.0)
    """Output scales nu of V = Rademacher x nu/sqrt(kK) (small nu: rich regime)."""
    train_V: tuple[bool, ...] = (False, True)
    """Train the first layer only (false), both layers (true), or both settings."""
    steps: int = 400
    """Gradient-descent iterations T."""
    lr: float = 0.5
    """Step eta = lr / lambda_1(J_0 J_0^T), in (0, 1]; halved (up to 6 times) where the loss rises."""
    records: int = 4
    """Iterations at which the top-r eigenvectors are computed: 0 and geometric up to T (>= 2)."""
    labels: str = "true"
    """"true", or "random" (negative control: labels independent of the inputs)."""
    rise_threshold: float = 0.05
    """A label-energy rise at least this large counts as a rise, in [0, 1)."""
    lazy_max_move: float = 0.25
    """Largest ||J_T - J_0||_F/||J_0||_F of the lazy regime (NTK scaling: ~ sqrt(n/k) = 0.31 at
    n = 100, k = 1024)."""
    K: int = 3
    """Classes (mixture only)."""
    C: int = 2
    """Clusters per class (mixture only)."""
    d: int = 20
    """Input dimension (mixture only)."""
    sigma: float = 0.5
    """Noise level (mixture only)."""

    def validate(self) -> None:
        super().validate()
        positive(self, "n", "n_test", "widths", "steps", "records", "K", "C", "d", integer=True)
        positive(self, "rank_fraction", "nus", "lr", "lazy_max_move")
        check_dataset(self.dataset)
        if self.labels not in ("true", "random"):
            raise ValueError(f"labels must be 'true' or 'random', got {self.labels!r}")
        if not 0 < self.rank_fraction < 1:
            raise ValueError(f"rank_fraction must lie in (0, 1), got {self.rank_fraction}")
        if not self.lr <= 1:
            raise ValueError(f"lr must lie in (0, 1] (eta = lr/lambda_1 at init), got {self.lr}")
        if self.records < 2:
            raise ValueError(f"records must be >= 2 (initialisation and end), got {self.records}")
        if not 0 <= self.rise_threshold < 1:
            raise ValueError(f"rise_threshold must lie in [0, 1), got {self.rise_threshold}")
        if not self.train_V:
            raise ValueError("train_V must be a non-empty list of booleans")


def record_steps(steps: int, records: int) -> list[int]:
    """``0`` and ``records - 1`` iterations spaced geometrically up to ``steps`` (distinct)."""
    if steps == 0:
        return [0]
    geo = steps * 2.0 ** -np.arange(records - 2, -1, -1)
    return sorted({0, *(max(1, round(t)) for t in geo)})


def _output_scale(nu: float, k: int, K: int) -> float:
    return float(nu / np.sqrt(k * K))


def gram_apply(
    net: ShallowNet, X: torch.Tensor, s: float | None
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``u -> J J^T u`` with ``J = [J_W, s (I_K ⊗ phi(X W^T))]`` (the second block when ``s``)."""
    base = gram_operator(net, X)
    if s is None:
        return base
    A = net.act.phi(X @ net.W.T)  # n x k
    n, K = X.shape[0], net.K

    def apply(U: torch.Tensor) -> torch.Tensor:
        out = base(U)
        b = U.shape[1]
        Ub = U.reshape(K, n, b)
        out += (s * s) * torch.einsum("ik,lkb->lib", A, torch.einsum("ik,lib->lkb", A, Ub)).reshape(
            K * n, b
        )
        return out

    return apply


def full_gram(net: ShallowNet, X: torch.Tensor, s: float | None) -> torch.Tensor:
    """``J J^T`` (nK x nK, class-major), the output-layer block added when ``s``."""
    G = net.gram(X)
    if s is not None:
        A = net.act.phi(X @ net.W.T)
        AA = (s * s) * (A @ A.T)
        n = X.shape[0]
        for a in range(net.K):
            G[a * n : (a + 1) * n, a * n : (a + 1) * n] += AA
    return G


def jacobian_frobenius(net: ShallowNet, X: torch.Tensor, s: float | None) -> float:
    """``||J||_F``: ``trace(J_W J_W^T)`` in closed form plus ``K s^2 ||phi(X W^T)||_F^2``."""
    sq = net.gram_trace(X)
    if s is not None:
        sq += net.K * s * s * float(torch.sum(net.act.phi(X @ net.W.T) ** 2))
    return float(np.sqrt(sq))


def jacobian_change(net: ShallowNet, net0: ShallowNet, X: torch.Tensor, s: float | None) -> float:
    """``||J(net) - J(net0)||_F``, without forming either Jacobian.

    Row ``(l, i)`` of ``J_W`` is ``(v_l ⊙ phi'(W x_i)) ⊗ x_i`` (6.28), so the squared norm of
    the difference is ``sum_i ||x_i||^2 sum_{l,r} (V[l,r] D[i,r] - V0[l,r] D0[i,r])^2``; the
    output block adds ``K s^2 ||phi(X W^T) - phi(X W_0^T)||_F^2``.
    """
    D, D0 = net.act.dphi(X @ net.W.T), net0.act.dphi(X @ net0.W.T)
    xx = (X * X).sum(1)
    sq = 0.0
    for l in range(net.K):
        diff = D * net.V[l] - D0 * net0.V[l]
        sq += float(((diff * diff).sum(1) * xx).sum())
    if s is not None:
        dA = net.act.phi(X @ net.W.T) - net0.act.phi(X @ net0.W.T)
        sq += net.K * s * s * float(torch.sum(dA * dA))
    return float(np.sqrt(sq))


def alignment(G: torch.Tensor, y: torch.Tensor) -> float:
    """Kernel-target alignment ``y^T G y / (||G||_F ||y||^2)`` (Cristianini et al., uncentred)."""
    return float(y @ (G @ y) / (torch.linalg.matrix_norm(G) * (y @ y)))


def _top_energy(
    net: ShallowNet, X: torch.Tensor, s: float | None, r: int, ys: list[torch.Tensor], seed: int
) -> tuple[list[float], float, float]:
    """Energies ``||U_r^T y||^2/||y||^2`` of each ``y`` in ``ys``, ``lambda_1`` and ``lambda_r``."""
    nK = X.shape[0] * net.K
    te = top_eigenpairs(
        gram_apply(net, X, s),
        nK,
        r,
        tol=EIG_TOL,
        block=min(net.K, r),
        seed=seed,
        device=X.device,
    )
    U = torch.as_tensor(te.eigenvectors, dtype=X.dtype, device=X.device)
    out = [float(torch.sum((U.T @ y) ** 2) / (y @ y)) for y in ys]
    return out, float(te.eigenvalues[0]), float(te.eigenvalues[r - 1])


def _train(
    net0: ShallowNet,
    X: torch.Tensor,
    Y: torch.Tensor,
    y: torch.Tensor,
    y_held: torch.Tensor,
    s: float | None,
    r: int,
    steps_at: list[int],
    lr: float,
    seed: int,
) -> dict[str, Any]:
    """Full-batch GD on ``W`` (and ``a = V/s`` when ``s``), energies at ``steps_at``."""
    energies: list[list[float]] = []
    lam_1: list[float] = []
    lam_r: list[float] = []
    losses: list[float] = []
    net = good = net0
    a = net0.V / s if s is not None else None
    eta = 0.0
    diverged_at = None
    loss0 = None
    t = 0
    for target in steps_at:
        while t < target:
            R = net.forward(X) - Y
            W = net.W - eta * net.vjp(X, R.T)
            if a is not None and s is not None:
                a = a - eta * s * (R.T @ net.act.phi(X @ net.W.T))  # d/da of 1/2||f - y||^2
                net = ShallowNet(W, s * a, net.activation)
            else:
                net = net.with_W(W)
            t += 1
        loss = 0.5 * float(torch.sum((net.forward(X) - Y) ** 2))
        if loss0 is None:
            loss0 = loss
        if not np.isfinite(loss) or loss > loss0 * (1 + 1e-9):
            diverged_at = t
            net = good  # what follows is measured on the last iterate before the rise
            break
        good = net
        e, l1, l_r = _top_energy(net, X, s, r, [y, y_held], seed)
        if not eta:
            eta = lr / l1
        energies.append(e)
        lam_1.append(l1)
        lam_r.append(l_r)
        losses.append(loss)
    return {
        "net": net,
        "energies": energies,
        "lam_1": lam_1,
        "lam_r": lam_r,
        "losses": losses,
        "diverged_at": diverged_at,
        "eta": eta,
    }


def one_run(cfg: Config, k: int, nu: float, train_V: bool) -> dict[str, Any]:
    dev = resolve_device(cfg.device)
    if cfg.dataset != "mixture":
        ds = load(cfg.dataset, cfg.n, cfg.n_test, cfg.seed)
    else:
        ds = load(
            "mixture", cfg.n, cfg.n_test, cfg.seed, K=cfg.K, C=cfg.C, d=cfg.d, sigma=cfg.sigma
        )
    K, n = ds.K, ds.n
    rng = np.random.default_rng(cfg.seed + 7)
    Ytr, Yte = ds.y_train, ds.y_test
    if cfg.labels == "random":
        # Negative control: labels drawn independently of the inputs (train and test).
        Ytr = np.eye(K)[rng.integers(0, K, n)]
        Yte = np.eye(K)[rng.integers(0, K, Yte.shape[0])]
    held_out = Ytr[rng.permutation(n)]  # same class sizes, unrelated to the inputs
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=dev)  # noqa: E731
    X, Y, Xt, Yt = as_t(ds.X_train), as_t(Ytr), as_t(ds.X_test), as_t(Yte)
    y = as_t(bounds.class_major(Ytr))
    y_held = as_t(bounds.class_major(held_out))
    r = max(1, round(cfg.rank_fraction * n * K))
    net0 = init_random(k, ds.d, K, nu, cfg.seed + 1, device=dev)
    s = _output_scale(nu, k, K) if train_V else None
    steps_at = record_steps(cfg.steps, cfg.records)

    # The step: lr / lambda_1(J_0 J_0^T).  Where the loss rises above its initial value at a
    # record (the rich regime with V trained: the Hessian's second-order part, ~ nu ||y||, dwarfs
    # J J^T ~ nu^2) the run restarts with half the step, at most MAX_HALVINGS times.
    lr = cfg.lr
    for _attempt in range(MAX_HALVINGS + 1):
        traj = _train(net0, X, Y, y, y_held, s, r, steps_at, lr, cfg.seed)
        if traj["diverged_at"] is None:
            break
        lr /= 2
    net = traj["net"]
    energies, lam_1, lam_r, losses = traj["energies"], traj["lam_1"], traj["lam_r"], traj["losses"]
    diverged_at, eta = traj["diverged_at"], traj["eta"]
    G0, GT = full_gram(net0, X, s), full_gram(net, X, s)
    E = np.array(energies)
    return {
        "k": k,
        "nu": nu,
        "train_V": train_V,
        "r": r,
        "nK": n * K,
        "eta": eta,
        "lr": lr,
        "steps": steps_at[: len(energies)],
        "diverged_at": diverged_at,
        "energy": E[:, 0].tolist(),
        "energy_held_out": E[:, 1].tolist(),
        "energy_init": float(E[0, 0]),
        "energy_final": float(E[-1, 0]),
        "energy_rise": float(E[-1, 0] - E[0, 0]),
        "held_out_rise": float(E[-1, 1] - E[0, 1]),
        "lambda_1": lam_1,
        "lambda_r": lam_r,
        "train_loss": losses,
        "jacobian_change": jacobian_change(net, net0, X, s) / jacobian_frobenius(net0, X, s),
        "alignment_init": alignment(G0, y),
        "alignment_final": alignment(GT, y),
        "alignment_held_out_init": alignment(G0, y_held),
        "alignment_held_out_final": alignment(GT, y_held),
        "W_change": float(
            torch.linalg.matrix_norm(net.W - net0.W) / torch.linalg.matrix_norm(net0.W)
        ),
        "train_error": classification_error(net.forward(X), Y),
        "test_error": classification_error(net.forward(Xt), Yt),
    }


def run(cfg: Config, out: Path, progress: bool) -> dict[str, Any]:
    points = [
        sweep.Point(
            f"k{k}_nu{nu:g}_V{int(train_V)}",
            {**dataclasses.asdict(cfg), "k": k, "nu": nu, "tv": train_V},
            functools.partial(one_run, cfg, k, nu, train_V),
        )
        for train_V in cfg.train_V
        for nu in cfg.nus
        for k in cfg.widths
    ]
    runs = sweep.map_points(out, points)
    ok = [r for r in runs if r["diverged_at"] is None]
    best = max(ok, key=lambda r: r["energy_final"] - r["energy_init"], default=None)
    nu_rich, nu_lazy, k_lazy = min(cfg.nus), max(cfg.nus), max(cfg.widths)
    fine = [r["diverged_at"] is None for r in runs]
    rich = [f and r["nu"] == nu_rich for f, r in zip(fine, runs, strict=True)]
    rich_V = [p and r["train_V"] for p, r in zip(rich, runs, strict=True)]
    rich_W = [p and not r["train_V"] for p, r in zip(rich, runs, strict=True)]
    rises = [r["energy_rise"] >= cfg.rise_threshold for r in runs]
    lazy = [
        f and r["nu"] == nu_lazy and r["k"] == k_lazy and nu_lazy >= 1
        for f, r in zip(fine, runs, strict=True)
    ]
    trends = {
        tv: sorted(
            (r["k"], r["jacobian_change"])
            for r, f in zip(runs, fine, strict=True)
            if f and r["nu"] == nu_lazy and r["train_V"] == tv
        )
        for tv in cfg.train_V
    }
    paper_lo, paper_hi = PAPER_ENERGY
    reproduced = [
        f and r["energy_final"] >= paper_hi - 0.05 and r["energy_init"] <= paper_lo + 0.1
        for f, r in zip(fine, runs, strict=True)
    ]
    what = f"label energy at T minus at 0 >= {cfg.rise_threshold:g}"
    checks = [
        # The claim: in the rich regime the label energy on the top-r subspace rises.
        Check.over(
            "energy_rises_rich_V_trained",
            rich_V,
            rises,
            f"nu = {nu_rich:g}, both layers trained: {what}",
        ),
        Check.over(
            "energy_rises_rich_W_only",
            rich_W,
            rises,
            f"nu = {nu_rich:g}, first layer trained: {what}",
        ),
        # Where it rises, it rises for the labels trained on, not for labels never seen.
        Check.over(
            "rise_is_specific_to_the_labels",
            [p and q for p, q in zip(rich, rises, strict=True)],
            [r["energy_rise"] - r["held_out_rise"] >= cfg.rise_threshold for r in runs],
            "where the energy rises at nu = "
            f"{nu_rich:g}: rise minus that of the permuted (held-out) labels >= "
            f"{cfg.rise_threshold:g}",
        ),
        Check.over(
            "alignment_rises_in_rich_regime",
            rich,
            [r["alignment_final"] > r["alignment_init"] for r in runs],
            f"kernel-target alignment at T > at 0, nu = {nu_rich:g}",
        ),
        # The lazy regime: the Jacobian barely moves.
        Check.over(
            "lazy_regime_moves_J_little",
            lazy,
            [r["jacobian_change"] < cfg.lazy_max_move for r in runs],
            f"k = {k_lazy}, nu = {nu_lazy:g}: ||J_T - J_0||_F/||J_0||_F < {cfg.lazy_max_move:g}",
        ),
        # Laziness grows with the width: at nu = nu_lazy the Jacobian moves less at every
        # larger k (a trend, no threshold), with V fixed and with V trained.
        Check.over(
            "J_moves_less_when_wider",
            [len(t) >= 2 for t in trends.values()],
            [all(b[1] < a[1] for a, b in itertools.pairwise(t)) for t in trends.values()],
            f"nu = {nu_lazy:g}: ||J_T - J_0||/||J_0|| at k = "
            + "; ".join(
                ("V trained " if tv else "V fixed ") + ", ".join(f"{k}: {c:.3g}" for k, c in t)
                for tv, t in trends.items()
            ),
        ),
        Check.single(
            "paper_rise_reproduced",
            any(reproduced),
            f"some run going from <= {paper_lo + 0.1:g} to >= {paper_hi - 0.05:g} (Table 1: "
            f"{paper_lo} -> {paper_hi}); best: "
            + (
                "none"
                if best is None
                else f"{best['energy_init']:.3f} -> {best['energy_final']:.3f} at k = "
                f"{best['k']}, nu = {best['nu']:g}, V {'trained' if best['train_V'] else 'fixed'}"
            ),
        ),
    ]
    verdict = (
        "no run reproduces Table 1's rise"
        if best is None or best["energy_final"] < paper_hi - 0.05
        else "a run reaches Table 1's final energy"
    )
    summary = {
        "paper_table_1": {"init": paper_lo, "final": paper_hi},
        "verdict": verdict,
        "best_rise": None
        if best is None
        else {
            "k": best["k"],
            "nu": best["nu"],
            "train_V": best["train_V"],
            "energy_init": best["energy_init"],
            "energy_final": best["energy_final"],
            "rise": best["energy_rise"],
            "held_out_rise": best["held_out_rise"],
            "jacobian_change": best["jacobian_change"],
        },
        "r": runs[0]["r"],
        "nK": runs[0]["nK"],
        "labels": cfg.labels,
        "diverged": [
            f"k={r['k']} nu={r['nu']:g} train_V={r['train_V']}" for r in runs if r["diverged_at"]
        ],
        "runs": runs,
    }
    table = [
        {
            "k": r["k"],
            "nu": r["nu"],
            "train V": r["train_V"],
            "energy 0": r["energy_init"],
            "energy T": r["energy_final"],
            "held-out 0": r["energy_held_out"][0],
            "held-out T": r["energy_held_out"][-1],
            "||J_T-J_0||/||J_0||": r["jacobian_change"],
            "align 0": r["alignment_init"],
            "align T": r["alignment_final"],
            "train err": r["train_error"],
            "test err": r["test_error"],
        }
        for r in runs
    ]
    curves = {
        "adaptation": {
            "k": [r["k"] for r in runs],
            "nu": [r["nu"] for r in runs],
            "train_V": [int(r["train_V"]) for r in runs],
            "energy_init": [r["energy_init"] for r in runs],
            "energy_final": [r["energy_final"] for r in runs],
            "held_out_init": [r["energy_held_out"][0] for r in runs],
            "held_out_final": [r["energy_held_out"][-1] for r in runs],
            "jacobian_change": [r["jacobian_change"] for r in runs],
            "alignment_init": [r["alignment_init"] for r in runs],
            "alignment_final": [r["alignment_final"] for r in runs],
        }
    }
    return {
        "summary": summary,
        "checks": to_json(checks),
        "tables": {"label energy on the top-r subspace of J_tau": table},
        "curves": curves,
    }


def _caption(fig: Any, res: dict[str, Any]) -> None:
    cfg, r0 = res["config"], res["summary"]["runs"][0]
    plots.add_caption(
        fig,
        res,
        dataset=plots.dataset_label(res),
        n=cfg["n"],
        k=cfg["widths"],
        alpha=f"top r = {r0['r']} of nK = {r0['nK']}",
        ν=cfg["nus"],
        T=cfg["steps"],
        η=f"{cfg['lr']:g}/λ₁(J₀J₀ᵀ)",
        labels=cfg["labels"],
    )


@plots.styled
def plot(res: dict[str, Any], out: Path) -> list[str]:
    """Energy, Jacobian change and alignment against k; the energy through training."""
    runs = res["summary"]["runs"]
    tvs = sorted({bool(r["train_V"]) for r in runs})
    fig, axes = plots.new_figure(ncols=3, width=3.6, height=3.2)
    ax_e, ax_j, ax_a = axes
    nus = sorted({r["nu"] for r in runs})
    for i, nu in enumerate(nus):
        for tv in tvs:
            sel = sorted(
                (r for r in runs if r["nu"] == nu and r["train_V"] == tv), key=lambda r: r["k"]
            )
            if not sel:
                continue
            st = plots.style(i)
            if tv:
                st = {**st, "linestyle": ":"}
            lab = rf"$\nu={nu:g}$" + (", V trained" if tv else "")
            ks = [r["k"] for r in sel]
            ax_e.semilogx(ks, [r["energy_final"] for r in sel], label=lab, **st)
            ax_e.semilogx(
                ks, [r["energy_init"] for r in sel], **{**st, "marker": "x", "linestyle": "none"}
            )
            ax_j.loglog(ks, [max(r["jacobian_change"], 1e-8) for r in sel], label=lab, **st)
            ax_a.semilogx(ks, [r["alignment_final"] for r in sel], label=lab, **st)
            ax_a.semilogx(
                ks, [r["alignment_init"] for r in sel], **{**st, "marker": "x", "linestyle": "none"}
            )
    lo, hi = PAPER_ENERGY
    ax_e.axhline(hi, color="0.5", lw=0.8, linestyle="--")
    ax_e.axhline(lo, color="0.5", lw=0.8, linestyle=":")
    r0 = runs[0]
    ax_e.set_xlabel(r"width $k$")
    ax_e.set_ylabel(
        rf"$\|\Pi_{{\mathrm{{top}}\text{{-}}{r0['r']}}}(\mathcal{{J}}_T)\,y\|^2/\|y\|^2$"
    )
    ax_e.set_title("x: at init; line: at T; dashed: Table 1", fontsize=7)
    ax_e.legend(fontsize=6)
    ax_j.set_xlabel(r"width $k$")
    ax_j.set_ylabel(r"$\|\mathcal{J}_T-\mathcal{J}_0\|_F/\|\mathcal{J}_0\|_F$")
    ax_a.set_xlabel(r"width $k$")
    ax_a.set_ylabel(r"$y^T\mathcal{J}\mathcal{J}^Ty/(\|\mathcal{J}\mathcal{J}^T\|_F\|y\|^2)$")
    ax_a.set_title("x: at init; line: at T", fontsize=7)
    _caption(fig, res)
    names = plots.save(fig, out, "adaptation")
    # Energy through training for every run.
    fig, axes = plots.new_figure(ncols=len(tvs), width=4.2, height=3.2)
    for ax, tv in zip(axes, tvs, strict=True):
        for i, r in enumerate(x for x in runs if x["train_V"] == tv):
            st = plots.style(i)
            steps = np.maximum(r["steps"], 0.5)
            ax.semilogx(steps, r["energy"], label=rf"$k={r['k']},\nu={r['nu']:g}$", **st)
        ax.set_xlabel(r"iteration $\tau$ (0 drawn at 0.5)")
        ax.set_ylabel(r"label energy on top-$r$ subspace of $\mathcal{J}_\tau$")
        ax.set_title("V trained" if tv else "V fixed", fontsize=8)
        ax.legend(fontsize=5, ncol=2)
    _caption(fig, res)
    names += plots.save(fig, out, "adaptation_energy")
    return names


#: About ten seconds on a 2-core CPU (the contract tests and the demo).
SMALL: dict[str, Any] = {
    "n": 50,
    "n_test": 100,
    "widths": (16, 1024),
    "nus": (0.01, 1.0),
    "train_V": (True,),
    "steps": 100,
    "records": 3,
}


register(
    Experiment(
        name="adaptation",
        description="C5 / Table 1: label energy on the top-r subspace of J_tau, lazy vs rich",
        config=Config,
        run=run,
        plot=plot,
        small=SMALL,
        demo_overrides=SMALL,
        not_tested_at_small=frozenset({"energy_rises_rich_W_only"}),
        # Table 1's 0.38 -> 0.99 is reproduced nowhere (best rise ~0.09 -> ~0.2).
        fails_at_small=frozenset({"paper_rise_reproduced"}),
        # Labels independent of the inputs: no rise of their energy anywhere.
        negative_control={"labels": "random"},
        control_fails=frozenset({"energy_rises_rich_V_trained"}),
    )
)
