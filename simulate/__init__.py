"""Torch layer of jacobound: the paper's shallow networks, data models, training and experiments.

Closed-form Jacobian operations (eqs. 6.27-6.29) instead of autograd; ``device="auto"`` picks
CUDA when present.  Everything spectral is float64.  Calls into :mod:`bounds` (numpy) at the
boundary.  Needs the ``simulate`` extra: ``pip install "jacobound[simulate]"``.
"""

from bounds._version import __version__ as __version__

try:
    import torch  # noqa: F401  (the one dependency every module here needs)
except ModuleNotFoundError as exc:  # pragma: no cover - exercised by the torch-free test
    raise ModuleNotFoundError(
        f"simulate needs {exc.name}, which is not installed: pip install 'jacobound[simulate]'",
        name=exc.name,
    ) from exc

from .backend import resolve_device
from .model import ShallowNet, init_random, nu_for_random_init

__all__ = ["ShallowNet", "init_random", "nu_for_random_init", "resolve_device"]
