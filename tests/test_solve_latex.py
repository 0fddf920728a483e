"""Solving for n with the label split as fractions, ``solve`` on the command line, and
``Report.to_latex`` / ``_repr_latex_`` (structure; LaTeX itself need not be installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bounds
from bounds import cli, symbolic
from bounds.report import latex_escape

from . import fuzz_inputs as fz
from .conftest import unit_rows

KEYS = [k for k in fz.theorem_keys() if k != "L6.2"]


# ---------------------------------------------------------------------------- solve for n
def _error_at(fixed: dict, n: float) -> float:
    return float(bounds.evaluate("6.24", **bounds.fractions.absolute("6.24", **fixed, n=n)).error)


@settings(max_examples=5)  # a solve is ~1 s (400-point scan and bisection)
@given(
    f_info=st.floats(0.9, 0.999),
    f_x=st.floats(0.1, 1.0),
    gamma=st.floats(2.0, 6.0),
    margin=st.floats(0.02, 1.0),
)
def test_solve_for_n_round_trip(f_info, f_x, gamma, margin) -> None:
    """The smallest n with error <= target: error(n) <= target < error(n - 1).

    With the fractions fixed the error decreases in n towards bias + 12 zeta + 2 e^{-Gamma_eff}
    (T = Gamma f_X / alpha^2 does not depend on n), so a target above that floor is met from
    some n on; the tolerance of the round trip is the step error(n - 1) - error(n) itself.
    """
    K, alpha, zeta = 10, 0.5 * np.sqrt(f_x / 10), 0.005
    fixed = dict(alpha=alpha, Gamma=gamma, zeta=zeta, delta=0.05, k=1e30, K=K, B=1, y_pinv=3,
                 y_info_fraction=f_info, X_norm_fraction=f_x)  # fmt: skip
    g_eff = float(bounds.evaluate("6.24", **bounds.fractions.absolute("6.24", **fixed, n=1e4))
                  .inputs["Gamma_effective"])  # fmt: skip
    floor = 2 * np.sqrt(1 - f_info**2) + 12 * zeta + 2 * np.exp(-g_eff)
    target = floor + margin
    sol = symbolic.solve_for("6.24", "n", goal="error", target=target, **fixed)
    n = sol.value
    assert n == int(n) and sol.report is not None
    assert _error_at(fixed, n) <= target
    assert float(sol.report.error) == _error_at(fixed, n)
    if n > 1:
        assert _error_at(fixed, n - 1) > target
        assert target - _error_at(fixed, n) <= _error_at(fixed, n - 1) - _error_at(fixed, n)


def test_solve_for_n_with_absolute_norms_says_to_use_fractions() -> None:
    sp_ = {k: v for k, v in fz.SOLVE_POINT.items() if k != "n"}
    with pytest.raises(ValueError, match="y_info_fraction"):
        symbolic.solve_for("6.24", "n", **{**sp_, "k": 1e20})
    with pytest.raises(ValueError, match="not both"):
        symbolic.solve_for("6.24", "k", **fz.SOLVE_POINT, y_info_fraction=0.9)
    with pytest.raises(ValueError, match="= 1"):
        symbolic.solve_for(
            "6.24", "n", **{k: v for k, v in sp_.items() if k not in ("y_info", "y_nuisance")},
            k=1e20, y_info_fraction=0.9, y_nuisance_fraction=0.9,
        )  # fmt: skip
    with pytest.raises(ValueError, match="target"):
        symbolic.solve_for("6.24", "k", goal="width", target=0.5, **fz.SOLVE_POINT)


@settings(max_examples=6)  # a solve is ~1 s (400-point scan and bisection)
@given(alpha=st.floats(0.05, 0.3), zeta=st.floats(0.01, 0.5), gamma=st.floats(1.0, 8.0))
def test_closed_form_uses_gamma_eff(alpha, zeta, gamma) -> None:
    """The closed form of the width, read at Gamma_eff, is the boundary the number solved."""
    sp_ = {**fz.SOLVE_POINT, "alpha": alpha, "zeta": zeta, "Gamma": gamma}
    sol = symbolic.solve_for("6.24", "k", **sp_)
    assert sol.exact is not None and symbolic.GAMMA_EFF in sol.exact.free_symbols
    assert sol.gamma_effective == float(sol.report.inputs["Gamma_effective"]) >= gamma
    # value is the smallest integer k >= the boundary (float spacing above 2^53 is > 1)
    assert sol.value == pytest.approx(np.ceil(sol.exact_value), rel=1e-12, abs=1.0)
    # Negative control: the same formula read at Gamma misses it whenever Gamma_eff > Gamma.
    at_gamma = float(sol.exact.subs(symbolic.GAMMA_EFF, gamma).subs(
        {s: sp_[str(s)] for s in sol.exact.free_symbols if str(s) in sp_}))  # fmt: skip
    if sol.gamma_effective > gamma * (1 + 1e-6):
        assert at_gamma < sol.value * (1 - 1e-6)


def _cli(capsys, argv):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_solve_cli_json_and_exclusive_formats(capsys) -> None:
    args = fz._cli_args({k: v for k, v in fz.SOLVE_POINT.items()})
    code, out, _ = _cli(capsys, ["solve", "6.24", "--for", "k", *args, "--json"])
    assert code == 0
    doc = json.loads(out)
    assert doc["unknown"] == "k" and doc["value"] > 1e18
    assert "Gamma_eff" in doc["exact"] and "\\Gamma_{\\mathrm{eff}}" in doc["exact_latex"]
    assert doc["exact_value"] == pytest.approx(doc["value"], rel=1e-12)
    assert doc["report"]["conditions"]  # the report at the solution
    code, out, _ = _cli(capsys, ["solve", "6.24", "--for", "k", *args])
    assert code == 0 and "Gamma_eff = " in out and "closed form" in out
    for a, b in [("--json", "--markdown"), ("--json", "--latex"), ("--markdown", "--latex")]:
        with pytest.raises(SystemExit) as info:
            cli.main(["solve", "6.24", "--for", "k", *args, a, b])
        assert info.value.code == 2
        assert "not allowed with" in capsys.readouterr().err
    # Solving for n with fractions (no --y_info / --y_nuisance / --X_norm needed).
    rest = {k: v for k, v in fz.SOLVE_POINT.items() if k not in ("n", "y_info", "y_nuisance",
                                                                  "X_norm")}  # fmt: skip
    argv = ["solve", "6.24", "--for", "n", *fz._cli_args({**rest, "alpha": 0.1, "k": 1e30}),
            "--y_info_fraction", "0.99", "--X_norm_fraction", "0.3", "--goal", "error",
            "--target", "2.5", "--json"]  # fmt: skip
    code, out, err = _cli(capsys, argv)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["report"]["conclusions"]["error"] <= 2.5 and doc["target"] == 2.5


# ---------------------------------------------------------------------------- LaTeX
def _strip_escapes(tex: str) -> str:
    return re.sub(r"\\[{}&%$#_ ]|\\\\", "", tex)


def _balanced(tex: str) -> None:
    depth = 0
    for ch in _strip_escapes(tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a } closes nothing"
    assert depth == 0, "unclosed {"
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, env
    assert not stack, stack


def _check_tabular(tex: str) -> None:
    """Every row of every tabular has as many cells as its column spec; $ are paired."""
    for spec, body in re.findall(r"\\begin\{(?:tabular|array)\}\{(\w+)\}(.*?)\\end\{", tex, re.S):
        for row in body.split("\\\\\n"):
            row = re.sub(r"\\(hline|midrule|toprule|bottomrule)", "", row).strip()
            if not row:
                continue
            cells = len(re.findall(r"(?<!\\)&", row)) + 1
            assert cells == len(spec), (spec, row)
    for line in tex.splitlines():
        assert len(re.findall(r"(?<!\\)\$", line)) % 2 == 0, line


def _reports():
    for key in KEYS:
        yield bounds.evaluate(key, **fz.base_point(key))
    rng = np.random.default_rng(0)
    X = unit_rows(rng, 20, 4)
    yield bounds.from_data("6.24", X, rng.integers(0, 2, 20), activation="relu",
                           alpha=[0.01, 0.02], Gamma=2, zeta=0.05, delta=0.1, k=1e6)  # fmt: skip
    yield bounds.lemma_6_2(bounds.InfoNuisance.from_jacobian(np.diag([3.0, 1.0]), 1.0),
                           [1.0, 2.0], Gamma=2.0)  # fmt: skip


@pytest.mark.parametrize("booktabs", [False, True])
def test_to_latex_structure(booktabs) -> None:
    for rep in _reports():
        tex = rep.to_latex(booktabs=booktabs, label="tab:bound_1")
        _balanced(tex)
        _check_tabular(tex)
        assert tex.startswith("\\begin{table}") and tex.endswith("\\end{table}")
        assert ("\\toprule" in tex) == booktabs
        for c in rep.conditions:
            assert f"\\texttt{{{latex_escape(c.name)}}}" in tex
        if "Gamma_effective" in rep.inputs:
            assert "\\Gamma_{\\mathrm{eff}}" in tex  # the closed forms use what the numbers did
        math = rep._repr_latex_()
        _balanced(math)
        _check_tabular(math)
        assert math.startswith("$$") and math.endswith("$$")
        assert "\\text{" not in math and "\\multicolumn" not in math  # MathJax-safe


@given(st.text(max_size=40))
def test_latex_escape_leaves_no_special_character(text) -> None:
    out = latex_escape(text)
    rest = re.sub(r"\$\\[a-zA-Z|]+\$", "", out)  # math symbols such as $\lesssim$
    rest = re.sub(r"\\text[a-z]+\{\}", "", rest)
    rest = re.sub(r"\\[&%$#_{}]", "", rest)
    assert not re.search(r"[&%$#_{}~^\\]", rest), out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_to_latex_compiles(tmp_path) -> None:  # pragma: no cover - needs a TeX installation
    body = "\n".join(rep.to_latex(booktabs=True) for rep in _reports())
    doc = ("\\documentclass{article}\\usepackage{amsmath,amssymb,booktabs}"
           "\\usepackage[a3paper,landscape]{geometry}\\begin{document}" + body + "\\end{document}")  # fmt: skip
    (tmp_path / "r.tex").write_text(doc)
    subprocess.run(["pdflatex", "-halt-on-error", "r.tex"], cwd=tmp_path, check=True,
                   capture_output=True)  # fmt: skip
