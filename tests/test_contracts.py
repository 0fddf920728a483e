"""Contract tests over the theorem and activation registries, and toys registered at run time.

In the style of scikit-learn's ``parametrize_with_checks``: every entry of
``bounds.formulas.DEFS`` and of ``bounds.activations.ACTIVATIONS`` is put through the same
checks, so a new theorem is covered by its ``TheoremDef`` plus its reference values in
``tests/theorem_cases.py``, and a new activation by its ``Activation`` entry.  The ``check_*``
functions take the definition itself, so the last tests run them on toys registered here.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
from typing import Any

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import bounds
import jacobound as cli
from bounds import _generate
from bounds import formulas as F
from bounds.activations import (
    ACTIVATIONS,
    NUMPY,
    OPS_NAMES,
    Activation,
    register_activation,
    unregister_activation,
)
from bounds.theorems import make_function, theorem_function
from simulate.backend import TORCH, torch_activation
from simulate.model import init_random
from tests.theorem_cases import REFERENCE, ReferenceCase

KEYS = list(F.DEFS)
#: Inputs tied to each other or to the data (Pythagoras, ||X|| <= sqrt(n), n >= K, the cutoff
#: growing with K): not perturbed.
_TIED = {"y_info", "y_nuisance", "r0_info", "r0_nuisance", "r0_norm", "n", "X_norm", "K", "C"}


def _case(key: str) -> ReferenceCase:
    return REFERENCE[F.get(key).key]


def _json(obj: Any) -> Any:
    return json.loads(json.dumps(obj, allow_nan=False))


# -- theorem checks ---------------------------------------------------------------------------


def check_signature(d: F.TheoremDef) -> None:
    """The function's keyword-only parameters are the inputs (required) then the defaults
    (``None``), its docstring names the theorem and documents every argument."""
    fn = theorem_function(d.key)
    params = list(inspect.signature(fn).parameters.values())
    assert [p.name for p in params] == list(d.arguments)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    for p in params:
        expected = inspect.Parameter.empty if p.name in d.inputs else None
        assert p.default is expected, p.name
    doc = inspect.getdoc(fn) or ""
    assert doc.startswith(("Theorem ", "Lemma ")) and d.key.lstrip("L") in doc.splitlines()[0]
    for name in d.arguments:
        assert f"\n{name} : " in doc, name
    for section in ("Parameters", "Returns", "Raises"):
        assert f"\n{section}\n" in doc


def check_reference(d: F.TheoremDef, case: ReferenceCase) -> None:
    """The report at the reference point equals the values derived by hand."""
    rep = theorem_function(d.key)(**case.inputs)
    assert case.expected, "a reference case needs at least one expected conclusion"
    for name, value in case.expected.items():
        assert float(rep.conclusions[name]) == pytest.approx(value, rel=1e-12, abs=0), name
    if case.iterations is not None:
        assert float(rep.iterations) == case.iterations


def _perturbed(d: F.TheoremDef, case: ReferenceCase, factors: list[float]) -> dict[str, Any]:
    """The reference point with each free input scaled (alpha down, Gamma and k up)."""
    vals = dict(case.inputs)
    free = [n_ for n_ in d.inputs if n_ not in _TIED]
    for name, f in zip(free, factors, strict=False):
        x = vals[name]
        if name in F.INTEGER_INPUTS:
            vals[name] = max(1, round(x * (1 + 100 * (1 - f))))  # the width k: 1x to 50x
        elif name == "Gamma":
            vals[name] = x * (3 - 2 * f)  # up to 2x: Gamma >= 1 stays
        else:
            vals[name] = x * f  # alpha: a smaller cutoff stays below lambda_1
    return vals


def check_symbolic_matches_numeric(d: F.TheoremDef, case: ReferenceCase, factors: list[float]):
    """sympy's 30-digit evaluation of every conclusion equals the compiled numeric report."""
    vals = _perturbed(d, case, factors)
    try:
        rep = bounds.evaluate(d.key, **vals)
    except ValueError:
        assume(False)
        return
    inputs = dict(rep.inputs)
    if "Gamma_effective" in inputs:
        inputs["Gamma"] = inputs.pop("Gamma_effective")
    subs = {F.SYMBOLS[k_]: sp.Float(float(val), 30) for k_, val in inputs.items()}
    for name, expr in d.conclusions.items():
        exact = float(sp.sympify(expr).subs(subs).evalf(30))
        assert float(rep.conclusions[name]) == pytest.approx(exact, rel=1e-10, abs=1e-300), name


