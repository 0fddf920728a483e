"""Every Markdown table the project writes keeps its cell count in every row.

A ``|`` inside a cell (``||X||``, ``|Pi_N r0|``) splits the row unless escaped.  The tables are
read by a CommonMark parser with GitHub's table extension (markdown-it-py), which, as GFM
specifies, drops the cells beyond the header's count and pads a short row with empty ones; so a
row keeps its cells exactly when the cells the parser returns, written back, are the row.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bounds import formulas as F
from bounds.report import md_cell

from . import fuzz_inputs as fz

_PARSER = MarkdownIt("commonmark").enable("table")


@dataclasses.dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    #: (source line, the cells as the parser returned them) for the header and every row.
    lines: list[tuple[str, list[str]]]


def _cell_text(inline: Token) -> str:
    """What the cell renders as, in plain text."""
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


def parse_tables(text: str) -> list[Table]:
    """The GFM tables of ``text`` as the parser reads them."""
    src = text.splitlines()
    tables: list[Table] = []
    row: list[Token] = []
    current: Table | None = None
    for tok in _PARSER.parse(text):
        if tok.type == "table_open":
            current = Table([], [], [])
        elif tok.type == "tr_open":
            row = []
            assert tok.map is not None
            line = src[tok.map[0]]
        elif tok.type == "inline" and current is not None and row is not None:
            row.append(tok)
        elif tok.type == "tr_close" and current is not None:
            cells = [_cell_text(t) for t in row]
            current.lines.append((line, [t.content for t in row]))
            if not current.header:
                current.header = cells
            else:
                current.rows.append(cells)
        elif tok.type == "table_close" and current is not None:
            tables.append(current)
            current = None
    return tables


def _squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def assert_rows_keep_their_cells(text: str) -> list[Table]:
    """Each row, rebuilt from the parser's cells (pipes escaped again), is the written row."""
    tables = parse_tables(text)
    for table in tables:
        for line, raw in table.lines:
            rebuilt = "|" + "|".join(c.replace("|", "\\|") for c in raw) + "|"
            assert _squeeze(rebuilt) == _squeeze(line), (
                f"the parser reads {len(raw)} cells (header: {len(table.header)}) in {line!r}"
            )
    return tables


def test_a_broken_row_is_detected():
    """Negative control: an unescaped pipe or a missing cell is caught by the check."""
    header = "| a | b | c |\n|---|---|---|\n"
    assert_rows_keep_their_cells(header + "| 1 | 2 \\| 3 | 4 |\n")
    for bad in ("| 1 | ||X|| | 4 |\n", "| 1 | 2 |\n", "| 1 | 2 | 3 | 4 |\n"):
        with pytest.raises(AssertionError, match="the parser reads"):
            assert_rows_keep_their_cells(header + bad)
    # A header split by a pipe is no table at all.
    assert parse_tables("| a || b |\n|---|---|\n| 1 | 2 |\n") == []


@pytest.mark.parametrize(
    "text", ["k >= ||X||^4\nlog n", "a \\| b", "ends with \\", "\\\\", "|", "", "`c|d`"]
)
def test_md_cell_round_trips(text):
    """A cell reads back as one cell; pipes, backslashes and line breaks come back as written."""
    cell = md_cell(text)
    assert "\n" not in cell
    (table,) = assert_rows_keep_their_cells(f"| h | x |\n|---|---|\n| {cell} | end |\n")
    assert table.rows == [[_rendered(text), "end"]]


def _rendered(text: str) -> str:
    """What ``text`` renders as on one line (a code span keeps its text as it is)."""
    return " ".join(text.splitlines()).replace("`", "")


@pytest.mark.parametrize("key", sorted(F.DEFS))
def test_theorem_markdown_rows_keep_their_cells(key):
    import bounds

    rep = bounds.evaluate(key, **fz.base_point(key))
    tables = assert_rows_keep_their_cells(rep._repr_markdown_())
    assert len(tables) == 2  # conclusions and hypotheses
    hyp = tables[1]
    assert len(hyp.rows) == len(rep.conditions)
    # Every hypothesis keeps its description in the last cell, norms included.
    for row, c in zip(hyp.rows, rep.conditions, strict=True):
        assert len(row) == len(hyp.header)
        assert row[-1] == " ".join(c.description.splitlines())


def _demo_like_record() -> dict:
    return {
        "experiment": "fake",
        "device": "cpu",
        "seed": 0,
        "versions": {"torch": "x"},
        "checks": {},
        "predicted_vs_observed": [
            {
                "quantity": "||f(W_T) - y|| / ||y||",
                "predicted": 0.42,
                "observed": 0.1,
                "status": "informal",
                "failing": ["k >= ||X||^4: 10 >= 1e+20"],
            }
        ],
        "tables": {"rows": [{"|Pi_N r0|": 1.0, "bound": "a | b"}]},
    }


def test_experiment_report_rows_keep_their_cells(tmp_path: Path):
    """A report of two real runs (tracking-like predicted/observed rows, corruption's energy
    table) and a hand-made record with pipes in every cell kind parses with every cell."""
    from simulate import io
    from simulate.experiments import REGISTRY, run_experiment
    from simulate.report_md import write_report

    (tmp_path / "a").mkdir()
    io.write_json(tmp_path / "a" / "results.json", _demo_like_record())
    for name in ("corruption", "linear"):
        run_experiment(
            name, tmp_path / name, {**REGISTRY[name].small, "device": "cpu"}, progress=False
        )
    text = write_report(tmp_path).read_text()
    tables = assert_rows_keep_their_cells(text)
    # fake: predicted/observed and its table; corruption: energy; linear: predicted/observed.
    assert len(tables) == 4
    fake = tables[0]
    assert fake.header == ["quantity", "predicted", "observed", "status"]
    assert fake.rows == [
        [
            "||f(W_T) - y|| / ||y||",
            "0.42 (not rigorous; failing: k >= ||X||^4: 10 >= 1e+20)",
            "0.1",
            "informal",
        ]
    ]
    assert tables[1].header == ["|Pi_N r0|", "bound"] and tables[1].rows == [["1", "a | b"]]
    for t in tables:
        assert t.rows and all(len(r) == len(t.header) for r in t.rows)


def test_report_headings_name_the_folder_and_the_config_changes(tmp_path: Path):
    from simulate.experiments import REGISTRY, run_experiment
    from simulate.report_md import config_changes, write_report

    small = {**REGISTRY["linear"].small, "device": "cpu"}
    run_experiment("linear", tmp_path / "s0", small, progress=False)
    res = run_experiment("linear", tmp_path / "deep" / "s3", {**small, "seed": 3}, progress=False)
    changes = {k: (v, d) for k, v, d in config_changes(res) or []}
    assert changes["seed"] == (3, 0) and changes["n"] == (small["n"], 200)
    assert "eta_fraction" not in changes  # left at its default
    text = write_report(tmp_path).read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == 2 and len(set(headings)) == 2
    assert headings[0].startswith("## linear — `deep/s3/` (") and "seed=3" in headings[0]
    assert headings[1].startswith("## linear — `s0/` (") and "seed=" not in headings[1]
    assert "config differs from the defaults in: `n` = 60 (default 200); " in text
    assert headings[0].endswith(", seed=3, device=cpu)")
    # A run of the defaults says so.
    defaults = {"experiment": "linear", "config": dataclasses.asdict(REGISTRY["linear"].config())}
    assert config_changes(defaults) == []
