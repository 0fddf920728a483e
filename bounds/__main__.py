"""``python -m bounds``: the theorem calculator's command line (``bound``, ``solve``)."""

from .cli import main

raise SystemExit(main())
