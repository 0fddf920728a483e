"""Every Markdown table the project writes keeps its cell count in every row.

A ``|`` inside a cell (``||X||``, ``|Pi_N r0|``) splits the row unless escaped.  Rows are read
the way GitHub-flavoured Markdown reads table rows: split on the pipes that no backslash escapes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bounds import formulas as F
from bounds.report import md_cell

from . import fuzz_inputs as fz

_PIPE = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    parts = _PIPE.split(row.strip())
    assert parts[0] == "" and parts[-1] == "", f"row does not start and end with '|': {row!r}"
    return parts[1:-1]


def _tables(text: str) -> list[list[str]]:
    """Blocks of consecutive lines that start with '|'."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _assert_rectangular(text: str) -> int:
    tables = _tables(text)
    for block in tables:
        width = len(_cells(block[0]))
        assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", block[1].strip()), block[1]
        for row in block:
            assert len(_cells(row)) == width, f"{len(_cells(row))} cells, header has {width}: {row}"
    return len(tables)


def test_md_cell_escapes_pipes_and_line_breaks():
    cell = md_cell("k >= ||X||^4\nlog n")
    assert _PIPE.search(cell) is None and "\n" not in cell
    assert cell.replace("\\|", "|") == "k >= ||X||^4 log n"


@pytest.mark.parametrize("key", sorted(F.DEFS))
def test_theorem_markdown_rows_keep_their_cells(key):
    import bounds

    rep = bounds.evaluate(key, **fz.base_point(key))
    text = rep._repr_markdown_()
    assert _assert_rectangular(text) == 2  # conclusions and hypotheses
    # Descriptions with norms keep their text in the last cell.
    for c in rep.conditions:
        if "|" in c.description:
            assert md_cell(c.description) in text


def test_experiment_report_rows_keep_their_cells(tmp_path: Path):
    from simulate import io
    from simulate.report import write_report

    record = {
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
    (tmp_path / "a").mkdir()
    io.write_json(tmp_path / "a" / "results.json", record)
    text = write_report(tmp_path).read_text()
    assert _assert_rectangular(text) == 2
