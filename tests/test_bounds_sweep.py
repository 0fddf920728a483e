"""``bounds.sweep``: records equal single evaluations; data grids reuse one decomposition; plots.

Also ``from_data`` with integer labels and alpha grids (the machinery the data sweeps use).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import types

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bounds
from bounds import formulas as F

from . import fuzz_inputs as fz
from .conftest import unit_rows

KEYS = [k for k in fz.theorem_keys() if k != "L6.2"]
#: Inputs tied to others by an identity (Pythagoras, ||X|| <= sqrt(n)): swept alone they would
#: almost never give a valid point.
TIED = {"y_info", "y_nuisance", "r0_info", "r0_nuisance", "r0_norm", "n"}
INTEGERS = {"k", "n", "K", "C"}
#: Relative agreement of a broadcast and a single evaluation: the same float64 operations
#: elementwise give the same bits, up to a few ulp where numpy's vector loops differ (~1e-16).
RTOL = 1e-13


def _same_report(rec, rep: bounds.Report) -> None:
    for name, val in rep.conclusions.items():
        assert rec[name] == pytest.approx(float(val), rel=RTOL, abs=0), name
    for c in rep.conditions:
        assert rec[f"{c.name}.lhs"] == pytest.approx(float(c.lhs), rel=RTOL, abs=1e-300)
        assert rec[f"{c.name}.rhs"] == pytest.approx(float(c.rhs), rel=RTOL, abs=1e-300)
        if not c.at_boundary:  # a decision within its tolerance band may differ by round-off
            assert rec[f"{c.name}.holds"] == bool(c.holds), c.name
    if not rep.at_boundary:
        assert rec["rigorous"] == bool(rep.rigorous)
        assert rec["vacuous"] == bool(rep.vacuous)
        assert rec["hypotheses_hold"] == bool(rep.hypotheses_hold)
    for name in ("cutoff", "iterations", "step_size", "probability"):
        val = getattr(rep, name)
        if val is not None:
            assert rec[name] == pytest.approx(float(val), rel=RTOL, abs=0), name


@given(data=st.data())
def test_sweep_records_equal_single_calls(data: st.DataObject) -> None:
    """Every registered theorem: each record is the theorem evaluated at that point alone."""
    key = data.draw(st.sampled_from(KEYS), label="theorem")
    base = fz.base_point(key)
    free = sorted(set(base) - TIED)
    assume(free)
    names = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True))
    over = {}
    for name in names:
        facs = data.draw(st.lists(st.floats(0.25, 4.0), min_size=1, max_size=3), label=name)
        vals = [base[name] * f if base[name] else f - 0.25 for f in facs]
        over[name] = [max(1.0, float(round(x))) for x in vals] if name in INTEGERS else vals
    fixed = {k: val for k, val in base.items() if k not in over}
    singles = []
    for point in itertools.product(*over.values()):
        try:
            singles.append(bounds.evaluate(key, **fixed, **dict(zip(names, point, strict=True))))
        except ValueError:
            assume(False)
    res = bounds.sweep(key, over=over, **fixed)
    assert len(res) == len(singles) == int(np.prod(res.shape))
    for rec, rep, point in zip(
        res.records, singles, itertools.product(*over.values()), strict=True
    ):
        assert tuple(rec[n_] for n_ in names) == point  # C order over the names as given
        _same_report(rec, rep)
    json.loads(res.to_json())  # strict JSON


@given(
    n=st.lists(st.integers(20, 10**7), min_size=1, max_size=4),
    f_info=st.floats(0.05, 1.0),
    f_x=st.floats(0.05, 1.0),
    alpha_rel=st.floats(0.05, 1.0),
)
def test_sweep_over_n_with_fractions(n, f_info, f_x, alpha_rel) -> None:
    """n swept with the label split and ||X|| as fractions of sqrt(n): each record equals the
    theorem at y_info = f sqrt(n), y_nuisance = sqrt(1 - f^2) sqrt(n), X_norm = f_X sqrt(n)."""
    K = 10
    alpha = alpha_rel * np.sqrt(f_x / K)  # alpha^2 K <= f_X: the cutoff stays below lambda_1
    fixed = dict(alpha=alpha, Gamma=2, zeta=0.05, delta=0.05, k=1e20, K=K, B=1, y_pinv=3)
    res = bounds.sweep("6.24", over={"n": n}, y_info_fraction=f_info, X_norm_fraction=f_x, **fixed)
    for rec, n_i in zip(res.records, n, strict=True):
        rn = np.sqrt(float(n_i))
        rep = bounds.theorem_6_24(
            n=n_i,
            y_info=f_info * rn,
            y_nuisance=np.sqrt(max(1 - f_info**2, 0.0)) * rn,
            X_norm=f_x * rn,
            **fixed,
        )
        _same_report(rec, rep)
        assert rec["bias"] == pytest.approx(2 * np.sqrt(max(1 - f_info**2, 0.0)), rel=1e-12)


def test_sweep_bad_input_names_the_problem() -> None:
    base = fz.base_point("6.24")
    fixed = {k: v for k, v in base.items() if k != "alpha"}
    with pytest.raises(ValueError, match="both swept"):
        bounds.sweep("6.24", over={"alpha": [0.1]}, **base)
    with pytest.raises(ValueError, match="bogus"):
        bounds.sweep("6.24", over={"bogus": [0.1]}, **fixed)
    with pytest.raises(ValueError, match="1-d"):
        bounds.sweep("6.24", over={"alpha": [[0.1, 0.2]]}, **fixed)
    with pytest.raises(TypeError, match="over"):
        bounds.sweep("6.24", over=[0.1], **fixed)
    with pytest.raises(ValueError, match="single value"):
        bounds.sweep("6.24", over={"alpha": [0.1]}, **{**fixed, "k": [1, 2]})
    # A point outside the theorem's range is named, with the grid value at fault.
    with pytest.raises(ValueError, match=r"at alpha=50"):
        bounds.sweep("6.24", over={"alpha": [0.1, 50.0]}, **fixed)
    with pytest.raises(ValueError, match="y_info_fraction"):
        bounds.sweep("6.24", over={"alpha": [0.1]}, **fixed, y_info_fraction=0.5)


# ---------------------------------------------------------------------------- data
def _data(rng, n=36, d=5, K=3):
    X = unit_rows(rng, n, d)
    return X, rng.integers(0, K, n)


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**16),
    alphas=st.lists(st.floats(0.005, 0.08), min_size=1, max_size=4),
    key=st.sampled_from(["6.23", "6.24", "6.25", "2.2"]),
)
def test_from_data_alpha_grid_equals_per_alpha_calls(seed, alphas, key) -> None:
    X, labels = _data(np.random.default_rng(seed))
    sc = {
        k: v
        for k, v in dict(Gamma=2.0, zeta=0.05, delta=0.1, k=1e6).items()
        if k in F.get(key).inputs
    }
    grid, q = bounds.from_data(key, X, labels, alpha=alphas, return_quantities=True, **sc)
    for i, a in enumerate(alphas):
        one, q1 = bounds.from_data(key, X, labels, alpha=a, return_quantities=True, **sc)
        for name, val in one.conclusions.items():
            assert np.asarray(grid.conclusions[name])[i] == pytest.approx(val, rel=RTOL, abs=0)
        for cg, c1 in zip(grid.conditions, one.conditions, strict=True):
            assert cg.name == c1.name
            if not c1.at_boundary:
                assert bool(np.asarray(cg.holds)[i]) == bool(c1.holds)
        assert q.rank[i] == q1.rank and q.pinv[i] == pytest.approx(q1.pinv, rel=RTOL)


def test_from_data_alpha_grid_decomposes_once(rng, monkeypatch) -> None:
    X, labels = _data(rng)
    calls = []
    eigh = np.linalg.eigh
    monkeypatch.setattr(np.linalg, "eigh", lambda A, *a, **k: calls.append(A.shape) or eigh(A))
    bounds.from_data("6.24", X, labels, alpha=[0.01, 0.02, 0.04], Gamma=2, zeta=0.05, delta=0.1,
                     k=1e6)  # fmt: skip
    assert len(calls) == 1
    calls.clear()
    res = bounds.sweep(
        "6.24", over={"alpha": [0.01, 0.02], "Gamma": [1.5, 3.0]}, X=X, y=labels, zeta=0.05,
        delta=0.1, k=1e6,
    )  # fmt: skip
    assert len(calls) == 1 and len(res) == 4
    for rec in res:
        one = bounds.from_data("6.24", X, labels, alpha=rec["alpha"], Gamma=rec["Gamma"],
                               zeta=0.05, delta=0.1, k=1e6)  # fmt: skip
        _same_report(rec, one)


def test_sweep_from_jacobian_equals_single_calls(rng) -> None:
    J = rng.standard_normal((12, 30))
    r0 = rng.standard_normal(12)
    sc = dict(delta=0.1, beta=float(np.linalg.norm(J, 2)), eps0=0.0, eps=1e-3)
    res = bounds.sweep(
        "5.3", over={"alpha": [0.5, 1.0, 2.0], "Gamma": [1.0, 2.5]}, r0=r0, J=J, **sc
    )
    for rec in res:
        one = bounds.from_jacobian("5.3", r0=r0, J=J, alpha=rec["alpha"], Gamma=rec["Gamma"], **sc)
        _same_report(rec, one)
    grid = bounds.from_jacobian("5.3", r0=r0, gram=J @ J.T, alpha=[0.5, 1.0], Gamma=2.0, **sc)
    one = bounds.from_jacobian("5.3", r0=r0, gram=J @ J.T, alpha=1.0, Gamma=2.0, **sc)
    assert grid.train_residual[1] == pytest.approx(one.train_residual, rel=RTOL)


@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(8, 30),
    K=st.integers(1, 4),
    extra=st.integers(0, 2),
)
def test_integer_labels_give_the_report_of_their_one_hot(seed, n, K, extra) -> None:
    rng = np.random.default_rng(seed)
    X = unit_rows(rng, n, 4)
    labels = rng.integers(0, K, n)
    Kc = int(labels.max()) + 1 + extra  # K may be given larger (absent classes)
    sc = dict(alpha=0.01, Gamma=2.0, zeta=0.05, delta=0.1, k=1e6)
    a = bounds.from_data("6.24", X, labels, K=Kc if extra else None, **sc)
    b = bounds.from_data("6.24", X, np.eye(Kc)[labels], **sc)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() == bounds.from_data("6.24", X, labels.astype(float), K=Kc, **sc).to_dict()


def test_integer_label_errors(rng) -> None:
    X, labels = _data(rng, n=12)
    sc = dict(alpha=0.01, Gamma=2.0, zeta=0.05, delta=0.1, k=1e6)
    for bad, pattern in [
        (labels + 0.5, "non-integer"),
        (labels - 1, "negative"),
        (labels.astype(str), "LabelEncoder"),
        (labels[:-1], "same number of rows"),
    ]:
        with pytest.raises((ValueError, TypeError), match=pattern):
            bounds.from_data("6.24", X, bad, **sc)
    with pytest.raises(ValueError, match="out of range for K = 2"):
        bounds.from_data("6.24", X, np.r_[labels[:-1], 2], K=2, **sc)
    with pytest.raises(ValueError, match="does not match"):
        bounds.from_data("6.24", X, np.eye(3)[labels], K=4, **sc)


# ---------------------------------------------------------------------------- outputs
def _demo_sweep() -> bounds.SweepResult:
    return bounds.sweep(
        "6.24",
        over={"n": [100, 1000, 10**4, 10**5, 10**6]},
        y_info_fraction=0.99,
        X_norm_fraction=0.3,
        alpha=0.05,
        Gamma=3,
        zeta=0.005,
        delta=0.05,
        k=1e12,
        K=10,
        B=1,
        y_pinv=5,
    )


def test_plot_has_the_expected_artists() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure  # no pyplot: no backend needed

    res = _demo_sweep()
    assert any(r["vacuous"] for r in res) and not all(r["vacuous"] for r in res)
    ax = Figure().subplots()
    assert res.plot(ax=ax) is ax
    n_series = 1 + len(res.terms)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:n_series] == [q.replace("_", " ") for q in ("error", *res.terms)]
    assert any(lab.startswith("vacuous") for lab in labels)
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.bbox.x1 - 1  # legend outside the data
    shaded = [a for a in ax.get_children() if a.get_gid() == "vacuous"]
    assert len(shaded) == 1
    # Width fails at k = 1e12 everywhere: every marker is open, none filled.
    markers = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None" and len(ln.get_xdata())]
    assert markers and all(ln.get_markerfacecolor() == "none" for ln in markers)
    assert ax.get_xscale() == "log" and "n" in ax.get_xlabel()
    # A rigorous sweep has filled markers.
    big = bounds.sweep("6.24", over={"k": [1e40, 1e45]}, **{**fz.base_point("6.24"), "k": None})
    ax2 = Figure().subplots()
    big.plot(ax=ax2)
    filled = [ln for ln in ax2.get_lines() if ln.get_linestyle() == "None" and len(ln.get_xdata())]
    assert any(ln.get_markerfacecolor() != "none" for ln in filled) == any(
        r["rigorous"] for r in big
    )


def test_plot_with_pyplot_and_several_swept_inputs() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    plt.switch_backend("agg")  # this test only; importing bounds never selects a backend
    base = {k: v for k, v in fz.base_point("6.24").items() if k not in ("alpha", "k")}
    res = bounds.sweep("6.24", over={"alpha": [0.1, 0.3, 0.6], "k": [1e3, 1e30]}, **base)
    with pytest.raises(ValueError, match="x must name"):
        res.plot()
    ax = res.plot(x="alpha")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "error (k=1000)" in labels and "error (k=1e+30)" in labels
    plt.close(ax.figure)


def test_bounds_imports_and_sweeps_without_matplotlib_or_pandas() -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['pandas'] = None\n"
        "import bounds\n"
        "r = bounds.sweep('2.2', over={'alpha': [0.1, 0.2]}, Gamma=2, k=100, n=50, K=2, "
        "y_nuisance=1)\n"
        "assert len(r.records) == 2\n"
        "for f in (r.plot, r.to_frame):\n"
        "    try:\n"
        "        f()\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs matplotlib" in out.stdout and "needs pandas" in out.stdout


def test_to_frame_and_csv(monkeypatch) -> None:
    res = _demo_sweep()
    seen = {}

    class DataFrame:  # a stand-in for pandas.DataFrame: records and column order arrive intact
        @classmethod
        def from_records(cls, records, columns):
            seen.update(records=records, columns=columns)
            return cls()

    monkeypatch.setitem(sys.modules, "pandas", types.SimpleNamespace(DataFrame=DataFrame))
    assert isinstance(res.to_frame(), DataFrame)
    assert seen["records"] == [dict(r) for r in res.records]
    assert tuple(seen["columns"])[:1] == ("n",)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        res.to_frame()
    lines = res.to_csv().splitlines()
    assert len(lines) == 1 + len(res) and lines[0].split(",")[0] == "n"
    back = json.loads(res.to_json())
    assert back["over"] == {"n": [100.0, 1000.0, 1e4, 1e5, 1e6]}
    assert [r["error"] for r in back["records"]] == list(res.column("error"))
    with pytest.raises(TypeError):
        res.records[0]["error"] = 0.0  # records are read-only
