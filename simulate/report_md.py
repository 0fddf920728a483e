"""Markdown report of a directory of experiment results (``jacobound report DIR``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from bounds.report import md_cell

from . import io
from .experiments.checks import read_checks, summary_line

#: Keys every results.json written by ``run_experiment`` has, with their types.
_REQUIRED = {"experiment": str, "device": str, "seed": int, "versions": dict}
#: Optional keys the report reads, with their types.
_OPTIONAL = {
    "checks": dict,
    "predicted_vs_observed": list,
    "tables": dict,
    "summary": dict,
    "figures": list,
}


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


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    return str(v)


def config_changes(res: dict[str, Any]) -> list[tuple[str, Any, Any]] | None:
    """``(key, value, default)`` of each config key of the run that differs from the defaults.

    The defaults are those of the registered experiment's config class; ``None`` when no
    experiment of that name is registered.  The experiment's own keys come first, in the order
    of its config, then ``seed`` and ``device``.  A stored key that the class no longer has is listed
    with the default ``MISSING``.
    """
    from .experiments import REGISTRY
    from .experiments.base import BaseConfig

    exp = REGISTRY.get(res["experiment"])
    if exp is None:
        return None
    defaults = {}
    for f in dataclasses.fields(exp.config):
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = f.default_factory()
    plain = json.loads(json.dumps(defaults))  # tuples as lists, as results.json stores them
    config = res.get("config", {})
    changes = [
        (key, val, plain.get(key, MISSING))
        for key, val in config.items()
        if key not in plain or val != plain[key]
    ]
    # The experiment's own keys first, then those every experiment has (seed, device).
    common = {f.name for f in dataclasses.fields(BaseConfig)}
    return sorted(changes, key=lambda c: c[0] in common)


#: Default shown for a stored key that the experiment's config no longer has.
MISSING = "(no longer a config key)"
#: Longest list of changed keys written into a heading (the full list follows it).
_HEADING_CHANGES = 72


def heading(res: dict[str, Any], rel: Path) -> list[str]:
    """The section heading: experiment, run directory and the config keys that differ.

    ``## corruption — `runs/p/` (n=60, k=64, seed=3)``, then a line with every difference and
    its default, so that two runs of one experiment in a report are told apart at a glance.
    """
    changes = config_changes(res)
    where = f"`{rel.as_posix()}/`"
    if changes is None:
        return [
            f"## {res['experiment']} — {where}",
            "",
            f"config not compared: no experiment {res['experiment']!r} is registered",
            "",
        ]
    if not changes:
        return [f"## {res['experiment']} — {where} (default config)", ""]
    short = ", ".join(f"{k}={_short(v)}" for k, v, _ in changes)
    if len(short) > _HEADING_CHANGES:
        short = short[: _HEADING_CHANGES - 1].rsplit(", ", 1)[0] + ", …"
    full = "; ".join(
        f"`{k}` = {_short(v)} (default {_short(d) if d is not MISSING else d})"
        for k, v, d in changes
    )
    return [
        f"## {res['experiment']} — {where} ({short})",
        "",
        f"config differs from the defaults in: {full}",
        "",
    ]


def experiment_section(res: dict[str, Any], folder: Path, root: Path) -> list[str]:
    rel = folder.relative_to(root) if folder != root else Path(".")
    out = [
        *heading(res, rel),
        f"device `{res['device']}`, seed {res['seed']}, torch {res['versions'].get('torch')}",
        "",
    ]
    out += _check_lines(res, folder)
    pvo = res.get("predicted_vs_observed")
    if pvo:
        out += ["| quantity | predicted | observed | status |", "|---|---|---|---|"]
        out += [
            f"| {md_cell(r['quantity'])} | {md_cell(_predicted(r))} | {md_cell(_fmt(r['observed']))} |"
            f" {md_cell(r['status'])} |"
            for r in pvo
        ]
        out.append("")
    for tname, rows in res.get("tables", {}).items():
        if rows:
            cols = list(rows[0])
            out += [
                f"**{tname}**",
                "",
                "| " + " | ".join(md_cell(c) for c in cols) + " |",
                "|" + "---|" * len(cols),
            ]
            out += ["| " + " | ".join(md_cell(_fmt(r[c])) for c in cols) + " |" for r in rows]
            out.append("")
    out += _summary_lines(res.get("summary", {}))
    out.append("")
    for fig in res.get("figures", []):
        if fig.endswith(".png"):
            out.append(f"![{fig}]({rel / fig})")
    out.append("")
    return out


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-finite number {token} (results files hold finite numbers only)")


def read_results(path: Path) -> dict[str, Any]:
    """Read and check one ``results.json``; anything malformed is a ``ValueError`` naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a results.json (not UTF-8 text)") from None
    except ValueError as exc:  # JSONDecodeError and the non-finite constants
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object, got a {type(data).__name__}")
    for key, tp in _REQUIRED.items():
        if not isinstance(data.get(key), tp) or isinstance(data.get(key), bool):
            raise ValueError(
                f"{path} is not a jacobound results file: {key!r} must be a {tp.__name__}, "
                f"got {data.get(key)!r}"
            )
    for key, tp in _OPTIONAL.items():
        if key in data and not isinstance(data[key], tp):
            raise ValueError(
                f"{path}: {key!r} must be a {tp.__name__}, got {type(data[key]).__name__}"
            )
    return data


def write_report(root: Path | str) -> Path:
    """Collect every ``results.json`` under ``root`` into ``root/report.md``; returns its path."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory of results")
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
        res = read_results(f)
        try:
            lines += experiment_section(res, f.parent, root)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
            # A hand-edited or foreign file: its structure is not what run_experiment writes.
            raise ValueError(
                f"{f} is not a jacobound results file ({type(exc).__name__}: {exc})"
            ) from None
    path = root / "report.md"
    io.atomic_write_text(path, "\n".join(lines) + "\n")
    return path
