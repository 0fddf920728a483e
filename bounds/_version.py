"""The version of jacobound: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``), and ``bounds.__version__``,
``simulate.__version__``, ``jacobound --version`` and every results file take it from here, so a
source checkout and an installed copy always agree.
"""

__version__ = "0.1.0"
