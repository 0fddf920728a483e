"""Calibration of the informal bounds (simulate.experiments.generalization.calibrate)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulate.experiments.generalization import Config, calibrate, t_interval, wilson


def _runs(ns, seeds, bound, measured):
    return [
        {
            "n": n,
            "seed": s,
            "cutoff_fraction": 0.5,
            "predicted": {
                "2.2": {"error": bound(n, s), "observed": {"test_error": measured(n, s)}}
            },
        }
        for s in seeds
        for n in ns
    ]


@given(
    c=st.floats(0.01, 0.5),
    rate=st.floats(-1.0, -0.1),
    noise=st.lists(st.floats(0.9, 1.1), min_size=3, max_size=3),
)
def test_a_bound_proportional_to_the_error_is_calibrated_exactly(c, rate, noise):
    """measured = c * bound (per seed) => the fitted constant is c, every calibration error 1,
    and both slopes equal the bound's rate."""
    ns = [100, 200, 400, 800]
    cfg = Config(n_values=tuple(ns), calibrate_on=2, seeds=3, n_test=10**6)
    runs = _runs(
        ns,
        range(3),
        lambda n, s: noise[s] * n**rate,
        lambda n, s: c * noise[s] * n**rate,
    )
    out = calibrate(cfg, runs, 0.5)["2.2"]
    assert out["constant"] == pytest.approx(c, rel=1e-9)
    assert np.allclose(out["calibration_error"], 1.0, rtol=1e-9)
    assert out["slope_measured"] == pytest.approx(rate, abs=1e-9)
    assert out["slope_bound"] == pytest.approx(rate, abs=1e-9)


def test_a_wrong_rate_is_seen():
    """measured ~ n^-1 against a bound ~ n^-0.5: out-of-sample predictions overshoot by
    (n / n_fit)^0.5 and the slopes differ by 0.5."""
    ns = [100, 200, 400, 800]
    cfg = Config(n_values=tuple(ns), calibrate_on=1, seeds=2, n_test=10**6)
    runs = _runs(ns, range(2), lambda n, s: n**-0.5, lambda n, s: (1 + 0.01 * s) * 10 / n)
    out = calibrate(cfg, runs, 0.5)["2.2"]
    assert out["calibration_error"][-1] == pytest.approx(np.sqrt(8), rel=1e-2)
    assert out["slope_bound"] - out["slope_measured"] == pytest.approx(0.5, abs=1e-6)


def test_intervals():
    lo, hi = wilson(0, 100)
    assert lo == 0.0 and 0 < hi < 0.05
    lo, hi = wilson(50, 100)
    assert lo < 0.5 < hi and hi - 0.5 == pytest.approx(0.5 - lo)
    m, h = t_interval([1.0, 1.0, 1.0])
    assert (m, h) == (1.0, 0.0)
    m, h = t_interval([0.0, 2.0])
    assert m == 1.0 and h > 2  # t_{0.975, 1} = 12.7 times sd/sqrt(2)
