"""Timing helpers for the benchmarks: medians of repeated runs, machine description."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_time(
    fn: Callable[[], Any], *, repeats: int = 3, warmup: int = 1, device: torch.device | None = None
) -> tuple[float, Any]:
    """Median wall time (s) over ``repeats`` runs after ``warmup`` runs; returns the last result."""
    dev = device or torch.device("cpu")
    out = None
    for _ in range(warmup):
        out = fn()
        sync(dev)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        sync(dev)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads)"


@dataclass
class Row:
    """One target: the measured value, the baseline, their ratio, and whether the target is met."""

    target: str
    measured: str
    baseline: str
    ratio: str
    met: bool | None
    note: str = ""

    def line(self) -> str:
        ok = {True: "yes", False: "NO", None: "-"}[self.met]
        return f"| {self.target} | {self.measured} | {self.baseline} | {self.ratio} | {ok} | {self.note} |"


HEADER = (
    "| target | measured (median) | baseline (same run) | ratio | met | notes |\n"
    "|---|---|---|---|---|---|"
)


def interleaved(
    fns: dict[str, Callable[[], Any]], *, repeats: int = 7, device: torch.device | None = None
) -> dict[str, list[float]]:
    """Time several functions in turn, ``repeats`` rounds (after one warm-up round).

    Interleaving makes slow drifts of a shared machine hit every function alike, so ratios
    of per-round times are steadier than ratios of separate medians.
    """
    dev = device or torch.device("cpu")
    for fn in fns.values():
        fn()
        sync(dev)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            sync(dev)
            times[name].append(time.perf_counter() - t)
    return times


def gram_problem(
    n: int, K: int, d: int, k: int, device: str = "cpu"
) -> tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor], int]:
    """The top-r benchmarks' problem: ``J J^T`` of the theorems' network on mixture inputs.

    Unit-norm inputs from the Gaussian mixture (K classes, 4 clusters each, sigma = 0.5, seed 0),
    the random initialisation with nu = 1 (seed 1).  Returns the float64 operator, its float32
    twin (the Krylov phase's ``fast_apply``) and the order ``nK``.
    """
    from simulate.data import gaussian_mixture
    from simulate.eig import gram_operator
    from simulate.model import init_random

    ds = gaussian_mixture(n, 1, K=K, C=4, d=d, sigma=0.5, seed=0)
    X = torch.as_tensor(ds.X_train, device=device)
    del ds
    net = init_random(k, d, K, 1.0, 1, device=device)
    return gram_operator(net, X), gram_operator(net, X, dtype=torch.float32), n * K
