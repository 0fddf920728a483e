"""The calculator's commands, ``bound`` and ``solve``: the bounds layer of the command line.

The ``jacobound`` command (``jacobound.py``) puts these beside the experiment commands of
:mod:`simulate.cli` when the ``simulate`` extra is installed; ``python -m bounds`` runs these two
alone.  The help of each theorem (``jacobound bound 6.24 --help``) is generated from its
:class:`~bounds.formulas.TheoremDef`: the same meaning and range as the docstring of its
``theorem_*`` function.

Examples::

    jacobound bound --list
    jacobound bound 6.24 --alpha 0.3 --Gamma 2 --zeta 0.1 --delta 0.05 --k 4096 --n 1000 \
        --K 10 --B 1 --X_norm 31.6 --y_info 30 --y_nuisance 10 --y_pinv 5
    jacobound bound 6.24 ... --alpha 0.1,0.2,0.3          # a grid: comma-separated values
    jacobound solve 6.24 --for k ...                      # smallest width meeting (6.89)
    jacobound solve 6.24 --for n --goal error --target 0.5 --y_info_fraction 0.99 \
        --X_norm_fraction 0.3 ...                         # smallest n with error <= 0.5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np
import sympy as sp

from . import formulas as F
from ._generate import range_text
from ._version import __version__
from .fractions import FRACTIONS, fraction_names
from .symbolic import GAMMA_EFF, latex, solve_for
from .theorems import evaluate, list_theorems

#: Exit status of a command killed by SIGPIPE (128 + 13), used when stdout is closed early.
EXIT_BROKEN_PIPE = 141


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class OneLineParser(argparse.ArgumentParser):
    """``argparse`` parser whose errors are one line on stderr (``prog: error: ...``), exit 2.

    The usage text is left to ``--help``: a script or a person reading the error needs the
    message, and a multi-line usage block buries it.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see --help)\n")


def _number(text: str) -> Any:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or comma-separated numbers, got {text!r}"
        ) from None
    return np.array(parts) if len(parts) > 1 else parts[0]


#: Shown under every theorem's help: how values are written, and their units.
_VALUES_NOTE = (
    "Every value is a number or a comma-separated grid (--alpha 0.1,0.2,0.3); grids broadcast "
    "against each other. Units: "
    + ", ".join(sorted(F.INTEGER_INPUTS, key=lambda s_: (s_.lower(), s_)))
    + " are counts; every other input is dimensionless, norms being Euclidean (of class-major "
    "vectors; one-hot labels have ||y|| = sqrt(n)) or spectral (of matrices)."
)


def plain_text(text: str) -> str:
    """``text`` without RST markup: roles (``:func:`x``` -> ``x``) and double backquotes."""
    return re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text).replace("``", "")


def _help_text(text: str) -> str:
    """Plain ``text``, safe for argparse's help strings (which treat ``%`` as a format character)."""
    return plain_text(text).replace("%", "%%")


def _input_help(d: F.TheoremDef, name: str) -> str:
    """What the theorem's docstring says of the input (:mod:`bounds._generate`), as plain text."""
    return _help_text(f"{d.arg_doc(name)}; {range_text(d, name)}")


def _description(d: F.TheoremDef, lead: str = "") -> str:
    """What a theorem's help says above its inputs: title, cutoff, steps, fixed values."""
    kind = "Lemma" if d.key.startswith("L") else "Theorem"
    lines = [*([lead] if lead else []), f"{kind} {d.key.lstrip('L')}: {d.title}."]
    if d.informal:
        lines.append("An informal statement: its bounds hold up to unspecified constants.")
    if d.cutoff is not None:
        lines.append(f"Actual cutoff: {d.cutoff}.")
    if d.reference is not None:
        lines.append(f"Information and nuisance spaces: those of {F.REFERENCES[d.reference]}.")
    if d.iterations is not None:
        lines.append(f"Gradient-descent steps: T = {d.iterations} (a whole number of steps).")
    for name, expr in d.derived.items():
        lines.append(f"Fixed by the theorem (not an input): {name} = {expr}.")
    if d.probability is not None:
        # Three digits: (2K)^(-100) would print as 1/(1267650600228229401496703205376*K**100).
        lines.append(f"Holds with probability at least 1 - ({sp.N(1 - d.probability, 3)}).")
    lines.append(_VALUES_NOTE)
    return "\n".join(textwrap.fill(line, 88, subsequent_indent="  ") for line in lines)


