"""The jacobound command: the calculator, and the experiments when their extra is installed.

  jacobound bound --list                    the theorems
  jacobound bound 6.24 --help               the inputs of Theorem 6.24: meaning, units, range
  jacobound bound 6.24 --alpha 0.3 ...      evaluate a theorem
  jacobound solve 6.24 --for k ...          smallest width / sample size, largest alpha
  jacobound list                            the experiments
  jacobound run NAME [key=value ...]        run one (--print-config shows its config)
  jacobound report DIR                      Markdown report of every results.json under DIR
  jacobound demo [--out DIR]                every demo experiment at small size, then the report

bound and solve need numpy, scipy and sympy only (pip install jacobound); list, run, report and
demo need the simulate extra (pip install "jacobound[simulate]").
"""

# The command line is laid out by layer: bounds/cli.py registers the calculator's commands,
# simulate/cli.py the experiments'; this module (above both) puts them on one parser, and is the
# only place that knows which commands need which extra.

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

from bounds import __version__
from bounds import cli as bounds_cli

__all__ = ["SIMULATE_COMMANDS", "SIMULATE_REQUIRES", "__version__", "main", "missing_requirements"]

#: The commands :mod:`simulate.cli` registers.
SIMULATE_COMMANDS = ("list", "run", "report", "demo")
#: The modules the ``simulate`` extra installs (pyproject.toml's ``[simulate]``, by import name).
SIMULATE_REQUIRES = ("torch", "matplotlib", "sklearn", "tqdm")
#: What to run for them.
SIMULATE_INSTALL = "pip install 'jacobound[simulate]'"


def missing_requirements() -> list[str]:
    """The modules of the ``simulate`` extra that cannot be imported here (none are imported)."""
    missing = []
    for name in SIMULATE_REQUIRES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a blocking finder, or a module without a spec
            found = False
        if not found:
            missing.append(name)
    return missing


def _needs_extra(command: str, missing: Sequence[str]) -> Any:
    def cmd(_args: Any) -> int:
        raise ValueError(
            f"jacobound {command} needs the simulate extra ({', '.join(missing)} not "
            f"installed): {SIMULATE_INSTALL}"
        )

    return cmd


def _placeholders(sub: Any, missing: Sequence[str]) -> None:
    """The experiment commands by name only: they say which extra to install, or never run."""
    why = f"(needs the simulate extra: {SIMULATE_INSTALL})" if missing else None
    for name in SIMULATE_COMMANDS:
        p = sub.add_parser(name, help=why, add_help=False)
        p.set_defaults(func=_needs_extra(name, missing), takes_params=True)


def _command(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``jacobound`` on ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    The experiment commands are imported only when one of them runs, or for the full
    ``--help``: ``jacobound bound`` never imports torch.  Without the ``simulate`` extra they
    answer with one line naming it, and exit status 2.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command(argv)
    missing = missing_requirements()
    wanted = command in SIMULATE_COMMANDS or (
        command is None and any(a in ("-h", "--help") for a in argv)
    )
    layers: list[Any] = [bounds_cli.add_commands]
    if wanted and not missing:
        from simulate.cli import add_commands

        layers.append(add_commands)
    else:
        layers.append(lambda sub: _placeholders(sub, missing))
    parser = bounds_cli.make_parser("jacobound", __doc__ or "", *layers)
    return bounds_cli.run(parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
