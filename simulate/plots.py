"""Matplotlib helpers: grayscale-readable styles and PNG+PDF output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: Line styles that stay distinguishable in grayscale (colour, dash, marker).
STYLES: list[dict[str, Any]] = [
    dict(color="0.0", linestyle="-", marker="o"),
    dict(color="0.45", linestyle="--", marker="s"),
    dict(color="0.2", linestyle=":", marker="^"),
    dict(color="0.6", linestyle="-.", marker="D"),
    dict(color="0.3", linestyle=(0, (5, 1)), marker="v"),
    dict(color="0.7", linestyle=(0, (1, 1)), marker="P"),
    dict(color="0.5", linestyle=(0, (3, 1, 1, 1, 1, 1)), marker="*"),
    dict(color="0.15", linestyle=(0, (8, 2)), marker="h"),
]


def style(i: int, markevery: int | None = None) -> dict[str, Any]:
    s = dict(STYLES[i % len(STYLES)])
    s["markersize"] = 4
    if markevery:
        s["markevery"] = markevery
    return s


def new_figure(ncols: int = 1, width: float = 4.2, height: float = 3.2) -> tuple[Figure, list]:
    plt.rcParams.update(
        {"font.size": 9, "axes.grid": True, "grid.alpha": 0.3, "mathtext.fontset": "cm"}
    )
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, list(axes[0])


def save(fig: Figure, out: Path, stem: str) -> list[str]:
    """Save as ``stem.png`` and ``stem.pdf`` under ``out``; returns the file names."""
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    names = []
    for ext in ("png", "pdf"):
        p = out / f"{stem}.{ext}"
        fig.savefig(p, dpi=150)
        names.append(p.name)
    plt.close(fig)
    return names
