"""Activations, each defined once: ``phi``, ``phi'``, ``phi''`` and the bound ``B`` of the theorems.

A formula is written against an array namespace ``xp`` (:class:`ArrayOps`: ``exp``, ``erf``,
``sigmoid``, ``softplus``, ``relu``, ``step`` and a few in-place operations), so the same text
is evaluated by numpy here (:data:`NUMPY`, for the kernels of :mod:`bounds.kernels`) and by
torch in :mod:`simulate.backend` (``TORCH``, for the network).  :data:`ACTIVATIONS` is the
registry both read; :func:`register_activation` adds one, which is then available to
:func:`bounds.from_data`, :func:`bounds.kernels.ntk` and ``simulate.model.init_random`` alike.
The tests check, for every registered activation, that numpy and torch agree on a float64 grid
and that ``B`` bounds ``|phi'|`` and ``|phi''|`` there.

Examples
--------
>>> act = get_activation("softplus")
>>> f = act.on(NUMPY)
>>> round(float(f.phi(np.float64(0.0))), 12), float(f.dphi(np.float64(0.0))), act.B
(0.69314718056, 0.5, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]

__all__ = [
    "ACTIVATIONS",
    "NUMPY",
    "Activation",
    "ArrayOps",
    "BoundActivation",
    "get_activation",
    "register_activation",
    "unregister_activation",
]


class ArrayOps(Protocol):
    """The operations an activation formula may use, on one array library.

    Arithmetic (``+ - * /``, unary minus, powers, Python-float constants) is written with the
    operators; everything else goes through these.  The in-place operations (trailing ``_``)
    overwrite their first argument and return it.
    """

    name: str

    def exp(self, x: Any) -> Any: ...
    def erf(self, x: Any) -> Any: ...
    def sigmoid(self, x: Any) -> Any: ...
    def softplus(self, x: Any) -> Any: ...
    def relu(self, x: Any) -> Any: ...
    def step(self, x: Any) -> Any: ...
    def exp_(self, x: Any) -> Any: ...
    def sigmoid_(self, x: Any) -> Any: ...
    def square_(self, x: Any) -> Any: ...
    def mul_(self, x: Any, c: float) -> Any: ...
    def assign_(self, x: Any, value: Any) -> Any: ...


#: The names :class:`ArrayOps` requires (checked for every namespace by the tests).
OPS_NAMES = "exp erf sigmoid softplus relu step exp_ sigmoid_ square_ mul_ assign_".split()


class _NumpyOps:
    """:class:`ArrayOps` on numpy float64 arrays (scipy for ``erf`` and the logistic)."""

    name = "numpy"

    @staticmethod
    def exp(x: Any) -> Any:
        return np.exp(x)

    @staticmethod
    def erf(x: Any) -> Any:
        return special.erf(x)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return special.expit(x)

    @staticmethod
    def softplus(x: Any) -> Any:
        return np.logaddexp(0.0, x)

    @staticmethod
    def relu(x: Any) -> Any:
        return np.maximum(x, 0.0)

    @staticmethod
    def step(x: Any) -> Any:
        return (np.asarray(x) > 0).astype(np.float64)

    @staticmethod
    def exp_(x: Any) -> Any:
        return np.exp(x, out=x)

    @staticmethod
    def sigmoid_(x: Any) -> Any:
        return special.expit(x, out=x)

    @staticmethod
    def square_(x: Any) -> Any:
        return np.square(x, out=x)

    @staticmethod
    def mul_(x: Any, c: float) -> Any:
        return np.multiply(x, c, out=x)

    @staticmethod
    def assign_(x: Any, value: Any) -> Any:
        np.copyto(x, value)
        return x


#: numpy's :class:`ArrayOps`.
NUMPY: ArrayOps = _NumpyOps()

#: A formula: ``(z, xp) -> value`` on an array ``z`` of the namespace ``xp``.
Formula = Callable[[Any, ArrayOps], Any]


@dataclass(frozen=True)
class BoundActivation:
    """An :class:`Activation` evaluated on one array library: one-argument callables."""

    name: str
    phi: Callable[[Any], Any]
    dphi: Callable[[Any], Any]
    ddphi: Callable[[Any], Any] | None
    dphi_: Callable[[Any], Any]  # in place: overwrites its argument with phi'
    B: float
    smooth: bool


@dataclass(frozen=True)
class Activation:
    """An activation ``phi`` with its derivatives and the bound ``B`` used by the theorems.

    Parameters
    ----------
    name : str
        Identifier (``"softplus"``, ``"gaussian"``, ``"relu"`` or a user name).
    phi, dphi, ddphi : callable
        Formulas ``(z, xp) -> phi(z)``, ``phi'(z)``, ``phi''(z)`` written against an
        :class:`ArrayOps` namespace ``xp``.  ``ddphi`` is None when ``phi''`` does not exist as
        a bounded function (ReLU): the theorems then do not cover the activation.
    B : float
        Bound with ``|phi(0)|, |phi'(z)|, |phi''(z)| <= B`` for all ``z`` (docs/theory.md#activation).
    dual : callable, optional
        Closed form ``(rho, a, b) -> E[phi'(u) phi'(v)]`` (stds ``a, b``, correlation ``rho``,
        broadcasting float64 arrays), used by :func:`bounds.kernels.dual_expectation` instead of
        quadrature.
    dphi_inplace : callable, optional
        ``(z, xp) -> z`` overwriting ``z`` with ``phi'(z)`` without a temporary of its size
        (the training step's memory saving); defaults to assigning ``dphi(z, xp)``.
    """

    name: str
    phi: Formula
    dphi: Formula
    ddphi: Formula | None
    B: float
    dual: Callable[[Array, Array, Array], Array] | None = None
    dphi_inplace: Formula | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"activation name must be an identifier, got {self.name!r}")
        if not (isinstance(self.B, int | float) and math.isfinite(self.B) and self.B > 0):
            raise ValueError(f"activation {self.name}: B must be a positive number, got {self.B!r}")
        for field_name in ("phi", "dphi"):
            if not callable(getattr(self, field_name)):
                raise TypeError(f"activation {self.name}: {field_name} must be callable")

    @property
    def smooth(self) -> bool:
        """Whether ``phi''`` is bounded, i.e. the theorems cover this activation (ReLU: no)."""
        return self.ddphi is not None

    def on(self, xp: ArrayOps) -> BoundActivation:
        """The activation's functions evaluated with the array namespace ``xp``."""
        phi, dphi, ddphi, inplace = self.phi, self.dphi, self.ddphi, self.dphi_inplace

        def dphi_(z: Any) -> Any:
            if inplace is not None:
                return inplace(z, xp)
            return xp.assign_(z, dphi(z, xp))

        return BoundActivation(
            name=self.name,
            phi=lambda z: phi(z, xp),
            dphi=lambda z: dphi(z, xp),
            ddphi=None if ddphi is None else (lambda z: ddphi(z, xp)),
            dphi_=dphi_,
            B=float(self.B),
            smooth=self.smooth,
        )


def _step_dual(rho: Array, a: Array, b: Array) -> Array:
    """``E[1(u > 0) 1(v > 0)] = P(u > 0, v > 0) = (pi - arccos rho) / (2 pi)`` (Sheppard).

    The scales do not matter unless one is zero, where ``phi'(0) = 0`` makes the product zero.
    """
    val = (np.pi - np.arccos(rho)) / (2 * np.pi)
    return np.where((a > 0) & (b > 0), val, 0.0)


_SQRT_HALF_PI = math.sqrt(math.pi / 2)
_SQRT_HALF = math.sqrt(0.5)

#: The registry of activations, read by :mod:`bounds.kernels` and by ``simulate``.
#:
#: - softplus ``log(1 + e^z)``: ``|phi(0)| = log 2``, ``phi' = sigmoid <= 1``,
#:   ``phi'' = sigmoid(z) sigmoid(-z) <= 1/4`` (written so, not ``s (1 - s)``, to keep its
#:   relative accuracy for large ``z``), so ``B = 1``;
#: - gaussian (``phi' = e^{-z^2/2}``, ``phi = sqrt(pi/2) erf(z/sqrt 2)``): ``|phi(0)| = 0``,
#:   ``|phi'| <= 1``, ``|phi''| = |z| e^{-z^2/2} <= e^{-1/2}``, so ``B = 1``;
#: - relu: ``phi' = 1(z > 0)`` jumps, no bounded ``phi''`` (not covered by the theorems);
#:   ``B = 1`` bounds ``|phi'|``.
ACTIVATIONS: dict[str, Activation] = {}


def register_activation(act: Activation) -> Activation:
    """Add ``act`` to :data:`ACTIVATIONS` (a name already registered is refused)."""
    if not isinstance(act, Activation):
        raise TypeError(f"register_activation takes an Activation, got {type(act).__name__}")
    if act.name in ACTIVATIONS:
        raise ValueError(f"activation {act.name!r} is already registered")
    ACTIVATIONS[act.name] = act
    return act


def unregister_activation(name: str) -> Activation:
    """Remove a registered activation (e.g. a test's toy) and return it."""
    return ACTIVATIONS.pop(get_activation(name).name)


register_activation(
    Activation(
        "softplus",
        phi=lambda z, xp: xp.softplus(z),
        dphi=lambda z, xp: xp.sigmoid(z),
        ddphi=lambda z, xp: xp.sigmoid(z) * xp.sigmoid(-z),
        B=1.0,
        dphi_inplace=lambda z, xp: xp.sigmoid_(z),
    )
)
register_activation(
    Activation(
        "gaussian",
        phi=lambda z, xp: _SQRT_HALF_PI * xp.erf(z * _SQRT_HALF),
        dphi=lambda z, xp: xp.exp(-(z * z) / 2),
        ddphi=lambda z, xp: -z * xp.exp(-(z * z) / 2),
        B=1.0,
        dphi_inplace=lambda z, xp: xp.exp_(xp.mul_(xp.square_(z), -0.5)),
    )
)
register_activation(
    Activation(
        "relu",
        phi=lambda z, xp: xp.relu(z),
        dphi=lambda z, xp: xp.step(z),
        ddphi=None,
        B=1.0,
        dual=_step_dual,
    )
)


def get_activation(activation: str | Activation) -> Activation:
    """Look up a registered activation by name, or pass an :class:`Activation` through."""
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str):
        from .validate import _describe

        raise TypeError(
            f"activation must be a name in {sorted(ACTIVATIONS)} or an Activation, got "
            f"{_describe(activation)} ({type(activation).__name__})"
        )
    try:
        return ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)} or an Activation, got {activation!r}"
        ) from None