def check_broadcasts(d: F.TheoremDef, case: ReferenceCase) -> None:
    """A grid in one argument gives arrays whose entries are the scalar reports."""
    fn = theorem_function(d.key)
    order = [n_ for n_ in ("alpha", "delta", "k", "zeta") if n_ in d.inputs]
    order += [n_ for n_ in d.inputs if n_ not in order and n_ not in _TIED]
    for name in order:
        x = case.inputs[name]
        grid = [x, 2 * x, 3 * x] if name in F.INTEGER_INPUTS else [x, 0.9 * x, 0.8 * x]
        try:
            singles = [fn(**{**case.inputs, name: g}) for g in grid]
        except ValueError:
            continue
        rep = fn(**{**case.inputs, name: np.array(grid)})
        for cname, val in rep.conclusions.items():
            assert np.shape(val) == (3,), cname
            for i, single in enumerate(singles):
                assert val[i] == pytest.approx(float(single.conclusions[cname]), rel=1e-14)
        if d.conditions:
            assert np.shape(rep.rigorous) == (3,)
        return
    raise AssertionError(f"no argument of {d.key} takes a grid at the reference point")


def check_round_trips(d: F.TheoremDef, case: ReferenceCase) -> None:
    """``to_dict`` is JSON; ``evaluate``, the function and ``jacobound bound KEY --json`` agree."""
    rep = theorem_function(d.key)(**case.inputs)
    as_dict = rep.to_dict()
    assert _json(as_dict) == as_dict | _json(as_dict)  # JSON-ready: nothing changes
    assert _json(bounds.evaluate(d.key, **case.inputs).to_dict()) == _json(as_dict)
    argv = ["bound", d.key, "--json"]
    for name, val in case.inputs.items():
        argv += [f"--{name}", repr(float(val))]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(argv) == 0
    assert json.loads(out.getvalue()) == _json(as_dict)


def test_every_theorem_has_reference_values():
    assert set(REFERENCE) == set(F.DEFS)


def test_generated_functions_are_up_to_date():
    """bounds/_functions.py is what ``python -m bounds._generate`` writes from the registry."""
    assert _generate.main(["--check"]) == 0
    assert _generate.TARGET.read_text(encoding="utf-8") == _generate.module_source()


@pytest.mark.parametrize("key", KEYS)
def test_theorem_is_exported(key):
    d = F.DEFS[key]
    assert d.function_name in bounds.__all__ and d.function_name in bounds.theorems.__all__
    assert getattr(bounds, d.function_name) is theorem_function(key)


@pytest.mark.parametrize("key", KEYS)
def test_signature(key):
    check_signature(F.DEFS[key])


@pytest.mark.parametrize("key", KEYS)
def test_reference_values(key):
    check_reference(F.DEFS[key], _case(key))


@pytest.mark.parametrize("key", KEYS)
@given(factors=st.lists(st.floats(0.5, 1.0), min_size=16, max_size=16))
def test_symbolic_matches_numeric(key, factors):
    check_symbolic_matches_numeric(F.DEFS[key], _case(key), factors)


@pytest.mark.parametrize("key", KEYS)
def test_broadcasts(key):
    check_broadcasts(F.DEFS[key], _case(key))


@pytest.mark.parametrize("key", KEYS)
def test_round_trips(key):
    check_round_trips(F.DEFS[key], _case(key))


@pytest.mark.parametrize("key", KEYS)
def test_fatal_conditions_have_hints(key):
    for c in F.DEFS[key].conditions:
        assert not c.fatal or c.hint.strip(), c.name


