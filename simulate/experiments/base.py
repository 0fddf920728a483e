"""Experiment plumbing: validated configs, the registry, and the runner that writes results.

An experiment is one module.  It defines a frozen ``Config`` dataclass, ``run(config, out,
progress) -> dict`` (JSON-ready: ``summary``, ``series``, ``tables``, ``checks``,
``predicted_vs_observed``) and ``plot(results, out) -> list[str]``, and registers itself with one
:class:`Experiment` entry (``register(Experiment(...))`` at the end of the module).  The package
imports every module it holds, so the CLI's ``list``, ``run`` and ``demo``, the docs pages and the
contract tests all read :data:`REGISTRY` and nothing else.  Each config field is documented by
the string literal right after it (an attribute docstring); :func:`field_docs` reads them, and
the documentation site lists every field with its type, default and that text.
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
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bounds import validate

from .. import io, sweep
from ..backend import resolve_device

#: Every experiment, by name, in registration order (the demo runs them in this order).
REGISTRY: dict[str, Experiment] = {}

#: Largest seed (torch.manual_seed takes a signed or unsigned 64-bit integer).
SEED_MAX = 2**63 - 1
#: Config integers must fit a signed 64-bit integer (torch and numpy sizes).
INT_MAX = 2**63 - 1


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
    check = validate.count if integer else validate.positive_number
    for name in names:
        val = getattr(cfg, name)
        vals = val if isinstance(val, tuple) else (val,)
        if not vals:
            raise ValueError(f"{name} must not be empty, got {val!r}")
        for x in vals:
            try:
                check(name, x)
            except ValueError:
                kind = "positive integer" if integer else "positive number"
                raise ValueError(
                    f"{name} must be a {kind} (or a tuple of them), got {val!r}"
                ) from None


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One registered experiment: everything the CLI, the demo, the docs and the tests need.

    Attributes
    ----------
    name : str
        What ``jacobound run NAME`` takes.
    description : str
        One line for ``jacobound list``.
    config : type
        The frozen config dataclass (a :class:`BaseConfig` subclass).
    run : callable
        ``run(config, out, progress) -> dict``.
    plot : callable
        ``plot(results, out) -> list[str]`` (file names written under ``out``).
    small : mapping
        Overrides that make a run of a few seconds on a 2-core CPU; the contract tests run it.
    demo : bool or str
        ``True`` when ``jacobound demo`` runs it; otherwise a sentence saying why not.
    demo_overrides : mapping
        Overrides the demo applies (default: none, i.e. the config's defaults).
    not_tested_at_small : frozenset of str
        Checks whose premise never occurs at the ``small`` sizes (reported "not tested" there).
    negative_control : mapping or None
        Overrides (on top of ``small``) that remove the structure the experiment's claim rests
        on, e.g. unstructured data; ``None`` when the experiment has none yet.
    control_fails : frozenset of str
        The checks that must fail under ``negative_control``: a check that passes whatever the
        data is verifies nothing, and the contract tests run every control.
    """

    name: str
    description: str
    config: type[BaseConfig]
    run: Callable[..., dict[str, Any]]
    plot: Callable[[dict[str, Any], Path], list[str]]
    small: Mapping[str, Any]
    demo: bool | str = True
    demo_overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    not_tested_at_small: frozenset[str] = frozenset()
    negative_control: Mapping[str, Any] | None = None
    control_fails: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"experiment name must be an identifier, got {self.name!r}")
        if not (isinstance(self.config, type) and issubclass(self.config, BaseConfig)):
            raise ValueError(f"experiment {self.name}: config must subclass BaseConfig")
        if self.demo is not True and not (isinstance(self.demo, str) and self.demo.strip()):
            raise ValueError(
                f"experiment {self.name}: demo must be True or a reason why it is left out"
            )
        fields = {f.name for f in dataclasses.fields(self.config)}
        if (self.negative_control is None) != (not self.control_fails):
            raise ValueError(
                f"experiment {self.name}: a negative_control needs the checks it must fail "
                "(control_fails), and control_fails needs a negative_control"
            )
        for what, keys in (
            ("small", self.small),
            ("demo_overrides", self.demo_overrides),
            ("negative_control", self.negative_control or {}),
        ):
            unknown = sorted(set(keys) - fields)
            if unknown:
                raise ValueError(f"experiment {self.name}: {what} has unknown keys {unknown}")

    @property
    def in_demo(self) -> bool:
        return self.demo is True


def register(exp: Experiment) -> Experiment:
    """Add ``exp`` to :data:`REGISTRY` (a second experiment of the same name is an error)."""
    old = REGISTRY.get(exp.name)
    if old is not None and old.run is not exp.run:
        raise ValueError(f"experiment {exp.name!r} is already registered")
    REGISTRY[exp.name] = exp
    return exp


def unregister(name: str) -> None:
    """Remove an experiment (for tests that register a toy one)."""
    REGISTRY.pop(name, None)


def demo_names() -> tuple[str, ...]:
    """The experiments ``jacobound demo`` runs, in registration order."""
    return tuple(name for name, exp in REGISTRY.items() if exp.in_demo)


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
    name: str,
    out: Path | str,
    overrides: Mapping[str, Any] | None = None,
    *,
    progress: bool = True,
    backend: str | sweep.Backend = "local",
    address: str | None = None,
) -> dict[str, Any]:
    """Validate the config, run, and write ``results.json``, CSVs, plots and ``run_info.json``.

    Deterministic numbers for a given seed on CPU: timings go to ``run_info.json`` only.
    ``backend`` (``"local"``, ``"ray"`` or a :class:`simulate.sweep.Backend`) computes the
    points of a sweep (:func:`simulate.sweep.map_points`); ``address`` is the Ray cluster's
    ``HOST:PORT``.  The results do not depend on it (it is recorded in ``run_info.json``).
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(REGISTRY))}")
    mod = REGISTRY[name]
    config = make_config(mod.config, overrides or {})
    check_output_dir(out)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    io.remove_stale_temps(out)  # a killed write's leftovers (runs/ is cleaned by cached_run)
    device = resolve_device(config.device)
    if isinstance(backend, str):
        backend = sweep.make_backend(backend, address, num_gpus=int(device.type == "cuda"))
    elif address is not None:
        raise ValueError("address goes with backend='ray' given by name, not with a Backend")
    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    with sweep.using(backend):
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
        out / "run_info.json",
        {"experiment": name, "seconds": elapsed, "device": str(device), "backend": backend.name},
    )
    return record
