"""Pure-math layer of jacobound: the paper's theorems as calculators (numpy/scipy/sympy, float64).

Oymak, Fabian, Li, Soltanolkotabi, *Generalization Guarantees for Neural Networks via Harnessing
the Low-rank Structure of the Jacobian*.  Every theorem is a function ``theorem_X_Y(**scalars)``
returning a :class:`Report` with its conclusions and every hypothesis; ``from_data`` and
``from_jacobian`` compute the data quantities first.  This package never imports torch.
"""

from . import kernels, symbolic
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
from .theorems import (
    assumption_2_eps,
    delta_star_5_3,
    evaluate,
    lemma_6_2,
    lemma_6_13,
    lemma_6_14,
    lemma_6_18,
    lemma_6_19,
    lemma_6_20,
    list_theorems,
    nu_random_init,
    theorem_2_2,
    theorem_2_3,
    theorem_2_5,
    theorem_5_3,
    theorem_6_21,
    theorem_6_22,
    theorem_6_23,
    theorem_6_24,
    theorem_6_25,
    theorem_a_3,
    width_5_3,
)

__all__ = [
    "Condition",
    "DataQuantities",
    "InfoNuisance",
    "Report",
    "assumption_2_eps",
    "class_major",
    "corollary_6_6_bound",
    "delta_star_5_3",
    "evaluate",
    "from_data",
    "from_jacobian",
    "kernel_split",
    "kernels",
    "lemma_6_2",
    "lemma_6_13",
    "lemma_6_14",
    "lemma_6_18",
    "lemma_6_19",
    "lemma_6_20",
    "list_theorems",
    "nu_random_init",
    "spectral_norm",
    "symbolic",
    "theorem_2_2",
    "theorem_2_3",
    "theorem_2_5",
    "theorem_5_3",
    "theorem_6_21",
    "theorem_6_22",
    "theorem_6_23",
    "theorem_6_24",
    "theorem_6_25",
    "theorem_a_3",
    "width_5_3",
]
