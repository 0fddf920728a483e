"""Every theorem of the paper as sympy expressions: the single source of truth.

Numeric evaluation (:mod:`bounds.theorems`) is generated from these expressions with
``sympy.lambdify``, and the symbolic API (:mod:`bounds.symbolic`) returns them as they are, so a
formula is written exactly once.  Constants, exponents and normalisations are those of the
theory page (docs/theory.md); each definition cites its equation numbers, and the reading notes and
resolved inconsistencies it relies on by their anchors there (:func:`bounds.references.see`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .references import see

# ---------------------------------------------------------------------------- symbols
_POSITIVE = (
    "alpha Gamma zeta k n K C B nu eta delta c C_r lambda_M X_norm beta lambda_1 y_norm "
    "M_W R energy"
).split()
_NONNEGATIVE = (
    "sigma y_info y_nuisance y_pinv r0_norm r0_info r0_nuisance r0_pinv distance eps0 eps "
    "M_V train_loss"
).split()

SYMBOLS: dict[str, sp.Symbol] = {name: sp.Symbol(name, positive=True) for name in _POSITIVE}
SYMBOLS.update({name: sp.Symbol(name, nonnegative=True) for name in _NONNEGATIVE})

#: LaTeX names for printing (the paper's notation).
LATEX_NAMES = {
    "alpha": r"\alpha",
    "Gamma": r"\Gamma",
    "zeta": r"\zeta",
    "nu": r"\nu",
    "eta": r"\eta",
    "delta": r"\delta",
    "sigma": r"\sigma",
    "lambda_M": r"\lambda_M",
    "C_r": "C_r",
    "X_norm": r"\|X\|",
    "beta": r"\beta",
    "lambda_1": r"\lambda_1",
    "y_norm": r"\|y\|",
    "y_info": r"\|\Pi_{\mathcal I}(y)\|",
    "y_nuisance": r"\|\Pi_{\mathcal N}(y)\|",
    "y_pinv": r"\|J_{\mathcal I}^\dagger y\|",
    "r0_norm": r"\|r_0\|",
    "r0_info": r"\|\Pi_{\mathcal I}(r_0)\|",
    "r0_nuisance": r"\|\Pi_{\mathcal N}(r_0)\|",
    "r0_pinv": r"\|J_{\mathcal I}^\dagger r_0\|",
    "distance": r"D_{\alpha,\Gamma}",
    "eps0": r"\varepsilon_0",
    "eps": r"\varepsilon",
    "M_W": r"M_{\mathcal W}",
    "M_V": r"M_{\mathcal V}",
    "energy": r"\mathcal E",
    "train_loss": "L",
}


# Each module-level symbol is bound by its name, so reordering the lists above cannot rebind it.
alpha = SYMBOLS["alpha"]
Gamma = SYMBOLS["Gamma"]
zeta = SYMBOLS["zeta"]
k = SYMBOLS["k"]
n = SYMBOLS["n"]
K = SYMBOLS["K"]
C = SYMBOLS["C"]
B = SYMBOLS["B"]
nu = SYMBOLS["nu"]
eta = SYMBOLS["eta"]
delta = SYMBOLS["delta"]
c = SYMBOLS["c"]
C_r = SYMBOLS["C_r"]
lambda_M = SYMBOLS["lambda_M"]
X = SYMBOLS["X_norm"]
beta = SYMBOLS["beta"]
lambda_1 = SYMBOLS["lambda_1"]
y_norm = SYMBOLS["y_norm"]
M_W = SYMBOLS["M_W"]
R = SYMBOLS["R"]
energy = SYMBOLS["energy"]
sigma = SYMBOLS["sigma"]
y_info = SYMBOLS["y_info"]
y_nuisance = SYMBOLS["y_nuisance"]
y_pinv = SYMBOLS["y_pinv"]
r0_norm = SYMBOLS["r0_norm"]
r0_info = SYMBOLS["r0_info"]
r0_nuisance = SYMBOLS["r0_nuisance"]
r0_pinv = SYMBOLS["r0_pinv"]
D = SYMBOLS["distance"]
eps0 = SYMBOLS["eps0"]
eps = SYMBOLS["eps"]
M_V = SYMBOLS["M_V"]
L = SYMBOLS["train_loss"]

half = sp.Rational(1, 2)
ONE = sp.Integer(1)
e_G = sp.exp(-Gamma)

# ---------------------------------------------------------------------------- shared facts
#: (6.67): output-layer scale for random initialisation, V = Rademacher * nu / sqrt(k K).
NU_RANDOM_INIT = zeta / (50 * B * sp.sqrt(sp.log(2 * K)))
#: Lemma 6.10: ||J(W)|| <= nu B ||X|| when ||V||_inf <= nu / sqrt(kK); the largest step size of
#: Theorems 6.19-6.25 is its inverse square.
BETA_SHALLOW = nu * B * X
STEP_SHALLOW = 1 / BETA_SHALLOW**2
#: Lemma 6.10 (unit-norm rows, |phi'|, |phi''| <= B, ||V||_inf <= nu/sqrt(kK)): J(W) is
#: (nu B ||X|| / sqrt(k))-Lipschitz in ||W||_F, so Assumption 2 holds on the ball of radius R
#: with eps = 2 R nu B ||X|| / sqrt(k).
LIPSCHITZ_SHALLOW = BETA_SHALLOW / sp.sqrt(k)
#: Cutoff of Theorems 6.21/6.22 on J(W_0) (docs/theory.md#r21-cutoff-arbitrary).
CUTOFF_ARBITRARY = nu * B * alpha * sp.sqrt(sp.sqrt(n) * X)
#: Cutoff of Theorems 6.23-6.25 on Sigma(X)^{1/2} (docs/theory.md#r26-cutoff-random).
CUTOFF_RANDOM = alpha * B * sp.sqrt(sp.sqrt(n) * K * X)
#: Cutoff of Theorem A.3 / 2.5 on Sigma(X)^{1/2}: alpha_0^2 = n lambda_M / (2KC).
CUTOFF_MIXTURE = sp.sqrt(n * lambda_M / (2 * K * C))
#: Width of Theorem 6.25, (6.89); it implies (6.68) of Theorem 6.23 since ||X||^2 <= n.
WIDTH_6_89 = (
    sp.Integer(12 * 10**7)
    * Gamma**4
    * K**4
    * B**8
    * X**4
    * n**2
    * sp.log(n)
    / (c**4 * zeta**4 * CUTOFF_RANDOM**8)
)
#: Confidence term of Lemma 6.16 as used by Theorems 6.21, 6.22, 6.24 (docs/theory.md#i11-confidence-constant).
CONFIDENCE = 5 * sp.sqrt(sp.log(2 / delta) / n)


# ---------------------------------------------------------------------------- definitions
@dataclass(frozen=True)
class ConditionDef:
    """A hypothesis ``lhs relation rhs``; ``applies`` (a sympy boolean) limits when it is needed.

    ``fatal`` marks range requirements on the inputs (e.g. the cutoff not above ``lambda_1``):
    violating one is a :class:`ValueError`, not a failing hypothesis, whose message ends with
    ``hint`` (what to change; required for a fatal condition).
    """

    name: str
    lhs: sp.Expr
    relation: str
    rhs: sp.Expr
    description: str
    applies: sp.Basic | None = None
    fatal: bool = False
    hint: str = ""

    def __post_init__(self) -> None:
        if self.relation not in ("<=", ">=", "<", ">"):
            raise ValueError(f"condition {self.name}: relation must be <=, >=, < or >")
        if self.fatal and not self.hint.strip():
            raise ValueError(
                f"fatal condition {self.name} needs a hint (what the user should change)"
            )

    @property
    def relational(self) -> sp.Basic:
        op = {"<=": sp.Le, ">=": sp.Ge, "<": sp.Lt, ">": sp.Gt}[self.relation]
        return op(self.lhs, self.rhs, evaluate=False)


#: Inputs that count things: positive integers (an integral float such as ``1e6`` is accepted).
INTEGER_INPUTS = frozenset({"k", "n", "K", "C"})
#: ``(lo, hi, lo_open, hi_open)`` of an input when its theorem gives no range of its own; other
#: inputs are ``[0, inf)``, or ``(0, inf)`` for the symbols declared positive.
DEFAULT_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "Gamma": (1.0, float("inf"), False, False),
    "zeta": (0.0, float("inf"), True, False),
    "delta": (0.0, 1.0, True, True),
    "c": (0.0, 1.0, True, False),
}

#: Reference matrices a theorem's spaces are taken on (``TheoremDef.reference``): ``"kernel"``
#: is ``Sigma(X)^{1/2}`` (Definition 2.1), computed by :func:`bounds.from_data` from ``X``;
#: ``"jacobian"`` is a Jacobian ``J`` (or its Gram ``J J^T``) given to
#: :func:`bounds.from_jacobian`; ``"centers"`` is ``Sigma(M)`` of the cluster centres, of which
#: only ``lambda_M = lambda_min`` is read (:func:`bounds.from_data` with ``centers=``).
REFERENCES = {
    "kernel": "Sigma(X)^{1/2}",
    "jacobian": "J",
    "centers": "Sigma(M) of the cluster centres",
}
#: Vectors whose projections a theorem reads (``TheoremDef.vector``): the class-major labels
#: ``y`` or the initial residual ``r0 = f(W0) - y``.
VECTORS = {"y": "the class-major labels y", "r0": "the initial residual r0 = f(W0) - y"}

#: Meaning (and where it matters, units and normalisation) of every symbol, for the generated
#: docstrings of :mod:`bounds.theorems` and the CLI help.  A theorem where a symbol means
#: something more specific says so in ``TheoremDef.arg_docs``.  Every norm is Euclidean, of a
#: class-major vector (docs/theory.md#class-major), or spectral, of a matrix; every quantity is dimensionless.
SYMBOL_DOCS: dict[str, str] = {
    "alpha": "cutoff parameter alpha; the actual cutoff on the reference matrix is the "
    "report's ``cutoff``",
    "Gamma": "stopping scale Gamma >= 1: gradient descent runs T = Gamma/(eta cutoff^2) steps",
    "zeta": "precision zeta of the optimisation",
    "delta": "failure probability delta",
    "k": "width: number of hidden units",
    "n": "number of training samples",
    "K": "number of classes (output dimension)",
    "C": "number of clusters per class (Definition 2.4)",
    "B": "bound on |phi(0)|, |phi'| and |phi''| of the activation (softplus: 1)",
    "nu": "output-layer scale nu: V has entries +-nu/sqrt(kK)",
    "eta": "step size eta of gradient descent",
    "c": "information ratio c: the hypothesis ||Pi_I(y)|| >= c ||y||",
    "C_r": "residual scale C_r >= ||r0||/sqrt(n)",
    "lambda_M": "lambda_M = lambda_min(Sigma(M)), smallest eigenvalue of the kernel of the "
    "cluster centres",
    "X_norm": "||X||, spectral norm of the (n, d) input matrix (<= sqrt(n) for unit-norm rows)",
    "beta": "beta, upper bound on the spectral norm of the Jacobian (Definition 5.1)",
    "lambda_1": "lambda_1, largest singular value of the reference matrix",
    "y_norm": "||y||, norm of the class-major label vector",
    "M_W": "M_W, bound on the distance of the hidden weights from initialisation (6.40)",
    "R": "R, sqrt(k) times the row-wise radius of (6.40)",
    "energy": "E, energy of the output weights (6.40)",
    "sigma": "noise level sigma of the Gaussian mixture (Definition 2.4)",
    "y_info": "||Pi_I(y)||, norm of the labels' projection on the information space",
    "y_nuisance": "||Pi_N(y)||, norm of the labels' projection on the nuisance space",
    "y_pinv": "||J_I^+ y||, norm of the labels under the pseudo-inverse of the information part",
    "r0_norm": "||r0||, norm of the initial residual f(W0) - y",
    "r0_info": "||Pi_I(r0)||, norm of the residual's projection on the information space",
    "r0_nuisance": "||Pi_N(r0)||, norm of the residual's projection on the nuisance space",
    "r0_pinv": "||J_I^+ r0||, norm of the residual under the pseudo-inverse of the information part",
    "distance": "D_{alpha,Gamma}, early-stopping distance of Definition 6.1",
    "eps0": "eps0, distance of the reference Jacobian from J(W0) (Definition 5.1)",
    "eps": "eps, perturbation tolerance of Assumption 2 on the ball of radius R",
    "M_V": "M_V, bound on the output weights (6.40)",
    "train_loss": "L(V, W) = (1/n) sum_i ||y_i - f(x_i)||^2, training loss",
}

#: The placeholder of each symbol in the command line's help (``--k WIDTH``, ``--K CLASSES``):
#: distinct for every symbol, so that two inputs never look alike.
METAVARS: dict[str, str] = {
    "alpha": "ALPHA",
    "Gamma": "GAMMA",
    "zeta": "ZETA",
    "k": "WIDTH",
    "n": "SAMPLES",
    "K": "CLASSES",
    "C": "CLUSTERS",
    "B": "PHI_BOUND",
    "nu": "NU",
    "eta": "STEP",
    "delta": "DELTA",
    "c": "C_INFO",
    "C_r": "C_R",
    "lambda_M": "LAMBDA_M",
    "X_norm": "X_NORM",
    "beta": "BETA",
    "lambda_1": "LAMBDA_1",
    "y_norm": "Y_NORM",
    "M_W": "M_W",
    "R": "RADIUS",
    "energy": "ENERGY",
    "sigma": "SIGMA",
    "y_info": "Y_INFO",
    "y_nuisance": "Y_NUISANCE",
    "y_pinv": "Y_PINV",
    "r0_norm": "R0_NORM",
    "r0_info": "R0_INFO",
    "r0_nuisance": "R0_NUISANCE",
    "r0_pinv": "R0_PINV",
    "distance": "DISTANCE",
    "eps0": "EPS0",
    "eps": "EPS",
    "M_V": "M_V",
    "train_loss": "TRAIN_LOSS",
}


@dataclass(frozen=True)
class TheoremDef:
    """A theorem (or lemma) of the paper as expressions in :data:`SYMBOLS`.

    ``inputs`` are required keyword arguments; ``defaults`` are optional ones with their default
    expression; ``derived`` are fixed by the theorem (e.g. ``nu`` by (6.67)) and may not be
    given.  ``iterations`` is the real ``T``; for formal statements the evaluation uses
    ``ceil(T)`` and replaces ``Gamma`` by ``Gamma * ceil(T) / T`` (docs/theory.md#iterations).

    ``reference`` (a key of :data:`REFERENCES`) and ``vector`` (a key of :data:`VECTORS`) say
    which matrix the information/nuisance spaces are taken on and which vector is projected:
    :func:`bounds.from_data` and :func:`bounds.from_jacobian` read them.  ``doc`` (paragraphs
    after the title), ``arg_docs`` (meanings that override :data:`SYMBOL_DOCS`) and
    ``examples`` (doctest lines) make the docstring of the generated ``theorem_*`` function.
    """

    key: str
    title: str
    informal: bool
    inputs: tuple[str, ...]
    conclusions: dict[str, sp.Expr]
    conditions: tuple[ConditionDef, ...]
    cutoff: sp.Expr | None = None
    iterations: sp.Expr | None = None
    step_size: sp.Expr | None = None
    defaults: dict[str, sp.Expr] = field(default_factory=dict)
    derived: dict[str, sp.Expr] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float, bool, bool]] = field(default_factory=dict)
    probability: sp.Expr | None = None
    vacuous_key: str | None = None
    vacuous_threshold: sp.Expr = ONE
    notes: tuple[str, ...] = ()
    reference: str | None = None
    vector: str | None = None
    doc: str = ""
    arg_docs: dict[str, str] = field(default_factory=dict)
    examples: str = ""

    def __post_init__(self) -> None:
        if self.reference not in (None, *REFERENCES):
            raise ValueError(f"Theorem {self.key}: reference must be one of {sorted(REFERENCES)}")
        if self.vector not in (None, *VECTORS):
            raise ValueError(f"Theorem {self.key}: vector must be one of {sorted(VECTORS)}")
        names = (*self.inputs, *self.defaults)
        unknown = [n_ for n_ in (*names, *self.derived) if n_ not in SYMBOLS]
        if unknown:
            raise ValueError(f"Theorem {self.key}: unknown symbol(s) {', '.join(unknown)}")
        if len(set(names)) != len(names) or set(names) & set(self.derived):
            raise ValueError(f"Theorem {self.key}: inputs, defaults and derived overlap")
        extra = set(self.arg_docs) - set(names)
        if extra:
            raise ValueError(f"Theorem {self.key}: arg_docs for non-arguments {sorted(extra)}")
        if not self.function_name.isidentifier():
            raise ValueError(f"Theorem {self.key}: key gives no identifier {self.function_name!r}")

    @property
    def function_name(self) -> str:
        prefix = "lemma" if self.key.startswith("L") else "theorem"
        return f"{prefix}_{self.key.lstrip('L').replace('.', '_').lower()}"

    @property
    def arguments(self) -> tuple[str, ...]:
        """Keyword arguments of the theorem function: ``inputs`` then ``defaults``."""
        return (*self.inputs, *self.defaults)

    def input_range(self, name: str) -> tuple[float, float, bool, bool]:
        """``(lo, hi, lo_open, hi_open)`` accepted for input ``name`` (integers: ``[1, inf)``)."""
        if name in INTEGER_INPUTS:
            return (1.0, float("inf"), False, False)
        lo, hi, lo_open, hi_open = self.ranges.get(
            name, DEFAULT_RANGES.get(name, (0.0, float("inf"), False, False))
        )
        if SYMBOLS[name].is_positive and lo == 0.0:
            lo_open = True
        return lo, hi, lo_open, hi_open

    def arg_doc(self, name: str) -> str:
        """What argument ``name`` means in this theorem (spaces named by ``reference``)."""
        text = self.arg_docs.get(name, SYMBOL_DOCS.get(name, name))
        if self.reference in ("kernel", "jacobian") and name in _SPACE_NAMES:
            text += f", on the spaces of {REFERENCES[self.reference]} at the actual cutoff"
        return text


#: Inputs that are norms or distances in the information/nuisance spaces of the reference.
_SPACE_NAMES = frozenset("y_info y_nuisance y_pinv r0_info r0_nuisance r0_pinv distance".split())


def _names(text: str) -> tuple[str, ...]:
    """``"alpha Gamma k"`` -> ``("alpha", "Gamma", "k")``."""
    return tuple(text.split())


def _cond(
    name: str,
    lhs: sp.Expr | float,
    rel: str,
    rhs: sp.Expr | float,
    desc: str,
    *,
    applies: sp.Basic | None = None,
    fatal: bool = False,
    hint: str = "",
) -> ConditionDef:
    return ConditionDef(name, sp.sympify(lhs), rel, sp.sympify(rhs), desc, applies, fatal, hint)


def _error_bound(terms: dict[str, sp.Expr], train: sp.Expr, **more: sp.Expr) -> dict[str, sp.Expr]:
    """Conclusions of a generalisation theorem: the error (sum of ``terms``), each term, the
    training residual bound ``||f(W_T) - y||``, the loss ``½ residual^2`` (1.2), and ``more``."""
    return {
        "error": sp.Add(*terms.values()),
        **terms,
        "train_residual": train,
        "train_loss": half * train**2,
        **more,
    }


def _gamma() -> ConditionDef:
    return _cond("Gamma", Gamma, ">=", 1, "stopping scale Gamma >= 1")


def _step() -> ConditionDef:
    return _cond("step_size", eta, "<=", STEP_SHALLOW, "eta <= 1/(nu^2 B^2 ||X||^2)")


def _unit_rows() -> ConditionDef:
    return _cond(
        "X_norm",
        X,
        "<=",
        sp.sqrt(n),
        "||X|| <= sqrt(n) for unit-norm rows",
        fatal=True,
        hint="the rows of X must have unit norm",
    )


def _cutoff_le(cut: sp.Expr) -> ConditionDef:
    return _cond(
        "cutoff",
        cut,
        "<=",
        lambda_1,
        "cutoff <= lambda_1 (Definition 1.1)",
        fatal=True,
        hint="alpha is too large for this spectrum",
    )


ZETA_HALF = (0.0, 0.5, True, False)
DELTA_OPEN = (0.0, 1.0, True, True)
DELTA_HALF_OPEN = (0.0, 1.0, True, False)

DEFS: dict[str, TheoremDef] = {}


def register(d: TheoremDef) -> TheoremDef:
    """Add a theorem to the registry: :mod:`bounds.theorems`, the CLI and the tests read it.

    A key already registered is refused (:func:`unregister` first).
    """
    if not isinstance(d, TheoremDef):
        raise TypeError(f"register takes a TheoremDef, got {type(d).__name__}")
    if d.key in DEFS:
        raise ValueError(f"theorem {d.key!r} is already registered")
    if any(o.function_name == d.function_name for o in DEFS.values()):
        raise ValueError(f"function name {d.function_name!r} is already taken")
    DEFS[d.key] = d
    return d


def unregister(key: str) -> TheoremDef:
    """Remove a theorem added by :func:`register` (e.g. a test's toy) and return it."""
    return DEFS.pop(get(key).key)


_register = register


# Theorem 5.3 (meta theorem), eqs. (5.12)-(5.16).  alpha is the raw cutoff on J.
_R_half_5_3 = r0_pinv + Gamma / alpha * r0_nuisance + delta * Gamma / alpha * r0_norm
_register(
    TheoremDef(
        key="5.3",
        title="meta theorem: nonlinear GD tracks the linearised problem, eqs. (5.12)-(5.16)",
        informal=False,
        inputs=_names("alpha Gamma delta beta eps0 eps r0_norm r0_info r0_nuisance r0_pinv"),
        defaults={"eta": 1 / beta**2, "lambda_1": beta},
        cutoff=alpha,
        iterations=Gamma / (eta * alpha**2),
        step_size=1 / beta**2,
        conclusions={
            "residual_gap": 3 * delta * alpha / (5 * beta) * r0_norm,
            "parameter_gap": delta * Gamma / alpha * r0_norm,
            "distance_bound": _R_half_5_3,
            "radius": 2 * _R_half_5_3,
            "train_residual": e_G * r0_info + r0_nuisance + delta * alpha / beta * r0_norm,
            "train_loss": half
            * (e_G * r0_info + r0_nuisance + delta * alpha / beta * r0_norm) ** 2,
        },
        conditions=(
            _gamma(),
            _cond("step_size", eta, "<=", 1 / beta**2, "eta <= 1/beta^2"),
            _cutoff_le(alpha),
            _cond(
                "eps0",
                eps0,
                "<=",
                sp.Min(delta * alpha, sp.sqrt(delta * alpha**3 / (Gamma * beta))) / 5,
                "(5.13) eps0 <= min(delta alpha, sqrt(delta alpha^3/(Gamma beta)))/5",
            ),
            _cond(
                "eps",
                eps,
                "<=",
                delta * alpha**3 / (5 * Gamma * beta**2),
                "(5.13) eps <= delta alpha^3/(5 Gamma beta^2); eps from Assumption 2 on radius R",
            ),
        ),
        ranges={"delta": DELTA_HALF_OPEN},
        vacuous_key="train_residual",
        vacuous_threshold=r0_norm,
        reference="jacobian",
        vector="r0",
        doc="An ``(eps0, beta)`` reference Jacobian ``J`` (Definition 5.1) and Assumption 2 on "
        "the ball of radius ``R`` (5.12).  Conclusions: ``residual_gap`` (5.14, "
        "``||r_tau - r~_tau||``), ``parameter_gap``, ``distance_bound`` (5.15), ``radius`` R, "
        "``train_residual`` (5.16).",
        arg_docs={
            "alpha": "raw cutoff alpha on the singular values of the reference Jacobian J",
            "delta": "tolerance delta of the tracking",
            "lambda_1": "lambda_1, largest singular value of J",
        },
        examples="""
        >>> rep = theorem_5_3(alpha=1.0, Gamma=2.0, delta=0.5, beta=4.0, eps0=0.0, eps=1e-3,
        ...                   r0_norm=5.0, r0_info=4.0, r0_nuisance=3.0, r0_pinv=2.0)
        >>> float(rep.residual_gap)  # 3 delta alpha ||r0|| / (5 beta)
        0.375
        >>> bool(rep.rigorous)
        True
        """,
        notes=(
            "alpha is the raw cutoff on the singular values of the reference Jacobian J.",
            f"eps must bound ||J(theta) - J(theta_0)|| <= eps/2 on the ball of radius R ({see('i8-radius')}).",
            "The first constant of (5.14) is 0.6 as printed; the corrected proof gives 0.68 "
            f"({see('i7-proof-slip-5-3')}), still below delta alpha/beta.",
        ),
    )
)

# Lemma 6.13 (concentration of J J^T at initialisation); sqrt(log n) deviation (docs/theory.md#r15-sqrt-log-n).
_register(
    TheoremDef(
        key="L6.13",
        title="concentration of J(W0) J(W0)^T around k nu^2 Sigma(X)",
        informal=False,
        inputs=_names("k n K B X_norm nu delta"),
        conclusions={
            "deviation": 30 * K * sp.sqrt(k) * nu**2 * B**2 * X**2 * sp.sqrt(sp.log(n)),
            "normalized_deviation": 30 * K * B**2 * X**2 * sp.sqrt(sp.log(n)) / sp.sqrt(k),
        },
        conditions=(
            _cond(
                "width",
                k,
                ">=",
                1000 * K**2 * B**4 * X**4 * sp.log(n) / delta**2,
                "k >= 1000 K^2 B^4 ||X||^4 log n / delta^2 gives delta-accuracy",
            ),
            _cond("n_ge_K", n, ">=", K, "n >= K"),
            _unit_rows(),
        ),
        ranges={"delta": (0.0, float("inf"), True, False)},
        probability=1 - n ** (-100),
        doc="``||J J^T - E[J J^T]|| <= 30 K sqrt(k) nu^2 B^2 ||X||^2 sqrt(log n)`` with "
        "probability 1 - n^-100.  ``normalized_deviation`` bounds ``||J J^T/(k nu^2) - "
        "Sigma(X)||``; the ``width`` hypothesis ``k >= 1000 K^2 B^4 ||X||^4 log n / delta^2`` "
        f"makes it at most ``delta`` ({see('r15-sqrt-log-n')}).",
        arg_docs={"delta": "accuracy delta > 0 of the normalised deviation"},
        notes=(
            f"deviation uses sqrt(log n) ({see('r15-sqrt-log-n')}); V has entries +-nu (variance nu^2).",
        ),
    )
)

# Lemma 6.14 (initial output is small).
_register(
    TheoremDef(
        key="L6.14",
        title="initial output bound ||f(W0)|| <= nu ||y|| with V scaled by (6.39)",
        informal=False,
        inputs=_names("nu B k K n y_norm"),
        conclusions={
            "output_norm": nu * y_norm,
            "v_scale": nu * y_norm / (50 * B * sp.sqrt(K * sp.log(2 * K) * k * n)),
        },
        conditions=(),
        probability=1 - (2 * K) ** (-100),
        doc="With V = Rademacher x ``v_scale`` (6.39), ``||f(W0)|| <= nu ||y||`` with "
        "probability 1 - (2K)^-100.",
    )
)

# Lemmas 6.17 / 6.18 (Rademacher complexity and test error), eqs. (6.41)-(6.43).
_rad = nu * B * ((M_W + energy * M_V) / sp.sqrt(n) + (R**2 + M_W * M_V) / sp.sqrt(k))
_register(
    TheoremDef(
        key="L6.18",
        title="Rademacher complexity (6.41) and test-error bound (6.42)-(6.43)",
        informal=False,
        inputs=_names("nu B n k M_W M_V R energy train_loss delta"),
        conclusions={
            "rademacher": _rad,
            "expected_loss": sp.sqrt(L)
            + 2 * sp.sqrt(2) * _rad
            + sp.sqrt(5 * sp.log(2 / delta) / n),
            "error": 2 * (sp.sqrt(L) + 2 * sp.sqrt(2) * _rad + sp.sqrt(5 * sp.log(2 / delta) / n)),
        },
        conditions=(),
        ranges={"delta": DELTA_OPEN},
        probability=1 - delta,
        vacuous_key="error",
        doc="``train_loss`` is ``L(V, W) = (1/n) sum ||y_i - f(x_i)||^2``; ``R`` is ``sqrt(k)`` "
        "times the row-wise radius of (6.40).",
        notes=(
            "train_loss is L(V,W) = (1/n) sum_i ||y_i - f(x_i)||^2; R is sqrt(k) times the "
            f"row-wise radius ({see('r17-row-radius')}).",
        ),
    )
)

# Lemma 6.19 (deterministic convergence), eqs. (6.44)-(6.48).  alpha raw; D = D_{alpha,Gamma}(r0).
_beta19 = BETA_SHALLOW
#: Lemmas 6.19/6.20 share the raw cutoff on the reference, T = Gamma/(eta alpha^2) and the step.
_raw_cutoff_common: dict[str, Any] = dict(
    reference="jacobian",
    vector="r0",
    defaults={"eta": STEP_SHALLOW, "lambda_1": _beta19},
    cutoff=alpha,
    iterations=Gamma / (eta * alpha**2),
    step_size=STEP_SHALLOW,
)
#: (6.47) = (6.54): ||W_tau - W_0||_{2,inf} <= 2 nu B Gamma ||X|| ||r0|| / (sqrt(k) alpha^2).
_W_ROWS_RAW = 2 * nu * B * Gamma * X / (sp.sqrt(k) * alpha**2) * r0_norm
_register(
    TheoremDef(
        key="L6.19",
        title="deterministic convergence guarantee, eqs. (6.44)-(6.48)",
        informal=False,
        inputs=_names("alpha Gamma delta k nu B X_norm eps0 r0_norm r0_info r0_nuisance distance"),
        **_raw_cutoff_common,
        conclusions={
            "W_frobenius": D + delta * Gamma / alpha * r0_norm,
            "W_rows": _W_ROWS_RAW,
            "train_residual": e_G * r0_info + r0_nuisance + delta * alpha / _beta19 * r0_norm,
        },
        conditions=(
            _gamma(),
            _step(),
            _cutoff_le(alpha),
            _cond(
                "eps0",
                eps0,
                "<=",
                alpha / 5 * sp.Min(delta, sp.sqrt(delta * alpha / (Gamma * _beta19))),
                "(6.44) eps0 <= (alpha/5) min(delta, sqrt(delta alpha/(Gamma nu B ||X||)))",
            ),
            _cond(
                "width",
                k,
                ">=",
                400
                * _beta19**6
                * Gamma**2
                * (alpha * D + delta * Gamma * r0_norm) ** 2
                / (delta**2 * alpha**8),
                "(6.45) k >= 400 nu^6B^6||X||^6 Gamma^2 (B_{alpha,Gamma} + delta Gamma ||r0||)^2/(delta^2 alpha^8)",
            ),
        ),
        ranges={"delta": DELTA_HALF_OPEN},
        vacuous_key="train_residual",
        vacuous_threshold=r0_norm,
        doc="Deterministic convergence of the shallow network from a reference Jacobian.",
        arg_docs={
            "alpha": "raw cutoff alpha on the singular values of the reference Jacobian",
            "delta": "tolerance delta of the tracking",
        },
    )
)

# Lemma 6.20 (deterministic optimisation), eqs. (6.51)-(6.55).
_Bv = alpha * D  # early-stopping value B_{alpha,Gamma} = alpha D
_register(
    TheoremDef(
        key="L6.20",
        title="deterministic optimisation guarantee, eqs. (6.51)-(6.55)",
        informal=False,
        inputs=_names("alpha Gamma zeta k nu B X_norm eps0 c r0_norm r0_info r0_nuisance distance"),
        **_raw_cutoff_common,
        conclusions={
            "W_frobenius": 2 * D,
            "W_rows": _W_ROWS_RAW,
            "train_residual": e_G * r0_info + r0_nuisance + zeta * r0_norm,
        },
        conditions=(
            _gamma(),
            _step(),
            _cutoff_le(alpha),
            _cond(
                "information_ratio",
                r0_info,
                ">=",
                c * r0_norm,
                "||Pi_I(r0)|| >= c ||r0|| (needed when eps0 > 0)",
                applies=sp.Gt(eps0, 0),
            ),
            _cond(
                "eps0",
                eps0**2,
                "<=",
                alpha**2
                / 25
                * sp.Min(
                    c * _Bv * alpha / (nu * B * Gamma**2 * r0_norm * X),
                    zeta**2 * _beta19**2 / alpha**2,
                    zeta / Gamma,
                ),
                "(6.51) eps0^2 <= (alpha^2/25) min(c B alpha/(nu B Gamma^2 ||r0|| ||X||), "
                "zeta^2 nu^2 B^2 ||X||^2/alpha^2, zeta/Gamma)",
            ),
            _cond(
                "width",
                k,
                ">=",
                1600
                * (alpha / (zeta * _beta19) + Gamma * r0_norm / _Bv) ** 2
                * _beta19**6
                * Gamma**2
                * _Bv**2
                / alpha**8,
                "(6.52) k >= 1600 (alpha/(zeta nu B||X||) + Gamma||r0||/B_{alpha,Gamma})^2 "
                "nu^6B^6||X||^6 Gamma^2 B_{alpha,Gamma}^2/alpha^8",
            ),
        ),
        ranges={"zeta": (0.0, 1.0, True, False), "c": (0.0, 1.0, True, False)},
        vacuous_key="train_residual",
        vacuous_threshold=r0_norm,
        doc="Deterministic optimisation guarantee of the shallow network.",
        arg_docs={
            "alpha": "raw cutoff alpha on the singular values of the reference Jacobian",
            "c": "information ratio c: the hypothesis ||Pi_I(r0)|| >= c ||r0||",
        },
    )
)

# Theorems 6.21 / 6.22 (arbitrary initialisation).
_abar = CUTOFF_ARBITRARY
_arb_conditions = (
    _cond("zeta", zeta, "<=", half, f"precision zeta <= 1/2 ({see('i2-zeta-range')})"),
    _gamma(),
    _cond(
        "width",
        k,
        ">=",
        25600 * C_r**2 * Gamma**4 / (alpha**8 * nu**2 * B**2 * zeta**2),
        "(6.58)/(6.59) k >= 25600 C_r^2 Gamma^4/(alpha^8 nu^2 B^2 zeta^2)",
    ),
    _step(),
    _cutoff_le(_abar),
    _cond("C_r", C_r, ">=", r0_norm / sp.sqrt(n), "C_r >= ||r0||/sqrt(n)"),
    _unit_rows(),
)
_arb_common: dict[str, Any] = dict(
    reference="jacobian",
    vector="r0",
    informal=False,
    defaults={"eta": STEP_SHALLOW, "lambda_1": BETA_SHALLOW, "C_r": r0_norm / sp.sqrt(n)},
    cutoff=_abar,
    iterations=Gamma / (eta * _abar**2),
    step_size=STEP_SHALLOW,
    conditions=_arb_conditions,
    ranges={"zeta": ZETA_HALF, "delta": DELTA_OPEN},
    probability=1 - delta,
    vacuous_key="error",
)
#: (6.63): ||W_T - W_0||_{2,inf} <= 2 sqrt(n) C_r nu B Gamma ||X|| / (sqrt(k) abar^2).
_W_ROWS_ARBITRARY = 2 * sp.sqrt(n) * C_r * nu * B * Gamma * X / (sp.sqrt(k) * _abar**2)
_train_6_21 = r0_nuisance + C_r * (e_G + zeta) * sp.sqrt(n)
_terms_6_21 = {
    "bias": 2 * r0_nuisance / sp.sqrt(n),
    "variance": 12 * nu * B / sp.sqrt(n) * (r0_pinv + Gamma / _abar * r0_nuisance),
    "confidence": CONFIDENCE,
    "optimization": 2 * C_r * (e_G + zeta),
}
_register(
    TheoremDef(
        key="6.21",
        title="generalisation from an arbitrary initialisation (main statement), (6.58)-(6.59)",
        inputs=_names("alpha Gamma zeta delta k n nu B X_norm r0_norm r0_nuisance r0_pinv"),
        conclusions=_error_bound(
            _terms_6_21,
            _train_6_21,
            W_frobenius=2 * (r0_pinv + Gamma / _abar * r0_nuisance),
            W_rows=_W_ROWS_ARBITRARY,
        ),
        notes=(
            f"Cutoff abar = nu B alpha (sqrt(n) ||X||)^{{1/2}} on J(W0) ({see('r21-cutoff-arbitrary')}).",
        ),
        doc="Spaces of ``J(W0)`` at the cutoff ``abar = nu B alpha (sqrt(n) ||X||)^{1/2}`` "
        f"({see('r21-cutoff-arbitrary')}).  ``C_r`` defaults to ``||r0||/sqrt(n)``; "
        "``lambda_1`` (top singular value of J(W0)) to ``nu B ||X||``.",
        **_arb_common,
    )
)
_train_6_22 = r0_nuisance + C_r * (e_G + zeta / 2) * sp.sqrt(n)
_terms_6_22 = {
    "bias": 2 * r0_nuisance / sp.sqrt(n),
    "variance": 12 * nu * B * D / sp.sqrt(n),
    "confidence": CONFIDENCE,
    "optimization": 2 * C_r * (e_G + zeta),
}
_register(
    TheoremDef(
        key="6.22",
        title="generalisation from an arbitrary initialisation with D, eq. (6.60)",
        inputs=_names("alpha Gamma zeta delta k n nu B X_norm r0_norm r0_nuisance distance"),
        conclusions=_error_bound(
            _terms_6_22,
            _train_6_22,
            W_frobenius=2 * D,
            W_rows=_W_ROWS_ARBITRARY,
        ),
        notes=(
            "distance is D_{abar,Gamma}(r0) on J(W0) at the cutoff abar (Definition 6.1).",
            "train_residual is (6.64), with zeta/2 (Lemma 6.20 applied at precision zeta/2).",
        ),
        doc="As Theorem 6.21, with the early-stopping distance ``D_{abar,Gamma}(r0)`` in the "
        "variance term.",
        **_arb_common,
    )
)

# Theorems 6.23-6.25 (random initialisation).
_a0 = CUTOFF_RANDOM
_rand_derived = {"nu": NU_RANDOM_INIT}
_rand_defaults = {"eta": STEP_SHALLOW, "lambda_1": B * X, "c": y_info / sp.sqrt(n)}
_rand_iter = Gamma * K / (eta * nu**2 * _a0**2)
_rand_conditions_head = (
    _cond(
        "zeta_c",
        zeta,
        "<=",
        c / 2,
        f"zeta <= c/2 (proof of 6.23; {see('r29-zeta-at-most-c-half')})",
    ),
    _gamma(),
)
_rand_conditions_tail = (
    _step(),
    _cutoff_le(_a0),
    _cond("information_ratio", y_info, ">=", c * sp.sqrt(n), "||Pi_I(y)|| >= c ||y||"),
    _cond("n_ge_K", n, ">=", K, "n >= K (Lemma 6.13)"),
    _unit_rows(),
)
_train_6_69 = y_nuisance + e_G * y_info + 4 * zeta * sp.sqrt(n)
_rand_common: dict[str, Any] = dict(
    reference="kernel",
    vector="y",
    informal=False,
    derived=_rand_derived,
    defaults=_rand_defaults,
    cutoff=_a0,
    iterations=_rand_iter,
    step_size=STEP_SHALLOW,
)
_register(
    TheoremDef(
        key="6.23",
        title="optimisation from a random initialisation, eqs. (6.68)-(6.71)",
        inputs=_names("alpha Gamma zeta k n K B X_norm y_info y_nuisance distance"),
        conclusions={
            "train_residual": _train_6_69,
            "train_loss": half * _train_6_69**2,
            "W_frobenius": 2 * sp.sqrt(K) / (nu * _a0) * (_a0 * D + Gamma * zeta * sp.sqrt(n)),
            "W_rows": 4 * Gamma * B * K * X / (nu * _a0**2) * sp.sqrt(n / k),
        },
        conditions=(
            *_rand_conditions_head,
            _cond(
                "width",
                k,
                ">=",
                sp.Integer(12 * 10**7)
                * Gamma**4
                * K**4
                * B**8
                * X**6
                * n
                * sp.log(n)
                / (c**4 * zeta**4 * _a0**8),
                "(6.68) k >= 1.2e8 Gamma^4 K^4 B^8 ||X||^6 n log n/(c^4 zeta^4 alpha_0^8)",
            ),
            *_rand_conditions_tail,
        ),
        ranges={"zeta": ZETA_HALF, "c": (0.0, 1.0, True, False)},
        probability=1 - (2 * K) ** (-100) - n ** (-100),
        vacuous_key="train_residual",
        vacuous_threshold=sp.sqrt(n),
        doc="``nu`` is fixed by (6.67); spaces of ``Sigma(X)^{1/2}`` at ``alpha_0 = alpha B "
        "sqrt(sqrt(n) K ||X||)``; ``c`` defaults to ``||Pi_I(y)||/sqrt(n)``.",
        notes=(
            f"Spaces of Sigma(X)^{{1/2}} at cutoff alpha_0 = alpha B sqrt(sqrt(n) K ||X||) ({see('r26-cutoff-random')}); "
            "distance = D_{alpha_0,Gamma}(y).",
            f"Probability includes Lemma 6.13's n^-100 ({see('i10-failure-probability')}).",
        ),
        **_rand_common,
    )
)
_precision = 12 * (1 + Gamma / (alpha * (n * X**2) ** sp.Rational(1, 4))) * zeta
_terms_6_24 = {
    "bias": 2 * y_nuisance / sp.sqrt(n),
    "variance": 12 * B * sp.sqrt(K) / sp.sqrt(n) * (y_pinv + Gamma / _a0 * y_nuisance),
    "precision": _precision,
    "confidence": CONFIDENCE,
    "optimization": 2 * e_G,
}
_rand_conditions_6_25 = (
    _cond("zeta", zeta, "<=", half, "zeta <= 1/2"),
    *_rand_conditions_head,
    _cond(
        "width",
        k,
        ">=",
        WIDTH_6_89,
        "(6.89) k >= 1.2e8 Gamma^4 K^4 B^8 ||X||^4 n^2 log n/(c^4 zeta^4 alpha_0^8)",
    ),
    *_rand_conditions_tail,
)
_rand_generalization = dict(
    conditions=_rand_conditions_6_25,
    ranges={"zeta": ZETA_HALF, "delta": DELTA_OPEN, "c": (0.0, 1.0, True, False)},
    probability=1 - (2 * K) ** (-100) - n ** (-100) - delta,
    vacuous_key="error",
)
_register(
    TheoremDef(
        key="6.24",
        title="generalisation from a random initialisation (main statement), (6.69), (6.87)-(6.89)",
        inputs=_names("alpha Gamma zeta delta k n K B X_norm y_info y_nuisance y_pinv"),
        conclusions=_error_bound(_terms_6_24, _train_6_69),
        **_rand_generalization,
        notes=(
            f"Width (6.87) is the ≳ form of (6.89); the explicit (6.89) is checked ({see('r31-width-6-87')}).",
            f"The precision and confidence terms are additive ({see('r32-additive-terms')}).",
        ),
        doc="Error = bias ``2||Pi_N y||/sqrt(n)`` + variance ``12 B sqrt(K)/sqrt(n) "
        "(||J_I^+ y|| + Gamma ||Pi_N y||/alpha_0)`` + ``12(1 + Gamma/(alpha (n ||X||^2)^{1/4})) "
        "zeta`` + ``5 sqrt(log(2/delta)/n)`` + ``2 e^{-Gamma}``; width (6.89).  ``nu`` is fixed "
        "by (6.67); spaces of ``Sigma(X)^{1/2}`` at ``alpha_0 = alpha B sqrt(sqrt(n) K ||X||)``.",
        examples="""
        >>> rep = theorem_6_24(alpha=0.3, Gamma=2, zeta=0.1, delta=0.05, k=4096, n=1000, K=10,
        ...                    B=1, X_norm=30, y_info=30, y_nuisance=10, y_pinv=5)
        >>> rep.failing
        ('width',)
        >>> bool(rep.vacuous)
        True
        """,
        **_rand_common,
    )
)
_terms_6_25 = {
    "bias": 2 * y_nuisance / sp.sqrt(n),
    "variance": 12 * B * sp.sqrt(K) * D / sp.sqrt(n),
    "precision": _precision,
    "confidence": 10 * sp.sqrt(sp.log(2 / delta) / n),
    "optimization": 2 * e_G * y_info / sp.sqrt(n),
}
_register(
    TheoremDef(
        key="6.25",
        title="generalisation from a random initialisation with D, eqs. (6.88)-(6.89)",
        inputs=_names("alpha Gamma zeta delta k n K B X_norm y_info y_nuisance distance"),
        conclusions=_error_bound(_terms_6_25, _train_6_69),
        **_rand_generalization,
        notes=(
            "distance = D_{alpha_0,Gamma}(y) on Sigma(X)^{1/2} (Definition 6.1).",
            f"Confidence constant 10 as printed (5 also valid, {see('i11-confidence-constant')}).",
        ),
        doc="As Theorem 6.24, with the early-stopping distance ``D_{alpha_0,Gamma}(y)`` in the "
        "variance term; width (6.89).",
        **_rand_common,
    )
)

# Informal statements: hidden constants set to 1.
_INFORMAL_NOTE = "Informal statement: every hidden constant (≲, ≳, ∝) set to 1."
_train_2_2 = y_nuisance + e_G * sp.sqrt(n)
_register(
    TheoremDef(
        key="2.2",
        title="informal: generalisation from a random initialisation, eqs. (2.2)-(2.3)",
        informal=True,
        inputs=_names("alpha Gamma k n K y_nuisance"),
        cutoff=alpha * sp.sqrt(n * K),
        iterations=Gamma / alpha**2,
        conclusions=_error_bound(
            {
                "bias": y_nuisance / sp.sqrt(n),
                "variance": Gamma / (alpha * sp.sqrt(n)),
                "optimization": e_G,
            },
            _train_2_2,
        ),
        conditions=(
            _gamma(),
            _cond(
                "width", k, ">=", Gamma**4 * sp.log(n) / alpha**8, "(2.2) k ≳ Gamma^4 log n/alpha^8"
            ),
        ),
        vacuous_key="error",
        notes=(
            _INFORMAL_NOTE,
            f"Cutoff alpha sqrt(nK) on Sigma(X)^{{1/2}} ({see('r36-cutoff-2-2')}).",
        ),
        reference="kernel",
        vector="y",
        doc="Cutoff ``alpha sqrt(nK)`` on ``Sigma(X)^{1/2}``; every hidden constant set to 1.",
    )
)
_train_2_3 = r0_nuisance + e_G * sp.sqrt(n)
_register(
    TheoremDef(
        key="2.3",
        title="informal: generalisation from an arbitrary initialisation (informal 6.21)",
        informal=True,
        inputs=_names("alpha Gamma k n r0_norm r0_nuisance"),
        cutoff=alpha * sp.sqrt(n),
        iterations=Gamma / alpha**2,
        conclusions=_error_bound(
            {
                "bias": r0_nuisance / sp.sqrt(n),
                "variance": Gamma / (alpha * sp.sqrt(n)),
                "optimization": e_G,
            },
            _train_2_3,
        ),
        conditions=(
            _gamma(),
            _cond("width", k, ">=", Gamma**4 / alpha**8, "k ≳ Gamma^4/alpha^8"),
            _cond("r0_norm", r0_norm, "<=", sp.sqrt(n), "||r0|| ≲ sqrt(n)"),
        ),
        vacuous_key="error",
        notes=(_INFORMAL_NOTE, f"Cutoff alpha sqrt(n) on J(W0) ({see('r25-cutoff-2-3')})."),
        reference="jacobian",
        vector="r0",
        doc="Cutoff ``alpha sqrt(n)`` on ``J(W0)``; every hidden constant set to 1.",
    )
)
_register(
    TheoremDef(
        key="2.5",
        title="informal: Gaussian mixture model (informal A.3)",
        informal=True,
        inputs=_names("Gamma k n K C lambda_M sigma"),
        cutoff=CUTOFF_MIXTURE,
        iterations=2 * Gamma * K**2 * C / lambda_M,
        # One term: the variance of A.3 (its bias vanishes for sigma ≲ K/n, R41).
        conclusions={
            "error": Gamma * sp.sqrt(K**2 * C / (n * lambda_M)),
            "variance": Gamma * sp.sqrt(K**2 * C / (n * lambda_M)),
        },
        conditions=(
            _gamma(),
            _cond("sigma", sigma, "<=", K / n, f"sigma ≲ K/n ({see('r41-sigma-k-over-n')})"),
            _cond(
                "width",
                k,
                ">=",
                Gamma**4 * K**8 * C**4 / lambda_M**4,
                "k ≳ Gamma^4 K^8 C^4/lambda_M^4",
            ),
        ),
        vacuous_key="error",
        notes=(
            _INFORMAL_NOTE,
            f"T drops A.3's factor 1/(eta nu^2 n) ({see('i18-iterations-2-5')}).",
        ),
        reference="centers",
        doc="Mixture model: error ≲ ``Gamma sqrt(K^2 C/(n lambda_M))``; every hidden constant "
        "set to 1.",
    )
)
_register(
    TheoremDef(
        key="A.3",
        title="generalisation for the Gaussian mixture model (≲ statement)",
        informal=True,
        inputs=_names("Gamma zeta delta k n K C B lambda_M sigma"),
        derived={"nu": NU_RANDOM_INIT},
        defaults={"X_norm": sp.sqrt(n), "eta": STEP_SHALLOW},
        cutoff=CUTOFF_MIXTURE,
        iterations=2 * Gamma * K**2 * C / (eta * nu**2 * n * lambda_M),
        step_size=STEP_SHALLOW,
        conclusions={
            "error": sp.sqrt(sigma * sp.sqrt(sp.log(n)) * B**2 * K * C / lambda_M)
            + Gamma * B * K * sp.sqrt(C) / sp.sqrt(n * lambda_M)
            + zeta
            + sp.sqrt(sp.log(2 / delta) / n)
            + 2 * e_G,
            "bias": sp.sqrt(sigma * sp.sqrt(sp.log(n)) * B**2 * K * C / lambda_M),
            "variance": Gamma * B * K * sp.sqrt(C) / sp.sqrt(n * lambda_M),
            "precision": zeta,
            "confidence": sp.sqrt(sp.log(2 / delta) / n),
            "optimization": 2 * e_G,
        },
        conditions=(
            _gamma(),
            _cond(
                "sigma",
                sigma,
                "<=",
                lambda_M / (B**2 * K * C * sp.sqrt(sp.log(n))),
                "sigma ≲ lambda_M/(B^2 K C sqrt(log n))",
            ),
            _cond(
                "width",
                k,
                ">=",
                Gamma**4 * B**8 * K**8 * C**4 * sp.log(n) / (zeta**4 * lambda_M**4),
                "k ≳ Gamma^4 B^8 K^8 C^4 log n/(zeta^4 lambda_M^4)",
            ),
            _step(),
        ),
        ranges={"zeta": ZETA_HALF, "delta": DELTA_OPEN},
        vacuous_key="error",
        reference="centers",
        doc="Mixture model (≲ statement, hidden constants 1); ``nu`` fixed by (6.67), "
        "``X_norm`` defaults to ``sqrt(n)``.",
        notes=(
            _INFORMAL_NOTE,
            "Cutoff alpha_0 = sqrt(n lambda_M/(2KC)) on Sigma(X)^{1/2}.",
            f"Inputs from Definition 2.4 with sigma > 0 are not unit norm ({see('i14-mixture-unit-norm')}).",
            "Probability 1 - n e^{-d/2} - KC e^{-n/(8KC)} - (2K)^{-100} - delta.",
        ),
    )
)


def get(key: str) -> TheoremDef:
    """The definition for ``key`` (``"6.24"``, ``"A.3"``, ``"L6.19"``; ``"6.19"`` also works)."""
    k_ = key.strip().upper().replace("THEOREM", "").replace("LEMMA", "").strip()
    for cand in (k_, "L" + k_):
        if cand in DEFS:
            return DEFS[cand]
    raise ValueError(f"unknown theorem {key!r}; known: {', '.join(DEFS)}")
