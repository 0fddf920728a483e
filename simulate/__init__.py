"""Torch layer of jacobound: the paper's shallow networks, data models, training and experiments.

Closed-form Jacobian operations (eqs. 6.27-6.29) instead of autograd; ``device="auto"`` picks
CUDA when present.  Everything spectral is float64.  Calls into :mod:`bounds` (numpy) at the
boundary.
"""

from .backend import resolve_device
from .model import ShallowNet, init_random, nu_for_random_init

__all__ = ["ShallowNet", "init_random", "nu_for_random_init", "resolve_device"]
