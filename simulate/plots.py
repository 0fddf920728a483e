"""Matplotlib helpers shared by every experiment's ``plot``: palette, captions, ticks, PNG+PDF.

Figures are :class:`matplotlib.figure.Figure` objects drawn by :class:`FigureCanvasAgg`, never
through :mod:`matplotlib.pyplot`: importing this module neither selects nor switches a backend
(the user's choice, e.g. inline plots in Jupyter, stays as it is), and saving needs none.

A plot function, in outline::

    @plots.styled
    def plot(res, out):
        fig, (ax,) = plots.new_figure()
        ax.plot(x, y, label="...", **plots.style(0))
        plots.legend(ax)
        plots.add_caption(fig, res, dataset=plots.dataset_label(res), n=..., k=..., alpha=...)
        return plots.save(fig, out, "name")
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import (
    FixedFormatter,
    FixedLocator,
    FuncFormatter,
    LogFormatter,
    MaxNLocator,
    NullFormatter,
)

from bounds.plotting import LINESTYLES, MARKERS, PALETTE

# The palette, markers and dashes are bounds.plotting's (one definition for both layers).
#: Colour of reference lines and marks (thresholds, the K^2 C index): not a data series.
REFERENCE = "0.55"

#: Style of every figure, applied by :func:`styled` for the duration of a plot function only.
RC: dict[str, Any] = {
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "mathtext.fontset": "cm",
    "legend.fontsize": 7,
    "legend.frameon": False,
    "lines.markersize": 4.5,
}

#: Font size of the caption line.
CAPTION_SIZE = 6.5
#: ``gid`` of the caption's text artist (tests and callers find it by this).
CAPTION_GID = "caption"

F = TypeVar("F", bound=Callable[..., Any])


def styled(fn: F) -> F:
    """Run a plot function under :data:`RC` (a ``matplotlib.rc_context``; nothing global changes).

    Parameters
    ----------
    fn : callable
        A plot function.

    Returns
    -------
    callable
        ``fn`` with the same signature, run inside the context.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mpl.rc_context(cast(Any, RC)):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def style(i: int, markevery: int | None = None) -> dict[str, Any]:
    """Keyword arguments of the ``i``-th series: colour, marker and dash pattern, all distinct.

    The colours are the colour-blind-safe :data:`bounds.plotting.PALETTE`; series ``i`` and
    ``i + len(PALETTE)`` look alike.

    Parameters
    ----------
    i : int
        Index of the series.
    markevery : int, optional
        Draw a marker on every ``markevery``-th point only (long series).

    Returns
    -------
    dict
        ``color``, ``marker``, ``linestyle`` (and ``markevery``), for ``Axes.plot``.

    Examples
    --------
    >>> sorted(style(0, markevery=5))
    ['color', 'linestyle', 'marker', 'markevery']
    >>> style(0)["color"] != style(1)["color"]
    True
    """
    j = i % len(PALETTE)
    s: dict[str, Any] = dict(color=PALETTE[j], marker=MARKERS[j], linestyle=LINESTYLES[j])
    if markevery:
        s["markevery"] = markevery
    return s


def handle(i: int, label: str) -> Line2D:
    """A legend entry for series ``i`` (colour, dash and marker), for series drawn in parts.

    Parameters
    ----------
    i : int
        Index of the series (as :func:`style`).
    label : str
        Its legend text.

    Returns
    -------
    matplotlib.lines.Line2D
        An artist with no data, for ``ax.legend(handles=...)``.
    """
    return Line2D([], [], label=label, **style(i))


#: Two curves within this relative distance at every point overlap on a figure of this size:
#: the legend says so (a reading aid, not a numerical decision).
OVERLAP_RTOL = 0.01


def overlaps(series: Mapping[str, Any], rtol: float = OVERLAP_RTOL) -> dict[str, str]:
    """For each series that overlaps an earlier one (all points within ``rtol``), that one's key.

    ``series`` maps keys to equal-length arrays in drawing order; a series with a ``None`` or a
    non-finite value overlaps nothing.

    Parameters
    ----------
    series : mapping of str to array_like
        The curves' values, in drawing order.
    rtol : float
        Relative distance below which two curves count as overlapping.

    Returns
    -------
    dict of str to str
        Key of each overlapping series to the key of the earlier one it overlaps.

    Examples
    --------
    >>> overlaps({"a": [1.0, 2.0], "b": [1.001, 2.0], "c": [3.0, 4.0]})
    {'b': 'a'}
    """
    seen: list[tuple[str, np.ndarray]] = []
    same: dict[str, str] = {}
    for key, vals in series.items():
        if vals is None or any(v is None for v in vals):
            continue
        y = np.asarray(vals, dtype=float)
        if not np.all(np.isfinite(y)):
            continue
        for prev, py in seen:
            if py.shape == y.shape and np.all(np.abs(y - py) <= rtol * np.abs(py)):
                same[key] = prev
                break
        else:
            seen.append((key, y))
    return same


