"""Experiments, one module each; ``REGISTRY`` maps names to modules."""

from . import corruption, dynamics, generalization, linear, mixture, spectrum, tracking
from .base import REGISTRY, register, run_experiment

for _m in (spectrum, tracking, generalization, dynamics, corruption, linear, mixture):
    register(_m)

__all__ = ["REGISTRY", "run_experiment"]
