"""Figures: no backend chosen at import, plain tick labels, captions, palette, file names.

Every experiment's own figures are checked (caption, PNG + PDF) in
``tests/test_experiments.py::test_experiment_runs_and_passes_checks``, which captures each
Figure it saves.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_rgb

from simulate import plots

ROOT = Path(__file__).resolve().parents[1]


def test_import_leaves_the_backend_alone():
    """``import simulate.experiments`` neither switches the backend nor imports pyplot."""
    code = (
        "import sys, matplotlib\n"
        "before = matplotlib.get_backend()\n"
        "import simulate, simulate.experiments, simulate.plots, simulate.report_md, simulate.cli\n"
        "assert matplotlib.get_backend() == before == 'svg', (before, matplotlib.get_backend())\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    env = {**os.environ, "MPLBACKEND": "svg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr


def test_saving_needs_no_pyplot(tmp_path):
    """A figure is saved as PNG and PDF with plots' own canvas, whatever the backend."""
    fig, (ax,) = plots.new_figure()
    ax.plot([1, 2], [3, 4], label="x", **plots.style(0))
    plots.legend(ax)
    res = {"experiment": "toy", "config": {"seed": 7}}
    text = plots.add_caption(fig, res, dataset="toy data", n=[30, 60], k=64, alpha=None)
    names = plots.save(fig, tmp_path, "toy")
    assert names == ["toy.png", "toy.pdf"]
    assert (tmp_path / "toy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "toy.pdf").read_bytes()[:5] == b"%PDF-"
    assert plots.caption_of(fig) == text
    assert text == "toy · dataset: toy data · n = {30, 60} · k = 64 · α: n/a · seed 7"


def _luminance(colour: str) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_series_styles_are_distinct_in_grey():
    """Colours alone may coincide in grey; marker and dash pattern never repeat in a cycle."""
    n = len(plots.PALETTE)
    styles = [plots.style(i) for i in range(n)]
    assert len({s["marker"] for s in styles}) == n
    assert len({str(s["linestyle"]) for s in styles}) == n
    assert len(set(plots.PALETTE)) == n
    assert plots.style(n) == plots.style(0)
    # Negative control: a grey-only palette would not be told apart by colour either, which is
    # why markers carry the distinction (here: two Okabe-Ito colours close in grey).
    assert abs(_luminance("#E69F00") - _luminance("#56B4E9")) < 0.1


@given(st.floats(min_value=1e-30, max_value=1e30))
def test_plain_number_is_plain_and_close(v):
    s = plots.plain_number(v)
    assert not set(s) & set("$×^{}\\"), s
    assert math.isclose(float(s), v, rel_tol=5e-3)


def _tick_labels(ax) -> list[str]:
    ax.figure.draw_without_rendering()
    labels = []
    for axis in (ax.xaxis, ax.yaxis):
        for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
            if tick.label1.get_visible() and tick.label1.get_text():
                labels.append(tick.label1.get_text())
    return labels


@pytest.mark.parametrize(("lo", "hi"), [(30, 60), (1e-3, 1e20), (0.2, 0.9), (50, 5000)])
def test_log_ticks_are_plain(lo, hi):
    _fig, (ax,) = plots.new_figure()
    ax.loglog([lo, hi], [lo, hi])
    plots.plain_ticks(ax)
    labels = _tick_labels(ax)
    assert labels, "an axis without any label"
    assert not [s for s in labels if set(s) & set("$×^")], labels


def test_default_log_ticks_are_not_plain():
    """Negative control: without plain_ticks matplotlib writes mathtext (10^1, 6×10^1)."""
    _fig, (ax,) = plots.new_figure()
    ax.loglog([30, 60], [30, 60])
    assert any("$" in s or "^" in s for s in _tick_labels(ax))


@pytest.mark.parametrize("ns", [[30, 60, 120], [50, 100, 200, 400], [40, 80, 160, 320, 5000]])
def test_ticks_at_labels_exactly_the_values(ns):
    fig, (ax,) = plots.new_figure()
    ax.loglog(ns, range(1, len(ns) + 1))
    plots.ticks_at(ax.xaxis, ns)
    plots.plain_ticks(ax)  # leaves the placed ticks alone
    fig.draw_without_rendering()
    labelled = [
        t.label1.get_text()
        for t in [*ax.xaxis.get_major_ticks(), *ax.xaxis.get_minor_ticks()]
        if t.label1.get_visible() and t.label1.get_text()
    ]
    assert labelled == [str(n) for n in ns]


def test_legend_lies_outside_the_data_area(tmp_path):
    fig, (ax,) = plots.new_figure()
    ax.plot(np.arange(10), np.arange(10), label="a long legend label", **plots.style(0))
    leg = plots.legend(ax)
    plots.save(fig, tmp_path, "leg")
    r = fig.canvas.get_renderer()
    assert leg.get_window_extent(r).x0 >= ax.get_window_extent(r).x1


def test_overlaps_names_the_curve_underneath():
    a = [1.0, 2.0, 3.0]
    same = plots.overlaps({"x": a, "y": [1.005, 2.0, 2.99], "z": [2.0, 4.0, 6.0], "w": None})
    assert same == {"y": "x"}
    assert plots.overlaps({"x": a, "y": [1.1, 2.0, 3.0]}) == {}  # 10% apart: seen as two


def test_file_stem():
    assert plots.file_stem("generalization_alpha0=0.15lambda1") == (
        "generalization_alpha0=0.15lambda1"
    )
    assert plots.file_stem("a b/c") == "a_b_c"
    with pytest.raises(ValueError, match="empty file name"):
        plots.file_stem("..")
