"""Target 4: one full-batch GD step at n=10,000, d=784, k=1024, K=10 (float64).

Baselines in the same run: (a) the two unavoidable products, ``X W^T`` (n x d x k) and the
n-contraction ``M^T X`` giving a k x d matrix; (b) ``torch.autograd`` on the same model and loss.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch

from benchmarks.common import Row, interleaved, machine
from simulate.model import gd_step, init_random


def autograd_step(net, X, Y, eta):
    W = net.W.detach().requires_grad_(True)
    loss = 0.5 * ((net.act.phi(X @ W.T) @ net.V.T - Y) ** 2).sum()
    (g,) = torch.autograd.grad(loss, W)
    return W.detach() - eta * g


def run(
    n: int = 10_000, d: int = 784, k: int = 1024, K: int = 10, repeats: int = 7, device: str = "cpu"
) -> list[Row]:
    dev = torch.device(device)
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.standard_normal((n, d)), device=dev)
    X = X / X.norm(dim=1, keepdim=True)
    Y = torch.as_tensor(np.eye(K)[rng.integers(0, K, n)], device=dev)
    net = init_random(k, d, K, 1.0, 1, device=dev)
    eta = 1e-3
    new, _ = gd_step(net, X, Y, eta)
    W_ag = autograd_step(net, X, Y, eta)
    diff = float((new.W - W_ag).abs().max() / (net.W - W_ag).abs().max())
    M = torch.randn(n, k, dtype=torch.float64, device=dev)
    times = interleaved(
        {
            "step": lambda: gd_step(net, X, Y, eta),
            "xw": lambda: X @ net.W.T,
            "mx": lambda: M.T @ X,
            "autograd": lambda: autograd_step(net, X, Y, eta),
        },
        repeats=repeats,
        device=dev,
    )
    med = {k_: statistics.median(v) for k_, v in times.items()}
    t_step, t_a, t_b, t_ag = med["step"], med["xw"], med["mx"], med["autograd"]
    # Per-round ratio (same round, same machine state), then the median over rounds.
    ratio = statistics.median(
        s_ / (a_ + b_) for s_, a_, b_ in zip(times["step"], times["xw"], times["mx"], strict=True)
    )
    return [
        Row(
            "4. GD step vs its two products XWᵀ and MᵀX (≤1.25×)",
            f"{t_step * 1e3:.0f} ms",
            f"{(t_a + t_b) * 1e3:.0f} ms ({t_a * 1e3:.0f} + {t_b * 1e3:.0f})",
            f"{ratio:.2f}×",
            ratio <= 1.25,
        ),
        Row(
            "4. GD step vs torch.autograd (no slower, same result)",
            f"{t_step * 1e3:.0f} ms",
            f"{t_ag * 1e3:.0f} ms",
            f"{t_ag / t_step:.2f}× faster",
            t_step <= t_ag,
            f"max |ΔW| relative to the update: {diff:.1e}",
        ),
    ]


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()
    print(machine())
    for r in run(device=a.device):
        print(r.line())
