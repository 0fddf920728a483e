"""Experiment plumbing: validated configs, the registry, and the runner that writes results.

An experiment is a module with a frozen ``Config`` dataclass, ``run(config, out, progress) ->
dict`` (JSON-ready: ``summary``, ``series``, ``tables``, ``checks``, ``predicted_vs_observed``) and
``plot(results, out) -> list[str]``.
"""

from __future__ import annotations

import dataclasses
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


def register(module: types.ModuleType) -> types.ModuleType:
    REGISTRY[module.NAME] = module
    return module


@dataclasses.dataclass(frozen=True)
class BaseConfig:
    """Fields every experiment has."""

    seed: int = 0
    device: str = "auto"

    def validate(self) -> None:
        """Range checks; subclasses extend (each raises ``ValueError`` naming the field)."""
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        resolve_device(self.device)

    def __post_init__(self) -> None:
        self.validate()


def positive(cfg: Any, *names: str, integer: bool = False) -> None:
    """Check that each named field is positive (and an integer when asked)."""
    for name in names:
        val = getattr(cfg, name)
        vals = val if isinstance(val, tuple) else (val,)
        for x in vals:
            ok = isinstance(x, int) if integer else isinstance(x, int | float)
            if not ok or not np.isfinite(x) or x <= 0:
                kind = "positive integer" if integer else "positive number"
                raise ValueError(f"{name} must be a {kind} (or a tuple of them), got {val!r}")


def _coerce(tp: Any, value: Any, name: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} must be a list, got {value!r}")
        (inner, *_rest) = typing.get_args(tp)
        return tuple(_coerce(inner, v, name) for v in value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float, str, bool) and not isinstance(value, tp):
        raise ValueError(f"{name} must be of type {tp.__name__}, got {value!r}")
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
    with open(path, "rb") as fh:
        return tomllib.load(fh)


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
