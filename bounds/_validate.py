"""Former name of :mod:`bounds.validate`, kept as a re-export for code written against it."""

from .validate import *  # noqa: F403
from .validate import UNIT_NORM_TOL, _describe, _describe_big, _fmt  # noqa: F401
