"""Small versions of every experiment, end to end, passing their own checks; I/O guarantees."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulate import io, plots
from simulate.experiments import REGISTRY, run_experiment
from simulate.experiments.checks import Check, read_checks, summary_line

SMALL = {name: dict(exp.small) for name, exp in REGISTRY.items()}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_experiment_runs_and_passes_checks(name, tmp_path, monkeypatch):
    saved = _capture_figures(monkeypatch)
    res = run_experiment(name, tmp_path, {**SMALL[name], "device": "cpu"}, progress=False)
    checks = read_checks(res["checks"])
    assert checks, res["checks"]
    failed = {c.name for c in checks if c.failed}
    assert failed == REGISTRY[name].fails_at_small, res["checks"]
    untested = {c.name for c in checks if c.status == "not tested"}
    assert untested == REGISTRY[name].not_tested_at_small, res["checks"]
    assert all(c.label == f"not tested (0 of {c.total} cases)" for c in checks if not c.tested)
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["config"]["seed"] == 0 and stored["device"] == "cpu"
    assert "torch" in stored["versions"]
    for fig in res["figures"]:
        assert (tmp_path / fig).stat().st_size > 0
    assert any(f.endswith(".pdf") for f in res["figures"])
    # Every figure: PNG and PDF, and a caption with the dataset, n, k, alpha and the seed.
    assert saved and sorted(res["figures"]) == sorted(
        f"{stem}.{ext}" for stem, _ in saved for ext in ("png", "pdf")
    )
    for stem, figure in saved:
        caption = plots.caption_of(figure)
        assert caption is not None, f"{stem} has no caption"
        assert caption.startswith(name) and caption.endswith("seed 0"), caption
        for item in ("dataset: ", " · n = ", " · k = ", " · α: "):
            assert item in caption, (stem, caption)


def _capture_figures(monkeypatch) -> list[tuple[str, Any]]:
    """Record (stem, Figure) of every figure an experiment saves through ``plots.save``."""
    saved: list[tuple[str, Any]] = []
    original = plots.save

    def save(fig, out, stem):
        names = original(fig, out, stem)
        saved.append((Path(names[0]).stem, fig))
        return names

    monkeypatch.setattr(plots, "save", save)
    return saved


def test_tracking_gap_below_bound_when_hypotheses_hold(tmp_path):
    res = run_experiment(
        "tracking", tmp_path, {**SMALL["tracking"], "device": "cpu"}, progress=False
    )
    s = res["summary"]
    assert s["hypotheses_hold"], "the small tracking config is chosen so that (5.13) holds"
    assert s["max_gap"] <= s["bound_5_14"]
    # (5.13) at delta*(1 + 2 BOUNDARY_RTOL) holds off its boundary band (it used to be an
    # equality decided by one ulp).
    eps = {c["name"]: c for c in res["report"]["conditions"]}["eps"]
    assert eps["holds"] and not eps["at_boundary"] and not s["delta_star_at_boundary"]
    # The rigorous eps (Lemma 6.10 on the ball) is far larger than the path estimate, and the
    # width it needs is reported, not run.
    assert s["delta_star_rigorous"] > 1 > s["delta_star"]
    assert s["rigorous_width"] > SMALL["tracking"]["k"]
    assert s["rigorous_width_run"].startswith("not run: needs k=")


def test_tracking_same_results_with_a_tiny_chunk_budget(tmp_path):
    """A 4 KiB budget forces every n x k buffer into chunks (and W to be updated in place):
    the figures equal those of the unchunked run to round-off."""
    cfg = {**SMALL["tracking"], "k_sweep": [1_000, 16_000], "sweep_seeds": 1, "device": "cpu"}
    ref = run_experiment("tracking", tmp_path / "a", cfg, progress=False)["summary"]
    chk = run_experiment("tracking", tmp_path / "b", {**cfg, "chunk_bytes": 4096}, progress=False)[
        "summary"
    ]
    for key in ("max_gap", "delta_star", "alpha", "W_distance", "final_residual", "eps_measured"):
        assert chk[key] == pytest.approx(ref[key], rel=1e-9, abs=1e-14), key
    assert chk["T"] == ref["T"] and chk["hypotheses_hold"] == ref["hypotheses_hold"]


def test_tracking_rigorous_run_path(tmp_path):
    """rigorous_run with an explicit small k_rigorous: the run, its report and its check."""
    k_r = 20_000
    cfg = {
        **SMALL["tracking"],
        "k_sweep": [1_000, 16_000],
        "sweep_seeds": 1,
        "rigorous_run": True,
        "k_rigorous": k_r,
        "chunk_bytes": 1 << 16,
        "device": "cpu",
    }
    res = run_experiment("tracking", tmp_path, cfg, progress=False)
    rig = res["summary"]["rigorous_run"]
    assert rig["k"] == k_r and rig["T"] == res["summary"]["T"]
    assert rig["hypotheses_hold"] == (rig["delta_star_rigorous"] <= 1 and not rig["failing"])
    assert res["summary"]["rigorous_width_run"].startswith(f"run at k={k_r}")
    assert 0 < rig["max_gap"] and 0 < rig["bound_5_14_rigorous"]
    assert rig["memory_estimate_bytes"] > 8 * 2 * k_r * cfg["d"]
    (check,) = [c for c in read_checks(res["checks"]) or [] if c.name.startswith("rigorous_gap")]
    # delta* > 1 at this width: the comparison is not tested (it is when the hypotheses hold).
    assert check.status == ("passed" if rig["hypotheses_hold"] else "not tested"), check


def test_tracking_checks_not_tested_when_hypotheses_fail(tmp_path):
    """At k = 500 the Jacobian moves too much for (5.13): nothing is tested, nothing is ticked."""
    cfg = {**SMALL["tracking"], "k": 500, "k_sweep": [500], "device": "cpu"}
    res = run_experiment("tracking", tmp_path, cfg, progress=False)
    assert not res["summary"]["hypotheses_hold"] and res["summary"]["delta_star"] > 1
    # The three conclusions of the theorem; the width sweep's slope check does not rest on them.
    checks = [c for c in read_checks(res["checks"]) or [] if c.name.endswith(("14", "15", "16"))]
    assert len(checks) == 3
    assert all(c.status == "not tested" and c.total == 1 for c in checks)
    assert all("hypotheses of Theorem 5.3 fail" in c.detail for c in checks)
    assert all(r["failing"] for r in res["predicted_vs_observed"])  # no bound as a plain number


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=12))
def test_check_over_counts_only_cases_where_the_premise_holds(cases):
    premise = [p for p, _ in cases]
    outcome = [o for _, o in cases]
    c = Check.over("x", premise, outcome)
    tested = [o for p, o in cases if p]
    assert (c.tested, c.total) == (len(tested), len(cases))
    if not tested:
        assert c.status == "not tested" and c.label == f"not tested (0 of {len(cases)} cases)"
        assert "✔" not in c.label
    else:
        assert c.status == ("passed" if all(tested) else "failed")
    assert Check.from_dict("x", c.to_dict()) == c


def test_check_rejects_inconsistent_fields():
    with pytest.raises(ValueError, match="status"):
        Check("x", "ok", 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tested"):
        Check("x", "passed", 0, 3)
    with pytest.raises(ValueError, match="tested <= total"):
        Check("x", "passed", 4, 3)
    with pytest.raises(ValueError, match="shape"):
        Check.over("x", [True, True], [True])


def _fake_results(folder: Path, checks: dict) -> None:
    record = {
        "experiment": "fake",
        "device": "cpu",
        "seed": 0,
        "versions": {"torch": "x"},
        "checks": checks,
        "predicted_vs_observed": [
            {
                "quantity": "test error",
                "predicted": 0.42,
                "observed": 0.1,
                "status": "informal",
                "failing": ["sigma ≲ K/n: 1 <= 0.01"],
            }
        ],
    }
    folder.mkdir(parents=True)
    io.write_json(folder / "results.json", record)


def test_report_shows_not_tested_and_failing_hypotheses(tmp_path):
    from simulate.report_md import write_report

    checks = [
        Check.over("never", [False, False], [True, True]),
        Check.single("always", True),
        Check.over("broken", [True], [False]),
    ]
    _fake_results(tmp_path / "a", {c.name: c.to_dict() for c in checks})
    text = write_report(tmp_path).read_text()
    assert "**checks**: 1 passed, 1 failed, 1 not tested" in text
    assert "- never: not tested (0 of 2 cases)" in text
    assert "- always: ✔" in text and "- broken: ✘" in text
    assert "never: ✔" not in text
    # The bound whose hypotheses fail is not shown as a plain number.
    assert "| 0.42 |" not in text
    assert "0.42 (not rigorous; failing: sigma ≲ K/n: 1 <= 0.01)" in text


def test_report_refuses_old_boolean_checks(tmp_path):
    from simulate.report_md import write_report

    _fake_results(tmp_path / "old", {"rigorous_bounds_hold": True})
    text = write_report(tmp_path).read_text()
    assert "old format" in text and "jacobound run fake --out" in text
    assert "✔" not in text
    assert read_checks({"rigorous_bounds_hold": True}) is None


def test_demo_prints_passed_failed_not_tested(tmp_path, monkeypatch, capsys):
    import jacobound as cli

    demo = {
        k: dataclasses.replace(
            exp,
            demo=True if k in ("linear", "generalization") else "left out of this test",
            demo_overrides={**exp.small, "device": "cpu"},
        )
        for k, exp in REGISTRY.items()
    }
    for k, exp in demo.items():
        monkeypatch.setitem(REGISTRY, k, exp)
    assert cli.main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "checks: 6 passed, 2 failed, 2 not tested" in out
    assert "linear          checks: 3 passed, 0 failed, 0 not tested" in out
    assert "generalization: rigorous_bounds_hold not tested (0 of 32 cases)" in out
    # The rates of 2.2/2.3 are contradicted at the small sizes: a known negative result.
    assert "rate_2.2_not_contradicted ✘ (known negative result)" in out
    assert summary_line([]) == "0 passed, 0 failed, 0 not tested"


#: The provenance of a run in results.json: which run it is, and which code wrote it.
RUN_FIELDS = {"id", "started_utc", "jacobound", "git_revision", "git_dirty", "config_hash"}


def test_same_seed_same_numbers(tmp_path):
    """Two runs of one config agree in everything but which run they are (id, start time)."""
    a = run_experiment("linear", tmp_path / "a", SMALL["linear"], progress=False)
    b = run_experiment("linear", tmp_path / "b", SMALL["linear"], progress=False)
    assert a["run"]["id"] != b["run"]["id"]  # two runs, not one reused
    stored = [json.loads((tmp_path / d / "results.json").read_text()) for d in "ab"]
    for rec in (a, b, *stored):
        ident = rec.pop("run")
        assert set(ident) == RUN_FIELDS
        rec["run"] = {k: v for k, v in ident.items() if k not in ("id", "started_utc")}
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert stored[0] == stored[1]


def test_rerun_with_another_config_goes_to_a_new_directory(tmp_path):
    cfg = {**SMALL["linear"], "device": "cpu"}
    a = run_experiment("linear", tmp_path, cfg, progress=False)
    assert a.out == tmp_path and a.moved_because is None
    first = (tmp_path / "results.json").read_bytes()
    b = run_experiment("linear", tmp_path, {**cfg, "seed": 1}, progress=False)
    assert b.out == tmp_path / b["run"]["id"] and "seed: 0 -> 1" in str(b.moved_because)
    assert (tmp_path / "results.json").read_bytes() == first  # not overwritten
    assert json.loads((b.out / "results.json").read_text())["config"]["seed"] == 1
    # Each config again: it resumes in its own directory, as the same run.
    a2 = run_experiment("linear", tmp_path, cfg, progress=False)
    b2 = run_experiment("linear", tmp_path, {**cfg, "seed": 1}, progress=False)
    assert (a2.out, a2["run"]["id"]) == (tmp_path, a["run"]["id"])
    assert (b2.out, b2["run"]["id"]) == (b.out, b["run"]["id"])
    assert (tmp_path / "results.json").read_bytes() == first
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == [b.out]
    # Asked for in a folder holding another config, a run always moves below it.
    c = run_experiment("linear", b.out, {**cfg, "seed": 2}, progress=False)
    assert c.out.parent == b.out


def test_results_name_their_run_and_code(tmp_path):
    import datetime
    import re

    import bounds

    res = run_experiment("linear", tmp_path, SMALL["linear"], progress=False)
    run = json.loads((tmp_path / "results.json").read_text())["run"]
    assert run == res["run"]
    assert run["jacobound"] == bounds.__version__
    assert run["config_hash"] == io.config_key(res["config"])
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run["id"])
    started = datetime.datetime.fromisoformat(run["started_utc"])
    assert started.utcoffset() == datetime.timedelta(0)
    assert run["id"].startswith(f"{started:%Y%m%dT%H%M%SZ}")
    rev = run["git_revision"]
    assert rev is None or re.fullmatch(r"[0-9a-f]{40}", rev)
    assert (rev is None) == (run["git_dirty"] is None)


def test_git_revision_outside_a_checkout_is_none(tmp_path):
    assert io.git_revision(tmp_path) == (None, None)  # no .git at all
    (tmp_path / ".git").write_text("gitdir: /nonexistent/worktree\n")  # a broken worktree link
    assert io.git_revision(tmp_path) == (None, None)


def test_sweep_resumes_from_finished_runs(tmp_path):
    cfg = {**SMALL["corruption"], "device": "cpu"}
    run_experiment("corruption", tmp_path, cfg, progress=False)
    runs = sorted((tmp_path / "runs").glob("*.json"))
    levels = len(SMALL["corruption"]["corruptions"])
    assert len(runs) == levels
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
    assert len(list((tmp_path / "runs").glob("*.json"))) == levels
    checks = read_checks(res["checks"])
    assert checks and not any(c.failed for c in checks)
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
    exe = [sys.executable, "-m", "jacobound"]
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
    # 60 steps: a 20-step run ends before the dip has risen by 10% (population_loss_dips fails).
    cfg.write_text("n = 40\nd = 80\nr = 3\nsteps = 60\nmc_samples = 50\n")
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
    assert "checks: 3 passed, 0 failed, 0 not tested" in run.stdout
    assert "**checks**: 3 passed, 0 failed, 0 not tested" in text
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
