"""Experiments, one module each; each registers itself in ``REGISTRY`` (name -> Experiment).

Importing this package imports every module in it, so a new experiment is one new file: its
``register(Experiment(...))`` puts it into ``jacobound list``, ``run``, ``demo``, the docs pages
and the contract tests.
"""

import importlib
import pkgutil

from .base import REGISTRY, Experiment, demo_names, register, run_experiment, unregister

#: Modules of this package that hold plumbing, not experiments.
_PLUMBING = frozenset({"base", "checks", "common"})

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in _PLUMBING:
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["REGISTRY", "Experiment", "demo_names", "register", "run_experiment", "unregister"]
