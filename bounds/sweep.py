"""A theorem over a grid of its inputs, as a tidy table: ``bounds.sweep(...)``.

``sweep("6.24", over={"n": [...], "alpha": [...]}, **fixed)`` evaluates the theorem at every
point of the Cartesian product of ``over`` and returns a :class:`SweepResult`: one record per
grid point with the swept values, every input, every conclusion, each hypothesis with both
sides and whether it holds or is at a tolerance boundary, ``rigorous`` and ``vacuous``.  Without
data the whole grid is one broadcast evaluation (:func:`bounds.evaluate`).  With data (``X, y``
as :func:`bounds.from_data` takes them, or ``r0`` with ``J``/``gram``/``split`` as
:func:`bounds.from_jacobian` does) the kernel or Jacobian is decomposed once and every grid
point is split from that decomposition.

Examples
--------
>>> res = sweep("6.24", over={"alpha": [0.1, 0.2, 0.3]}, Gamma=2, zeta=0.1, delta=0.05,
...             k=4096, n=1000, K=10, B=1, X_norm=30, y_info=30, y_nuisance=10, y_pinv=5)
>>> len(res), res.records[0]["alpha"], sorted(res.terms)[:2]
(3, 0.1, ['bias', 'confidence'])
>>> [r["width.holds"] for r in res]
[False, False, False]
>>> res.records[1]["error"] == float(res.column("error")[1])
True
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from . import fractions as fr
from . import validate as v
from .data_quantities import (
    GRID_NAMES,
    computed_names,
    from_data,
    from_jacobian,
    point_names,
)
from .formulas import get
from .kernels import DEFAULT_DEGREE, Activation, get_activation, ntk
from .report import Condition, Report
from .spectral import InfoNuisance
from .theorems import evaluate

__all__ = ["SweepResult", "sweep"]


def _py(x: Any) -> Any:
    """A plain Python number or bool (JSON-ready)."""
    if isinstance(x, np.ndarray):
        x = x.item()
    if isinstance(x, np.generic):
        x = x.item()
    return x


def _at(x: Any, shape: tuple[int, ...], idx: tuple[int, ...]) -> Any:
    if x is None:
        return None
    return _py(np.broadcast_to(np.asarray(x), shape)[idx])


@dataclass(frozen=True)
class SweepResult:
    """A theorem evaluated over a grid: one record per grid point (a tidy table).

    Attributes
    ----------
    theorem, title : str
        The theorem's key and what it is.
    informal : bool
        Informal statements are never rigorous.
    over : tuple of (name, values)
        The swept inputs and their values, in the order given; records run over their
        Cartesian product in C order (the last name fastest).
    fixed : Mapping
        The inputs held fixed (as given; data quantities are in the records).
    headline : str or None
        The conclusion whose vacuity ``vacuous`` reports (``"error"``, ``"train_residual"``).
    terms : tuple of str
        The conclusions that add up to the headline (bias, variance, ...), from the registry.
    hypotheses : tuple of (name, relation, description)
        Every hypothesis, in the report's order.
    records : tuple of Mapping
        Per grid point: the swept values, every input (``Gamma_effective`` included),
        ``cutoff``, ``step_size``, ``iterations``, ``probability``, every conclusion,
        ``vacuous_threshold``, ``hypotheses_hold``, ``rigorous``, ``vacuous``, ``at_boundary``
        (names of the decisions at a tolerance boundary; ``"iterations"`` and ``"rank"`` when
        they are anywhere in the evaluation the point belongs to), and for each hypothesis
        ``NAME.lhs``, ``NAME.rhs``, ``NAME.holds`` and ``NAME.at_boundary``.
    data : str or None
        What data the quantities came from (shapes), when given.
    """

    theorem: str
    title: str
    informal: bool
    over: tuple[tuple[str, tuple[float, ...]], ...]
    fixed: Mapping[str, Any]
    headline: str | None
    terms: tuple[str, ...]
    hypotheses: tuple[tuple[str, str, str], ...]
    records: tuple[Mapping[str, Any], ...]
    data: str | None = None
    columns: tuple[str, ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return iter(self.records)

    def __getitem__(self, i: int) -> Mapping[str, Any]:
        return self.records[i]

    @property
    def names(self) -> tuple[str, ...]:
        """The swept inputs, in order."""
        return tuple(name for name, _ in self.over)

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape, one axis per swept input."""
        return tuple(len(vals) for _, vals in self.over)

    def column(self, name: str) -> np.ndarray:
        """One column over every record, as an array (in record order)."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}")
        return np.array([r[name] for r in self.records])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary: the grid, the fixed inputs and every record."""
        return {
            "theorem": self.theorem,
            "title": self.title,
            "informal": self.informal,
            "over": {name: list(vals) for name, vals in self.over},
            "fixed": {k: _py(val) for k, val in self.fixed.items()},
            "data": self.data,
            "headline": self.headline,
            "terms": list(self.terms),
            "hypotheses": [
                {"name": n_, "relation": rel, "description": desc}
                for n_, rel, desc in self.hypotheses
            ],
            "records": [
                {k: (list(val) if isinstance(val, tuple) else val) for k, val in r.items()}
                for r in self.records
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as strict JSON (a report never holds NaN or inf)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_csv(self) -> str:
        """The records as CSV text, one row per grid point (``at_boundary`` joined by ``;``)."""
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(self.columns), lineterminator="\n")
        w.writeheader()
        for r in self.records:
            w.writerow(
                {k: (";".join(val) if isinstance(val, tuple) else val) for k, val in r.items()}
            )
        return buf.getvalue()

    def to_frame(self) -> Any:
        """The records as a ``pandas.DataFrame`` (one row per grid point); needs pandas."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "SweepResult.to_frame() needs pandas, which is not installed (pip install "
                "pandas); the same table is available without it as .records, .to_dict(), "
                ".to_json() and .to_csv()"
            ) from exc
        return pd.DataFrame.from_records([dict(r) for r in self.records], columns=self.columns)

    def plot(self, x: str | None = None, ax: Any = None, **kwargs: Any) -> Any:
        """Plot the headline bound and its terms against ``x``; see :func:`bounds.plotting.plot_sweep`."""
        from .plotting import plot_sweep

        return plot_sweep(self, x=x, ax=ax, **kwargs)

    def __repr__(self) -> str:
        grid = " x ".join(f"{name}[{len(vals)}]" for name, vals in self.over)
        n_rig = sum(bool(r["rigorous"]) for r in self.records)
        n_vac = sum(bool(r["vacuous"]) for r in self.records)
        return (
            f"SweepResult(Theorem {self.theorem} over {grid}: {len(self)} points, "
            f"{n_rig} rigorous, {n_vac} vacuous)"
        )


def _terms(key: str) -> tuple[str, ...]:
    """Conclusions that are summands of the headline bound (bias, variance, ...)."""
    d = get(key)
    if d.vacuous_key is None:
        return ()
    parts = set(sp.Add.make_args(d.conclusions[d.vacuous_key]))
    return tuple(name for name, e in d.conclusions.items() if name != d.vacuous_key and e in parts)


def _point_records(
    rep: Report, shape: tuple[int, ...], swept: Mapping[str, np.ndarray]
) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """Records of a (broadcast) report: one per index of ``shape``; ``swept`` are meshes."""
    out = []
    vk = rep.vacuous_key
    vacuous_edge = (
        Condition("vacuous", rep.conclusions[vk], ">=", rep.vacuous_threshold, True).at_boundary
        if vk is not None
        else False
    )
    rigorous, vacuous, holds = rep.rigorous, rep.vacuous, rep.hypotheses_hold
    edges = [(c.name, c.at_boundary) for c in rep.conditions]
    for idx in np.ndindex(*shape):
        rec: dict[str, Any] = {name: _at(mesh, shape, idx) for name, mesh in swept.items()}
        for name, val in rep.inputs.items():
            if name in swept:
                continue
            rec["input." + name if name in rep.conclusions else name] = _at(val, shape, idx)
        for name, val in (
            ("cutoff", rep.cutoff),
            ("step_size", rep.step_size),
            ("iterations", rep.iterations),
            ("probability", rep.probability),
        ):
            rec[name] = _at(val, shape, idx)
        for name, val in rep.conclusions.items():
            rec[name] = _at(val, shape, idx)
        if vk is not None:
            rec["vacuous_threshold"] = _at(rep.vacuous_threshold, shape, idx)
        rec["hypotheses_hold"] = bool(_at(holds, shape, idx))
        rec["rigorous"] = bool(_at(rigorous, shape, idx))
        rec["vacuous"] = bool(_at(vacuous, shape, idx))
        at_edge = [name for name, e in edges if _at(e, shape, idx)]
        if vk is not None and _at(vacuous_edge, shape, idx):
            at_edge.append("vacuous")
        rec["at_boundary"] = tuple(dict.fromkeys([*at_edge, *rep.boundary]))
        for c in rep.conditions:
            rec[f"{c.name}.lhs"] = _at(c.lhs, shape, idx)
            rec[f"{c.name}.rhs"] = _at(c.rhs, shape, idx)
            rec[f"{c.name}.holds"] = bool(_at(c.holds, shape, idx))
            rec[f"{c.name}.at_boundary"] = bool(_at(c.at_boundary, shape, idx))
        out.append((idx, rec))
    return out


def _grid(over: Any) -> list[tuple[str, np.ndarray]]:
    if not isinstance(over, Mapping) or not over:
        raise TypeError(
            "over must be a non-empty mapping of input names to value lists, e.g. "
            f"over={{'alpha': [0.1, 0.2]}}; got {v._describe(over)}"
        )
    out = []
    for name, vals in over.items():
        if not isinstance(name, str):
            raise TypeError(f"over: input names must be strings, got {name!r}")
        arr = v.as_float(f"over[{name!r}]", vals)
        if arr.ndim != 1:
            raise ValueError(
                f"over[{name!r}] must be a 1-d list of values, got shape {arr.shape} (pass a "
                "single value as a fixed keyword argument instead)"
            )
        out.append((name, arr))
    return out


def sweep(
    theorem: str,
    over: Mapping[str, Sequence[float] | ArrayLike],
    *,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    r0: ArrayLike | None = None,
    J: ArrayLike | None = None,
    gram: ArrayLike | None = None,
    split: InfoNuisance | None = None,
    activation: str | Activation = "softplus",
    degree: int = DEFAULT_DEGREE,
    centers: ArrayLike | None = None,
    kernel_eigh: tuple[ArrayLike, ArrayLike] | None = None,
    **fixed: Any,
) -> SweepResult:
    """Evaluate Theorem ``theorem`` at every point of the grid ``over``; a tidy table.

    Parameters
    ----------
    theorem : str
        Theorem key (``"6.24"``, ``"A.3"``, ``"L6.19"``, ...; see :func:`bounds.list_theorems`).
    over : mapping of str to 1-d sequence
        The swept inputs and their values, e.g. ``{"n": [500, 1000], "alpha": [0.1, 0.2]}``;
        the grid is their Cartesian product.  Any input of the theorem, or a fraction of
        :mod:`bounds.fractions` (``y_info_fraction``, ``X_norm_fraction``: then ``n`` can be
        swept with the label split and the conditioning of ``X`` held fixed).
    X, y : array_like, optional
        Data, as :func:`bounds.from_data` takes them (``y`` one-hot or integer labels); the
        kernel is decomposed once (or ``kernel_eigh`` is used) and every point split from it.
    r0, J, gram, split : optional
        Instead of data: an initial residual and a Jacobian (or its Gram matrix, or a split of
        it), as :func:`bounds.from_jacobian` takes them; decomposed once.
    activation, degree, centers, kernel_eigh
        Passed to :func:`bounds.from_data`.
    **fixed
        Every other input, as scalars.

    Returns
    -------
    SweepResult
        One record per grid point; ``records``, ``to_frame()``, ``to_json()``, ``plot()``.

    Notes
    -----
    Each record equals the theorem evaluated at that point alone (a broadcast evaluation
    computes the same float64 operations elementwise).  A grid point at which the theorem
    cannot be evaluated (e.g. an ``alpha`` whose cutoff exceeds ``lambda_1``) is a
    ``ValueError`` naming that point.
    """
    d = get(v.theorem_key(theorem))
    key = d.key
    grid = _grid(over)
    names = [name for name, _ in grid]
    for name in names:
        if name in fixed and fixed[name] is not None:
            raise ValueError(f"{name} is both swept (over) and fixed; pass it in one place only")
    for name, val in fixed.items():
        if val is not None and np.ndim(val) != 0:
            raise ValueError(
                f"fixed input {name} must be a single value, got shape {np.shape(val)}; sweep "
                "it through over= instead"
            )
    fixed = {k_: val for k_, val in fixed.items() if val is not None}
    with_data = X is not None or y is not None
    with_jac = r0 is not None or J is not None or gram is not None or split is not None
    if with_data and with_jac:
        raise ValueError("pass either data (X, y) or a Jacobian (r0 with J, gram or split)")
    if with_data and (X is None or y is None):
        raise ValueError("sweep with data needs both X and y")
    if with_jac and r0 is None:
        raise ValueError("sweep with a Jacobian needs r0 (the initial residual)")
    computed = computed_names(key) if with_data or with_jac else ()
    allowed = [
        n_
        for n_ in (*d.inputs, *d.defaults, *fr.fraction_names(key))
        if n_ not in computed and n_ not in d.derived
    ]
    for name in names:
        if name not in allowed:
            raise ValueError(
                f"over: Theorem {key} cannot sweep {name!r}"
                + (" (computed from the data)" if name in computed else "")
                + f"; it can sweep: {', '.join(allowed)}"
            )

    data_desc = None
    call: Any
    if with_data:
        assert X is not None and y is not None
        labels = y
        act = get_activation(activation) if isinstance(activation, str) else activation
        Xa = v.matrix("X", X)
        data_desc = f"X {Xa.shape}, y {np.shape(y)}"
        on_kernel = d.reference == "kernel"  # else the centres' kernel (2.5, A.3): no split
        if kernel_eigh is None and on_kernel:
            kernel_eigh = np.linalg.eigh(ntk(v.unit_rows("X", Xa), act, degree))
        opts: dict[str, Any] = dict(activation=act, degree=degree, centers=centers)
        if on_kernel:
            opts["kernel_eigh"] = kernel_eigh

        def call(**kw: Any) -> Report:
            return from_data(key, Xa, labels, **opts, **kw)

        loop = sorted(set(names) & point_names(key) - set(GRID_NAMES), key=names.index)
    elif with_jac:
        assert r0 is not None
        r = v.matrix("r0", r0, ndim=1)
        data_desc = f"r0 ({r.shape[0]},)" + (
            f", J {np.shape(J)}" if J is not None else (", gram" if gram is not None else "")
        )
        jac: dict[str, Any] = dict(J=J, gram=gram, split=split)
        if split is None:
            # One decomposition for every point: split at a tiny cutoff, re-cut per point.  If
            # that fails (e.g. J = 0) each point decomposes and reports the problem itself.
            tiny = float(np.sqrt(np.finfo(np.float64).tiny))
            try:
                if J is not None:
                    base = InfoNuisance.from_jacobian(v.matrix("J", J), tiny)
                else:
                    assert gram is not None
                    base = InfoNuisance.from_gram(v.matrix("gram", gram), tiny)
                jac = dict(split=base)
            except ValueError:
                pass

        def call(**kw: Any) -> Report:
            return from_jacobian(key, r0=r, **jac, **kw)

        loop = sorted(set(names) & point_names(key) - set(GRID_NAMES), key=names.index)
    else:

        def call(**kw: Any) -> Report:
            return evaluate(key, **kw)

        loop = []

    shape = tuple(len(vals) for _, vals in grid)
    values = dict(grid)
    vec = [name for name in names if name not in loop]
    sub_shape = tuple(len(values[name]) for name in vec)

    def mesh(name: str) -> np.ndarray:
        i = vec.index(name)
        return values[name].reshape([-1 if j == i else 1 for j in range(len(vec))])

    rows: list[tuple[tuple[int, ...], dict[str, Any]]] = []
    for combo in itertools.product(*(range(len(values[name])) for name in loop)):
        point = {name: float(values[name][i]) for name, i in zip(loop, combo, strict=True)}
        swept = {name: mesh(name) for name in vec}
        kw = fr.absolute(key, **fixed, **point, **swept)
        try:
            rep = call(**kw)
        except ValueError as exc:
            if "of the alpha grid" in str(exc):  # the alpha value is named already
                where = "".join(f"at {k_}={val:g}: " for k_, val in point.items())
            else:
                where = _first_bad(call, key, fixed, point, vec, values)
            raise ValueError(f"sweep of Theorem {key}: {where}{exc}") from None
        for idx, rec in _point_records(rep, sub_shape, swept):
            full = dict(zip(vec, idx, strict=True)) | dict(zip(loop, combo, strict=True))
            rec = {**point, **rec}
            # The swept values first, in the order of over; the rest as the report gives them.
            rec = {**{name: rec[name] for name in names}, **rec}
            rows.append((tuple(full[name] for name in names), rec))
    rows.sort(key=lambda t: t[0])
    assert len(rows) == int(np.prod(shape))
    records = tuple(MappingProxyType(rec) for _, rec in rows)
    sample = rep
    return SweepResult(
        theorem=key,
        title=d.title,
        informal=d.informal,
        over=tuple((name, tuple(float(x) for x in values[name])) for name in names),
        fixed=MappingProxyType(dict(fixed)),
        headline=d.vacuous_key,
        terms=_terms(key),
        hypotheses=tuple((c.name, c.relation, c.description) for c in sample.conditions),
        records=records,
        data=data_desc,
        columns=tuple(records[0]),
    )


def _first_bad(
    call: Any,
    key: str,
    fixed: Mapping[str, Any],
    point: Mapping[str, float],
    vec: list[str],
    values: Mapping[str, np.ndarray],
) -> str:
    """``"at alpha=0.5, n=100: "``: the first grid point of a failed broadcast call that fails
    on its own (or ``""`` if none does)."""
    for combo in itertools.product(*(values[name] for name in vec)):
        one = {**point, **{name: float(x) for name, x in zip(vec, combo, strict=True)}}
        try:
            call(**fr.absolute(key, **fixed, **one))
        except ValueError:
            return "at " + ", ".join(f"{k_}={val:g}" for k_, val in one.items()) + ": "
    return ""
