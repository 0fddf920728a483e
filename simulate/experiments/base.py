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
import json
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


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # finite (validated): repr is valid TOML for ints and floats
    if isinstance(value, str):
        # A TOML basic string: JSON's escapes are TOML's, but a character beyond U+FFFF must
        # stay itself (JSON would write a surrogate pair) and DEL must be escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__} {value!r}")


def config_toml(name: str, overrides: Mapping[str, Any] | None = None) -> str:
    """The effective config of experiment ``name`` as TOML: every key, defaults included.

    Validated like a run's (:func:`make_config`); each key has its help (:func:`field_docs`) as
    a comment above it, and one that differs from its default says so.  Read back with
    ``--config``, it gives the same config.

    Examples
    --------
    >>> [line for line in config_toml("linear", {"n": 40}).splitlines() if line.startswith("n ")]
    ['n = 40  # default 200']
    """
    from bounds.cli import plain_text

    exp = _get(name)
    config = make_config(exp.config, overrides or {})
    default = exp.config()
    helps = field_docs(exp.config)
    lines = [f"# jacobound run {name}: effective config (jacobound {io.package_version()})"]
    for f in dataclasses.fields(config):
        val, dflt = getattr(config, f.name), getattr(default, f.name)
        if f.name in helps:
            text = plain_text(helps[f.name])
            lines += textwrap.wrap(text, 96, initial_indent="# ", subsequent_indent="# ")
        note = "" if val == dflt else f"  # default {_toml_value(dflt)}"
        lines.append(f"{f.name} = {_toml_value(val)}{note}")
    return "\n".join(lines) + "\n"


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


def _get(name: str) -> Experiment:
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


#: Written into a run directory before its experiment starts: which experiment and config it
#: holds, the run's id and start time.  A rerun finds its own directory by it.
RUN_MARKER = "run.json"


class RunRecord(dict[str, Any]):
    """What :func:`run_experiment` returns: the ``results.json`` record, and where it went.

    ``out`` is the run's directory: the ``out`` asked for, or a new subdirectory of it when that
    held a run of another config (``moved_because`` then says what differed).
    """

    out: Path
    moved_because: str | None


def _occupant(folder: Path) -> dict[str, Any] | None:
    """The experiment and config hash of the run in ``folder``, or ``None`` when there is none.

    A marker from :data:`RUN_MARKER`; for a folder written before markers existed, its
    ``results.json``.  A folder that holds neither is free.
    """
    for fname in (RUN_MARKER, "results.json"):
        path = folder / fname
        if path.is_file():
            try:
                data = io.read_json(path)
            except (OSError, ValueError):
                data = None
            if isinstance(data, dict) and isinstance(data.get("config"), dict):
                return {
                    "experiment": data.get("experiment"),
                    "config_hash": io.config_key(data["config"]),
                    "config": data["config"],
                    "run": data.get("run") if isinstance(data.get("run"), dict) else None,
                }
            return {"experiment": None, "config_hash": None, "config": {}, "run": None}
    return None


def _difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    keys = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    shown = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys[:4])
    return shown + (f" and {len(keys) - 4} more" if len(keys) > 4 else "") or "unreadable run"


def run_directory(
    out: Path | str, name: str, config: Any
) -> tuple[Path, dict[str, Any] | None, str | None]:
    """Where a run of ``name`` with ``config`` goes, asked for at ``out``.

    Returns ``(folder, occupant, moved_because)``.  The folder is ``out`` when it is free or
    holds a run of this experiment and config (the run resumes there and reuses what it
    finished); else the subdirectory of ``out`` that holds this config, if a rerun put one
    there; else a new one, ``out/<run id>``.  Nothing is ever overwritten by a run of another
    config.
    """
    out = Path(out)
    plain = io._plain(dataclasses.asdict(config))
    key = io.config_key(plain)
    here = _occupant(out)
    if here is None or (here["experiment"], here["config_hash"]) == (name, key):
        return out, here, None
    moved = (
        _difference(here["config"], plain)
        if here["experiment"] == name
        else f"experiment {here['experiment']!r}"
    )
    for sub in sorted(p for p in out.iterdir() if p.is_dir()):
        there = _occupant(sub)
        if there is not None and (there["experiment"], there["config_hash"]) == (name, key):
            return sub, there, moved
    return out, None, moved  # the caller names the new subdirectory after the new run id


def run_experiment(
    name: str,
    out: Path | str,
    overrides: Mapping[str, Any] | None = None,
    *,
    progress: bool = True,
    backend: str | sweep.Backend = "local",
    address: str | None = None,
) -> RunRecord:
    """Validate the config, run, and write ``results.json``, CSVs, plots and ``run_info.json``.

    The run goes to ``out``, or to a subdirectory of it when ``out`` holds a run of another
    config (:func:`run_directory`; the returned record's ``out`` says where).  ``results.json``
    records the run's provenance under ``run``: its id, its start time (UTC), the package
    version, the git revision of the sources (``None`` outside a git checkout) and whether the
    checkout had uncommitted changes.  Deterministic numbers for a given seed on CPU: the
    provenance and the timings (``run_info.json``) are the only fields that differ between two
    runs of one config.  ``backend`` (``"local"``, ``"ray"`` or a :class:`simulate.sweep.Backend`)
    computes the points of a sweep (:func:`simulate.sweep.map_points`); ``address`` is the Ray
    cluster's ``HOST:PORT``.  The results do not depend on it (it is recorded in
    ``run_info.json``).
    """
    mod = _get(name)
    config = make_config(mod.config, overrides or {})
    check_output_dir(out)
    device = resolve_device(config.device)
    if isinstance(backend, str):
        backend = sweep.make_backend(backend, address, num_gpus=int(device.type == "cuda"))
    elif address is not None:
        raise ValueError("address goes with backend='ray' given by name, not with a Backend")
    folder, occupant, moved = run_directory(out, name, config)
    known = occupant["run"] if occupant is not None else None
    if known is not None and isinstance(known.get("id"), str):
        run_id, started = known["id"], str(known.get("started_utc"))
    else:
        run_id, started = io.new_run_id()
    if moved is not None and folder == Path(out):
        folder = Path(out) / run_id
    out = folder
    out.mkdir(parents=True, exist_ok=True)
    io.remove_stale_temps(out)  # a killed write's leftovers (runs/ is cleaned by cached_run)
    plain = io._plain(dataclasses.asdict(config))
    revision, dirty = io.git_revision()
    run = {
        "id": run_id,
        "started_utc": started,
        "jacobound": io.package_version(),
        "git_revision": revision,
        "git_dirty": dirty,
        "config_hash": io.config_key(plain),
    }
    io.write_json(out / RUN_MARKER, {"experiment": name, "config": plain, "run": run})
    torch.manual_seed(config.seed)
    t0 = time.perf_counter()
    with sweep.using(backend):
        results = mod.run(config, out, progress)
    elapsed = time.perf_counter() - t0
    record = RunRecord(
        {
            "experiment": name,
            "config": dataclasses.asdict(config),
            "seed": config.seed,
            "device": str(device),
            "versions": io.versions(),
            "run": run,
            **results,
        }
    )
    for cname, cols in results.get("curves", {}).items():
        io.write_csv(out / f"{cname}.csv", cols)
    record["figures"] = mod.plot(record, out)
    io.write_json(out / "results.json", record)
    io.write_json(
        out / "run_info.json",
        {"experiment": name, "seconds": elapsed, "device": str(device), "backend": backend.name},
    )
    record.out, record.moved_because = out, moved
    return record
