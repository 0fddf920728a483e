"""Plot a :class:`~bounds.sweep.SweepResult`: the bound and its terms against a swept input.

matplotlib is imported inside :func:`plot_sweep` only: ``import bounds`` works without it, and
no backend is selected here (inline plots in Jupyter stay inline).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from .formulas import LATEX_NAMES

if TYPE_CHECKING:
    from .sweep import SweepResult

__all__ = ["LINESTYLES", "MARKERS", "PALETTE", "VACUOUS_SHADE", "plot_sweep"]

#: Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008): black, orange,
#: blue, bluish green, vermillion, sky blue, reddish purple, yellow.  Each series also gets its
#: own marker and dash pattern, so curves stay apart in greyscale.
PALETTE: tuple[str, ...] = (
    "#000000",
    "#E69F00",
    "#0072B2",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
)
#: One marker per palette entry.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
#: One dash pattern per palette entry.
LINESTYLES: tuple[Any, ...] = (
    "-",
    "--",
    ":",
    "-.",
    (0, (5, 1)),
    (0, (1, 1)),
    (0, (3, 1, 1, 1, 1, 1)),
    (0, (8, 2)),
)
#: Fill colour of the vacuous region (the bound at or above its threshold).
VACUOUS_SHADE = "0.85"
#: ``gid`` of the vacuous region's artist (tests and callers find it by this).
VACUOUS_GID = "vacuous"

_FRACTION_LABELS = {
    "y_info_fraction": r"\|\Pi_{\mathcal{I}}(y)\|/\sqrt{n}",
    "y_nuisance_fraction": r"\|\Pi_{\mathcal{N}}(y)\|/\sqrt{n}",
    "X_norm_fraction": r"\|X\|/\sqrt{n}",
}


def axis_label(name: str) -> str:
    """An input's name in the paper's notation, for mathtext (``"alpha"`` -> ``$\\alpha$``)."""
    tex = _FRACTION_LABELS.get(name) or LATEX_NAMES.get(name)
    if tex is None:
        tex = name if len(name) <= 2 else r"\mathrm{" + name.replace("_", r"\_") + "}"
    # mathtext has no \mathcal{I}-less \Pi_{\mathcal I} form: brace the argument.
    tex = tex.replace(r"\mathcal I", r"\mathcal{I}").replace(r"\mathcal N", r"\mathcal{N}")
    return f"${tex}$"


def _auto_log(values: np.ndarray) -> bool:
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals)]
    return bool(vals.size and np.all(vals > 0) and vals.max() >= 100 * vals.min())


def plot_sweep(
    res: SweepResult,
    x: str | None = None,
    ax: Any = None,
    *,
    y: list[str] | tuple[str, ...] | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
) -> Any:
    """Plot a sweep against the swept input ``x``; returns the matplotlib ``Axes``.

    The headline bound (``error``, ``train_residual``) and, when one curve is drawn per
    quantity, the terms it is the sum of (bias, variance, ...), each with its own colour,
    marker and dash pattern.  Filled markers where the point is rigorous (every hypothesis
    holds; for informal statements: every hypothesis holds), open markers where a hypothesis
    fails, a cross where a decision is at a tolerance boundary; the vacuous region (the
    headline at or above its threshold, e.g. error >= 1) is shaded.  Other swept inputs give
    one headline curve per combination of their values.

    Parameters
    ----------
    x : str, optional
        The swept input on the horizontal axis; needed when more than one is swept.
    ax : matplotlib Axes, optional
        Drawn into; a new figure (``matplotlib.pyplot``, constrained layout) otherwise.
    y : sequence of str, optional
        Conclusions to draw instead of the headline and its terms.
    logx, logy : bool, optional
        Logarithmic axes; by default when the (positive) values span a factor of 100 or more.
    """
    try:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        from matplotlib.ticker import FuncFormatter, NullFormatter
    except ImportError as exc:  # pragma: no cover - matplotlib is there with jacobound[simulate]
        raise ImportError("SweepResult.plot() needs matplotlib (pip install matplotlib)") from exc

    names = res.names
    if x is None:
        if len(names) != 1:
            raise ValueError(
                f"x must name the swept input to plot against: the sweep is over {', '.join(names)}"
            )
        x = names[0]
    if x not in names:
        raise ValueError(f"x must be one of the swept inputs {', '.join(names)}, got {x!r}")
    others = [n_ for n_ in names if n_ != x]
    groups: dict[tuple[float, ...], list[int]] = {}
    for i, r in enumerate(res.records):
        groups.setdefault(tuple(r[o] for o in others), []).append(i)

    available = [c for c in res.columns if c in _conclusions(res)]
    if y is None:
        main = res.headline or available[0]
        quantities = [main, *res.terms] if len(groups) == 1 else [main]
    else:
        if isinstance(y, str):
            y = [y]
        bad = [q for q in y if q not in available]
        if bad or not y:
            raise ValueError(
                f"y must name conclusions of the sweep ({', '.join(available)}), got {y!r}"
            )
        quantities = list(y)

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")

    good_key = "hypotheses_hold" if res.informal else "rigorous"
    series = []
    for gkey, idx in groups.items():
        recs = [res.records[i] for i in idx]
        order = np.argsort([r[x] for r in recs], kind="stable")
        recs = [recs[i] for i in order]
        for q in quantities:
            label = q.replace("_", " ")
            if others:
                label += (
                    " ("
                    + ", ".join(f"{o}={val:g}" for o, val in zip(others, gkey, strict=True))
                    + ")"
                )
            series.append((label, recs, q))

    handles: list[Any] = []
    all_y = []
    for j, (label, recs, q) in enumerate(series):
        color, marker = PALETTE[j % len(PALETTE)], MARKERS[j % len(MARKERS)]
        ls = LINESTYLES[j % len(LINESTYLES)]
        xs = np.array([r[x] for r in recs], dtype=float)
        ys = np.array([r[q] for r in recs], dtype=float)
        good = np.array([bool(r[good_key]) for r in recs])
        edge = np.array([bool(r["at_boundary"]) for r in recs])
        all_y.append(ys)
        ax.plot(xs, ys, color=color, linestyle=ls, linewidth=1.3, label="_nolegend_")
        ax.plot(
            xs[good],
            ys[good],
            linestyle="none",
            marker=marker,
            color=color,
            markersize=5,
            label="_nolegend_",
        )
        ax.plot(
            xs[~good], ys[~good], linestyle="none", marker=marker, color=color,
            markerfacecolor="none", markersize=5, label="_nolegend_",
        )  # fmt: skip
        if edge.any():
            ax.plot(
                xs[edge],
                ys[edge],
                linestyle="none",
                marker="x",
                color="0.3",
                markersize=7,
                label="_nolegend_",
            )
        handles.append(Line2D([], [], color=color, linestyle=ls, marker=marker, label=label))

    xs_all = np.array([r[x] for r in res.records], dtype=float)
    ys_all = np.concatenate(all_y)
    if logx if logx is not None else _auto_log(xs_all):
        ax.set_xscale("log")
    log_y = logy if logy is not None else _auto_log(ys_all)
    if log_y:
        ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda val, _pos: f"{val:g}"))
        axis.set_minor_formatter(NullFormatter())

    head = res.headline
    if head is not None and head in quantities and "vacuous_threshold" in res.columns:
        recs = series[quantities.index(head)][1]
        xs = np.array([r[x] for r in recs], dtype=float)
        thr = np.array([r["vacuous_threshold"] for r in recs], dtype=float)
        ax.autoscale_view()
        lo, hi = ax.get_ylim()
        hi = max(hi, float(thr.max()) * (2.0 if log_y else 1.15))
        if len(xs) == 1:
            span = ax.axhspan(float(thr[0]), hi, color=VACUOUS_SHADE, alpha=0.6, zorder=0, lw=0)
        else:
            span = ax.fill_between(xs, thr, hi, color=VACUOUS_SHADE, alpha=0.6, zorder=0, lw=0)
        span.set_gid(VACUOUS_GID)
        ax.set_ylim(lo, hi)
        what = f"{head.replace('_', ' ')} ≥ " + (
            f"{thr[0]:g}" if np.all(thr == thr[0]) else "its threshold"
        )
        handles.append(Patch(color=VACUOUS_SHADE, label=f"vacuous ({what})"))
    filled_label = "every hypothesis holds" + ("" if res.informal else " (rigorous)")
    handles.append(Line2D([], [], linestyle="none", marker="o", color="0.2", label=filled_label))
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            color="0.2",
            markerfacecolor="none",
            label="a hypothesis fails",
        )
    )
    if any(r["at_boundary"] for r in res.records):
        handles.append(
            Line2D(
                [], [], linestyle="none", marker="x", color="0.3", label="at a tolerance boundary"
            )
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        frameon=False,
        fontsize=8,
    )

    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(f"bound ({head.replace('_', ' ')})" if head and y is None else "bound")
    fixed = ", ".join(f"{k}={_short(val)}" for k, val in res.fixed.items())
    kind = "informal, " if res.informal else ""
    caption = f"Theorem {res.theorem} ({kind}{res.title})"
    details = ", ".join(p for p in (res.data, fixed) if p)
    text = "\n".join([caption, *textwrap.wrap(details, 100)])
    ax.set_title(text, loc="left", fontsize=8)
    return ax


def _short(val: Any) -> str:
    try:
        return f"{float(val):g}"
    except (TypeError, ValueError):
        return str(val)


def _conclusions(res: SweepResult) -> set[str]:
    from .formulas import get

    try:
        return set(get(res.theorem).conclusions)
    except ValueError:
        return set()
