"""Sweep points through one map function: local process by default, Ray tasks on request.

The Ray backend's bookkeeping (cache hits, order, storing each point as it arrives, resume
after a kill, refusing other sources) is tested against a small stand-in of the four Ray calls
it makes, so that it runs without Ray; the end-to-end test with a real local Ray
(``jacobound run corruption --backend ray`` against a local run) needs ``pip install ray`` and
is skipped without it (Ray is an optional extra, not in the lock).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from simulate import cli, io, sweep
from simulate.experiments import REGISTRY, run_experiment

#: Fields of results.json that say when and by what a run was made, not what it found; they may
#: differ between two runs of one config (``run``: run id, start time, version, git revision).
PROVENANCE = frozenset({"run"})


def _square(x: int) -> dict[str, Any]:
    return {"x": x, "square": x * x, "pid": os.getpid()}


def _points(xs: list[int]) -> list[sweep.Point]:
    return [sweep.Point(f"x{x}", {"x": x}, functools.partial(_square, x)) for x in xs]


def test_local_map_is_the_cached_run_loop(tmp_path):
    got = sweep.map_points(tmp_path, _points([3, 1, 2]))
    assert [r["square"] for r in got] == [9, 1, 4]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "x1.json",
        "x2.json",
        "x3.json",
    ]
    # A second map reads the run files: the same results, nothing computed.
    again = sweep.map_points(
        tmp_path, [sweep.Point(p.name, p.config, _fail) for p in _points([3, 1, 2])]
    )
    assert again == got


def _fail() -> dict[str, Any]:
    raise AssertionError("computed although a valid run file exists")


def test_points_must_have_distinct_names(tmp_path):
    with pytest.raises(ValueError, match=r"distinct names, repeated: \['x1'\]"):
        sweep.map_points(tmp_path, _points([1, 1]))


@pytest.mark.parametrize(
    ("name", "address", "match"),
    [
        ("dask", None, "backend must be one of local, ray"),
        ("local", "127.0.0.1:6379", 'address is for backend "ray" only'),
        ("ray", " ", "address must be HOST:PORT"),
    ],
)
def test_bad_backend_arguments(name, address, match):
    with pytest.raises(ValueError, match=match):
        sweep.make_backend(name, address)


def test_experiments_route_their_points_through_the_backend(tmp_path):
    """run_experiment(..., backend=b) hands every sweep point of the experiment to b."""
    seen: list[str] = []

    class Recording:
        name = "recording"

        def map(self, out, points):
            seen.extend(p.name for p in points)
            return sweep.LocalBackend().map(out, points)

    cfg = {**REGISTRY["corruption"].small, "device": "cpu"}
    run_experiment("corruption", tmp_path, cfg, progress=False, backend=Recording())
    assert seen == [f"p{p:g}" for p in REGISTRY["corruption"].small["corruptions"]]
    assert io.read_json(tmp_path / "run_info.json")["backend"] == "recording"
    assert sweep.current().name == "local"  # restored after the run


# -- the Ray backend against a stand-in of the Ray calls it makes ---------------------------


class _Ref:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args


class FakeRay(types.ModuleType):
    """ray.init / is_initialized / remote / wait / get / cancel, run in this process."""

    def __init__(self, fail_on: int | None = None, source: str | None = None):
        super().__init__("ray")
        self.started = False
        self.submitted = 0
        self.cancelled = 0
        self.fail_on, self.source = fail_on, source

    def is_initialized(self):
        return self.started

    def init(self, **kwargs):
        assert kwargs["include_dashboard"] is False
        self.started = True

    def remote(self, **opts):
        assert opts["num_cpus"] == 1
        return lambda fn: types.SimpleNamespace(remote=lambda *a: self._submit(fn, a))

    def _submit(self, fn, args):
        self.submitted += 1
        return _Ref(fn, args)

    def wait(self, refs, num_returns):
        return refs[-num_returns:], refs[:-num_returns]  # finish out of order

    def get(self, ref):
        if self.fail_on is not None and ref.args[0].args[0] == self.fail_on:
            raise KeyboardInterrupt  # the sweep is killed while this point runs
        version, source, result = ref.fn(*ref.args)
        return version, self.source or source, result

    def cancel(self, ref, force=False):
        self.cancelled += 1


def test_ray_backend_stores_each_point_and_resumes(tmp_path, monkeypatch):
    fake = FakeRay(fail_on=2)
    monkeypatch.setitem(sys.modules, "ray", fake)
    backend = sweep.make_backend("ray")
    with pytest.raises(KeyboardInterrupt):
        sweep.map_points(tmp_path, _points([1, 2, 3]), backend)
    # Points finish out of order (3 first); the kill during 2 keeps 3, leaves 1 unstarted.
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["x3.json"]
    assert fake.cancelled == 1
    rerun = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", rerun)
    got = sweep.map_points(tmp_path, _points([1, 2, 3]), backend)
    assert rerun.submitted == 2  # 3 was read from its run file
    assert [r["square"] for r in got] == [1, 4, 9]
    assert got == sweep.map_points(tmp_path / "local", _points([1, 2, 3]))  # as a local map
    # Everything stored: a third map submits nothing.
    third = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", third)
    assert sweep.map_points(tmp_path, _points([1, 2, 3]), backend) == got
    assert third.submitted == 0 and not third.started


def test_ray_backend_refuses_workers_with_other_sources(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", FakeRay(source="0123456789abcdef"))
    with pytest.raises(ValueError, match="install the same jacobound on every node"):
        sweep.map_points(tmp_path, _points([1]), sweep.make_backend("ray"))
    assert not (tmp_path / "runs" / "x1.json").exists()


def test_ray_backend_without_ray_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    with pytest.raises(ValueError, match=r'pip install "jacobound\[ray\]"'):
        sweep.map_points(tmp_path, _points([1]), sweep.make_backend("ray"))


# -- a real local Ray ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip(
        "ray", reason='Ray is an optional extra (pip install "jacobound[ray]"), not in the lock'
    )
    old = os.environ.get("RAY_USAGE_STATS_ENABLED")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # Workers import simulate from this checkout, as the test process does.
    root = str(Path(__file__).resolve().parents[1])
    ray.init(
        num_cpus=1,
        include_dashboard=False,
        runtime_env={"env_vars": {"PYTHONPATH": root, "RAY_USAGE_STATS_ENABLED": "0"}},
    )
    yield ray
    ray.shutdown()
    if old is None:
        os.environ.pop("RAY_USAGE_STATS_ENABLED", None)
    else:
        os.environ["RAY_USAGE_STATS_ENABLED"] = old


def _toml(cfg: dict[str, Any]) -> str:
    return "".join(
        f"{k} = {json.dumps(list(v) if isinstance(v, tuple) else v)}\n" for k, v in cfg.items()
    )


def _results(folder: Path) -> dict[str, Any]:
    return {k: v for k, v in io.read_json(folder / "results.json").items() if k not in PROVENANCE}


@pytest.mark.slow  # ~10 s to start Ray, ~20 s for three runs of the small corruption sweep
def test_ray_sweep_matches_a_local_run_and_resumes(local_ray, tmp_path, capsys):
    cfg_file = tmp_path / "small.toml"
    cfg_file.write_text(_toml({**REGISTRY["corruption"].small, "device": "cpu"}))
    base = ["run", "corruption", "--config", str(cfg_file), "--quiet"]
    assert cli.main([*base, "--out", str(tmp_path / "local")]) == 0
    ray_out = tmp_path / "ray"
    assert cli.main([*base, "--out", str(ray_out), "--backend", "ray"]) == 0
    assert _results(ray_out) == _results(tmp_path / "local")
    assert io.read_json(ray_out / "run_info.json")["backend"] == "ray"
    # Kill after the first point: drop the others and leave a killed write's temporary file.
    runs = sorted((ray_out / "runs").glob("*.json"))
    first = {p: p.read_bytes() for p in [*runs, ray_out / "results.json"]}
    stamp = runs[0].stat().st_mtime_ns
    for p in runs[1:]:
        p.unlink()
    (ray_out / "runs" / f".{runs[1].name}.x1y2z3.tmp").write_text('{"result": {')
    assert cli.main([*base, "--out", str(ray_out), "--backend", "ray"]) == 0
    assert runs[0].stat().st_mtime_ns == stamp  # reused, not recomputed
    assert {p: p.read_bytes() for p in first} == first  # byte-identical to the first Ray run
    assert not list((ray_out / "runs").glob("*.tmp"))
    capsys.readouterr()


@pytest.mark.slow  # shares the Ray start-up with the test above
def test_ray_tasks_run_in_worker_processes(local_ray, tmp_path):
    got = sweep.map_points(tmp_path, _points([1, 2]), sweep.make_backend("ray"))
    assert [r["square"] for r in got] == [1, 4]
    assert os.getpid() not in {r["pid"] for r in got}
