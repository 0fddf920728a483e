"""Experiments, one module each; ``REGISTRY`` maps names to modules."""

from . import corruption, dynamics, linear, spectrum, tracking
from .base import REGISTRY, register, run_experiment

for _m in (spectrum, tracking, dynamics, corruption, linear):
    register(_m)

__all__ = ["REGISTRY", "run_experiment"]