def test_reference_field_drives_the_data_routes():
    """Every theorem with a reference is covered by exactly the route that computes it."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.eye(2)[[0, 1, 0, 1, 0, 1]]
    for key, d in F.DEFS.items():
        if d.reference not in ("kernel", "centers"):
            with pytest.raises(ValueError, match="from_data covers"):
                bounds.from_data(key, X, y)
        if d.reference != "jacobian":
            with pytest.raises(ValueError, match="from_jacobian covers"):
                bounds.from_jacobian(key, r0=np.ones(3), J=np.eye(3))


# -- activation checks ------------------------------------------------------------------------

#: float64 grid on [-30, 30]: dense, plus the points where formulas switch branches or lose
#: accuracy (0, +-1e-8, torch's softplus threshold 20 and beyond, the ends).
GRID = np.unique(
    np.concatenate(
        [np.linspace(-30.0, 30.0, 6001), [0.0, 1e-8, -1e-8, 20.0, 20.5, -20.5, 29.999, -29.999]]
    )
)


def check_numpy_and_torch_agree(act: Activation) -> None:
    """phi, phi', phi'' and the in-place phi' agree between numpy and torch (float64)."""
    npf, thf = act.on(NUMPY), act.on(TORCH)
    t = torch.as_tensor(GRID, dtype=torch.float64)
    pairs = [("phi", npf.phi, thf.phi), ("dphi", npf.dphi, thf.dphi)]
    if act.smooth:
        assert npf.ddphi is not None and thf.ddphi is not None
        pairs.append(("ddphi", npf.ddphi, thf.ddphi))
    else:
        assert npf.ddphi is None and thf.ddphi is None
    for name, f_np, f_t in pairs:
        a = np.asarray(f_np(GRID.copy()), dtype=np.float64)
        b = f_t(t.clone()).numpy()
        assert a.shape == GRID.shape and np.all(np.isfinite(a)), name
        # 1e-13 relative is ~450 ulp: two libraries' exp/erf/log1p differ by a few ulp.
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=0, err_msg=f"{act.name} {name}")
    np.testing.assert_allclose(npf.dphi_(GRID.copy()), npf.dphi(GRID), rtol=1e-15, atol=0)
    np.testing.assert_allclose(thf.dphi_(t.clone()).numpy(), npf.dphi(GRID), rtol=1e-13, atol=0)


def check_bound_holds(act: Activation) -> None:
    """``|phi(0)|``, ``|phi'|`` and (when it exists) ``|phi''|`` are at most ``B`` on the grid."""
    f = act.on(NUMPY)
    assert abs(float(f.phi(np.zeros(1))[0])) <= act.B
    assert float(np.max(np.abs(f.dphi(GRID)))) <= act.B
    if f.ddphi is not None:
        assert float(np.max(np.abs(f.ddphi(GRID)))) <= act.B


def check_both_layers_accept(act: Activation) -> None:
    """The kernel (numpy) and, for a smooth activation, the network (torch) take it by name."""
    rho = np.array([-0.5, 0.0, 0.7])
    assert np.all(np.isfinite(bounds.kernels.dual_expectation(rho, act.name, 24)))
    if act.smooth:
        net = init_random(8, 3, 2, nu=1.0, seed=0, activation=act.name, device="cpu")
        X = torch.eye(3, dtype=torch.float64)
        out = net.forward(X)
        expected = act.on(NUMPY).phi(np.eye(3) @ net.W.numpy().T) @ net.V.numpy().T
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13, atol=1e-15)
        assert torch_activation(act.name).B == act.B


def test_torch_namespace_is_complete():
    for name in OPS_NAMES:
        assert callable(getattr(TORCH, name)) and callable(getattr(NUMPY, name)), name


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_numpy_and_torch_agree(name):
    check_numpy_and_torch_agree(ACTIVATIONS[name])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_bound_holds(name):
    check_bound_holds(ACTIVATIONS[name])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_both_layers_accept(name):
    check_both_layers_accept(ACTIVATIONS[name])


def test_negative_control_a_wrong_bound_is_caught():
    """An activation whose B is below sup|phi'| fails check_bound_holds."""
    act = Activation(
        "tight",
        phi=lambda z, xp: xp.softplus(z),
        dphi=lambda z, xp: xp.sigmoid(z),
        ddphi=None,
        B=0.9,
    )
    with pytest.raises(AssertionError):
        check_bound_holds(act)


def test_negative_control_a_torch_twin_that_differs_is_caught():
    """torch's default softplus (threshold 20) differs from log(1 + e^z) by ~1e-10 above 20."""

    class Default(type(TORCH)):  # type: ignore[misc]
        @staticmethod
        def softplus(x):
            return torch.nn.functional.softplus(x)

    act = ACTIVATIONS["softplus"]
    a = act.on(NUMPY).phi(GRID)
    b = act.on(Default()).phi(torch.as_tensor(GRID)).numpy()
    assert np.max(np.abs(b - a) / np.abs(a)) > 1e-11


