"""Pure-math layer of jacobound (numpy/scipy/sympy only, float64, no torch)."""