def new_figure(
    ncols: int = 1, width: float = 4.2, height: float = 3.2
) -> tuple[Figure, list[Axes]]:
    """A figure of ``ncols`` panels side by side (constrained layout), without pyplot.

    Parameters
    ----------
    ncols : int
        Number of panels.
    width, height : float
        Size of one panel, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached (no backend is selected).
    list of matplotlib.axes.Axes
        The ``ncols`` panels, left to right.

    Examples
    --------
    >>> fig, axes = new_figure(2)
    >>> len(axes), [float(x) for x in fig.get_size_inches()]
    (2, [8.4, 3.2])
    """
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, list(axes[0])


def legend(ax: Axes, **kwargs: Any) -> Any:
    """The legend of ``ax`` to the right of its data area, outside it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    **kwargs
        Passed to ``ax.legend`` (override the placement).

    Returns
    -------
    matplotlib.legend.Legend
    """
    opts = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax.legend(**{**opts, **kwargs})


def figure_legend(fig: Figure, ax: Axes, **kwargs: Any) -> Any:
    """One legend for panels that share their series, right of every panel (``ax``'s entries).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    ax : matplotlib.axes.Axes
        The panel whose entries are shown.
    **kwargs
        Passed to ``fig.legend``.

    Returns
    -------
    matplotlib.legend.Legend
    """
    handles, labels = ax.get_legend_handles_labels()
    return fig.legend(handles, labels, loc="outside right upper", **kwargs)


def plain_number(v: float) -> str:
    """A tick label without mathtext: ``60``, ``0.001``, ``1.5e6``, ``1e-5`` (never ``6×10^1``).

    Parameters
    ----------
    v : float
        The tick's value.

    Returns
    -------
    str

    Examples
    --------
    >>> [plain_number(v) for v in (60.0, 0.001, 1.5e6, 1e-5)]
    ['60', '0.001', '1.5e6', '1e-5']
    """
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.6g}"
    mant, _, exp = f"{v:.2e}".partition("e")
    return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"


