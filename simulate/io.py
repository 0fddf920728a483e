"""Results on disk: atomic JSON/CSV writes, run metadata, and resumable sweeps.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     write_json(Path(tmp) / "r.json", {"n": np.int64(3), "loss": np.array([0.5, 0.25])})
...     read_json(Path(tmp) / "r.json")
{'n': 3, 'loss': [0.5, 0.25]}
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import importlib.util
import io
import json
import logging
import os
import platform
import secrets
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bounds._version import __version__

log = logging.getLogger(__name__)

#: :func:`atomic_write_text` writes ``.<name>.<random>.tmp`` beside its target, then renames it.
_TMP_PREFIX, _TMP_SUFFIX = ".", ".tmp"


def _default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _check_finite(obj: Any, where: str = "") -> None:
    if isinstance(obj, float) and not np.isfinite(obj):
        raise ValueError(f"refusing to write a non-finite number at {where or 'top level'}")
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _check_finite(v, f"{where}.{k}" if where else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_finite(v, f"{where}[{i}]")


def _plain(obj: Any) -> Any:
    """``obj`` as JSON gives it back (lists, Python numbers); NaN/inf raise ``ValueError``."""
    plain = json.loads(json.dumps(obj, default=_default))
    _check_finite(plain)
    return plain


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write via a temporary file in the same directory and ``os.replace`` (atomic on POSIX).

    A reader sees the old file or the new one, never a part: the text is flushed and
    ``fsync``'d before the rename.  Missing parent folders are created.

    Parameters
    ----------
    path : Path or str
        The target file.
    text : str
        Its new contents (UTF-8).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f"{_TMP_PREFIX}{p.name}.", suffix=_TMP_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_stale_temps(folder: Path | str) -> list[Path]:
    """Delete the temporary files that a killed :func:`atomic_write_text` left in ``folder``.

    Such a file never holds a finished write (that one was renamed into place), so nothing is
    lost. Two processes writing into one output folder at once are not supported: one could
    delete the other's file in flight (they would also compute the same runs twice).

    Returns
    -------
    list of Path
        The files removed.
    """
    gone = []
    for f in sorted(Path(folder).glob(f"{_TMP_PREFIX}*{_TMP_SUFFIX}")):
        if f.is_file():
            f.unlink(missing_ok=True)
            gone.append(f)
    return gone


def write_json(path: Path | str, data: Mapping[str, Any]) -> None:
    """Atomic JSON write; NaN/inf are refused (results must be finite numbers).

    Parameters
    ----------
    path : Path or str
        The target file.
    data : mapping
        JSON-ready data; numpy arrays and scalars and :class:`~pathlib.Path` are converted.

    Raises
    ------
    ValueError
        If ``data`` holds a NaN or an infinity (the message says where).
    TypeError
        For a value JSON cannot represent.
    """
    text = json.dumps(_plain(data), indent=2, sort_keys=False, allow_nan=False)
    atomic_write_text(path, text + "\n")


def read_json(path: Path | str) -> Any:
    """Parse a JSON file; a damaged one raises ``ValueError`` naming the file.

    Parameters
    ----------
    path : Path or str
        The file.

    Returns
    -------
    object
        The parsed JSON.

    Raises
    ------
    ValueError
        If the file is not valid JSON (or not UTF-8).
    OSError
        If it cannot be read.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path}: not valid JSON ({_one_line(e)})") from e


def write_csv(path: Path | str, columns: Mapping[str, Any]) -> None:
    """Atomic CSV of equal-length columns.

    Floats are written with ``repr`` (round-trip exact).

    Parameters
    ----------
    path : Path or str
        The target file.
    columns : mapping of str to array_like
        Column name to values (flattened).

    Raises
    ------
    ValueError
        If the columns differ in length.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_csv(Path(tmp) / "c.csv", {"step": [0, 1], "loss": [0.5, 0.125]})
    ...     print((Path(tmp) / "c.csv").read_text().splitlines())
    ['step,loss', '0,0.5', '1,0.125']
    """
    cols = {k: list(np.asarray(v).ravel()) for k, v in columns.items()}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) > 1:
        raise ValueError(f"CSV columns must have equal lengths, got {sorted(lengths)}")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols.keys())
    for row in zip(*cols.values(), strict=True):
        w.writerow([repr(float(x)) if isinstance(x, float | np.floating) else x for x in row])
    atomic_write_text(path, buf.getvalue())


def package_version() -> str:
    """The version of jacobound (``bounds/_version.py``, the one place it is written).

    Returns
    -------
    str
        E.g. ``"0.4.0"``.
    """
    return __version__


