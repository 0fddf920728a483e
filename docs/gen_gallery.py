"""Gallery images of the experiment pages: run experiments and keep small copies of their figures.

    python docs/gen_gallery.py [NAME ...]      # default: every registered experiment

Each experiment runs on the CPU with its default config (plus :data:`OVERRIDES`, smaller sizes
where the default takes long) into a temporary folder; every PNG figure it writes is reduced
to at most :data:`MAX_WIDTH` pixels wide and a 256-colour palette, so that each file stays under
:data:`MAX_BYTES`, and stored in ``docs/experiments/img/<name>/`` with a ``source.txt`` saying how
it was made.  The experiment page (``docs/gen_experiments.py``) shows whatever is there.  This is
not part of ``make docs``: running the experiments takes minutes, the site build seconds.
"""

from __future__ import annotations

import io as _io
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Where the images go, one folder per experiment.
GALLERY = ROOT / "docs" / "experiments" / "img"
#: Largest committed image, in bytes.
MAX_BYTES = 100_000
#: Largest width of a committed image, in pixels.
MAX_WIDTH = 1000
#: Config overrides for the gallery runs (smaller than the defaults where those are slow).
OVERRIDES: dict[str, dict[str, Any]] = {}


def shrink(png: Path, dest: Path) -> int:
    """Write a palette copy of ``png`` at most :data:`MAX_WIDTH` wide and under :data:`MAX_BYTES`."""
    from PIL import Image

    img = Image.open(png).convert("RGB")
    width = min(MAX_WIDTH, img.width)
    while True:
        h = round(img.height * width / img.width)
        small = img.resize((width, h), Image.Resampling.LANCZOS).quantize(colors=256)
        buf = _io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
        if buf.tell() <= MAX_BYTES or width <= 300:
            break
        width = int(width * 0.85)
    dest.write_bytes(buf.getvalue())
    return buf.tell()


def _revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def make(name: str) -> list[Path]:
    """Run ``name`` and replace its gallery folder with the reduced figures."""
    from simulate.experiments import run_experiment
    from simulate.io import package_version

    overrides = {"device": "cpu", **OVERRIDES.get(name, {})}
    folder = GALLERY / name
    with tempfile.TemporaryDirectory() as tmp:
        rec = run_experiment(name, tmp, overrides, progress=False)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        written = []
        for fname in rec["figures"]:
            if fname.endswith(".png"):
                dest = folder / fname
                size = shrink(Path(tmp) / fname, dest)
                written.append(dest)
                print(f"{dest.relative_to(ROOT)}  {size / 1000:.0f} kB")
    shown = ", ".join(f"`{k} = {v!r}`" for k, v in overrides.items())
    (folder / "source.txt").write_text(
        f"Made by `python docs/gen_gallery.py {name}`: `jacobound run {name}` with the default "
        f"config and {shown}, jacobound {package_version()} (revision {_revision()}); "
        "reduced copies of the PNG figures. The full-size PNG and PDF files come from running "
        "the experiment yourself.\n"
    )
    return written


def main(argv: list[str]) -> int:
    from simulate.experiments import REGISTRY

    names = argv or list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        print(f"unknown experiment(s) {unknown}; known: {', '.join(REGISTRY)}", file=sys.stderr)
        return 2
    for name in names:
        make(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
