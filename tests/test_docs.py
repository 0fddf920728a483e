"""The documentation: generated experiment pages, and every reference to the theory page.

The site build itself (``make docs``: ``mkdocs build --strict``, which also fails on broken
relative links and missing anchors inside the site) runs in CI after the tests.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
import types
import typing
from pathlib import Path

import pytest

import bounds
from bounds import formulas
from bounds.references import THEORY_PAGE, see
from simulate.experiments import REGISTRY
from simulate.experiments.base import BaseConfig, field_docs

ROOT = Path(__file__).resolve().parent.parent
THEORY = ROOT / THEORY_PAGE


def _load_generator() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_experiments", ROOT / "docs/gen_experiments.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_experiments", mod)
    spec.loader.exec_module(mod)
    return mod


gen = _load_generator()


def _page_rows(page: str) -> dict[str, list[str]]:
    """Config-table rows of a page: key -> its cells (type, default, meaning), as GFM splits them."""
    rows = {}
    for line in page.splitlines():
        m = re.match(r"\| `([^`]+)` \|(.*)\|$", line)
        if m:
            cells = re.split(r"(?<!\\)\|", m.group(2))
            rows[m.group(1)] = [c.strip() for c in cells]
    return rows


def missing_fields(page: str, config_cls: type) -> list[str]:
    """Fields of ``config_cls`` without a complete row (type, default, documented meaning)."""
    rows = _page_rows(page)
    hints = typing.get_type_hints(config_cls)
    bad = []
    for f in dataclasses.fields(config_cls):
        cells = rows.get(f.name)
        if (
            cells is None
            or len(cells) != 3
            or cells[0] != gen.type_name(hints[f.name])
            or cells[1] != f"`{gen.toml_value(f.default)}`"
            or not cells[2]
            or cells[2] == "(undocumented)"
        ):
            bad.append(f.name)
    return bad


# ---------------------------------------------------------------------------- experiment pages
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_experiment_page_lists_every_config_field(name: str) -> None:
    exp = REGISTRY[name]
    page = gen.experiment_page(name, exp, ROOT / "docs")
    assert missing_fields(page, exp.config) == []
    # The example TOML has every key with its default, and is valid TOML that make_config takes.
    import tomllib

    toml_text = page.split("```toml\n", 1)[1].split("```", 1)[0]
    parsed = tomllib.loads(toml_text)
    assert set(parsed) == {f.name for f in dataclasses.fields(exp.config)}
    from simulate.experiments.base import make_config

    assert make_config(exp.config, parsed) == exp.config()


def test_generated_pages_cover_the_registry_and_the_nav() -> None:
    pages = gen.pages(ROOT / "docs")
    assert set(pages) == {f"experiments/{n}.md" for n in REGISTRY} | {"experiments/index.md"}
    for name in REGISTRY:
        assert f"]({name}.md)" in pages["experiments/index.md"]
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    config = gen.on_config(config)
    (section,) = [item["Experiments"] for item in config["nav"] if "Experiments" in item]
    assert [next(iter(e.values())) for e in section[1:]] == [
        f"experiments/{n}.md" for n in REGISTRY
    ]


@dataclasses.dataclass(frozen=True)
class _Undocumented(BaseConfig):
    width: int = 3
    """Documented."""
    depth: int = 2


def test_missing_help_and_missing_rows_are_caught() -> None:
    """Negative controls: an undocumented field and a row dropped from a page are both found."""
    assert field_docs(_Undocumented) == {
        "seed": field_docs(BaseConfig)["seed"],
        "device": field_docs(BaseConfig)["device"],
        "width": "Documented.",
    }
    fake = types.SimpleNamespace(description="Fake.", config=_Undocumented)
    page = gen.experiment_page("fake", fake, ROOT / "docs")
    assert missing_fields(page, _Undocumented) == ["depth"]
    name = sorted(REGISTRY)[0]
    good = gen.experiment_page(name, REGISTRY[name], ROOT / "docs")
    last = dataclasses.fields(REGISTRY[name].config)[-1].name
    dropped = "\n".join(ln for ln in good.splitlines() if not ln.startswith(f"| `{last}` |"))
    assert missing_fields(dropped, REGISTRY[name].config) == [last]


def test_help_with_a_pipe_keeps_its_cells() -> None:
    @dataclasses.dataclass(frozen=True)
    class Piped(BaseConfig):
        X_norm: float = 1.0
        """Bound on ||X||, the spectral norm."""

    fake = types.SimpleNamespace(description="Piped.", config=Piped)
    page = gen.experiment_page("fake", fake, ROOT / "docs")
    assert missing_fields(page, Piped) == []
    assert "\\|\\|X\\|\\|" in page


# ---------------------------------------------------------------------------- theory references
def theory_anchors() -> set[str]:
    """Every anchor of the theory page: explicit ``<a id>`` anchors (what the code cites)."""
    return set(re.findall(r'<a id="([^"]+)"></a>', THEORY.read_text()))


#: A citation: ``docs/theory.md#x`` (printed), ``theory.md#x`` (a link between pages) or ``see("x")``.
_CITE = re.compile(
    r"(?:docs/)?" + re.escape(Path(THEORY_PAGE).name) + r"#([A-Za-z0-9_-]+)"
    r"|\bsee\(\s*['\"]([A-Za-z0-9_-]+)['\"]"
)


def _repo_files() -> list[Path]:
    # build/ and *.egg-info/ are what `pip install .` leaves: copies, not sources.
    skip = {".git", ".venv", ".venv-latest", "site", "runs", "__pycache__", ".hypothesis", "build"}
    out = []
    for p in ROOT.rglob("*"):
        parts = p.relative_to(ROOT).parts
        if p.is_file() and not skip & set(parts) and not parts[0].endswith(".egg-info"):
            if p.suffix in {".py", ".md", ".toml", ".yml", ".cfg", ".txt"} or p.name in {
                "Makefile",
                "run",
            }:
                out.append(p)
    return out


def cited_anchors(text: str) -> set[str]:
    return {a or b for a, b in _CITE.findall(text)}


def test_theory_anchors_are_unique_and_cover_the_theorems() -> None:
    ids = re.findall(r'<a id="([^"]+)"></a>', THEORY.read_text())
    assert len(ids) == len(set(ids))
    for key in formulas.DEFS:
        slug = key.lower().replace(".", "-")
        anchor = f"lemma-{slug[1:]}" if slug.startswith("l") else f"thm-{slug}"
        assert anchor in ids, f"theory page lacks an anchor for {key} ({anchor})"
    for r in range(1, 43):
        assert any(i.startswith(f"r{r}-") for i in ids), f"reading note R{r} has no anchor"
    for i in range(1, 19):
        assert any(x.startswith(f"i{i}-") for x in ids), f"inconsistency I-{i} has no anchor"


def test_every_citation_in_the_repository_resolves() -> None:
    anchors = theory_anchors()
    this = Path(__file__).resolve()
    bad = {}
    for p in _repo_files():
        if p.resolve() == this:  # holds a wrong anchor on purpose (negative control)
            continue
        missing = cited_anchors(p.read_text(errors="replace")) - anchors
        missing -= {"anchor"}  # the placeholder in ``docs/theory.md#anchor`` of the docs
        if missing:
            bad[str(p.relative_to(ROOT))] = sorted(missing)
    assert bad == {}


def test_a_wrong_anchor_is_caught() -> None:
    """Negative control for the resolution check."""
    assert cited_anchors(f"x ({see('r29-zeta')}) y") - theory_anchors() == {"r29-zeta"}
    assert cited_anchors("see('i2-zeta-range')") <= theory_anchors()


_OUTSIDE = re.compile(
    r"shared/|theorems\.md|\bspec (?:§|R\d|I-\d)|spec §|\(R\d{1,2}\)|\bR\d{1,2}/R\d{1,2}|\(I-\d{1,2}\)"
)


def test_no_reference_to_files_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    hits = {}
    for p in _repo_files():
        if p.resolve() == this:
            continue
        found = _OUTSIDE.findall(p.read_text(errors="replace"))
        if found:
            hits[str(p.relative_to(ROOT))] = sorted(set(found))
    assert hits == {}


def test_printed_hypotheses_and_notes_cite_only_the_theory_page() -> None:
    """What reports print: every label is a resolvable ``docs/theory.md#anchor``."""
    anchors = theory_anchors()
    texts = []
    for d in formulas.DEFS.values():
        texts += [c.description for c in d.conditions] + list(d.notes)
    for t in texts:
        assert not re.search(r"\b(?:R\d{1,2}|I-\d{1,2})\b", t), t
        assert cited_anchors(t) <= anchors, t
    rep = bounds.theorem_2_5(Gamma=2, k=100, n=100, K=2, C=2, lambda_M=0.1, sigma=1.0)
    assert see("r41-sigma-k-over-n") in str(rep)


def test_gallery_images_are_small_and_belong_to_an_experiment() -> None:
    """Committed figures (docs/gen_gallery.py) stay below 100 kB each, one folder per experiment."""
    gallery = ROOT / "docs" / gen.GALLERY
    for png in gallery.rglob("*.png") if gallery.is_dir() else []:
        assert png.stat().st_size < 100_000, png
        assert png.parent.name in REGISTRY, png
