"""Helpers shared by experiments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from bounds.report import Report

from ..backend import resolve_device
from ..data import Dataset


def tensors(
    ds: Dataset, device: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(X_train, y_train, X_test, y_test)`` as float64 tensors on ``device``."""
    dev = resolve_device(device)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=dev)  # noqa: E731
    return as_t(ds.X_train), as_t(ds.y_train), as_t(ds.X_test), as_t(ds.y_test)


def spectral_norm(X: np.ndarray) -> float:
    from bounds import spectral_norm as sn

    return sn(X)


def status(rep: Report) -> str:
    """``rigorous``/``not rigorous``/``informal`` plus ``vacuous`` for a bounds report.

    A report whose hypotheses fail says so, also when it is informal: ``informal, hypotheses
    fail (sigma, width)``.
    """
    word = "informal" if rep.informal else ("rigorous" if bool(rep.rigorous) else "not rigorous")
    if rep.failing:
        word += f", hypotheses fail ({', '.join(rep.failing)})"
    return word + (", vacuous" if bool(rep.vacuous) else "")


def _num(x: object) -> str:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.3g}"
    return f"[{float(arr.min()):.3g} .. {float(arr.max()):.3g}]"


def failing_hypotheses(rep: Report) -> list[str]:
    """Each failing hypothesis with both sides, e.g. ``"sigma ≲ K/n (docs/theory.md#r41-sigma-k-over-n): 1 <= 0.0125"``.

    Stored beside a predicted value so that a bound whose hypotheses fail is never shown as a
    plain number (:mod:`simulate.report_md` renders it with this list).
    """
    return [
        f"{c.description or c.name}: {_num(c.lhs)} {c.relation} {_num(c.rhs)}"
        for c in rep.conditions
        if not np.all(c.holds)
    ]


def classification_dataset(
    name: str, n: int, n_test: int, seed: int, *, K: int, C: int, d: int, sigma: float
) -> Dataset:
    """``mixture`` (Definition 2.4, unit-norm rows), ``digits`` or ``mnist`` behind one call."""
    from ..data import load

    if name == "mixture":
        return load("mixture", n, n_test, seed, K=K, C=C, d=d, sigma=sigma)
    return load(name, n, n_test, seed)


def info_rank_rule(info_rank: int, K: int, C: int | None) -> int:
    """``info_rank`` if positive, else ``K^2 C`` for the mixture (Theorem A.1) and 50 otherwise.

    ``C`` is the mixture's clusters per class, ``None`` for a dataset without clusters.
    """
    if info_rank > 0:
        return info_rank
    if C is not None:
        return int(K * K * C)
    return 50


def default_info_rank(ds: Dataset, info_rank: int) -> int:
    """:func:`info_rank_rule` for a loaded dataset."""
    return info_rank_rule(info_rank, ds.K, ds.meta.get("C"))


def info_rank_of(cfg: Mapping[str, Any]) -> int:
    """:func:`info_rank_rule` for a stored config (``dataset``, ``K``, ``C``, ``info_rank``)."""
    C = cfg.get("C") if cfg.get("dataset", "mixture") == "mixture" else None
    return info_rank_rule(int(cfg.get("info_rank", 0)), int(cfg.get("K", 0)), C)
