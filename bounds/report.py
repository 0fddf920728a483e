"""Result records: a hypothesis (:class:`Condition`) and a theorem's evaluation (:class:`Report`).

Every field can be a scalar or an array: theorem functions broadcast their inputs, so a report
evaluated on a grid carries one value per grid point (``rigorous`` and ``vacuous`` included).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

RELATIONS = {
    "<=": np.less_equal,
    ">=": np.greater_equal,
    "<": np.less,
    ">": np.greater,
}

#: Relative band within which a decision is reported as being *at its boundary*: the two sides
#: of a hypothesis within ``BOUNDARY_RTOL * max(|lhs|, |rhs|)`` of each other
#: (:attr:`Condition.at_boundary`), a squared singular value within ``BOUNDARY_RTOL * lambda_1^2``
#: of the squared cutoff (:attr:`bounds.InfoNuisance.rank_at_boundary`).  A relative 1e-13 change
#: of the inputs moves the sides by at most ~1e-12 (the formulas have powers up to 8) and
#: round-off by ~1e-15, so outside the band such a change cannot flip the decision; the band is
#: 1000x above that.
BOUNDARY_RTOL = 1e-9


#: Text-mode LaTeX for the characters that are special in LaTeX (or print wrongly in the
#: default OT1 font), and for the non-ASCII symbols the reports use.
_TEX_TEXT = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
#: Non-ASCII symbols as math-mode commands (``\lesssim``, ``\gtrsim`` need amssymb).
_TEX_MATH_SYMBOLS = {
    "≲": r"\lesssim",
    "≳": r"\gtrsim",
    "∝": r"\propto",
    "≥": r"\geq",
    "≤": r"\leq",
    "⊗": r"\otimes",
    "†": r"\dagger",
    "‖": r"\|",
    "Σ": r"\Sigma",
    "Γ": r"\Gamma",
    "Π": r"\Pi",
    "α": r"\alpha",
    "η": r"\eta",
    "ζ": r"\zeta",
    "λ": r"\lambda",
    "ν": r"\nu",
    "φ": r"\varphi",
    "σ": r"\sigma",
    "δ": r"\delta",
    "ε": r"\varepsilon",
    "√": r"\surd",
}


def latex_escape(text: Any) -> str:
    """``text`` for LaTeX text mode: special characters escaped, math symbols in ``$...$``.

    >>> print(latex_escape("||X|| <= sqrt(n) & 50% of k_1 ≲ 2^n"))
    \\textbar{}\\textbar{}X\\textbar{}\\textbar{} \\textless{}= sqrt(n) \\& 50\\% of k\\_1 $\\lesssim$ 2\\textasciicircum{}n
    """
    out = []
    for ch in " ".join(str(text).split()):
        if ch in _TEX_TEXT:
            out.append(_TEX_TEXT[ch])
        elif ch in _TEX_MATH_SYMBOLS:
            out.append(f"${_TEX_MATH_SYMBOLS[ch]}$")
        else:
            out.append(ch)
    return "".join(out)


def _math_text(text: Any) -> str:
    """``text`` inside math mode (``\\mathrm{...}``), for MathJax as well as LaTeX."""
    out = []
    for ch in " ".join(str(text).split()):
        if ch.isalnum() and ch.isascii():
            out.append(ch)
        elif ch == " ":
            out.append(r"\ ")
        elif ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch in "()[],.;:'!?+-=/*<>|":
            out.append(ch)
        elif ch in _TEX_MATH_SYMBOLS:
            out.append(_TEX_MATH_SYMBOLS[ch] + " ")
        else:
            out.append(r"\ast" if ch == "*" else "?")
    return r"\mathrm{" + "".join(out) + "}"


def _tex_number(x: Any) -> str:
    """A number (or a grid's range, or a truth value) as math-mode LaTeX."""
    arr = np.asarray(x)
    if arr.ndim:
        if arr.dtype == bool:
            return rf"{int(arr.sum())}/{arr.size}\ \mathrm{{hold}}"
        return rf"[{_tex_number(arr.min())}, {_tex_number(arr.max())}]"
    val = arr.item()
    if isinstance(val, bool):
        return r"\mathrm{yes}" if val else r"\mathrm{no}"
    text = f"{val:.4g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


_RELATION_TEX = {"<=": r"\le", ">=": r"\ge", "<": "<", ">": ">"}
_EQUATION = re.compile(r"\((\d+\.\d+[a-z]?)\)")


def md_cell(text: Any) -> str:
    """``text`` as one GitHub-flavoured Markdown table cell.

    Line breaks become spaces (a row is one line), backslashes are doubled (``a\\`` before the
    closing ``|`` would escape it) and ``|`` is escaped (``||X||`` would split the row).  A GFM
    parser reads the row as exactly its cells and renders their pipes and backslashes as
    written; other Markdown in ``text`` (``*``, backticks) keeps its meaning.
    """
    return " ".join(str(text).splitlines()).replace("\\", "\\\\").replace("|", "\\|")


@dataclass(frozen=True)
class Condition:
    """One hypothesis ``lhs relation rhs`` of a theorem, evaluated on the user's numbers.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"width"`` or ``"step_size"``.
    lhs, rhs : float or ndarray
        Both sides, evaluated.
    relation : str
        One of ``<=, >=, <, >``.
    holds : bool or ndarray of bool
        Whether the inequality holds (elementwise on a grid).  Where the hypothesis does not
        apply (e.g. Lemma 6.20's information ratio when ``eps0 = 0``) it counts as holding.
    description : str
        What the hypothesis is, with its equation number.
    applies : bool or ndarray of bool
        Where the hypothesis is part of the theorem (False where it is vacuous and ``holds`` was
        set True for that reason); default True.
    guaranteed : bool
        True when the hypothesis holds by construction: a default chosen to meet it (e.g. the
        largest step size), or an input range that implies it.  ``holds`` is then True and the
        hypothesis is never at a boundary, whatever the last digits of its sides.
    """

    name: str
    lhs: Any
    relation: str
    rhs: Any
    holds: Any
    description: str = ""
    applies: Any = True
    guaranteed: bool = False

    @property
    def at_boundary(self) -> Any:
        """Where both sides agree to :data:`BOUNDARY_RTOL` (elementwise on a grid).

        There ``holds`` is decided by the last digits and may flip under a relative 1e-13
        change of the inputs; outside it cannot.  Two sides that are both exactly zero are not
        at a boundary (relative changes of the inputs keep them zero), nor is a hypothesis that
        does not apply or holds by construction (``guaranteed``).
        """
        if self.guaranteed:
            return np.zeros(np.shape(self.holds), dtype=bool) if np.ndim(self.holds) else np.False_
        lhs = np.asarray(self.lhs, dtype=np.float64)
        rhs = np.asarray(self.rhs, dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            scale = np.maximum(np.abs(lhs), np.abs(rhs))
            near = (np.abs(lhs - rhs) <= BOUNDARY_RTOL * scale) & (scale > 0) & np.isfinite(scale)
        out = np.logical_and(near, np.asarray(self.applies, dtype=bool))
        return out if out.ndim else np.bool_(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lhs": _jsonable(self.lhs),
            "relation": self.relation,
            "rhs": _jsonable(self.rhs),
            "holds": _jsonable(self.holds),
            "description": self.description,
            "at_boundary": _jsonable(self.at_boundary),
        }


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _fmt(x: Any) -> str:
    arr = np.asarray(x)
    if arr.ndim == 0:
        val = arr.item()
        if isinstance(val, bool | np.bool_):
            return "yes" if val else "NO"
        return f"{val:.6g}"
    return f"array{arr.shape} [{_fmt(arr.min())} .. {_fmt(arr.max())}]"


@dataclass(frozen=True)
class Report:
    """A theorem evaluated on given numbers: conclusions, hypotheses and run parameters.

    Conclusions are also attributes: ``report.error``, ``report.train_residual``, ...

    Attributes
    ----------
    theorem : str
        Key, e.g. ``"6.24"``.
    title : str
        What the result is, with its equation numbers.
    conclusions : Mapping[str, float or ndarray]
        The bounds the theorem states, by name.
    conditions : tuple of Condition
        Every hypothesis with both sides and whether it holds.
    cutoff : float or ndarray
        The actual spectral cutoff (docs/theory.md#cutoffs), on the matrix named in ``notes``.
    step_size : float or ndarray or None
        The learning rate ``eta`` used (the largest the theorem allows unless given).
    iterations : float or ndarray
        Number of gradient steps ``T`` (an integer, the ceiling of the theorem's real ``T``).
    informal : bool
        True for the informal statements (2.2, 2.3, 2.5, A.3): hidden constants are set to 1 and
        the report is never rigorous.
    vacuous_threshold : float or ndarray or None
        The bound in ``conclusions[vacuous_key]`` is vacuous at or above this value.
    boundary : tuple of str
        Decisions other than the hypotheses taken at a tolerance boundary (``"iterations"``:
        the real ``T`` at the edge of the whole-step rule; ``"rank"``: a singular value at the
        cutoff).  :attr:`at_boundary` lists these and the hypotheses at their boundary.
    """

    theorem: str
    title: str
    conclusions: Mapping[str, Any]
    conditions: tuple[Condition, ...]
    cutoff: Any
    step_size: Any
    iterations: Any
    informal: bool = False
    probability: Any = None
    vacuous_key: str | None = None
    vacuous_threshold: Any = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    boundary: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        conclusions = object.__getattribute__(self, "conclusions")
        if name in conclusions:
            return conclusions[name]
        raise AttributeError(f"{type(self).__name__} of Theorem {self.theorem} has no {name!r}")

    @property
    def hypotheses_hold(self) -> Any:
        """Whether every hypothesis holds (elementwise on a grid)."""
        out: Any = np.bool_(True)
        for c in self.conditions:
            out = np.logical_and(out, c.holds)
        return out

    @property
    def rigorous(self) -> Any:
        """True where every hypothesis holds and the statement is a formal one."""
        if self.informal:
            return (
                np.zeros(np.shape(self.hypotheses_hold), dtype=bool)
                if np.ndim(self.hypotheses_hold)
                else np.bool_(False)
            )
        return self.hypotheses_hold

    @property
    def vacuous(self) -> Any:
        """True where the headline bound says nothing (an error bound >= 1, see ``vacuous_key``)."""
        if self.vacuous_key is None:
            return np.bool_(False)
        return np.greater_equal(self.conclusions[self.vacuous_key], self.vacuous_threshold)

    @property
    def at_boundary(self) -> tuple[str, ...]:
        """Names of the decisions at a tolerance boundary (anywhere on a grid).

        Hypotheses whose sides agree to :data:`BOUNDARY_RTOL`, ``"vacuous"`` when the headline
        bound is that close to its threshold, and the entries of ``boundary``; empty when every
        decision is stable under a relative 1e-13 change of the inputs.
        """
        names = [c.name for c in self.conditions if np.any(c.at_boundary)]
        if self.vacuous_key is not None:
            # The vacuity flag compares the headline bound with its threshold: same band.
            edge = Condition(
                "vacuous", self.conclusions[self.vacuous_key], ">=", self.vacuous_threshold, True
            )
            if np.any(edge.at_boundary):
                names.append("vacuous")
        return tuple(dict.fromkeys([*names, *self.boundary]))

    @property
    def failing(self) -> tuple[str, ...]:
        """Names of the hypotheses that fail (anywhere on a grid)."""
        return tuple(c.name for c in self.conditions if not np.all(c.holds))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (arrays become lists)."""
        return {
            "theorem": self.theorem,
            "title": self.title,
            "informal": self.informal,
            "rigorous": _jsonable(self.rigorous),
            "vacuous": _jsonable(self.vacuous),
            "cutoff": _jsonable(self.cutoff),
            "step_size": _jsonable(self.step_size),
            "iterations": _jsonable(self.iterations),
            "probability": _jsonable(self.probability),
            "conclusions": {k: _jsonable(v) for k, v in self.conclusions.items()},
            "conditions": [c.to_dict() for c in self.conditions],
            "inputs": {k: _jsonable(v) for k, v in self.inputs.items()},
            "notes": list(self.notes),
            "at_boundary": list(self.at_boundary),
        }

    def _status(self) -> str:
        if self.informal:
            status = "INFORMAL (hidden constants set to 1; never rigorous)"
            if self.failing:
                status += "; failing hypotheses " + ", ".join(self.failing)
        elif np.all(self.rigorous):
            status = "RIGOROUS (every hypothesis holds)"
        elif np.any(self.rigorous):
            status = "rigorous on part of the grid"
        else:
            status = "NOT RIGOROUS: failing hypotheses " + ", ".join(self.failing)
        if self.vacuous_key is not None:
            vac = self.vacuous
            if np.all(vac):
                status += f"; VACUOUS ({self.vacuous_key} >= {_fmt(self.vacuous_threshold)})"
            elif np.any(vac):
                status += "; vacuous on part of the grid"
            else:
                status += "; non-vacuous"
        if self.at_boundary:
            status += "; AT A TOLERANCE BOUNDARY: " + ", ".join(self.at_boundary)
        return status

    def __str__(self) -> str:
        lines = [f"Theorem {self.theorem}: {self.title}", f"status: {self._status()}", ""]
        head = [
            ("cutoff", self.cutoff),
            ("step_size", self.step_size),
            ("iterations", self.iterations),
        ]
        if "Gamma_effective" in self.inputs:
            head.append(("Gamma_effective", self.inputs["Gamma_effective"]))
        if self.probability is not None:
            head.append(("probability", self.probability))
        w = max(len(k) for k in [*self.conclusions, *(h[0] for h in head)]) + 2
        lines.append("run parameters")
        lines += [f"  {k:<{w}}{_fmt(val)}" for k, val in head if val is not None]
        lines.append("conclusions")
        lines += [f"  {k:<{w}}{_fmt(val)}" for k, val in self.conclusions.items()]
        lines.append("hypotheses")
        cw = max((len(c.name) for c in self.conditions), default=4) + 2
        for c in self.conditions:
            lines.append(
                f"  {c.name:<{cw}}{_fmt(c.lhs):>14} {c.relation:<2} {_fmt(c.rhs):<14}"
                f" {_fmt(c.holds) if np.ndim(c.holds) == 0 else _fmt(np.mean(c.holds)) + ' hold'}"
                f"   {c.description}"
            )
        if self.notes:
            lines.append("notes")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)

    def _closed_forms(self) -> tuple[dict[str, str], dict[str, str]]:
        """LaTeX of each conclusion and hypothesis from the registry, in what the numbers
        used (``Gamma_eff`` for ``Gamma`` where the report was evaluated at it)."""
        from .formulas import DEFS
        from .symbolic import GAMMA_EFF, latex

        d = DEFS.get(self.theorem)
        if d is None:
            return {}, {}
        import sympy as sp

        subs = (
            {sp.Symbol("Gamma", positive=True): GAMMA_EFF}
            if "Gamma_effective" in self.inputs
            else {}
        )

        def tex(e: Any) -> str:
            return latex(e.subs(subs) if subs else e)

        concl = {name: tex(e) for name, e in d.conclusions.items()}
        conds = {
            c.name: f"{tex(c.lhs)} {_RELATION_TEX[c.relation]} {tex(c.rhs)}" for c in d.conditions
        }
        return concl, conds

    def _latex_rows(
        self,
    ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str, str, str]]]:
        """Math-mode cells: (name, closed form, value) and (name, statement, eq., lhs, rhs,
        holds).  Names are raw; the callers escape them for their mode."""
        concl, conds = self._closed_forms()
        rows = [
            (name, concl.get(name, ""), _tex_number(val)) for name, val in self.conclusions.items()
        ]
        hyp = []
        for c in self.conditions:
            m = _EQUATION.search(c.description)
            holds = _tex_number(c.holds)
            if np.any(c.at_boundary):
                holds += r"^{\ast}"
            hyp.append(
                (
                    c.name,
                    conds.get(c.name, ""),
                    m.group(1) if m else "",
                    _tex_number(c.lhs),
                    _tex_number(c.rhs),
                    holds,
                )
            )
        return rows, hyp

    def to_latex(self, *, booktabs: bool = False, label: str | None = None) -> str:
        """The report as a LaTeX ``table`` for a paper: conclusions and hypotheses.

        Two ``tabular`` blocks: each conclusion with its closed form (from
        :mod:`bounds.symbolic`; ``\\Gamma_{\\mathrm{eff}}`` where the numbers used it) and
        value; each hypothesis with its statement, equation number, both sides evaluated and
        whether it holds (a star: at a tolerance boundary).  The caption gives the status line.
        Text is escaped (:func:`latex_escape`); ``booktabs=True`` uses ``\\toprule`` etc.
        (package booktabs), otherwise ``\\hline``.  ``\\lesssim`` in informal titles needs
        amssymb.  On a grid, values are ranges ``[min, max]`` and ``holds`` a count.
        """
        top, mid, bottom = (
            (r"\toprule", r"\midrule", r"\bottomrule")
            if booktabs
            else (r"\hline", r"\hline", r"\hline")
        )
        rows, hyp = self._latex_rows()
        g_eff = self.inputs.get("Gamma_effective")
        caption = latex_escape(f"Theorem {self.theorem}: {self.title}. Status: {self._status()}.")
        if g_eff is not None:
            caption += rf" Evaluated at $\Gamma_{{\mathrm{{eff}}}} = {_tex_number(g_eff)}$."
        lines = [r"\begin{table}[ht]", r"\centering", r"\caption{" + caption + "}"]
        if label is not None:
            lines.append(r"\label{" + latex_escape(label) + "}")
        lines += [r"\begin{tabular}{lll}", top, r"quantity & closed form & value \\", mid]
        for name, form, val in rows:
            lines.append(
                rf"\texttt{{{latex_escape(name)}}} & {'$' + form + '$' if form else '--'} & ${val}$ \\"
            )
        lines += [bottom, r"\end{tabular}"]
        if not self.conditions:  # e.g. Lemma 6.14: nothing to check
            return "\n".join([*lines, r"\end{table}"])
        lines += ["", r"\medskip", ""]
        lines += [
            r"\begin{tabular}{llllll}",
            top,
            r"hypothesis & statement & eq. & left & right & holds \\",
            mid,
        ]
        for c, (name, stmt, eq, lhs, rhs, holds) in zip(self.conditions, hyp, strict=True):
            statement = f"${stmt}$" if stmt else latex_escape(c.description)
            lines.append(
                rf"\texttt{{{latex_escape(name)}}} & {statement} & {latex_escape(eq) or '--'} & "
                rf"${lhs}$ & ${rhs}$ & ${holds}$ \\"
            )
        lines += [bottom, r"\end{tabular}", r"\end{table}"]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        """The report as display math (``array``): renders in Jupyter (MathJax) and in LaTeX."""
        rows, hyp = self._latex_rows()
        head = r"\mathbf{Theorem\ " + _math_text(self.theorem)[8:-1] + r"}:\ "
        head += _math_text(self._status())
        lines = [
            r"\begin{array}{lll}",
            r"\mathrm{quantity} & \mathrm{closed\ form} & \mathrm{value} \\",
            r"\hline",
        ]
        for name, form, val in rows:
            lines.append(rf"{_math_text(name)} & {form} & {val} \\")
        lines.append(r"\hline")
        for name, stmt, _eq, lhs, rhs, holds in hyp:
            lines.append(
                rf"{_math_text(name)} & {stmt or _math_text('-')} & {lhs}\ \mathrm{{vs}}\ {rhs}\ "
                rf"({holds}) \\"
            )
        lines.append(r"\end{array}")
        return "$$" + head + "$$\n$$\n" + "\n".join(lines) + "\n$$"

    def _repr_markdown_(self) -> str:
        out = [
            f"**Theorem {self.theorem}**: {self.title}  ",
            f"*{self._status()}*",
            "",
            "| quantity | value |",
            "|---|---|",
        ]
        run = (
            ("cutoff", self.cutoff),
            ("step size η", self.step_size),
            ("iterations T", self.iterations),
        )
        # Lemmas and informal statements have no cutoff, step size or iteration count.
        out += [f"| {name} | {md_cell(_fmt(val))} |" for name, val in run if val is not None]
        out += [f"| {md_cell(k)} | {md_cell(_fmt(val))} |" for k, val in self.conclusions.items()]
        out += ["", "| hypothesis | left | rel | right | holds | |", "|---|---|---|---|---|---|"]
        out += [
            f"| {md_cell(c.name)} | {md_cell(_fmt(c.lhs))} | {md_cell(c.relation)} | "
            f"{md_cell(_fmt(c.rhs))} | {md_cell(_fmt(c.holds))} | {md_cell(c.description)} |"
            for c in self.conditions
        ]
        if self.notes:
            out += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(out)
