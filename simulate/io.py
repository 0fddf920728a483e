"""Results on disk: atomic JSON/CSV writes, run metadata, and resumable sweeps."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


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


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write via a temporary file in the same directory and ``os.replace`` (atomic on POSIX)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
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


def write_json(path: Path | str, data: Mapping[str, Any]) -> None:
    """Atomic JSON write; NaN/inf are refused (results must be finite numbers)."""
    plain = json.loads(json.dumps(data, default=_default))
    _check_finite(plain)
    atomic_write_text(path, json.dumps(plain, indent=2, sort_keys=False, allow_nan=False) + "\n")


def read_json(path: Path | str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_csv(path: Path | str, columns: Mapping[str, Any]) -> None:
    """Atomic CSV of equal-length columns."""
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


def versions() -> dict[str, str]:
    """Versions of Python and the numerical stack (recorded in every results file)."""
    from importlib.metadata import PackageNotFoundError, version

    import matplotlib
    import scipy
    import sympy
    import torch

    try:
        jb = version("jacobound")
    except PackageNotFoundError:  # running from a source tree that is not installed
        jb = "unknown"
    return {
        "jacobound": jb,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "torch": torch.__version__,
        "matplotlib": matplotlib.__version__,
    }


def config_key(config: Mapping[str, Any]) -> str:
    """A short stable hash of a configuration (for resumable runs)."""
    text = json.dumps(config, sort_keys=True, default=_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached_run(
    folder: Path, name: str, config: Mapping[str, Any], compute: Callable[[], Mapping[str, Any]]
) -> dict[str, Any]:
    """Return the stored result of run ``name`` if its config matches, else compute and store it.

    Each finished run is its own atomically written file, so a sweep killed at any moment and
    rerun resumes from the runs it finished and loses none.
    """
    path = folder / "runs" / f"{name}.json"
    key = config_key(config)
    if path.exists():
        stored = read_json(path)
        if stored.get("config_key") == key:
            return stored["result"]
    result = dict(compute())
    write_json(path, {"config_key": key, "config": dict(config), "result": result})
    return result
