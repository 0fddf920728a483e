"""Small versions of every experiment, end to end, passing their own checks; I/O guarantees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulate import io
from simulate.experiments import REGISTRY, run_experiment

SMALL = {
    "spectrum": {"K": 2, "C": 2, "d": 12, "k": 128, "n_multipliers": [30, 60]},
    "tracking": {"n": 8, "K": 2, "C": 1, "d": 4, "k": 50_000},
    "dynamics": {"n": 60, "n_test": 60, "k": 64, "steps": 60, "record_every": 10, "d": 8},
    "corruption": {
        "n": 60,
        "n_test": 60,
        "k": 64,
        "steps": 60,
        "record_every": 20,
        "d": 8,
        "corruptions": [0.0, 0.5, 1.0],
    },
    "linear": {"n": 60, "d": 120, "r": 3, "steps": 60, "mc_samples": 200},
    "generalization": {
        "n_values": [30, 60],
        "n_test": 100,
        "k": 64,
        "d": 8,
        "cutoff_fractions": [0.5],
        "record_every": 20,
    },
    "mixture": {"n_values": [30, 60], "n_noiseless": 60, "n_test": 100, "k": 64, "d": 8},
}


def test_every_experiment_has_a_small_config():
    assert set(SMALL) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_experiment_runs_and_passes_checks(name, tmp_path):
    res = run_experiment(name, tmp_path, {**SMALL[name], "device": "cpu"}, progress=False)
    assert res["checks"] and all(res["checks"].values()), res["checks"]
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["config"]["seed"] == 0 and stored["device"] == "cpu"
    assert "torch" in stored["versions"]
    for fig in res["figures"]:
        assert (tmp_path / fig).stat().st_size > 0
    assert any(f.endswith(".pdf") for f in res["figures"])


def test_tracking_gap_below_bound_when_hypotheses_hold(tmp_path):
    res = run_experiment(
        "tracking", tmp_path, {**SMALL["tracking"], "device": "cpu"}, progress=False
    )
    s = res["summary"]
    assert s["hypotheses_hold"], "the small tracking config is chosen so that (5.13) holds"
    assert s["max_gap"] <= s["bound_5_14"]


def test_same_seed_same_numbers(tmp_path):
    a = run_experiment("linear", tmp_path / "a", SMALL["linear"], progress=False)
    b = run_experiment("linear", tmp_path / "b", SMALL["linear"], progress=False)
    strip = lambda r: {k: v for k, v in r.items() if k != "figures"}  # noqa: E731
    assert json.dumps(strip(a), sort_keys=True) == json.dumps(strip(b), sort_keys=True)


def test_sweep_resumes_from_finished_runs(tmp_path):
    cfg = {**SMALL["corruption"], "device": "cpu"}
    run_experiment("corruption", tmp_path, cfg, progress=False)
    runs = sorted((tmp_path / "runs").glob("*.json"))
    assert len(runs) == 3
    first = {p: p.read_bytes() for p in [*runs, tmp_path / "results.json"]}
    # Simulate a kill after the first run, in the middle of writing the second: drop the other
    # runs and the summary, and leave the temporary files such a kill leaves.
    for p in runs[1:]:
        p.unlink()
    (tmp_path / "results.json").unlink()
    leftovers = [
        tmp_path / "runs" / f".{runs[1].name}.k2j4x9qa.tmp",
        tmp_path / ".results.json.x.tmp",
    ]
    for p in leftovers:
        p.write_text('{"result": {')
    stamp = runs[0].stat().st_mtime_ns
    res = run_experiment("corruption", tmp_path, cfg, progress=False)
    assert runs[0].stat().st_mtime_ns == stamp  # reused, not recomputed
    assert len(list((tmp_path / "runs").glob("*.json"))) == 3 and res["checks"]
    assert not any(p.exists() for p in leftovers)
    assert {p: p.read_bytes() for p in first} == first  # byte-identical to the uninterrupted run


@pytest.mark.parametrize(
    ("name", "overrides", "match"),
    [
        ("spectrum", {"bogus": 1}, "unknown config key"),
        ("spectrum", {"K": 0}, "K must be"),
        ("spectrum", {"K": "three"}, "K must be of type int"),
        ("tracking", {"Gamma": 0.5}, "Gamma"),
        ("linear", {"n": 10, "d": 5}, "r <= n <= d"),
        ("dynamics", {"corruptions": [1.5]}, "corruptions"),
        ("generalization", {"zeta": 0.7}, "zeta"),
        ("spectrum", {"device": "tpu"}, "device"),
    ],
)
def test_bad_configs_rejected_before_work(name, overrides, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        run_experiment(name, tmp_path, overrides, progress=False)
    assert not (tmp_path / "results.json").exists()


def test_atomic_write_leaves_no_partial_file(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        io.write_json(tmp_path / "x.json", {"a": float("nan")})
    assert not (tmp_path / "x.json").exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_cli_bound_list_run_report(tmp_path):
    exe = [sys.executable, "-m", "simulate.cli"]
    out = subprocess.run([*exe, "bound", "--list"], capture_output=True, text=True, check=True)
    assert "6.24" in out.stdout and "A.3" in out.stdout
    # The example: Theorem 6.24 from the command line, then with Gamma out of range.
    args = (
        "--alpha 0.3 --Gamma 2 --zeta 0.1 --delta 0.05 --k 4096 --n 1000 --K 10 --B 1 "
        "--X_norm 31.6 --y_info 30 --y_nuisance 10 --y_pinv 5"
    ).split()
    out = subprocess.run(
        [*exe, "bound", "6.24", *args, "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["theorem"] == "6.24"
    bad_args = [
        ("0.5" if prev == "--Gamma" else a) for prev, a in zip(["", *args[:-1]], args, strict=True)
    ]
    bad = subprocess.run([*exe, "bound", "6.24", *bad_args], capture_output=True, text=True)
    assert bad.returncode == 2 and "Gamma must lie in [1, inf)" in bad.stderr
    cfg = tmp_path / "c.toml"
    cfg.write_text("n = 40\nd = 80\nr = 3\nsteps = 20\nmc_samples = 50\n")
    run = subprocess.run(
        [*exe, "run", "linear", "--config", str(cfg), "--out", str(tmp_path / "lin"), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    rep = subprocess.run(
        [*exe, "report", str(tmp_path)], capture_output=True, text=True, check=True
    )
    text = Path(tmp_path / "report.md").read_text()
    assert "## linear" in text and "| quantity | predicted | observed | status |" in text
    assert "report written" in rep.stdout
    lst = subprocess.run([*exe, "list"], capture_output=True, text=True, check=True)
    assert all(name in lst.stdout for name in REGISTRY)


def test_spectrum_lanczos_matches_dense(tmp_path):
    """The matrix-free route (float32 Krylov, float64 certificate) reproduces the dense summary."""
    base = dict(SMALL["spectrum"], seed=3)
    dense = run_experiment("spectrum", tmp_path / "d", dict(base, method="dense"), progress=False)
    lanczos = run_experiment(
        "spectrum", tmp_path / "l", dict(base, method="lanczos", tol=1e-9), progress=False
    )
    sd, sl = dense["summary"], lanczos["summary"]
    assert set(sl["method"].values()) == {"lanczos"} and set(sd["method"].values()) == {"dense"}
    for key in ("ratio_top_K2C_mean", "ratio_top_K2C_min", "gap_at_K2C", "energy_top_K2C"):
        assert sl[key] == pytest.approx(sd[key], rel=1e-6), key
