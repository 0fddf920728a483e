"""Where the theorems, their normalisations and the reading notes cited by the code are written up.

Reports, hypothesis descriptions, notes and error messages cite the theory page of the
documentation as ``docs/theory.md#<anchor>`` (the page's path in the repository; on the built
site the same anchor is at ``theory/#<anchor>``).  That path is :data:`THEORY_PAGE`, the one
place it is written; :func:`see` builds a citation.  Every anchor cited anywhere in the
repository is checked against the page by the test suite.
"""

from __future__ import annotations

#: The theory page, relative to the repository root.
THEORY_PAGE = "docs/theory.md"


def see(anchor: str) -> str:
    """The printed citation of a section or note of the theory page.

    Parameters
    ----------
    anchor : str
        An anchor of the theory page, e.g. ``"r29-zeta-at-most-c-half"`` or ``"thm-6-24"``.

    Returns
    -------
    str
        ``"docs/theory.md#<anchor>"``.

    Examples
    --------
    >>> see("thm-6-24")
    'docs/theory.md#thm-6-24'
    """
    return f"{THEORY_PAGE}#{anchor}"
