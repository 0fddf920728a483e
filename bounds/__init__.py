"""Pure-math layer of jacobound: the paper's theorems as calculators (numpy/scipy/sympy, float64).

Oymak, Fabian, Li, Soltanolkotabi, *Generalization Guarantees for Neural Networks via Harnessing
the Low-rank Structure of the Jacobian*.  Every theorem is a function ``theorem_X_Y(**scalars)``
returning a :class:`Report` with its conclusions and every hypothesis; ``from_data`` and
``from_jacobian`` compute the data quantities first.  The theorem functions are generated from
the registry :data:`bounds.formulas.DEFS` (see :mod:`bounds._generate`).  ``sweep``
evaluates a theorem over a grid as a tidy table (``.plot()``, ``.to_frame()``).  This package
never imports torch.
"""

from . import fractions, kernels, symbolic, theorems
from ._functions import *  # noqa: F403  (every theorem_* / lemma_* of the registry)
from ._version import __version__ as __version__
from .data_quantities import (
    DataQuantities,
    class_major,
    from_data,
    from_jacobian,
    kernel_split,
    spectral_norm,
)
from .report import Condition, Report
from .spectral import InfoNuisance, corollary_6_6_bound
from .sweep import SweepResult, sweep
from .theorems import *  # noqa: F403  (evaluate, list_theorems, lemma_6_2, ...)

__all__ = [
    "Condition",
    "DataQuantities",
    "InfoNuisance",
    "Report",
    "SweepResult",
    "class_major",
    "corollary_6_6_bound",
    "fractions",
    "from_data",
    "from_jacobian",
    "kernel_split",
    "kernels",
    "spectral_norm",
    "sweep",
    "symbolic",
]
__all__ += theorems.__all__  # its own functions and the generated ones (_functions.__all__)
