"""Target 1: the class-major Gram J J^T (nK x nK) at n=500, K=10, k=256, d=64 (float64).

Baseline A: the torch.func route of the PyTorch NTK tutorial (method 1): per-sample Jacobians
with ``vmap(jacrev)``, then ``einsum`` over parameters.  Baseline B: a plain matrix product of
the shape of ``Q Q^T`` ((nK x k) times (k x nK)), for the FLOP rate.

Two paths of :meth:`ShallowNet.gram` are timed: the theorems' output layer (Rademacher x c,
constant magnitude: sign-class path, about a quarter of the flops) and a general ``V`` (one
product ``Q Q^T`` and a Hadamard, ``2 (nK)^2 k`` flops).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
from torch.func import jacrev, vmap

from benchmarks.common import Row, interleaved, machine, median_time
from simulate.model import ShallowNet, init_random


def torch_func_gram(net: ShallowNet, X: torch.Tensor) -> torch.Tensor:
    V, act = net.V, net.act

    def f_single(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return V @ act.phi(W @ x)

    jac = vmap(jacrev(f_single), (None, 0))(net.W, X)  # (n, K, k, d)
    n, K = X.shape[0], V.shape[0]
    J = jac.reshape(n, K, -1)
    G = torch.einsum("aip,bjp->iajb", J, J)  # (K, n, K, n): class-major
    return G.reshape(K * n, K * n)


def run(
    n: int = 500, K: int = 10, k: int = 256, d: int = 64, repeats: int = 7, device: str = "cpu"
) -> list[Row]:
    dev = torch.device(device)
    net = init_random(k, d, K, 1.0, 0, device=dev)
    gen = torch.Generator().manual_seed(2)
    general = net.with_V(
        net.V * (1 + 0.5 * torch.rand(net.V.shape, generator=gen, dtype=net.V.dtype).to(dev))
    )
    X = torch.as_tensor(np.random.default_rng(1).standard_normal((n, d)), device=dev)
    X = X / X.norm(dim=1, keepdim=True)
    G, Gg = net.gram(X), general.gram(X)
    t_base, G0 = median_time(lambda: torch_func_gram(net, X), repeats=3, device=dev)
    G0g = torch_func_gram(general, X)
    rel = float((G - G0).abs().max() / G0.abs().max())
    relg = float((Gg - G0g).abs().max() / G0g.abs().max())
    A = torch.randn(n * K, k, dtype=torch.float64, device=dev)
    B = torch.randn(k, n * K, dtype=torch.float64, device=dev)
    times = interleaved(
        {"rad": lambda: net.gram(X), "gen": lambda: general.gram(X), "mm": lambda: A @ B},
        repeats=repeats,
        device=dev,
    )
    t_rad, t_gen, t_mm = (statistics.median(times[key]) for key in ("rad", "gen", "mm"))
    # FLOP-rate ratio per round (same machine state), median over rounds.
    rel_rate = statistics.median(m / g for m, g in zip(times["mm"], times["gen"], strict=True))
    flops = 2.0 * (n * K) ** 2 * k
    rate_gen, rate_mm = flops / t_gen, flops / t_mm
    return [
        Row(
            "1. Gram JJᵀ, theorems' V (Rademacher·ν/√(kK)), vs torch.func (≥100×, rel. diff ≤1e-12)",
            f"{t_rad * 1e3:.0f} ms",
            f"{t_base * 1e3:.0f} ms (vmap(jacrev)+einsum)",
            f"{t_base / t_rad:.0f}×",
            t_base / t_rad >= 100 and rel <= 1e-12,
            f"max rel. diff {rel:.1e}",
        ),
        Row(
            "1. Gram JJᵀ, general V (QQᵀ ⊙ 1⊗XXᵀ), vs torch.func",
            f"{t_gen * 1e3:.0f} ms",
            f"{t_base * 1e3:.0f} ms",
            f"{t_base / t_gen:.0f}×",
            None,
            f"max rel. diff {relg:.1e}",
        ),
        Row(
            "1. Gram FLOP rate (general V) vs plain matmul (≥80%)",
            f"{rate_gen / 1e9:.1f} GFLOP/s",
            f"{rate_mm / 1e9:.1f} GFLOP/s ({n * K}×{k} @ {k}×{n * K})",
            f"{rel_rate:.0%}",
            rel_rate >= 0.8,
        ),
    ]


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()
    print(machine())
    for r in run(device=a.device):
        print(r.line())
