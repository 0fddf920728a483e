"""The ``jacobound`` command.

jacobound bound 6.24 --alpha 0.3 ...      evaluate a theorem (see ``jacobound bound --list``)
jacobound solve 6.24 --for k ...          smallest width / sample size, largest alpha
jacobound list                            experiments
jacobound run spectrum [--config f.toml] [--out DIR] [--device auto] [--seed 0]
              [--backend local|ray] [--address HOST:PORT]
jacobound report DIR                      Markdown report of every results.json under DIR
jacobound demo [--out DIR]                default experiments at small sizes, then the report
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bounds import cli as bounds_cli


def _experiments() -> Any:
    from simulate import experiments

    return experiments


def cmd_list(args: argparse.Namespace) -> int:
    for name, exp in sorted(_experiments().REGISTRY.items()):
        print(f"{name:<15} {exp.description}" + ("" if exp.in_demo else "  (not in the demo)"))
    return 0


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    from simulate.experiments.base import load_toml

    ov: dict[str, Any] = load_toml(args.config) if args.config else {}
    if args.seed is not None:
        ov["seed"] = args.seed
    if args.device is not None:
        ov["device"] = args.device
    return ov


def _checks(res: dict[str, Any]) -> list[Any]:
    from simulate.experiments.checks import read_checks

    checks = read_checks(res.get("checks", {}))
    if checks is None:  # a fresh run always stores the current format
        raise RuntimeError(f"experiment {res.get('experiment')!r} returned checks as booleans")
    return checks


def cmd_run(args: argparse.Namespace) -> int:
    from simulate.experiments.checks import summary_line

    exps = _experiments()
    out = Path(args.out or f"runs/{args.experiment}")
    res = exps.run_experiment(
        args.experiment,
        out,
        _overrides(args),
        progress=not args.quiet,
        backend=args.backend,
        address=args.address,
    )
    print(f"{args.experiment}: results in {out}/results.json; figures: {', '.join(res['figures'])}")
    checks = _checks(res)
    for c in checks:
        word = {"passed": "ok", "failed": "FAILED"}.get(c.status, c.label)
        print(f"  check {c.name}: {word}" + (f"  ({c.detail})" if c.detail else ""))
    print(f"  checks: {summary_line(checks)}")
    # Exit status 3 on a failed check only: "not tested" is no failure (and no success either).
    return 3 if any(c.failed for c in checks) else 0


def cmd_report(args: argparse.Namespace) -> int:
    from simulate.report import write_report

    print(f"report written to {write_report(args.dir)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import time

    import bounds
    from simulate.data import gaussian_mixture
    from simulate.experiments.checks import summary_line
    from simulate.report import write_report

    exps = _experiments()
    out = Path(args.out)
    t0 = time.perf_counter()
    ds = gaussian_mixture(300, 10, K=3, C=2, d=20, sigma=0.5, seed=0)
    rep = bounds.from_data(
        "6.24", ds.X_train, ds.y_train, alpha=0.1, Gamma=2.0, zeta=0.05, delta=0.05, k=10**6
    )
    print("Theorem 6.24 on a Gaussian-mixture dataset (n=300, K=3, C=2, d=20, sigma=0.5):\n")
    print(rep)
    print()
    everything = []
    # Every registered experiment marked for the demo (``Experiment.demo``), at its demo size:
    # well under two minutes on a 2-core CPU.
    for name in exps.demo_names():
        t = time.perf_counter()
        res = exps.run_experiment(
            name, out / name, exps.REGISTRY[name].demo_overrides, progress=not args.quiet
        )
        checks = _checks(res)
        everything += [(name, c) for c in checks]
        print(
            f"[{time.perf_counter() - t:6.1f} s] {name:<15} checks: {summary_line(checks)}"
            f"  -> {out / name}"
        )
    for name, c in everything:
        if not c.passed:
            print(f"  {name}: {c.name} {c.label}" + (f" — {c.detail}" if c.detail else ""))
    path = write_report(out)
    print(f"\nchecks: {summary_line(c for _, c in everything)}")
    print(f"report: {path}   (total {time.perf_counter() - t0:.0f} s)")
    return 3 if any(c.failed for _, c in everything) else 0


def _out_checked(cmd: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Check ``--out`` (writable directory, or creatable) before the command does any work."""

    @functools.wraps(cmd)
    def wrapper(args: argparse.Namespace) -> int:
        from simulate.experiments.base import check_output_dir

        if args.out is not None:
            check_output_dir(args.out)
        return cmd(args)

    return wrapper


def main(argv: Sequence[str] | None = None) -> int:
    parser = bounds_cli.OneLineParser(
        prog="jacobound", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    bounds_cli.add_commands(sub)
    sub.add_parser("list", help="list experiments").set_defaults(func=cmd_list)
    r = sub.add_parser("run", help="run one experiment")
    r.add_argument("experiment")
    r.add_argument("--config", help="TOML file with config overrides")
    r.add_argument("--out", help="output directory (default runs/<experiment>)")
    r.add_argument("--device", help="auto, cpu or cuda")
    r.add_argument("--seed", type=int)
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    r.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="where the points of a sweep run: this process (default) or Ray tasks",
    )
    r.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="Ray cluster to use with --backend ray (default: RAY_ADDRESS, else a local Ray)",
    )
    r.set_defaults(func=_out_checked(cmd_run))
    p = sub.add_parser("report", help="Markdown report of a results directory")
    p.add_argument("dir")
    p.set_defaults(func=cmd_report)
    d = sub.add_parser("demo", help="default experiments at small sizes and the report")
    d.add_argument("--out", default="runs/demo")
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=_out_checked(cmd_demo))
    try:
        return bounds_cli.run(parser, argv)
    except KeyboardInterrupt:
        print("interrupted; finished runs are kept and a rerun resumes", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