def git_revision(root: Path | str | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git checkout that holds these sources, else ``(None, None)``.

    ``root`` is the folder that holds the packages (default: the one this module is in).  Only a
    checkout whose top level is that folder counts (an install into a virtual environment inside
    some other repository does not), and anything that goes wrong (no git, not a repository, a
    timeout) gives ``(None, None)``, never an error.

    Parameters
    ----------
    root : Path or str, optional
        The folder that holds the packages.

    Returns
    -------
    str or None
        The commit (40 hex digits).
    bool or None
        ``dirty``: tracked files have uncommitted changes.
    """
    root = Path(root or Path(__file__).parents[1]).resolve()
    if not (root / ".git").exists():
        return None, None
    try:
        top, rev, status = (
            subprocess.run(
                ["git", "-C", str(root), *cmd],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
            for cmd in (
                ["rev-parse", "--show-toplevel"],
                ["rev-parse", "HEAD"],
                ["status", "--porcelain", "--untracked-files=no"],
            )
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    if Path(top.strip()).resolve() != root:
        return None, None
    return rev.strip() or None, bool(status.strip())


def new_run_id() -> tuple[str, str]:
    """A fresh run id and its UTC timestamp: ``20261202T134502Z-1a2b3c`` and ISO 8601 text.

    The id sorts by time; six random hex digits keep two runs started in the same second apart.

    Returns
    -------
    str
        The run id, ``YYYYmmddTHHMMSSZ-xxxxxx``.
    str
        The same second in ISO 8601, e.g. ``2026-12-02T13:45:02Z``.

    Examples
    --------
    >>> run_id, stamp = new_run_id()
    >>> len(run_id), run_id[8], run_id[15:17], stamp.endswith("Z")
    (23, 'T', 'Z-', True)
    """
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", now.isoformat().replace("+00:00", "Z")


def _tree_digest(roots: list[Path]) -> str:
    """A short SHA-256 of the ``.py`` files under ``roots``, with their paths relative to them."""
    h = hashlib.sha256()
    for root in roots:
        for f in sorted(root.rglob("*.py")):
            data = f.read_bytes()
            # Name and length first, so that no two different sets of files give the same stream.
            h.update(f"{f.relative_to(root.parent).as_posix()}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()[:16]


@functools.cache
def source_digest() -> str:
    """:func:`_tree_digest` of the packages :mod:`bounds` and :mod:`simulate`.

    Part of every cached run's key beside :func:`package_version`: during development the version
    stays put while fixes land, and a result computed before a fix must not survive a rerun.

    Returns
    -------
    str
        16 hex digits (cached for the life of the process).

    Raises
    ------
    RuntimeError
        If the sources of either package cannot be located.
    """
    roots = []
    for pkg in ("bounds", "simulate"):
        spec = importlib.util.find_spec(pkg)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"cannot locate the sources of package {pkg!r}")
        roots.append(Path(spec.origin).parent)
    return _tree_digest(roots)


def versions() -> dict[str, str]:
    """Versions of Python and the numerical stack (recorded in every results file).

    Returns
    -------
    dict of str to str
        ``jacobound``, ``python``, ``numpy``, ``scipy``, ``sympy``, ``torch`` and
        ``matplotlib``.
    """
    import matplotlib
    import scipy
    import sympy
    import torch

    return {
        "jacobound": package_version(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "torch": torch.__version__,
        "matplotlib": matplotlib.__version__,
    }


def _canonical_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON text of ``obj``: sorted keys, no whitespace, no NaN."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def config_key(config: Mapping[str, Any]) -> str:
    """The SHA-256 of a configuration's canonical JSON (a tuple and the same list hash alike).

    Keys are sorted, so the order of a mapping does not matter.

    Parameters
    ----------
    config : mapping
        JSON-ready configuration (numpy values allowed; no NaN).

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> config_key({"n": 10, "alphas": (0.1, 0.2)}) == config_key({"alphas": [0.1, 0.2], "n": 10})
    True
    >>> len(config_key({"n": 10}))
    64
    """
    return _canonical_hash(_plain(dict(config)))


#: The fields of a run file besides ``checksum``, the SHA-256 of their canonical JSON.
_RUN_FIELDS = ("version", "source", "config_hash", "config", "result")


def _stale_reason(stored: Any, version: str, source: str, config_hash: str) -> str | None:
    """Why a parsed run file cannot be reused for this key, or ``None`` when it can."""
    expected = {*_RUN_FIELDS, "checksum"}
    if not isinstance(stored, dict) or set(stored) != expected:
        found = sorted(stored) if isinstance(stored, dict) else f"a JSON {type(stored).__name__}"
        return f"not a run file (expected an object with keys {sorted(expected)}, found {found})"
    if not isinstance(stored["result"], dict) or not isinstance(stored["config"], dict):
        return "not a run file (its config and result must be JSON objects)"
    if stored["checksum"] != _canonical_hash({f: stored[f] for f in _RUN_FIELDS}):
        return "checksum mismatch (edited or damaged)"
    if (stored["version"], stored["source"]) != (version, source):
        return (
            f"written by jacobound {stored['version']} with sources {stored['source']}, "
            f"this is {version} with sources {source}"
        )
    if stored["config_hash"] != config_hash:
        return "written for another configuration"
    return None


def load_run(folder: Path, name: str, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored result of run ``name`` when it is valid for ``config``, else ``None``.

    Removes what a killed write left in ``folder/runs`` first.  A file that exists but cannot be
    reused (see :func:`cached_run`) gets a one-line warning naming it on the ``simulate.io``
    logger; the caller computes the run again and :func:`store_run` overwrites it.

    Parameters
    ----------
    folder : Path
        The experiment's output folder (run files in ``folder/runs``).
    name : str
        The run's name (file ``folder/runs/<name>.json``).
    config : mapping
        The configuration the result must be valid for.

    Returns
    -------
    dict or None
        The stored result, or ``None`` when there is no reusable one.
    """
    runs = Path(folder) / "runs"
    path = runs / f"{name}.json"
    if runs.is_dir():
        remove_stale_temps(runs)
    if not path.exists():
        return None
    try:
        stored = read_json(path)
    except ValueError as e:  # read_json's message names the file
        problem = _one_line(e)
    except OSError as e:
        problem = f"{path}: unreadable ({e.strerror or _one_line(e)})"
    else:
        reason = _stale_reason(stored, package_version(), source_digest(), config_key(config))
        if reason is None:
            return dict(stored["result"])
        problem = f"{path}: {reason}"
    log.warning("%s; recomputing this run", problem)
    return None


def store_run(
    folder: Path, name: str, config: Mapping[str, Any], result: Mapping[str, Any]
) -> dict[str, Any]:
    """Write run ``name`` atomically to ``folder/runs/<name>.json``.

    The file holds the version, the source digest, the config and its hash, the result and
    a checksum over them (what :func:`load_run` checks).

    Parameters
    ----------
    folder : Path
        The experiment's output folder.
    name : str
        The run's name.
    config : mapping
        The configuration the result is valid for.
    result : mapping
        JSON-ready result (finite numbers only).

    Returns
    -------
    dict
        The result as JSON gives it back (lists, Python numbers), as :func:`load_run` would.

    Raises
    ------
    ValueError
        If the config or the result holds a NaN or an infinity.
    """
    body = {
        "version": package_version(),
        "source": source_digest(),
        "config_hash": config_key(config),
        "config": _plain(dict(config)),
        "result": _plain(dict(result)),
    }
    write_json(Path(folder) / "runs" / f"{name}.json", {**body, "checksum": _canonical_hash(body)})
    return dict(body["result"])


def cached_run(
    folder: Path, name: str, config: Mapping[str, Any], compute: Callable[[], Mapping[str, Any]]
) -> dict[str, Any]:
    """Return the stored result of run ``name`` if it is valid for ``config``, else compute it.

    Each finished run is its own atomically written file, ``folder/runs/<name>.json``, so a sweep
    killed at any moment and rerun resumes from the runs it finished and loses none; what a
    killed write left behind is removed first. A stored run is reused only when it parses, has
    the run-file fields, passes its checksum, and was written by this version and these sources
    of jacobound (:func:`package_version`, :func:`source_digest`) for this configuration
    (:func:`config_key`). Any other file is recomputed and overwritten, after a one-line warning
    naming it on the ``simulate.io`` logger.

    The result comes back as JSON gives it (lists, Python numbers) whether computed or loaded, so
    a resumed sweep produces byte-identical results.  (:func:`load_run` and :func:`store_run`
    are its two halves, for callers that compute elsewhere, e.g. :mod:`simulate.sweep`.)

    Parameters
    ----------
    folder : Path
        The experiment's output folder.
    name : str
        The run's name.
    config : mapping
        The configuration the result is valid for.
    compute : callable
        ``compute() -> mapping``, JSON-ready; called only when no valid run file exists.

    Returns
    -------
    dict
        The result, as JSON gives it back.

    Examples
    --------
    >>> import tempfile
    >>> calls = []
    >>> def compute():
    ...     calls.append(1)
    ...     return {"loss": np.float64(0.5)}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = cached_run(Path(tmp), "a", {"n": 3}, compute)
    ...     again = cached_run(Path(tmp), "a", {"n": 3}, compute)  # read, not computed
    >>> first == again == {"loss": 0.5}, len(calls)
    (True, 1)
    """
    stored = load_run(folder, name, config)
    if stored is not None:
        return stored
    return store_run(folder, name, config, compute())
