"""Bad input gives a clear error naming the argument; accepted input gives finite conclusions.

Fuzzes every registered theorem (the registry is iterated, so a new theorem is covered as soon
as it is registered), ``lemma_6_2``, ``from_data``, ``from_jacobian``, ``symbolic.solve_for``,
the kernel functions (``bounds.kernels``, ``kernel_split``, ``spectral_norm``, ``class_major``)
and every CLI subcommand; the cases and the classification live in ``tests/fuzz_inputs.py``
(also a script printing the figures).  The contract (issue #8, section 4):

* a bad input raises ``ValueError``/``TypeError`` whose one-line message names the argument;
  the CLI prints one line on stderr and exits 2, before any experiment runs;
* an accepted input gives a report whose every number is finite, that prints, and whose
  ``to_dict()`` (and ``--json``) is strict JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bounds
from bounds import formulas as F
from bounds import symbolic

from . import fuzz_inputs as fz

KEYS = [k for k in fz.theorem_keys() if k != "L6.2"]


def _assert_contract(out: fz.Outcome, must_reject: bool = False) -> None:
    assert out.kind in ("ok", "clean"), f"{out.label}: {out.kind}: {out.detail}"
    if must_reject:
        assert out.kind == "clean", f"{out.label}: accepted a value that is never valid"


# ---------------------------------------------------------------------------- the registry
def test_registry_is_covered():
    """Every registered theorem has a valid fuzz point (a new input name needs a GOOD value)."""
    assert set(KEYS) == set(F.DEFS)
    for key in KEYS:
        rep = bounds.evaluate(key, **fz.base_point(key))
        assert fz.check_report(rep) is None, key


@given(st.data())
def test_theorem_argument_bad_value(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(KEYS), label="theorem")
    d = F.get(key)
    name = data.draw(st.sampled_from([*d.inputs, *d.defaults]), label="argument")
    label, val, must = data.draw(st.sampled_from(fz.BAD), label="value")
    fn = getattr(bounds, d.function_name)
    kw = {**fz.base_point(key), name: val}
    _assert_contract(fz.call(f"{key} {name}={label}", lambda: fn(**kw), (name,)), must)


#: Any number or number-like thing: floats of every magnitude (with NaN, inf, subnormals),
#: integers far beyond float64, complex numbers, booleans, strings and small arrays.
ANY_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=1e-320, max_value=1e308).map(lambda x: x),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=4),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3).map(np.array),
    st.sampled_from([v for _label, v, _must in fz.BAD]),
)


@given(st.data())
def test_theorem_random_values(data: st.DataObject) -> None:
    """Several arguments replaced at once: a clean error or a sound report, never anything else."""
    key = data.draw(st.sampled_from(KEYS), label="theorem")
    d = F.get(key)
    names = data.draw(
        st.lists(st.sampled_from([*d.inputs, *d.defaults]), min_size=1, max_size=4, unique=True),
        label="arguments",
    )
    kw: dict[str, Any] = dict(fz.base_point(key))
    for name in names:
        kw[name] = data.draw(ANY_VALUE, label=name)
    fn = getattr(bounds, d.function_name)
    _assert_contract(fz.call(f"{key} {names}", lambda: fn(**kw), tuple(names)))


@given(
    key=st.sampled_from(KEYS),
    scale=st.lists(st.floats(-300, 300), min_size=1, max_size=40),
)
def test_theorem_magnitudes(key: str, scale: list[float]) -> None:
    """Valid-looking inputs of any magnitude: overflow is refused by name, never returned."""
    d = F.get(key)
    names = [*d.inputs, *d.defaults]
    kw = dict(fz.base_point(key))
    for name, e in zip(names, scale, strict=False):
        if name in ("k", "n", "K", "C"):
            kw[name] = float(np.round(10.0**e)) if e > 0 else 1.0  # integral at every size
        else:
            kw[name] = fz.GOOD.get(name, 1.0) * 10.0**e
    fn = getattr(bounds, d.function_name)
    _assert_contract(fz.call(f"{key} magnitudes", lambda: fn(**kw), tuple(names)))


# ---------------------------------------------------------------------------- other entry points
_CASES = {
    "lemma_6_2": list(fz.lemma_6_2_cases()),
    "from_data": list(fz.from_data_cases()),
    "from_jacobian": list(fz.from_jacobian_cases()),
    "solve_for": list(fz.solve_cases()),
    "kernels": list(fz.kernel_cases()),
}


@pytest.mark.parametrize("group", sorted(_CASES))
@given(data=st.data())
def test_entry_point_cases(group: str, data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(_CASES[group]), label="case")
    out = fz.call(case.label, case.fn, case.names, must_reject=case.must_reject, check=case.check)
    _assert_contract(out, case.must_reject)


# ---------------------------------------------------------------------------- the issue's list
def _raises(fn: Any, exc: type[Exception] | tuple[type[Exception], ...], *names: str) -> str:
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg and any(n in msg for n in names), msg
    return msg


P624 = fz.base_point("6.24")


def test_issue_list_api():
    _raises(lambda: bounds.theorem_6_24(**{**P624, "alpha": []}), ValueError, "alpha")
    _raises(lambda: bounds.theorem_6_24(**{**P624, "alpha": 0.1 + 0.1j}), TypeError, "alpha")
    _raises(lambda: bounds.theorem_6_24(**{**P624, "k": 10**400}), ValueError, "k")
    # alpha = 1e308 in the informal 2.2 gave cutoff = inf.
    _raises(
        lambda: bounds.theorem_2_2(**{**fz.base_point("2.2"), "alpha": 1e308}), ValueError, "alpha"
    )
    _raises(lambda: bounds.evaluate(6.24, **P624), TypeError, "theorem")
    _raises(lambda: bounds.evaluate(None, **P624), TypeError, "theorem")


def test_issue_list_solve_for_propagates_input_errors():
    sp_ = fz.SOLVE_POINT
    _raises(
        lambda: symbolic.solve_for("6.24", "k", **{**sp_, "alpha": float("nan")}),
        ValueError,
        "alpha",
    )
    _raises(lambda: symbolic.solve_for("6.24", "k", **{**sp_, "bogus": 1}), ValueError, "bogus")
    msg = _raises(
        lambda: symbolic.solve_for("6.24", "k", **{**sp_, "alpha": 50.0}), ValueError, "lambda_1"
    )
    assert "satisfies" not in msg
    # A genuine "no k" stays that message.
    with pytest.raises(ValueError, match="satisfies"):
        symbolic.solve_for("6.24", "k", search=(1.0, 10.0), **sp_)


def test_issue_list_from_data():
    X, y = fz._X(), fz._y()
    sc = fz.FROM_DATA_SCALARS["6.24"]
    _raises(lambda: bounds.from_data("6.24", X, y, **{**sc, "Gamma": 0}), ValueError, "Gamma")
    _raises(lambda: bounds.from_data("6.24", X, y, **{**sc, "zeta": 0}), ValueError, "zeta")
    # An alpha grid is split once per value from one decomposition (Gamma still may not be).
    _raises(
        lambda: bounds.from_data("6.24", X, y, **{**sc, "Gamma": np.array([2.0, 3.0])}),
        ValueError,
        "Gamma",
    )
    _raises(lambda: bounds.from_data("6.24", X, y, n=12, **sc), ValueError, "n ")
    # Inputs the data quantities do not depend on may still be grids, as in evaluate().
    deltas = np.array([0.01, 0.1, 0.5])
    grid = bounds.from_data("6.24", X, y, **{**sc, "delta": deltas})
    for i, dl in enumerate(deltas):
        one = bounds.from_data("6.24", X, y, **{**sc, "delta": dl})
        assert grid.error[i] == one.error
    M = fz._centers()
    a3 = fz.FROM_DATA_SCALARS["A.3"]
    _raises(lambda: bounds.from_data("A.3", X, y, centers=M[:3], **a3), ValueError, "centers")
    _raises(lambda: bounds.from_data("A.3", X, y, centers=fz._X(4, 6), **a3), ValueError, "centers")
    dup = np.vstack([M[:3], M[:1]])
    _raises(lambda: bounds.from_data("A.3", X, y, centers=dup, **a3), ValueError, "centers")
    # Distinct centres still work, and their lambda_M is far above the refusal threshold.
    assert fz.check_report(bounds.from_data("A.3", X, y, centers=M, **a3)) is None


def test_issue_list_kernels():
    from bounds import kernels

    X = fz._X()
    # schur_upper_bound validated nothing: NaN passed through, 10**400 and complex escaped.
    _raises(lambda: kernels.schur_upper_bound(float("nan")), ValueError, "X_norm")
    _raises(lambda: kernels.schur_upper_bound(3.0, 10**400), ValueError, "B")
    _raises(lambda: kernels.schur_upper_bound(np.array([1.0 + 2.0j])), TypeError, "X_norm")
    _raises(lambda: kernels.schur_upper_bound(1e200), ValueError, "X_norm")
    _raises(lambda: kernels.schur_upper_bound(np.ones(2), np.ones(3)), ValueError, "X_norm")
    # lambda_min_centers named ntk's X.
    msg = _raises(lambda: kernels.lambda_min_centers(np.ones((2, 2))), ValueError, "M")
    assert not msg.startswith("X")
    _raises(lambda: kernels.get_activation(["relu"]), TypeError, "activation")
    _raises(lambda: kernels.dual_expectation(0.3, chunk=0), ValueError, "chunk")
    _raises(lambda: kernels.dual_expectation(0.3, chunk=None), TypeError, "chunk")
    # numpy's "Maximum allowed dimension exceeded" for a huge K.
    _raises(lambda: kernels.mntk(X, 1e200), ValueError, "K")
    _raises(lambda: kernels.mntk(X, 2**40), ValueError, "K")
    _raises(lambda: kernels.mntk(X, [1, 2]), ValueError, "K")
    # "only 0-dimensional arrays can be converted" for a grid of cutoffs.
    _raises(lambda: bounds.kernel_split(X, 2, np.array([0.1, 0.2])), ValueError, "cutoff")
    # RuntimeWarnings (errors under pytest) for huge scales.
    _raises(lambda: kernels.dual_expectation(0.3, a=1e308), ValueError, "a ")
    _raises(lambda: kernels.ntk(X * 1e200, unit_norm=False), ValueError, "X")
    _raises(lambda: kernels.ntk(X * 1e-200, unit_norm=False), ValueError, "X")
    # At the edges of the accepted ranges the results are finite.
    for out in (
        kernels.schur_upper_bound(1e150, 1.0),
        kernels.dual_expectation(0.3, "gaussian", a=kernels.MAX_SCALE, b=kernels.MAX_SCALE),
        kernels.ntk(X * (kernels.MAX_SCALE / 2), "gaussian", unit_norm=False),
        kernels.ntk(X * (2 / kernels.MAX_SCALE), unit_norm=False),
    ):
        assert np.all(np.isfinite(out))


@given(
    rho=ANY_VALUE,
    a=ANY_VALUE,
    chunk=ANY_VALUE,
    X_norm=ANY_VALUE,
    B=ANY_VALUE,
)
def test_kernel_random_values(rho: Any, a: Any, chunk: Any, X_norm: Any, B: Any) -> None:
    """Any value for the scalar arguments of the kernel functions: clean error or finite result."""
    from bounds import kernels

    for label, fn, names in [
        ("dual_expectation rho", lambda: kernels.dual_expectation(rho, "gaussian", 8), ("rho",)),
        ("dual_expectation a", lambda: kernels.dual_expectation(0.3, "gaussian", 8, a=a), ("a",)),
        (
            "dual_expectation chunk",
            lambda: kernels.dual_expectation(0.3, "gaussian", 8, chunk=chunk),
            ("chunk",),
        ),
        ("schur", lambda: kernels.schur_upper_bound(X_norm, B), ("X_norm", "B")),
    ]:
        _assert_contract(fz.call(label, fn, names, check=fz._ok_array))


# ---------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_cases(tmp_path_factory: pytest.TempPathFactory) -> list[fz.CliCase]:
    return list(fz.cli_cases(tmp_path_factory.mktemp("cli")))


def _run(case: fz.CliCase) -> fz.Outcome:
    res = fz.run_cli(case.argv, broken_pipe=case.broken_pipe)
    return fz.classify_cli(case.label, res, expect=case.expect, names=case.names)


def test_cli_every_subcommand_is_fuzzed(cli_cases: list[fz.CliCase]) -> None:
    import argparse

    import jacobound
    from bounds import cli as bounds_cli
    from simulate import cli as simulate_cli

    parser = bounds_cli.make_parser(
        "jacobound", "", bounds_cli.add_commands, simulate_cli.add_commands
    )
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    parser_commands = set(sub.choices)
    assert parser_commands == {"bound", "solve", *jacobound.SIMULATE_COMMANDS}
    seen = {c.argv[0] for c in cli_cases if c.argv}
    assert parser_commands <= seen


@given(data=st.data())
def test_cli_cases(cli_cases: list[fz.CliCase], data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(cli_cases), label="case")
    out = _run(case)
    _assert_contract(out, case.expect == "error")


ISSUE_CLI = [
    "bound 6.24 --alpha 'nan'",
    "bound 6.24 --alpha '1e400'",
    "bound 6.24 --alpha 'abc'",
    "bound L6.20 --distance '0'",
    "bound 6.24 --json",
    "solve 6.24 alpha above lambda_1",
    "run --out file",
    "run --out under a file",
    "run --out /proc",
    "demo --out file",
    "demo --out /proc",
    "run --config missing",
    "run --config directory",
    "run --config malformed",
    "run corruption --config corruptions = []",
    "run spectrum --config k = true",
    "report invalid json",
    "report list",
    "report missing keys",
    "report NaN",
    "bound --list | head",
    "bound 6.24 | head",
    "no command",
]


@pytest.mark.parametrize("label", ISSUE_CLI)
def test_cli_issue_list(cli_cases: list[fz.CliCase], label: str) -> None:
    (case,) = [c for c in cli_cases if c.label == label]
    out = _run(case)
    _assert_contract(out, case.expect == "error")


def test_cli_json_is_strict_and_errors_are_one_line(tmp_path: Path) -> None:
    args = fz._cli_args(P624)
    res = fz.run_cli(["bound", "6.24", *args, "--json"])
    assert res.code == 0
    assert json.loads(res.stdout, parse_constant=lambda c: pytest.fail(c))["theorem"] == "6.24"
    res = fz.run_cli(["bound", "6.24", *args[:-2]])  # y_pinv missing
    assert res.code == 2 and res.stderr.count("\n") == 1 and "--y_pinv" in res.stderr


def test_cli_out_checked_before_running(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("")
    res = fz.run_cli(["run", "linear", "--out", str(f / "sub"), "--quiet"])
    assert not res.ran and res.code == 2 and "out" in res.stderr
