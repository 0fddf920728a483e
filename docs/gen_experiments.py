"""Experiment pages of the documentation site, written from the experiments themselves.

Used two ways:

* as an mkdocs hook (``hooks:`` in ``mkdocs.yml``): ``on_config`` lists one page per registered
  experiment under "Experiments" in the nav, ``on_files`` adds the pages, and
  ``on_page_content`` turns every printed reference ``docs/theory.md#anchor`` (in docstrings
  and reports) into a link to the theory page;
* as a script, ``python docs/gen_experiments.py OUT_DIR``, which writes the same Markdown files
  for inspection.

Each page comes from ``simulate.experiments.REGISTRY`` (name -> ``Experiment``): the docstring of
the experiment's module, its description, the config keys
(name, type, default and help, the help being the attribute docstring of the field, see
``simulate.experiments.base.field_docs``), an example TOML file with the defaults, and the
figures found in ``docs/experiments/img/<name>/`` (written by ``docs/gen_gallery.py``).  A new
experiment that registers itself gets its page with no change here.
"""

from __future__ import annotations

import dataclasses
import html
import inspect
import posixpath
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Folder of the experiment pages inside the docs directory.
SECTION = "experiments"
#: Folder (inside the docs directory) of each experiment's gallery: ``img/<name>/*.png``.
GALLERY = f"{SECTION}/img"


def _registry() -> dict[str, Any]:
    """Name -> ``simulate.experiments.Experiment``, in registration order."""
    from simulate.experiments import REGISTRY

    return dict(REGISTRY)


def _module(exp: Any) -> types.ModuleType:
    """The module that defines the experiment (where its config class lives)."""
    import importlib

    return importlib.import_module(exp.config.__module__)


def type_name(tp: Any) -> str:
    """``int`` -> ``"int"``, ``tuple[float, ...]`` -> ``"list of float"`` (as written in TOML)."""
    if typing.get_origin(tp) is tuple:
        inner = typing.get_args(tp)[0]
        return f"list of {type_name(inner)}"
    return getattr(tp, "__name__", str(tp))


