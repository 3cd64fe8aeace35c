"""Exercise 01 — the central difference (chapter 1: Autograd from scratch).

Before trusting a backward pass you need something to check it against. The simplest
referee is the definition of the derivative itself: nudge one input a little in both
directions and see how much the output moves.

Implement ``central_difference(f, x, eps=1e-6)``:

- ``f`` takes a float64 ndarray shaped like ``x`` and returns one number (a float).
- ``x`` is a float64 ndarray of any shape (a vector, a matrix, ...).
- Return an ndarray ``g`` of the same shape as ``x``, where each entry is

      g[i] = (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps)

  and ``e_i`` is the array that is 1 at position ``i`` and 0 everywhere else.

Why both directions: by Taylor's theorem,
f(x + eps) = f(x) + eps f'(x) + eps^2/2 f''(x) + eps^3/6 f'''(x) + ...
Subtracting f(x - eps) cancels the eps^2 term, so the error of the central difference is
about eps^2/6 * f'''(x), while the one-sided (f(x + eps) - f(x)) / eps is off by about
eps/2 * f''(x) — a thousand times worse for eps = 1e-3.

The caller's ``x`` must be unchanged when you return.

Hints:
- ``for index in np.ndindex(*x.shape):`` visits every position of an array of any shape;
  ``x[index]`` reads or writes that one entry.
- Work on a copy (``x = np.array(x, dtype=np.float64)``), change one entry, call ``f``,
  and put the entry back before moving to the next one.
- ``tinygrad_rnn.autograd.gradcheck`` uses exactly this formula to test every op of the library.

Check your work:   tinygrad-rnn check ex01
"""
import numpy as np


def central_difference(f, x, eps=1e-6):
    """The gradient of the scalar function ``f`` at ``x``, estimated by central differences."""
    raise NotImplementedError("exercise ex01: write central_difference (delete this line)")