# -- toys registered at run time --------------------------------------------------------------

TOY_KEY = "Z.1"


@pytest.fixture
def toy_theorem():
    d = F.register(
        F.TheoremDef(
            key=TOY_KEY,
            title="toy bound Gamma/(alpha sqrt(n)), eq. (Z.1)",
            informal=True,
            inputs=("alpha", "Gamma", "n"),
            conclusions={"error": F.Gamma / (F.alpha * sp.sqrt(F.n))},
            conditions=(F.ConditionDef("Gamma", F.Gamma, ">=", sp.Integer(1), "Gamma >= 1"),),
            vacuous_key="error",
            doc="A theorem registered by a test.",
        )
    )
    # Its test data: Gamma/(alpha sqrt(n)) = 2/(0.5 * 10) = 0.4.
    REFERENCE[TOY_KEY] = ReferenceCase(dict(alpha=0.5, Gamma=2.0, n=100), {"error": 0.4})
    yield d
    F.unregister(TOY_KEY)
    del REFERENCE[TOY_KEY]


@pytest.fixture
def toy_activation():
    # phi(z) = softplus(2z)/2: phi' = sigmoid(2z) <= 1, phi'' = 2 s(2z) s(-2z) <= 1/2, B = 1.
    act = register_activation(
        Activation(
            "toy_softplus2",
            phi=lambda z, xp: xp.softplus(2 * z) / 2,
            dphi=lambda z, xp: xp.sigmoid(2 * z),
            ddphi=lambda z, xp: 2 * xp.sigmoid(2 * z) * xp.sigmoid(-2 * z),
            B=1.0,
        )
    )
    yield act
    unregister_activation(act.name)


def test_a_registered_toy_theorem_is_seen_everywhere(toy_theorem, capsys):
    assert cli.main(["bound", "--list"]) == 0
    listed = capsys.readouterr().out
    assert TOY_KEY in listed and "theorem_z_1" in listed
    assert (
        cli.main(["bound", TOY_KEY, "--alpha", "0.5", "--Gamma", "2", "--n", "100", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["conclusions"]["error"] == pytest.approx(0.4)
    fn = make_function(toy_theorem)
    assert fn.__name__ == "theorem_z_1" and "alpha : float" in (fn.__doc__ or "")
    check_signature(toy_theorem)
    check_reference(toy_theorem, REFERENCE[TOY_KEY])
    check_broadcasts(toy_theorem, REFERENCE[TOY_KEY])
    check_round_trips(toy_theorem, REFERENCE[TOY_KEY])
    test_symbolic_matches_numeric(TOY_KEY)
    test_fatal_conditions_have_hints(TOY_KEY)
    assert "theorem_z_1" in _generate.module_source()  # the generator would write it too


def test_a_registered_toy_activation_is_seen_everywhere(toy_activation):
    check_numpy_and_torch_agree(toy_activation)
    check_bound_holds(toy_activation)
    check_both_layers_accept(toy_activation)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.eye(2)[[0, 1] * 4]
    rep = bounds.from_data(
        "6.24", X, y, activation="toy_softplus2", alpha=0.05, Gamma=2, zeta=0.05, delta=0.1, k=10**6
    )
    assert math.isfinite(float(rep.error)) and "smooth_activation" not in rep.failing


def test_registries_refuse_duplicates_and_bad_entries():
    with pytest.raises(ValueError, match="already registered"):
        F.register(F.DEFS["6.24"])
    with pytest.raises(ValueError, match="already registered"):
        register_activation(ACTIVATIONS["softplus"])
    with pytest.raises(ValueError, match="needs a hint"):
        F.ConditionDef("cutoff", F.alpha, "<=", F.lambda_1, "d", fatal=True)
    with pytest.raises(ValueError, match="reference"):
        F.TheoremDef("Z.2", "t", True, ("alpha",), {"e": F.alpha}, (), reference="J")
    with pytest.raises(ValueError, match="unknown symbol"):
        F.TheoremDef("Z.2", "t", True, ("bogus",), {"e": F.alpha}, ())
    with pytest.raises(ValueError, match="B must be"):
        Activation("bad", phi=lambda z, xp: z, dphi=lambda z, xp: z, ddphi=None, B=0.0)