def theorem_parser(
    key: str,
    *,
    prog: str,
    extra: Sequence[str] = (),
    more: Sequence[str] = (),
    lead: str = "",
) -> OneLineParser:
    """The parser of theorem ``key``'s inputs, with help generated from its definition.

    ``extra`` are inputs that may be left out (``solve``'s unknown); ``more`` are fractions of
    sqrt(n) that ``solve`` takes (:mod:`bounds.fractions`); ``lead`` opens the description.
    Each flag shows the input's own placeholder (``--k WIDTH``, ``--K CLASSES``).
    """
    d = F.get(key)
    p = OneLineParser(
        prog=f"{prog} {d.key}",
        description=_description(d, lead),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=True,
    )
    req = p.add_argument_group("inputs (required)")
    for name in d.inputs:
        req.add_argument(
            f"--{name}",
            type=_number,
            required=name not in extra,
            metavar=F.METAVARS[name],
            help=_input_help(d, name),
        )
    opt = p.add_argument_group("inputs with a default")
    for name, expr in d.defaults.items():
        opt.add_argument(
            f"--{name}",
            type=_number,
            default=None,
            metavar=F.METAVARS[name],
            help=_input_help(d, name) + _help_text(f"; default {expr}"),
        )
    if more:
        frac = p.add_argument_group("fractions of sqrt(n), instead of the absolute input (solve)")
        for name in more:
            frac.add_argument(
                f"--{name}",
                type=_number,
                default=None,
                metavar=name.upper(),
                help=f"sets {FRACTIONS[name]} = {name} * sqrt(n), so that it scales with n",
            )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the result as JSON")
    fmt.add_argument("--markdown", action="store_true", help="print the result as Markdown")
    fmt.add_argument("--latex", action="store_true", help="also print the formulas in LaTeX")
    return p


def _params(
    key: str,
    argv: Sequence[str],
    extra: Sequence[str] = (),
    more: Sequence[str] = (),
    *,
    prog: str = "jacobound bound",
) -> tuple[dict[str, Any], argparse.Namespace]:
    d = F.get(key)
    p = theorem_parser(key, prog=prog, extra=extra, more=more)
    ns = p.parse_args(list(argv))
    vals = {name: getattr(ns, name) for name in (*d.inputs, *d.defaults, *more)}
    return {k: val for k, val in vals.items() if val is not None}, ns


def _theorem_help(args: argparse.Namespace, lead: str = "", more: bool = False) -> int:
    """``--help`` of a command: the theorem's inputs when one is named, else the command's own.

    ``more``: list the fractions of sqrt(n) the theorem takes (``solve``).
    """
    if args.theorem:
        fractions = fraction_names(args.theorem) if more else ()
        parser = theorem_parser(args.theorem, prog=args.help_parser.prog, more=fractions, lead=lead)
        print(parser.format_help())
    else:
        print(args.help_parser.format_help())
    return 0


def cmd_bound(args: argparse.Namespace) -> int:
    if args.help:
        return _theorem_help(args)
    if args.list or not args.theorem:
        for key, fn, title in list_theorems():
            print(f"{key:<7} {fn:<14} {title}")
        return 0
    vals, ns = _params(args.theorem, args.params, prog=args.help_parser.prog)
    rep = evaluate(args.theorem, **vals)
    if ns.json:
        # Strict JSON: a NaN or inf would print as the non-standard NaN/Infinity tokens.
        print(json.dumps(rep.to_dict(), indent=2, allow_nan=False))
    elif ns.markdown:
        print(rep._repr_markdown_())
    else:
        print(rep)
    if ns.latex:
        d = F.get(args.theorem)
        print("\nformulas")
        for name, expr in d.conclusions.items():
            print(f"  {name} = {latex(expr)}")
        for c in d.conditions:
            print(f"  [{c.name}] {latex(c.relational)}")
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    if args.help:
        return _theorem_help(args, lead=_SOLVE_LEAD, more=True)
    if args.theorem is None or args.unknown is None:
        raise ValueError(
            "solve needs a theorem key and --for NAME, the input to solve for (k, n, alpha, ...)"
        )
    fractions = fraction_names(args.theorem)
    # With a fraction, the absolute input it sets is not required (and may not be given).
    vals, ns = _params(
        args.theorem,
        args.params,
        extra=(args.unknown, *(FRACTIONS[f] for f in fractions)),
        more=fractions,
        prog=args.help_parser.prog,
    )
    vals.pop(args.unknown, None)
    d = F.get(args.theorem)
    sol = solve_for(
        args.theorem,
        args.unknown,
        goal=args.goal,
        target=args.target,
        extremum=args.extremum,
        **vals,
    )
    word = {"min": "smallest", "max": "largest"}[
        args.extremum or ("max" if args.unknown == "alpha" else "min")
    ]
    what = f"{sol.goal} <= {sol.target:g}" if sol.target is not None else repr(sol.goal)
    if ns.json:
        out = {"theorem": d.key, "extremum": word, "inputs": vals, **sol.to_dict()}
        print(json.dumps(out, indent=2, allow_nan=False, default=_json_default))
        return 0
    head = f"Theorem {d.key}: {word} {sol.unknown} with {what} satisfied: {sol.value:.6g}"
    if ns.markdown:
        print(f"**{head}**\n")
        if sol.exact is not None:
            print(f"closed form of the boundary: ${sol.unknown} = {sol.exact_latex}$")
            if sol.gamma_effective is not None:
                print(f"\nwith $\\Gamma_{{\\mathrm{{eff}}}} = {sol.gamma_effective:.6g}$")
        return 0
    print(head)
    if sol.exact is not None:
        shown = sol.exact_latex if ns.latex else str(sol.exact)
        print(f"  closed form of the boundary: {sol.unknown} = {shown}")
        if sol.gamma_effective is not None and GAMMA_EFF in sol.exact.free_symbols:
            print(
                f"  with Gamma_eff = Gamma * max(ceil(T)/T, 1) = {sol.gamma_effective:.6g} "
                "(the Gamma the theorem is evaluated at)"
            )
        if sol.exact_value is not None:
            print(f"  = {sol.exact_value:.6g} at these inputs")
    return 0


