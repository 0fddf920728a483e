"""Markdown report of a directory of experiment results (``jacobound report DIR``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import io
from .experiments.checks import read_checks, summary_line


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, list) and len(x) > 8:
        return f"[{len(x)} values]"
    return str(x)


def _summary_lines(summary: Any, depth: int = 0) -> list[str]:
    lines = []
    if isinstance(summary, dict):
        for k, v in summary.items():
            if isinstance(v, dict):
                lines.append(f"{'  ' * depth}- **{k}**")
                lines += _summary_lines(v, depth + 1)
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                continue  # long per-run lists are in the table / JSON
            else:
                lines.append(f"{'  ' * depth}- {k}: {_fmt(v)}")
    return lines


def _cell(text: str) -> str:
    """A Markdown table cell: ``|`` inside (e.g. ``|Pi_N r0|``) would split the row."""
    return str(text).replace("|", "\\|")


def _predicted(row: dict[str, Any]) -> str:
    """The predicted value; a bound whose hypotheses fail never appears as a plain number."""
    failing = row.get("failing") or []
    if not failing:
        return _fmt(row["predicted"])
    return f"{_fmt(row['predicted'])} (not rigorous; failing: {'; '.join(failing)})"


def _check_lines(res: dict[str, Any], folder: Path) -> list[str]:
    raw = res.get("checks", {})
    if not raw:
        return []
    checks = read_checks(raw)
    if checks is None:
        return [
            "**checks**: stored in the old format (true/false without whether their premise "
            "ever held), so not shown; rerun "
            f"`jacobound run {res['experiment']} --out {folder}` (finished runs are reused).",
            "",
        ]
    out = [f"**checks**: {summary_line(checks)}", ""]
    out += [f"- {c.name}: {c.label}" + (f" — {c.detail}" if c.detail else "") for c in checks]
    return [*out, ""]


def experiment_section(res: dict[str, Any], folder: Path, root: Path) -> list[str]:
    rel = folder.relative_to(root) if folder != root else Path(".")
    out = [
        f"## {res['experiment']}",
        "",
        f"device `{res['device']}`, seed {res['seed']}, torch {res['versions'].get('torch')}",
        "",
    ]
    out += _check_lines(res, folder)
    pvo = res.get("predicted_vs_observed")
    if pvo:
        out += ["| quantity | predicted | observed | status |", "|---|---|---|---|"]
        out += [
            f"| {_cell(r['quantity'])} | {_cell(_predicted(r))} | {_fmt(r['observed'])} |"
            f" {_cell(r['status'])} |"
            for r in pvo
        ]
        out.append("")
    for tname, rows in res.get("tables", {}).items():
        if rows:
            cols = list(rows[0])
            out += [f"**{tname}**", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            out += ["| " + " | ".join(_fmt(r[c]) for c in cols) + " |" for r in rows]
            out.append("")
    out += _summary_lines(res.get("summary", {}))
    out.append("")
    for fig in res.get("figures", []):
        if fig.endswith(".png"):
            out.append(f"![{fig}]({rel / fig})")
    out.append("")
    return out


def write_report(root: Path | str) -> Path:
    """Collect every ``results.json`` under ``root`` into ``root/report.md``; returns its path."""
    root = Path(root)
    files = sorted(root.rglob("results.json"))
    if not files:
        raise ValueError(f"no results.json under {root}")
    lines = [
        "# jacobound report",
        "",
        "Predicted (bounds from `bounds`, with their rigorous/vacuous status) beside what "
        "training measured.",
        "",
    ]
    for f in files:
        lines += experiment_section(io.read_json(f), f.parent, root)
    path = root / "report.md"
    io.atomic_write_text(path, "\n".join(lines) + "\n")
    return path
