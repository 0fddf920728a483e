"""The result of an experiment's check: passed, failed, or not tested.

A check of the form "where the premise holds, the outcome holds" (e.g. "where a bound is
rigorous, the observed error is below it") says nothing when the premise never holds.  Such a
check is reported as ``not tested (0 of N cases)``, never as passed: :meth:`Check.over` counts
the cases where the premise holds and decides on those only.

``results.json`` stores every check as data, ``{"status", "tested", "total", "detail"}``;
:func:`read_checks` reads that form back and refuses (returns ``None`` for) the booleans of
older runs, whose premise was not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

Status = Literal["passed", "failed", "not tested"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "not tested")


@dataclass(frozen=True)
class Check:
    """One check of an experiment.

    Attributes
    ----------
    name : str
        Identifier, e.g. ``"rigorous_bounds_hold"``.
    status : {"passed", "failed", "not tested"}
        ``"not tested"`` when the premise held in none of the ``total`` cases.
    tested : int
        Number of cases where the premise held (the outcome was looked at).
    total : int
        Number of cases considered.
    detail : str
        What was compared, or why nothing was (e.g. which hypotheses fail).
    """

    name: str
    status: Status
    tested: int
    total: int
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not 0 <= self.tested <= self.total:
            raise ValueError(f"need 0 <= tested <= total, got {self.tested} of {self.total}")
        if (self.status == "not tested") != (self.tested == 0):
            raise ValueError(f"status {self.status!r} with {self.tested} tested case(s)")

    @classmethod
    def over(cls, name: str, premise: ArrayLike, outcome: ArrayLike, detail: str = "") -> Check:
        """Passed iff ``outcome`` holds wherever ``premise`` does; not tested if it never does.

        ``premise`` and ``outcome`` are boolean arrays of one shape (one entry per case).
        """
        p = np.asarray(premise, dtype=bool).ravel()
        o = np.asarray(outcome, dtype=bool).ravel()
        if p.shape != o.shape:
            raise ValueError(f"premise and outcome differ in shape: {p.shape} vs {o.shape}")
        tested = int(p.sum())
        if tested == 0:
            status: Status = "not tested"
        else:
            status = "passed" if bool(np.all(o[p])) else "failed"
        bad = int(np.sum(p & ~o))
        if bad:
            detail = f"{bad} of {tested} tested cases fail" + (f"; {detail}" if detail else "")
        return cls(name, status, tested, int(p.size), detail)

    @classmethod
    def single(cls, name: str, outcome: bool, detail: str = "") -> Check:
        """A check with one case and no premise (always tested)."""
        return cls.over(name, [True], [bool(outcome)], detail)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def label(self) -> str:
        """``✔``, ``✘`` (with ``(t of N cases)`` when not every case was tested or N > 1) or
        ``not tested (0 of N cases)``."""
        if self.status == "not tested":
            return f"not tested (0 of {self.total} cases)"
        mark = "✔" if self.passed else "✘"
        return mark if self.total == 1 else f"{mark} ({self.tested} of {self.total} cases)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "tested": self.tested,
            "total": self.total,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> Check:
        return cls(name, d["status"], int(d["tested"]), int(d["total"]), str(d.get("detail", "")))


def to_json(checks: Iterable[Check]) -> dict[str, dict[str, Any]]:
    """``{name: {status, tested, total, detail}}`` for ``results.json``; names must be unique."""
    out: dict[str, dict[str, Any]] = {}
    for c in checks:
        if c.name in out:
            raise ValueError(f"duplicate check name {c.name!r}")
        out[c.name] = c.to_dict()
    return out


def read_checks(raw: Mapping[str, Any]) -> list[Check] | None:
    """The checks of a ``results.json``; ``None`` for the old format (bare booleans).

    Old runs stored ``True`` also where the premise never held, so their booleans cannot be
    shown as passed: the caller says that the run must be redone.
    """
    if any(not isinstance(v, Mapping) for v in raw.values()):
        return None
    return [Check.from_dict(k, v) for k, v in raw.items()]


def counts(checks: Iterable[Check]) -> dict[Status, int]:
    """Number of checks per status."""
    out: dict[Status, int] = {s: 0 for s in STATUSES}
    for c in checks:
        out[c.status] += 1
    return out


def summary_line(checks: Iterable[Check]) -> str:
    """``"P passed, F failed, N not tested"``."""
    c = counts(checks)
    return f"{c['passed']} passed, {c['failed']} failed, {c['not tested']} not tested"