def _json_default(x: Any) -> Any:
    if isinstance(x, np.ndarray | np.generic):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


_SOLVE_LEAD = (
    "jacobound solve KEY --for NAME [--goal GOAL [--target T]] [--extremum min|max] [inputs]: "
    "every input but NAME is required, except those a fraction of sqrt(n) sets."
)


def add_commands(sub: Any) -> None:
    """Register ``bound`` and ``solve`` on an ``argparse`` sub-parser collection."""
    b = sub.add_parser(
        "bound",
        help="evaluate a theorem and print its report",
        description="Evaluate a theorem; pass its inputs as --name value. "
        "jacobound bound --list lists the theorems; jacobound bound KEY --help lists the "
        "inputs of theorem KEY.",
        add_help=False,
    )
    b.add_argument("theorem", nargs="?", help="theorem key, e.g. 6.24, A.3, L6.19")
    b.add_argument("--list", action="store_true", help="list the theorems")
    b.add_argument("-h", "--help", action="store_true", help="this help, or a theorem's inputs")
    b.set_defaults(func=cmd_bound, takes_params=True, help_parser=b)
    s = sub.add_parser(
        "solve",
        help="solve for the smallest k / n or largest alpha meeting a goal",
        description="Solve for one input of a theorem, all others fixed. "
        "jacobound solve KEY --help lists the inputs of theorem KEY.",
        add_help=False,
    )
    s.add_argument("theorem", nargs="?", help="theorem key, e.g. 6.24")
    s.add_argument(
        "--for", dest="unknown", metavar="NAME", help="the input to solve for: k, n, alpha, ..."
    )
    s.add_argument(
        "--goal",
        default="width",
        help="a hypothesis name (default width), 'rigorous', 'nonvacuous', or a conclusion "
        "with --target",
    )
    s.add_argument(
        "--target",
        type=float,
        default=None,
        help="with a conclusion as --goal (e.g. error): the value it must not exceed",
    )
    s.add_argument("--extremum", choices=("min", "max"), default=None)
    s.add_argument("-h", "--help", action="store_true", help="this help, or a theorem's inputs")
    s.set_defaults(func=cmd_solve, takes_params=True, help_parser=s)


def make_parser(prog: str, description: str, *layers: Callable[[Any], None]) -> OneLineParser:
    """The command line: ``--version`` and the commands each of ``layers`` registers.

    Each layer is an ``add_commands(sub)`` function (this module's, :mod:`simulate.cli`'s).
    """
    parser = OneLineParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"jacobound {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in layers:
        add(sub)
    return parser


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (e.g. captured)
        pass


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse and dispatch; a bad input is a one-line ``error: ...`` on stderr and exit code 2.

    ``ValueError``/``TypeError`` (bad arguments, refused values) and ``OSError`` (unreadable or
    unwritable paths) are reported that way; a closed stdout (``| head``) ends quietly with
    :data:`EXIT_BROKEN_PIPE`.  Anything else is a bug and keeps its traceback.
    """
    # The theorem's own inputs (--alpha, --k, ...) depend on the theorem: they are parsed later.
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "takes_params", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.params = rest
    if not hasattr(args, "func"):
        parser.error("a command is required")
    try:
        code = int(args.func(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (ValueError, TypeError, OSError) as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bounds``: the calculator's two commands (``jacobound`` has them too)."""
    description = "The theorem calculator of jacobound: bound and solve (see COMMAND --help)."
    return run(make_parser("python -m bounds", description, add_commands), argv)
