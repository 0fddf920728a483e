"""Experiment plumbing: validated configs, the registry, and the runner that writes results.

An experiment is a module with a frozen ``Config`` dataclass, ``run(config, out, progress) ->
dict`` (JSON-ready: ``summary``, ``series``, ``tables``, ``checks``, ``predicted_vs_observed``) and
``plot(results, out) -> list[str]``.  Each config field is documented by the string literal
right after it (an attribute docstring); :func:`field_docs` reads them, and the documentation
site lists every field with its type, default and that text.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import os
import tempfile
import textwrap
import time
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import io
from ..backend import resolve_device

REGISTRY: dict[str, types.ModuleType] = {}

#: Largest seed (torch.manual_seed takes a signed or unsigned 64-bit integer).
SEED_MAX = 2**63 - 1
#: Config integers must fit a signed 64-bit integer (torch and numpy sizes).
INT_MAX = 2**63 - 1


def register(module: types.ModuleType) -> types.ModuleType:
    REGISTRY[module.NAME] = module
    return module


@dataclasses.dataclass(frozen=True)
class BaseConfig:
    """Fields every experiment has."""

    seed: int = 0
    """Seed of every random draw (data, initialisation, corruption): same seed on CPU, same numbers."""
    device: str = "auto"
    """Where torch computes: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``."""

    def validate(self) -> None:
        """Range checks; subclasses extend (each raises ``ValueError`` naming the field)."""
        if (
            not isinstance(self.seed, int)
            or isinstance(self.seed, bool)
            or not 0 <= self.seed <= SEED_MAX
        ):
            raise ValueError(f"seed must be an integer in [0, 2**63 - 1], got {self.seed!r}")
        resolve_device(self.device)

    def __post_init__(self) -> None:
        self.validate()


def field_docs(cls: type) -> dict[str, str]:
    """Each field's help text: the string literal written right after the field in the class body.

    Searched along the MRO (a subclass that redefines a field without a text keeps its base's).
    Fields without a text are absent; so is everything when the source cannot be read.

    Parameters
    ----------
    cls : type
        A config dataclass, e.g. ``simulate.experiments.spectrum.Config``.

    Returns
    -------
    dict of str to str
        Field name to its text, whitespace normalised to one paragraph.
    """
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for stmt, nxt in itertools.pairwise(body):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[stmt.target.id] = " ".join(inspect.cleandoc(nxt.value.value).split())
    return docs


def positive(cfg: Any, *names: str, integer: bool = False) -> None:
    """Check that each named field is positive (and an integer when asked)."""
    for name in names:
        val = getattr(cfg, name)
        vals = val if isinstance(val, tuple) else (val,)
        if not vals:
            raise ValueError(f"{name} must not be empty, got {val!r}")
        for x in vals:
            ok = isinstance(x, int) if integer else isinstance(x, int | float)
            if not ok or isinstance(x, bool) or not np.isfinite(x) or x <= 0:
                kind = "positive integer" if integer else "positive number"
                raise ValueError(f"{name} must be a {kind} (or a tuple of them), got {val!r}")


def _coerce(tp: Any, value: Any, name: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} must be a list, got {value!r}")
        if not value:
            # Every list field is a sweep (sizes, corruption levels, ...): empty runs nothing.
            raise ValueError(f"{name} must be a non-empty list, got {value!r}")
        (inner, *_rest) = typing.get_args(tp)
        return tuple(_coerce(inner, v, name) for v in value)
    if tp in (int, float) and isinstance(value, bool):
        # TOML true/false are not numbers, although Python's bool is an int subclass.
        raise ValueError(f"{name} must be of type {tp.__name__}, got the boolean {value!r}")
    if tp is float and isinstance(value, int):
        if abs(value) > INT_MAX:
            raise ValueError(f"{name} must be a finite float, got {value!r}")
        value = float(value)
    if tp in (int, float, str, bool) and not isinstance(value, tp):
        raise ValueError(f"{name} must be of type {tp.__name__}, got {value!r}")
    if tp is float and not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if tp is int and abs(value) > INT_MAX:
        raise ValueError(f"{name} must fit a 64-bit integer (|x| <= 2**63 - 1), got {value!r}")
    return value


def make_config(cls: type, overrides: Mapping[str, Any]) -> Any:
    """Build ``cls`` from a mapping, rejecting unknown keys and wrong types by field name."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown config key(s) {unknown}; allowed: {sorted(fields)}")
    kwargs = {k: _coerce(hints[k], v, k) for k, v in overrides.items()}
    return cls(**kwargs)


def load_toml(path: Path | str) -> dict[str, Any]:
    """Read a TOML config; a missing, unreadable or malformed file is a ``ValueError``."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"config file {p} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"config {p} is a directory, not a TOML file") from None
    except OSError as exc:
        raise ValueError(f"config {p} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config {p} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"config {p} is not valid TOML (not UTF-8 text)") from None


def check_output_dir(out: Path | str) -> Path:
    """Make sure ``out`` is, or can be created as, a writable directory; before any work.

    Creates it (as the run would) and writes and removes a probe file, so that a path under a
    file, in a read-only place or in a pseudo file system such as ``/proc`` fails at once rather
    than after the experiment has run.  Raises ``ValueError`` naming ``out``.
    """
    if not str(out).strip():
        raise ValueError("out must be a directory path, got an empty string")
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ValueError(f"out {p} exists and is not a directory")
    parent = p
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"out {p} cannot be created: {parent} is a file, not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=p, prefix=".jacobound-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"out {p} is not a writable directory: {exc.strerror or exc}") from None
    return p


def run_experiment(
    name: str, out: Path | str, overrides: Mapping[str, Any] | None = None, *, progress: bool = True
) -> dict[str, Any]:
    """Validate the config, run, and write ``results.json``, CSVs, plots and ``run_info.json``.

    Deterministic numbers for a given seed on CPU: timings go to ``run_info.json`` only.
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(REGISTRY))}")
    mod = REGISTRY[name]
    config = make_config(mod.Config, overrides or {})
    check_output_dir(out)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    io.remove_stale_temps(out)  # a killed write's leftovers (runs/ is cleaned by cached_run)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    results = mod.run(config, out, progress)
    elapsed = time.perf_counter() - t0
    record = {
        "experiment": name,
        "config": dataclasses.asdict(config),
        "seed": config.seed,
        "device": str(device),
        "versions": io.versions(),
        **results,
    }
    for cname, cols in results.get("curves", {}).items():
        io.write_csv(out / f"{cname}.csv", cols)
    record["figures"] = mod.plot(record, out)
    io.write_json(out / "results.json", record)
    io.write_json(
        out / "run_info.json", {"experiment": name, "seconds": elapsed, "device": str(device)}
    )
    return record
