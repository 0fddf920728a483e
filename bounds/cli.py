"""Command line of the calculator: ``bound`` and ``solve`` (also under ``jacobound``).

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
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from . import formulas as F
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


def _params(
    key: str, argv: Sequence[str], extra: Sequence[str] = (), more: Sequence[str] = ()
) -> tuple[dict[str, Any], argparse.Namespace]:
    d = F.get(key)
    p = OneLineParser(prog=f"jacobound ... {d.key}", add_help=True)
    for name in d.inputs:
        p.add_argument(f"--{name}", type=_number, required=name not in extra)
    for name in (*d.defaults, *more):
        p.add_argument(f"--{name}", type=_number, default=None)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the result as JSON")
    fmt.add_argument("--markdown", action="store_true", help="print the result as Markdown")
    fmt.add_argument("--latex", action="store_true", help="also print the formulas in LaTeX")
    ns = p.parse_args(list(argv))
    vals = {name: getattr(ns, name) for name in (*d.inputs, *d.defaults, *more)}
    return {k: val for k, val in vals.items() if val is not None}, ns


def cmd_bound(args: argparse.Namespace) -> int:
    if args.list or not args.theorem:
        for key, fn, title in list_theorems():
            print(f"{key:<7} {fn:<14} {title}")
        return 0
    vals, ns = _params(args.theorem, args.params)
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
    fractions = fraction_names(args.theorem)
    # With a fraction, the absolute input it sets is not required (and may not be given).
    vals, ns = _params(
        args.theorem,
        args.params,
        extra=(args.unknown, *(FRACTIONS[f] for f in fractions)),
        more=fractions,
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


def add_commands(sub: Any) -> None:
    """Register ``bound`` and ``solve`` on an ``argparse`` sub-parser collection."""
    b = sub.add_parser(
        "bound",
        help="evaluate a theorem and print its report",
        description="Evaluate a theorem; pass its inputs as --name value.",
    )
    b.add_argument("theorem", nargs="?", help="theorem key, e.g. 6.24, A.3, 6.19")
    b.add_argument("--list", action="store_true", help="list the theorems")
    b.set_defaults(func=cmd_bound, takes_params=True)
    s = sub.add_parser("solve", help="solve for the smallest k / n or largest alpha meeting a goal")
    s.add_argument("theorem")
    s.add_argument("--for", dest="unknown", required=True, help="k, n, alpha, ...")
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
    s.set_defaults(func=cmd_solve, takes_params=True)


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
    parser = OneLineParser(
        prog="python -m bounds",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_commands(parser.add_subparsers(dest="command"))
    return run(parser, argv)
