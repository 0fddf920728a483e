"""Target (issue 12, 4): the infinite-width limit at n = 20,000, on the ntk_limit experiment's data.

1. ``Sigma~(X)`` (softplus, unit rows) by :func:`simulate.limit.ntk_blocks` (row blocks into one
   n x n array, lower triangle mirrored) in <= 60 s.  Baseline in the same run:
   :func:`bounds.kernels.ntk` (whole-matrix temporaries) at ``n / 4``, scaled by 16 (stated as
   an extrapolation: at n it would need ~5 n x n arrays).
2. Gradient descent in the limit with train and test predictions for the theorems' ``T``: the
   top eigenpairs for the split at ``alpha_0`` (:func:`simulate.limit.top_kernel_split`), the
   reports of 6.24/6.25, and block Lanczos for ``(I - eta Sigma~)^T`` and ``g_T(Sigma~)``
   (:func:`simulate.limit.limit_gd_lanczos`) in <= 5 minutes, forming no n x n array besides
   ``Sigma~``.
3. Peak RSS <= 12 GB (``getrusage``), and the n x n arrays at the peak (RSS above the baseline
   before the kernel, in units of ``8 n^2`` bytes).

``--eigh`` also times the full in-place decomposition (``syevd`` overwriting ``Sigma~``, with
``2 n^2`` floats of LAPACK workspace) and checks that both paths agree.

    python -m benchmarks.bench_ntk_limit [--n 20000] [--eigh]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from benchmarks.common import Row, machine
from bounds.kernels import ntk
from bounds.theorems import nu_random_init
from simulate.data import gaussian_mixture
from simulate.limit import (
    eigh_inplace,
    full_kernel_split,
    limit_gd_eigh,
    limit_gd_lanczos,
    ntk_blocks,
    report_from_split,
    top_kernel_split,
)


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # kB on Linux


def _current_rss_gb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1e9


def run(
    n: int = 20_000,
    n_test: int = 2000,
    K: int = 2,
    C: int = 1,
    d: int = 20,
    sigma: float = 0.3,
    cutoff_fraction: float = 0.5,
    Gamma: float = 6.0,
    zeta: float = 0.001,
    with_eigh: bool = False,
) -> list[Row]:
    ds = gaussian_mixture(n, n_test, K=K, C=C, d=d, sigma=sigma, seed=0)
    X, Y = ds.X_train, ds.y_train
    base = _current_rss_gb()
    t0 = time.perf_counter()
    S = ntk_blocks(X)
    t_kernel = time.perf_counter() - t0
    m = max(2, n // 4)
    t0 = time.perf_counter()
    ntk(X[:m])
    t_ref = (time.perf_counter() - t0) * (n / m) ** 2

    t0 = time.perf_counter()
    cross = ntk_blocks(X, ds.X_test)
    split = top_kernel_split(S, cutoff_fraction, K)
    t_split = time.perf_counter() - t0
    rep, _ = report_from_split("6.25", split, X, Y, Gamma=Gamma, zeta=zeta, delta=0.1, k=16384)
    T = int(rep.iterations)
    nu = float(nu_random_init(zeta=zeta, K=K, B=1.0))
    eta_inf = float(rep.step_size) * nu**2 / K
    t1 = time.perf_counter()
    lim = limit_gd_lanczos(S, Y, eta_inf, T, cross=cross)
    t_gd = time.perf_counter() - t1
    t_limit = time.perf_counter() - t0
    assert lim.test_pred is not None
    test_err = float(np.mean(lim.test_pred.argmax(1) != ds.y_test.argmax(1)))
    peak = _rss_gb()
    nxn = 8 * n * n / 1e9
    rows = [
        Row(
            f"4a. Σ̃(X), n={n}, softplus, unit rows, in row blocks (≤60 s)",
            f"{t_kernel:.1f} s",
            f"{t_ref:.0f} s (bounds.kernels.ntk at n={m}, ×{(n / m) ** 2:.0f}, extrapolated)",
            f"{t_ref / t_kernel:.1f}×",
            t_kernel <= 60,
        ),
        Row(
            f"4b. limit GD, n={n}: split (top eigenpairs) + T={T} steps, train and "
            f"{n_test} test predictions (≤5 min)",
            f"{t_limit:.1f} s (split {t_split:.1f} s, Lanczos {t_gd:.1f} s, "
            f"{lim.products} products)",
            "-",
            "-",
            t_limit <= 300,
            f"Lanczos error estimate {lim.error_estimate:.1e}; rank {split.rank}; Thm 6.25 "
            f"bound {float(rep.error):.3f} (fails: {', '.join(rep.failing) or 'none'}); limit "
            f"test error {test_err:.3g}",
        ),
        Row(
            f"4c. peak RSS, n={n} (≤12 GB; one n×n float64 = {nxn:.1f} GB)",
            f"{peak:.2f} GB",
            "-",
            "-",
            peak <= 12,
            f"{(peak - base) / nxn:.2f} n×n arrays above the {base:.2f} GB before the kernel",
        ),
    ]
    if with_eigh:
        t0 = time.perf_counter()
        lam, U = eigh_inplace(S)  # overwrites S
        full = full_kernel_split(lam, U, cutoff_fraction, K)
        ref = limit_gd_eigh(lam, U, Y, eta_inf, T, cross=cross)
        t_eigh = time.perf_counter() - t0
        assert ref.test_pred is not None
        diff = float(np.abs(ref.test_pred - lim.test_pred).max())
        rows.append(
            Row(
                f"4b'. limit GD by full in-place eigh (syevd), n={n}",
                f"{t_eigh:.1f} s",
                f"{t_limit:.1f} s (Lanczos path)",
                f"{t_eigh / t_limit:.1f}× slower",
                None,
                f"max |Δ test prediction| {diff:.1e}; rank {full.rank}; peak RSS "
                f"{_rss_gb():.2f} GB",
            )
        )
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--eigh", action="store_true", help="also time the full in-place eigh")
    a = p.parse_args()
    print(machine())
    for r in run(n=a.n, with_eigh=a.eigh):
        print(r.line())
