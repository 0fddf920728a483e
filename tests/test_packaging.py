"""What users install: the calculator without torch, the experiments with the simulate extra."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import jacobound

ROOT = Path(__file__).resolve().parents[1]

#: Installs a finder that refuses the simulate extra's modules, as if they were not installed.
_BLOCK = """
import sys

BLOCKED = {blocked!r}


class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
        return None


sys.meta_path.insert(0, Block())
"""

P624 = (
    "--alpha 0.3 --Gamma 2 --zeta 0.1 --delta 0.05 --k 4096 --n 1000 --K 10 --B 1 "
    "--X_norm 31.6 --y_info 30 --y_nuisance 10 --y_pinv 5"
).split()


def _without_extra(body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` in a fresh interpreter where torch, matplotlib, sklearn and tqdm are absent."""
    code = _BLOCK.format(blocked=set(jacobound.SIMULATE_REQUIRES)) + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_blocking_finder_is_a_real_negative_control():
    """The finder does hide torch: without it, the same check would see torch."""
    res = _without_extra("import torch\n")
    assert res.returncode == 1 and "No module named 'torch' (blocked)" in res.stderr


def test_calculator_imports_and_runs_without_the_simulate_extra():
    res = _without_extra(
        f"""
        import json, sys
        import bounds
        rep = bounds.theorem_6_24(alpha=0.3, Gamma=2, zeta=0.1, delta=0.05, k=4096, n=1000,
                                  K=10, B=1, X_norm=31.6, y_info=30, y_nuisance=10, y_pinv=5)
        assert rep.failing == ("width",), rep.failing
        from jacobound import main
        assert main(["bound", "6.24", *{P624!r}, "--json"]) == 0
        assert main(["solve", "6.24", "--for", "k", *{P624[:8] + P624[10:]!r}]) == 0
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & (BLOCKED | {{"simulate"}}))
        assert not loaded, loaded
        print("OK", bounds.__version__)
        """
    )
    assert res.returncode == 0, res.stderr
    assert '"theorem": "6.24"' in res.stdout and "smallest k" in res.stdout
    assert res.stdout.rstrip().endswith(f"OK {jacobound.__version__}")


def test_experiment_commands_name_the_extra_without_it():
    res = _without_extra(
        """
        import contextlib, io, sys
        from jacobound import main
        for argv in (["run", "linear", "k=3"], ["list"], ["report", "x"], ["demo"],
                     ["run", "--help"]):
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = main(argv)
            print(code, err.getvalue().strip())
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(["--help"])
        print("HELP", out.getvalue().count("needs the simulate extra"))
        try:
            import simulate
        except ModuleNotFoundError as exc:
            print("IMPORT", exc)
        """
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    for line, cmd in zip(lines[:5], ["run", "list", "report", "demo", "run"], strict=True):
        assert re.fullmatch(
            rf"2 error: jacobound {cmd} needs the simulate extra \(.*torch.*\): "
            r"pip install 'jacobound\[simulate\]'",
            line,
        ), line
    assert lines[5] == f"HELP {len(jacobound.SIMULATE_COMMANDS)}"
    assert lines[6].startswith("IMPORT simulate needs torch") and "jacobound[simulate]" in lines[6]


def test_pyproject_layers():
    """Base dependencies are the calculator's three; the simulate extra is what jacobound checks."""
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    base = {re.split(r"[<>=!~ \[]", d)[0] for d in project["dependencies"]}
    assert base == {"numpy", "scipy", "sympy"}
    extras = project["optional-dependencies"]
    simulate = {re.split(r"[<>=!~ \[]", d)[0] for d in extras["simulate"]}
    import_names = {"scikit-learn": "sklearn"}
    assert {import_names.get(d, d) for d in simulate} == set(jacobound.SIMULATE_REQUIRES)
    assert any(d.startswith("jacobound[simulate]") for d in extras["test"])
    assert project["scripts"]["jacobound"] == "jacobound:main"
    for pkg in ("bounds", "simulate"):
        assert (ROOT / pkg / "py.typed").is_file()


def test_license_and_citation():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "jacobound contributors" in (ROOT / "LICENSE").read_text()
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in cff and "preferred-citation:" in cff
    assert "arXiv:1906.05392" in cff and f"version: {jacobound.__version__}" in cff
    for name in ("Oymak", "Fabian", "Li", "Soltanolkotabi"):
        assert f"family-names: {name}" in cff
