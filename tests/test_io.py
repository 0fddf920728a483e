"""The per-run cache of ``simulate.io`` never returns a result it cannot vouch for.

A run file is reused only when it parses, has the run-file fields, passes its checksum and was
written by this version and these sources of jacobound for this configuration; anything else is
recomputed after a one-line warning naming the file. A sweep killed at any point resumes with
byte-identical files.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import signal
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from simulate import io

CONFIG = {"n": 60, "corruption": 0.5, "widths": (8, 16)}


class Counter:
    """A ``compute`` callable that counts its calls and returns a fixed result."""

    def __init__(self, result: Mapping[str, Any]):
        self.result = result
        self.calls = 0

    def __call__(self) -> Mapping[str, Any]:
        self.calls += 1
        return self.result


def run(folder: Path, compute: Callable[[], Mapping[str, Any]], config=CONFIG) -> dict[str, Any]:
    return io.cached_run(folder, "p0.5", config, compute)


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "simulate.io"]


def assert_one_warning_naming(caplog: pytest.LogCaptureFixture, path: Path, *words: str) -> None:
    msgs = cache_warnings(caplog)
    assert len(msgs) == 1, msgs
    (msg,) = msgs
    assert str(path) in msg and "recomputing" in msg and "\n" not in msg, msg
    for w in words:
        assert w in msg, msg


def test_reused_when_valid_and_same_as_computed(tmp_path, caplog):
    # numpy values come back as JSON gives them, on the first run as on every reuse.
    compute = Counter({"x": np.arange(3.0), "err": np.float64(0.25), "k": np.int64(7)})
    first = run(tmp_path, compute)
    again = run(tmp_path, compute)
    assert compute.calls == 1
    assert first == again == {"x": [0.0, 1.0, 2.0], "err": 0.25, "k": 7}
    assert type(first["k"]) is int and type(first["x"]) is list
    assert not cache_warnings(caplog)
    stored = json.loads((tmp_path / "runs" / "p0.5.json").read_text())
    assert stored["version"] == io.package_version() and stored["source"] == io.source_digest()
    assert stored["config_hash"] == io.config_key(CONFIG)


def test_hand_edited_value_is_recomputed(tmp_path, caplog):
    compute = Counter({"final_test_error": 0.125, "steps": 60})
    run(tmp_path, compute)
    path = tmp_path / "runs" / "p0.5.json"
    text = path.read_text()
    assert '"final_test_error": 0.125' in text
    path.write_text(text.replace('"final_test_error": 0.125', '"final_test_error": 0.0625'))
    with caplog.at_level(logging.WARNING, logger="simulate.io"):
        res = run(tmp_path, compute)
    assert compute.calls == 2 and res["final_test_error"] == 0.125
    assert_one_warning_naming(caplog, path, "checksum")
    assert json.loads(path.read_text())["result"]["final_test_error"] == 0.125


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3)
    ),
    max_leaves=8,
)
results = st.dictionaries(st.text(max_size=4), json_values, min_size=1, max_size=4)


@given(results, results)
def test_any_change_of_the_stored_result_is_caught(original, edited):
    """Whatever a hand edit makes of the result, it is recomputed unless it means the same JSON."""
    canon = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assume(canon(original) != canon(edited))
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        compute = Counter(original)
        run(folder, compute)
        path = folder / "runs" / "p0.5.json"
        stored = json.loads(path.read_text())
        path.write_text(json.dumps({**stored, "result": edited}))
        assert run(folder, compute) == json.loads(json.dumps(original))
        assert compute.calls == 2
        # The recomputed file is valid again.
        run(folder, compute)
        assert compute.calls == 2


def _valid_record(folder: Path) -> dict[str, Any]:
    run(folder, Counter({"a": 1.5}))
    return json.loads((folder / "runs" / "p0.5.json").read_text())


def _resealed(rec: dict[str, Any], **change: Any) -> bytes:
    """A record with ``change`` applied and a checksum that matches it again."""
    body = {k: v for k, v in rec.items() if k != "checksum"} | change
    digest = io._canonical_hash(body)
    return json.dumps({**body, "checksum": digest}).encode()


DAMAGED: dict[str, Callable[[dict[str, Any], bytes], bytes]] = {
    "empty list": lambda rec, raw: b"[]",
    "empty object": lambda rec, raw: b"{}",
    "null result only": lambda rec, raw: b'{"result": null}',
    "null result, resealed": lambda rec, raw: _resealed(rec, result=None),
    "list result, resealed": lambda rec, raw: _resealed(rec, result=[1.5]),
    "truncated": lambda rec, raw: raw[: len(raw) // 2],
    "empty file": lambda rec, raw: b"",
    "not UTF-8": lambda rec, raw: b"\xff\xfe" + raw,
    "old format": lambda rec, raw: json.dumps(
        {"config_key": "0" * 16, "config": rec["config"], "result": rec["result"]}
    ).encode(),
    "extra field": lambda rec, raw: json.dumps({**rec, "note": "x"}).encode(),
    "checksum dropped": lambda rec, raw: json.dumps(
        {k: v for k, v in rec.items() if k != "checksum"}
    ).encode(),
    "config edited": lambda rec, raw: json.dumps({**rec, "config": {"n": 1}}).encode(),
}


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_damaged_run_file_warns_naming_it_and_recomputes(kind, tmp_path, caplog):
    rec = _valid_record(tmp_path)
    path = tmp_path / "runs" / "p0.5.json"
    path.write_bytes(DAMAGED[kind](rec, path.read_bytes()))
    compute = Counter({"a": 1.5})
    with caplog.at_level(logging.WARNING, logger="simulate.io"):
        assert run(tmp_path, compute) == {"a": 1.5}
    assert compute.calls == 1
    assert_one_warning_naming(caplog, path)
    assert json.loads(path.read_bytes()) == rec  # rewritten as the valid record
    caplog.clear()
    run(tmp_path, compute)
    assert compute.calls == 1 and not cache_warnings(caplog)


def test_truncated_file_message_names_it(tmp_path, caplog):
    _valid_record(tmp_path)
    path = tmp_path / "runs" / "p0.5.json"
    path.write_bytes(b"")  # truncated to nothing, as a write cut short by a full disk leaves it
    with caplog.at_level(logging.WARNING, logger="simulate.io"):
        run(tmp_path, Counter({"a": 1.5}))
    assert_one_warning_naming(caplog, path, "not valid JSON", "Expecting value")
    with pytest.raises(ValueError, match=r"p0\.5\.json: not valid JSON"):
        path.write_text('{"a": ')
        io.read_json(path)


@pytest.mark.parametrize("what", ["package_version", "source_digest"])
def test_other_version_or_sources_recompute(what, tmp_path, caplog, monkeypatch):
    compute = Counter({"a": 1.5})
    run(tmp_path, compute)
    monkeypatch.setattr(io, what, lambda: "changed")
    with caplog.at_level(logging.WARNING, logger="simulate.io"):
        run(tmp_path, compute)
    assert compute.calls == 2
    assert_one_warning_naming(caplog, tmp_path / "runs" / "p0.5.json", "changed")
    run(tmp_path, compute)  # written under the new key, so reused under it
    assert compute.calls == 2


def test_other_config_recomputes(tmp_path, caplog):
    compute = Counter({"a": 1.5})
    run(tmp_path, compute)
    run(tmp_path, compute, {**CONFIG, "widths": [8, 16]})  # a list and a tuple are the same JSON
    assert compute.calls == 1
    with caplog.at_level(logging.WARNING, logger="simulate.io"):
        run(tmp_path, compute, {**CONFIG, "n": 61})
    assert compute.calls == 2
    assert_one_warning_naming(caplog, tmp_path / "runs" / "p0.5.json", "another configuration")


def test_source_digest_changes_with_any_source_file(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    (pkg / "notes.txt").write_text("not a source")
    base = io._tree_digest([pkg])
    assert io._tree_digest([pkg]) == base
    (pkg / "notes.txt").write_text("still not a source")
    assert io._tree_digest([pkg]) == base
    (pkg / "sub" / "b.py").write_text("y = 3\n")
    edited = io._tree_digest([pkg])
    assert edited != base
    (pkg / "sub" / "b.py").rename(pkg / "b.py")  # same bytes, another module
    assert io._tree_digest([pkg]) not in (base, edited)
    assert len(io.source_digest()) == 16


def test_package_version_has_one_source():
    """pyproject.toml reads bounds/_version.py; every other place takes the version from it."""
    import tomllib

    import bounds
    import jacobound
    import simulate

    with open(Path(io.__file__).resolve().parents[1] / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "bounds._version.__version__"
    v = bounds.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(\S*)", v)
    assert v == simulate.__version__ == jacobound.__version__ == io.package_version()
    assert v == io.versions()["jacobound"]


def test_temp_files_of_a_killed_write_are_removed(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    leftovers = [runs / ".p0.5.json.k2j4x9qa.tmp", runs / ".p1.json.zz_81abc.tmp"]
    for f in leftovers:
        f.write_text('{"result": {"a": 9')
    kept = [runs / "notes.txt", runs / ".hidden", runs / "data.tmp"]
    for f in kept:
        f.write_text("x")
    compute = Counter({"a": 1.5})
    assert run(tmp_path, compute) == {"a": 1.5}
    assert not any(f.exists() for f in leftovers)
    assert all(f.exists() for f in kept)
    assert io.remove_stale_temps(runs) == []


# --- kills ---------------------------------------------------------------------------------------
# A sweep of three runs and a summary, SIGKILLed in a forked child inside a run's compute, after a
# temporary file was written but before its rename, or right after the rename; then rerun.


def _sweep(out: Path, phase: str = "none", at: int = -1) -> None:
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
    if phase != "none":  # only ever in the child: its os module is its own copy
        writes = 0
        real_fsync, real_replace = os.fsync, os.replace

        def fsync(fd: int) -> None:
            if phase == "write" and writes == at:
                die()
            real_fsync(fd)

        def replace(src: str, dst: Path) -> None:
            nonlocal writes
            real_replace(src, dst)
            if phase == "after" and writes == at:
                die()
            writes += 1

        os.fsync, os.replace = fsync, replace  # type: ignore[assignment]

    def compute(i: int) -> dict[str, Any]:
        if phase == "compute" and i == at:
            die()
        x = np.random.default_rng(i).standard_normal(4)
        return {"x": x, "sum": x.sum(), "i": np.int64(i)}

    io.remove_stale_temps(out)  # as run_experiment does
    res = [
        io.cached_run(out, f"r{i}", {"i": i, "shape": (4,)}, functools.partial(compute, i))
        for i in range(3)
    ]
    io.write_json(out / "results.json", {"runs": res})


# Every point of every write: the three runs' computes, and writes 0-2 (runs) and 3 (summary).
KILLS = [("compute", i) for i in range(3)] + [(p, w) for p in ("write", "after") for w in range(4)]


def _killed_sweep(out: Path, phase: str, at: int) -> int:
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            _sweep(out, phase, at)
        finally:
            os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize(("phase", "at"), KILLS)
def test_killed_sweep_resumes_byte_identical(phase, at, tmp_path):
    _sweep(tmp_path / "reference")
    killed = tmp_path / "killed"
    assert _killed_sweep(killed, phase, at) == -signal.SIGKILL
    if phase == "write":
        assert any(p.name.endswith(".tmp") for p in killed.rglob(".*")), "nothing left to clean"
    _sweep(killed)
    assert _files(killed) == _files(tmp_path / "reference")