def toml_value(value: Any) -> str:
    """A default as it is written in a TOML config."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def config_rows(config_cls: type) -> list[tuple[str, str, str, str]]:
    """``(key, type, default, help)`` for every field of ``config_cls``, in definition order."""
    from bounds.report import md_cell  # one Markdown escape for the whole project
    from simulate.experiments.base import field_docs

    hints = typing.get_type_hints(config_cls)
    docs = field_docs(config_cls)
    rows = []
    for f in dataclasses.fields(config_cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        rows.append(
            (
                md_cell(f.name),
                md_cell(type_name(hints[f.name])),
                md_cell(toml_value(default)),
                md_cell(docs.get(f.name, "(undocumented)")),
            )
        )
    return rows


def _gallery(name: str, docs_dir: Path) -> list[str]:
    folder = docs_dir / GALLERY / name
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    lines = ["## Figures", ""]
    where = (
        f"`jacobound run {name} --out DIR` writes each figure as `DIR/<name>.png` and "
        "`DIR/<name>.pdf`, with a caption line giving the run's parameters; `DIR/results.json` "
        "holds the numbers behind it and `jacobound report DIR` puts predictions beside "
        "observations."
    )
    lines += [where, ""]
    if not pngs:
        lines += [
            "No gallery images are committed for this experiment yet: "
            f"`python docs/gen_gallery.py {name}` runs it at a small size and writes them to "
            f"`docs/{GALLERY}/{name}/`.",
            "",
        ]
        return lines
    note = folder / "source.txt"
    if note.is_file():
        lines += [note.read_text().strip(), ""]
    for p in pngs:
        lines += [f"![{p.stem}](img/{name}/{p.name})", "", f"*{p.stem}*", ""]
    return lines


def experiment_page(name: str, exp: Any, docs_dir: Path) -> str:
    """The Markdown page of one registered experiment (a ``simulate.experiments.Experiment``)."""
    module = _module(exp)
    doc = inspect.getdoc(module) or ""
    title = exp.description
    rows = config_rows(exp.config)
    # The docstring is reStructuredText-flavoured; ``code`` is also Markdown, roles are dropped.
    doc = re.sub(r":(?:func|class|mod|meth|data|attr|obj):`", "`", doc)
    lines = [
        f"# `{name}`: {title}",
        "",
        doc,
        "",
        "## Run it",
        "",
        "```",
        f"jacobound run {name} --out runs/{name}                 # defaults",
        f"jacobound run {name} --config {name}.toml --out runs/{name}",
        "```",
        "",
        "## Config keys",
        "",
        "Every key of the TOML file (unknown keys and values out of range are rejected before "
        "any work). Generated from the config dataclass "
        f"`{exp.config.__module__}.{exp.config.__qualname__}`.",
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{k}` | {t} | `{d}` | {h} |" for k, t, d, h in rows]
    lines += ["", f"A `{name}.toml` with every default:", "", "```toml"]
    cfg = exp.config()
    lines += [f"{f.name} = {toml_value(getattr(cfg, f.name))}" for f in dataclasses.fields(cfg)]
    lines += ["```", ""]
    lines += _gallery(name, docs_dir)
    return "\n".join(lines) + "\n"


def index_page(registry: dict[str, Any]) -> str:
    """The overview page: one line per experiment."""
    lines = [
        "# Experiments",
        "",
        "Each experiment puts the bounds of [`bounds`](../bounds.md) beside what training "
        "measured. `jacobound list` prints this list; `jacobound run NAME` runs one "
        "(see [simulate](../simulate.md#experiments-and-command-line)). "
        "Every page below is generated from the experiment's code.",
        "",
        "| experiment | what it shows |",
        "|---|---|",
    ]
    from bounds.report import md_cell

    for name, exp in registry.items():
        lines.append(f"| [`{name}`]({name}.md) | {md_cell(exp.description)} |")
    return "\n".join(lines) + "\n"


def pages(docs_dir: Path) -> dict[str, str]:
    """Every generated page: path inside the docs directory -> Markdown."""
    reg = _registry()
    out = {f"{SECTION}/index.md": index_page(reg)}
    for name, exp in reg.items():
        out[f"{SECTION}/{name}.md"] = experiment_page(name, exp, docs_dir)
    return out


# ------------------------------------------------------------------------------ mkdocs hooks
def on_config(config: Any) -> Any:
    """List every registered experiment under the nav's "Experiments" section."""
    entries = [f"{SECTION}/index.md"] + [{n: f"{SECTION}/{n}.md"} for n in _registry()]
    for item in config["nav"] or []:
        if isinstance(item, dict) and "Experiments" in item:
            item["Experiments"] = entries
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages (they are never written into the source tree)."""
    from mkdocs.structure.files import File

    for src_uri, content in pages(Path(config["docs_dir"])).items():
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, src_uri, content=content))
    return files


def _theory_ref() -> re.Pattern[str]:
    from bounds.references import THEORY_PAGE

    return re.compile(re.escape(THEORY_PAGE) + r"#([A-Za-z0-9_-]+)")


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:
    """Link each plain-text ``docs/theory.md#anchor`` (docstrings, examples) to the theory page."""
    from bounds.references import THEORY_PAGE

    src = posixpath.relpath(THEORY_PAGE, posixpath.basename(str(config["docs_dir"])))
    theory = files.get_file_from_path(src)
    if theory is None or page.file.src_uri == src:
        return html_text
    pattern = _theory_ref()
    here = posixpath.dirname(page.url) if not page.url.endswith("/") else page.url.rstrip("/")
    rel = posixpath.relpath(theory.url or ".", here or ".")
    if not rel.endswith("/") and theory.url.endswith("/"):
        rel += "/"

    def link(m: re.Match[str]) -> str:
        return f'<a href="{html.escape(rel)}#{m.group(1)}">{m.group(0)}</a>'

    # Only in text, not inside tags or existing links: split on tags and skip <a>...</a>.
    parts = re.split(r"(<[^>]+>)", html_text)
    inside_a = 0
    for i, part in enumerate(parts):
        if part.startswith("<"):
            if re.match(r"<a[\s>]", part):
                inside_a += 1
            elif part.startswith("</a"):
                inside_a = max(0, inside_a - 1)
            continue
        if not inside_a:
            parts[i] = pattern.sub(link, part)
    return "".join(parts)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/gen_experiments.py OUT_DIR")
    target = Path(sys.argv[1])
    for rel_path, text in pages(ROOT / "docs").items():
        dest = target / rel_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
        print(dest)
