"""Exercise 09 — eigenvalues of a 2 x 2 matrix from its characteristic polynomial
(chapter 3: Eigenvalues and gradient flow).

lambda is an eigenvalue of A when A v = lambda v for some v != 0, i.e. when A - lambda I is
singular: det(A - lambda I) = 0. For A = [[a, b], [c, d]] that determinant is

    (a - lambda)(d - lambda) - b c  =  lambda^2 - tr(A) lambda + det(A)

with tr(A) = a + d and det(A) = a d - b c. The quadratic formula gives both roots:

    lambda = ( tr(A) +- sqrt(tr(A)^2 - 4 det(A)) ) / 2

When tr^2 - 4 det < 0 the roots are a complex pair (a rotation, for instance, moves every
real vector, so it has no real eigenvector). Their modulus |lambda| still decides what
repeated multiplication by A does.

Implement, without ``np.linalg.eig``/``eigvals`` (the checker switches them off):

1. ``eigenvalues_2x2(A)``: ``A`` a (2, 2) ndarray; return the two eigenvalues as a tuple of
   two Python ``complex`` numbers (any order; a repeated root appears twice).
2. ``regime(A)``: what the largest |lambda| predicts for gradients passed back through A
   again and again — one of the strings
       "explode (oscillating)"   |lambda| > 1 and lambda is real and negative (sign flips each step)
       "explode"                 |lambda| > 1 otherwise
       "stable"                  |lambda| = 1 (up to 1e-9: rounding in 1/sqrt(2) etc.)
       "vanish"                  |lambda| < 1
   (If two eigenvalues tie for the largest |lambda|, the oscillating verdict wins.)

Worked examples to try: [[1, 1], [1, 1]] has lambda = 0 and 2 (explode);
[[1/sqrt(2), -1/sqrt(2)], [-1/sqrt(2), -1/sqrt(2)]] has lambda = +-1 (stable);
a rotation by theta has lambda = cos(theta) +- i sin(theta), |lambda| = 1.

Hints:
- ``cmath.sqrt`` (or ``np.sqrt`` of a ``complex``) takes square roots of negative numbers;
  ``math.sqrt(-1)`` raises and ``np.sqrt(-1.0)`` gives nan.
- ``abs(z)`` is the modulus of a complex number, ``z.real`` and ``z.imag`` its parts.
- Compare with ``tinygrad-rnn eig "1 1; 1 1"``.

Check your work:   tinygrad-rnn check ex09
"""
import cmath

import numpy as np


def eigenvalues_2x2(A):
    """The two eigenvalues of the 2 x 2 matrix A, from tr(A) and det(A), as complex numbers."""
    raise NotImplementedError("exercise ex09: write eigenvalues_2x2 (delete this line)")


def regime(A):
    """'explode (oscillating)', 'explode', 'stable' or 'vanish', from A's largest |eigenvalue|."""
    raise NotImplementedError("exercise ex09: write regime (delete this line)")
