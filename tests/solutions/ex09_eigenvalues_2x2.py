"""Reference solution of exercise 09 (2 x 2 eigenvalues, regimes). Try the exercise first."""
import cmath

import numpy as np

TOL = 1e-9


def eigenvalues_2x2(A):
    (a, b), (c, d) = np.asarray(A, dtype=float)
    trace, det = a + d, a * d - b * c
    root = cmath.sqrt(trace * trace - 4 * det)        # complex when the discriminant is negative
    return complex((trace + root) / 2), complex((trace - root) / 2)


def _regime_of(lam):
    if abs(lam) > 1 + TOL:
        oscillating = abs(lam.imag) <= TOL and lam.real < 0
        return "explode (oscillating)" if oscillating else "explode"
    return "stable" if abs(lam) >= 1 - TOL else "vanish"


def regime(A):
    lams = eigenvalues_2x2(A)
    largest = max(abs(lam) for lam in lams)
    verdicts = [_regime_of(lam) for lam in lams if abs(lam) >= largest - TOL]
    return "explode (oscillating)" if "explode (oscillating)" in verdicts else verdicts[0]
