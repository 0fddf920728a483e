"""The module-level sympy symbols of :mod:`bounds.formulas` are the registry's, bound by name."""

from __future__ import annotations

import sympy as sp

from bounds import formulas

#: Short names used in the formulas for long registry names (the paper's notation).
ALIASES = {"X": "X_norm", "D": "distance", "L": "train_loss"}


def test_every_module_symbol_is_the_registry_symbol_of_its_name():
    bound = {
        name: obj
        for name, obj in vars(formulas).items()
        if isinstance(obj, sp.Symbol) and not name.startswith("_")
    }
    assert set(bound) >= set(ALIASES)
    for name, sym in bound.items():
        assert sym is formulas.SYMBOLS[ALIASES.get(name, name)], name
    # Every registry symbol is reachable under its own name or its alias.
    reachable = {ALIASES.get(name, name) for name in bound}
    assert reachable == set(formulas.SYMBOLS)
