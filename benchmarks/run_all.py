"""Run every benchmark target and (optionally) rewrite the table in benchmarks/README.md.

    python -m benchmarks.run_all [--write benchmarks/README.md] [--quick] [--device cpu|cuda]

``--quick`` runs target 2 and the infinite-width limit (ntk_limit) at n=2,000 instead of 20,000
and the paper-scale target at n=2,000 instead of 50,000 (minutes instead of half an hour).
Every figure is a median of 3 runs (target 2: one run each, it is minutes long), and every ratio
is against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from benchmarks import (
    bench_gram,
    bench_ntk,
    bench_ntk_limit,
    bench_paper_scale,
    bench_slq,
    bench_step,
    bench_topr,
)
from benchmarks.common import HEADER, Row, machine

BEGIN, END = "<!-- table:begin -->", "<!-- table:end -->"


def _targets(quick: bool, device: str) -> dict[str, Callable[[], list[Row]]]:
    return {
        "gram": lambda: bench_gram.run(device=device),
        "topr": lambda: bench_topr.run(n=2000 if quick else 20_000, device=device),
        "slq": bench_slq.run,
        "step": lambda: bench_step.run(device=device),
        "ntk": bench_ntk.run,
        "ntk_limit": lambda: bench_ntk_limit.run(n=2000 if quick else 20_000),
        # nK = 500k in full; --quick checks the pipeline at nK = 20k.
        "paper": lambda: bench_paper_scale.run(n=2000 if quick else 50_000, device=device),
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--write", type=Path)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--only", help=argparse.SUPPRESS)
    a = p.parse_args()
    targets = _targets(a.quick, a.device)
    if a.only:  # child process: one benchmark, rows as JSON lines
        for r in targets[a.only]():
            print("ROW " + json.dumps(dataclasses.asdict(r)), flush=True)
        return 0
    rows: list[Row] = []
    for name in targets:
        # Each benchmark in its own process: thread pools and allocator state of one
        # (e.g. ARPACK's BLAS threads) must not slow the next.
        print(f"running {name} ...", flush=True)
        cmd = [sys.executable, "-m", "benchmarks.run_all", "--only", name, "--device", a.device]
        if a.quick:
            cmd.append("--quick")
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("ROW "):
                r = Row(**json.loads(line[4:]))
                print(r.line(), flush=True)
                rows.append(r)
    stamp = datetime.date.today().isoformat()
    table = "\n".join(
        [
            f"Machine: {machine()}; measured {stamp}"
            + (" (quick: target 2 at n=2,000)" if a.quick else ""),
            "",
            HEADER,
            *(r.line() for r in rows),
        ]
    )
    if a.write:
        text = a.write.read_text() if a.write.exists() else f"{BEGIN}\n{END}\n"
        new = re.sub(f"{BEGIN}.*{END}", f"{BEGIN}\n{table}\n{END}", text, flags=re.S)
        a.write.write_text(new)
        print(f"table written to {a.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
