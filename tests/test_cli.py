"""The command line: per-theorem help from the registry, --version, run overrides and configs."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import tomllib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import jacobound
from bounds import formulas as F
from bounds._generate import range_text
from bounds.cli import plain_text
from bounds.theorems import evaluate
from simulate.cli import parse_overrides
from simulate.experiments import REGISTRY
from simulate.experiments.base import config_toml, field_docs, make_config

from . import fuzz_inputs as fz


def _main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = jacobound.main(argv)
        except SystemExit as e:  # --help, --version
            code = e.code if isinstance(e.code, int) else 0
    return code, out.getvalue(), err.getvalue()


def _flat(text: str) -> str:
    """``text`` without whitespace: argparse wraps help lines anywhere, also after a hyphen."""
    return "".join(text.split())


@pytest.mark.parametrize("key", sorted(F.DEFS))
@pytest.mark.parametrize("command", ["bound", "solve"])
def test_theorem_help_is_generated_from_the_registry(key, command):
    d = F.get(key)
    code, out, err = _main([command, key, "--help"])
    assert code == 0 and not err
    flat = _flat(out)
    assert _flat(d.title) in flat
    for name in (*d.inputs, *d.defaults):
        assert f"--{name} {F.METAVARS[name]}" in out
        # The theorem function's docstring says the same (bounds._generate).
        assert _flat(plain_text(f"{d.arg_doc(name)}; {range_text(d, name)}")) in flat
    for name, expr in d.defaults.items():
        assert _flat(f"default {expr}") in flat, name
    for name in d.derived:
        assert _flat(f"Fixed by the theorem (not an input): {name} =") in flat
    assert "``" not in out and "::" not in out  # no RST markup
    if command == "solve":
        assert "--for NAME" in out


def test_placeholders_are_distinct_and_cover_every_symbol():
    assert set(F.METAVARS) == set(F.SYMBOLS) == set(F.SYMBOL_DOCS)
    metavars = list(F.METAVARS.values())
    assert len(set(metavars)) == len(metavars)
    assert F.METAVARS["k"] != F.METAVARS["K"]


def _outside(d: F.TheoremDef, name: str) -> list[float]:
    """Values just outside what ``range_text`` says ``d`` accepts for ``name``."""
    if name in F.INTEGER_INPUTS:
        return [0.0, 2.5]
    lo, hi, lo_open, hi_open = d.input_range(name)
    out = [lo if lo_open else lo - max(abs(lo), 1.0) * 1e-3]
    if np.isfinite(hi):
        out.append(hi if hi_open else hi + max(abs(hi), 1.0) * 1e-3)
    return out


@pytest.mark.parametrize("key", sorted(F.DEFS))
def test_allowed_values_are_what_evaluation_enforces(key):
    """The range the help shows is the one evaluation refuses outside of, with that text."""
    d = F.get(key)
    base = fz.base_point(key)
    for name in d.inputs:
        want = range_text(d, name)
        for bad in _outside(d, name):
            with pytest.raises(ValueError) as exc:
                evaluate(key, **{**base, name: bad})
            msg = str(exc.value)
            if name in F.INTEGER_INPUTS:
                assert want.startswith("a positive integer")
                assert f"{name} must be a positive integer" in msg
            else:
                assert f"{name} must lie {want}" in msg


def test_help_and_version_are_plain_text():
    code, out, _ = _main(["--version"])
    assert code == 0 and out.strip() == f"jacobound {jacobound.__version__}"
    for argv in (["--help"], ["bound", "--help"], ["solve", "--help"], ["run", "--help"]):
        code, out, err = _main(argv)
        assert code == 0 and not err, argv
        assert "``" not in out and "::" not in out, argv
    code, out, _ = _main(["--help"])
    assert all(c in out for c in ("bound", "solve", *jacobound.SIMULATE_COMMANDS))


def test_bound_does_not_import_the_experiments():
    """jacobound bound stays light even where torch is installed: simulate is not imported."""
    import subprocess
    import sys

    code = (
        "import sys, jacobound; jacobound.main(['bound', '--list']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'simulate')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["solve", "6.24", "--alpha", "1"], "--for NAME"),
        (["solve", "--for", "k"], "solve needs a theorem key"),
        (["bound", "6.24", "--k", "abc"], "--k: expected a number"),
        (["run", "spectrum", "k=1024", "seeds=[0,1,2]", "--print-config"], "allowed: ["),
        (["run", "spectrum", "k=abc", "--print-config"], "k must be of type int, got 'abc'"),
        (["run", "spectrum", "k=1.5", "--print-config"], "k must be of type int, got 1.5"),
        (["run", "spectrum", "k=1", "k=2", "--print-config"], "given twice"),
        (["run", "spectrum", "seed=1", "--seed", "2", "--print-config"], "given twice"),
        (["run", "spectrum", "--bogus", "--print-config"], "unrecognized argument '--bogus'"),
        (["run", "spectrum", "k", "--print-config"], "key=value"),
        (["run", "spectrum", "n_multipliers=[]", "--print-config"], "n_multipliers"),
    ],
)
def test_errors_are_one_line(argv, expect, tmp_path):
    out_dir = ["--out", str(tmp_path / "never")] if argv[0] == "run" else []
    code, out, err = _main([*argv, *out_dir])
    assert code == 2 and not out
    assert err.count("\n") == 1 and expect in err, err
    assert not (tmp_path / "never").exists()


def test_unknown_override_lists_the_allowed_keys():
    code, _, err = _main(["run", "spectrum", "seeds=[0,1,2]", "--print-config"])
    fields = sorted(f.name for f in dataclasses.fields(REGISTRY["spectrum"].config))
    assert code == 2 and f"allowed: {fields}" in err


def test_print_config_shows_defaults_and_overrides_and_runs_nothing(tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = _main(
        ["run", "spectrum", "k=1024", "n_multipliers=[10,20,40]", "method=dense",
         "--seed", "3", "--out", str(out_dir), "--print-config"]
    )  # fmt: skip
    assert code == 0 and not err and not out_dir.exists()
    cfg = tomllib.loads(out)
    assert cfg["k"] == 1024 and cfg["n_multipliers"] == [10, 20, 40] and cfg["seed"] == 3
    assert cfg["method"] == "dense"
    assert "k = 1024  # default 256" in out and "\nK = 3\n" in out
    default = REGISTRY["spectrum"].config()
    assert set(cfg) == {f.name for f in dataclasses.fields(default)}
    # Each key has its help above it, as plain text.
    lines = out.splitlines()
    helps = field_docs(type(default))
    for i, line in enumerate(lines):
        key = line.split(" = ")[0]
        if key in helps:
            assert lines[i - 1].startswith("# ") and helps[key][:20] in out.replace("\n# ", " ")
    assert "`" not in out


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_printed_config_reads_back_as_the_same_config(name):
    exp = REGISTRY[name]
    for overrides in ({}, dict(exp.small), dict(exp.demo_overrides)):
        text = config_toml(name, overrides)
        assert make_config(exp.config, tomllib.loads(text)) == make_config(exp.config, overrides)


_plain = st.one_of(
    st.integers(-(2**63) + 1, 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
)


@given(
    value=st.one_of(_plain, st.lists(st.one_of(st.integers(), st.floats(-1e6, 1e6)), max_size=4))
)
def test_key_value_reads_a_toml_value(value):
    """``key=<TOML text of v>`` gives ``v`` back, as the same line of a config file does."""
    from simulate.experiments.base import _toml_value

    text = _toml_value(value)
    assert parse_overrides([f"x={text}"]) == tomllib.loads(f"x = {text}") == {"x": value}


def test_key_value_bare_words_are_strings():
    assert parse_overrides(["device=cpu", "method=dense", "n=3"]) == {
        "device": "cpu",
        "method": "dense",
        "n": 3,
    }


def test_config_precedence_file_then_key_value_then_flags(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("seed = 5\nn = 40\nd = 90\n")
    code, out, err = _main(
        ["run", "linear", "--config", str(cfg), "n=50", "--seed", "2", "--print-config"]
    )
    assert code == 0, err
    got = tomllib.loads(out)
    assert (got["seed"], got["n"], got["d"]) == (2, 50, 90)