class PlainLogFormatter(LogFormatter):
    """:class:`~matplotlib.ticker.LogFormatter`'s choice of which ticks get labels, in plain text."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return plain_number(x) if super().__call__(x, pos) else ""


def plain_ticks(ax: Axes) -> None:
    """Plain tick labels on both axes of ``ax``: no offset, no ``×10^k`` factors or mathtext.

    A log axis labels its decades; when it spans less than about a decade (where matplotlib
    would print ``6×10^1`` on minor ticks) its minor ticks too, as plain numbers.  A linear axis
    prints its numbers as they are.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel; axes placed by :func:`ticks_at` keep their labels.
    """
    for axis in (ax.xaxis, ax.yaxis):
        if isinstance(axis.get_major_formatter(), FixedFormatter):
            continue  # placed by ticks_at
        if axis.get_scale() == "log":
            axis.set_major_formatter(PlainLogFormatter())
            axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))
        elif axis.get_scale() == "linear":
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: plain_number(v)))
            axis.set_minor_formatter(NullFormatter())


def integer_ticks(axis: Any) -> None:
    """Ticks at whole numbers only (iteration counts, indices).

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    """
    axis.set_major_locator(MaxNLocator(integer=True))


def _widen_for_legends(fig: Figure) -> None:
    """Widen ``fig`` by the width of the legends drawn outside its panels.

    Constrained layout makes room for such a legend by narrowing the panels; adding its width to
    the figure gives the panels back the width they were made with.
    """
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    extra = 0.0
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is not None and leg.get_window_extent(renderer).x0 >= ax.bbox.x1:
            extra += leg.get_window_extent(renderer).width
    for leg in fig.legends:
        extra += leg.get_window_extent(renderer).width
    if extra > 0:
        w, h = fig.get_size_inches()
        fig.set_size_inches(w + extra / fig.dpi, h)


def ticks_at(axis: Any, values: Iterable[float]) -> None:
    """Major ticks exactly at ``values`` (e.g. the swept ``n``), plain labels, no minor labels.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    values : iterable of float
        Tick positions (duplicates are dropped).
    """
    vals = sorted({float(v) for v in values})
    axis.set_major_locator(FixedLocator(vals))
    axis.set_major_formatter(FixedFormatter([plain_number(v) for v in vals]))
    axis.set_minor_formatter(NullFormatter())


def _value(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return f"{float(v):.4g}"
    if isinstance(v, Sequence | np.ndarray):
        return "{" + ", ".join(_value(x) for x in v) + "}"
    return str(v)


def dataset_label(res: Mapping[str, Any], dataset: str | None = None) -> str:
    """The dataset of a run with the parameters that define it, from its stored config.

    ``mixture`` reads ``K``, ``C``, ``d`` and ``sigma`` (Definition 2.4); any other name is shown
    as it is.

    Parameters
    ----------
    res : mapping
        A run's result, with its ``config``.
    dataset : str, optional
        Overrides the config's ``dataset`` key (experiments without one).

    Returns
    -------
    str

    Examples
    --------
    >>> dataset_label({"config": {"dataset": "mixture", "K": 3, "C": 2, "d": 20, "sigma": 0.1}})
    'Gaussian mixture (K=3, C=2, d=20, σ=0.1)'
    >>> dataset_label({"config": {"dataset": "digits"}})
    'digits'
    """
    cfg = res.get("config", {})
    name = dataset or cfg.get("dataset", "?")
    if name == "mixture":
        keys = [("K", "K"), ("C", "C"), ("d", "d"), ("sigma", "σ")]
        inner = ", ".join(f"{sym}={_value(cfg[key])}" for key, sym in keys if key in cfg)
        return f"Gaussian mixture ({inner})" if inner else "Gaussian mixture"
    return str(name)


def caption(
    res: Mapping[str, Any], *, dataset: str, n: Any, k: Any, alpha: Any, **extra: Any
) -> str:
    """The caption line: experiment, dataset, n, k, α, any ``extra`` items, and the seed.

    Every figure states all five (``None`` prints ``n/a``, for a quantity the experiment does not
    have, e.g. the width of the linear model); a sequence prints as ``{30, 60}``.

    Parameters
    ----------
    res : mapping
        A run's result: its ``experiment`` name and ``config`` (for the seed).
    dataset : str
        The dataset, e.g. :func:`dataset_label`.
    n, k, alpha
        Sample count, width and cutoff(s) of the run.
    **extra
        Further ``key = value`` items, in order.

    Returns
    -------
    str

    Examples
    --------
    >>> caption({"experiment": "linear", "config": {"seed": 0}},
    ...         dataset="linear model", n=200, k=None, alpha=[0.5, 1.0])
    'linear · dataset: linear model · n = 200 · k = n/a · α: {0.5, 1} · seed 0'
    """
    cfg = res.get("config", {})
    parts = [
        str(res.get("experiment", "?")),
        f"dataset: {dataset}",
        f"n = {_value(n)}",
        f"k = {_value(k)}",
        f"α: {_value(alpha)}",
        *(f"{key} = {_value(v)}" for key, v in extra.items()),
        f"seed {_value(cfg.get('seed', res.get('seed')))}",
    ]
    return " · ".join(parts)


def add_caption(
    fig: Figure, res: Mapping[str, Any], *, dataset: str, n: Any, k: Any, alpha: Any, **extra: Any
) -> str:
    """Put :func:`caption` under the figure (found again by ``gid == CAPTION_GID``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    res, dataset, n, k, alpha, **extra
        As :func:`caption`.

    Returns
    -------
    str
        The caption text.
    """
    text = caption(res, dataset=dataset, n=n, k=k, alpha=alpha, **extra)
    fig.text(0.5, 0.0, text, ha="center", va="top", fontsize=CAPTION_SIZE, gid=CAPTION_GID)
    return text


def caption_of(fig: Figure) -> str | None:
    """The caption text of ``fig``, or ``None`` when it has none.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure, e.g. one captioned by :func:`add_caption`.

    Returns
    -------
    str or None
    """
    for t in fig.texts:
        if t.get_gid() == CAPTION_GID:
            return str(t.get_text())
    return None


def file_stem(text: str) -> str:
    """``text`` as a file name: characters other than letters, digits and ``._=+-`` become ``_``.

    Parameters
    ----------
    text : str
        The figure's name.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If nothing but ``.`` and ``_`` would be left.

    Examples
    --------
    >>> file_stem("generalization_alpha0=0.15λ1")
    'generalization_alpha0=0.15_1'
    """
    ok = set("._=+-")
    stem = "".join(c if (c.isascii() and c.isalnum()) or c in ok else "_" for c in text)
    if not stem.strip("._"):
        raise ValueError(f"figure name {text!r} gives an empty file name")
    return stem


def save(fig: Figure, out: Path, stem: str) -> list[str]:
    """Save as ``stem.png`` and ``stem.pdf`` under ``out``; returns the file names.

    Plain tick labels are applied to every panel first (:func:`plain_ticks`; axes whose ticks
    :func:`ticks_at` placed keep them); the saved area is the figure's tight bounding box,
    so legends outside the panels and the caption under them are inside the file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    out : Path
        Folder (created if missing).
    stem : str
        File name without extension (passed through :func:`file_stem`).

    Returns
    -------
    list of str
        ``[stem.png, stem.pdf]``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(stem)
    for ax in fig.axes:
        plain_ticks(ax)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    _widen_for_legends(fig)
    names = []
    with mpl.rc_context({"mathtext.fontset": RC["mathtext.fontset"]}):
        for ext in ("png", "pdf"):
            p = out / f"{stem}.{ext}"
            fig.savefig(p, dpi=150, bbox_inches="tight", pad_inches=0.05)
            names.append(p.name)
    return names
