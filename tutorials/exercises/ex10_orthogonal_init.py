"""Exercise 10 — orthogonal initialisation by QR, with the sign fix (chapter 4: Orthogonal initialisation).

An orthogonal matrix Q (Q^T Q = I) keeps every vector's length, so all its eigenvalues have
|lambda| = 1: multiplied by itself T times it neither blows up nor dies out. Starting W_hh
there is the idea of orthogonal initialisation (Saxe et al., 2013; PyTorch's
``nn.init.orthogonal_``).

How to get a random orthogonal matrix: draw A with i.i.d. normal entries and orthonormalise
its columns (Gram–Schmidt). The QR factorisation A = Q R does exactly that: Q has
orthonormal columns and R is upper triangular. One catch: QR is unique only up to signs —
flipping column j of Q and row j of R gives another valid factorisation — and LAPACK's
routine (behind ``np.linalg.qr``) often returns negative diagonal entries in R. Gram–Schmidt
would give a positive diagonal. The *sign fix* restores that convention:

    Q <- Q * sign(diag(R))          (multiply column j of Q by the sign of R[j, j])

Afterwards Q^T A = R' has a positive diagonal, the result no longer depends on the QR
routine's conventions, and Q is uniformly distributed over the orthogonal matrices.

Implement ``orthogonal(A, gain=1.0)``:

- ``A`` a (rows, cols) ndarray of normal samples. Return ``gain * Q``, shape (rows, cols):
  - rows >= cols (square or tall): Q from the QR of A, sign-fixed. Its columns are
    orthonormal (Q^T Q = I) and Q^T A is upper triangular with a positive diagonal.
  - rows < cols (wide): do the above for A^T and transpose the result back. Then the
    *rows* are orthonormal (Q Q^T = I).
- Don't modify ``A``.

Hints:
- ``q, r = np.linalg.qr(A)`` gives q of shape (rows, cols) and r (cols, cols) for rows >= cols.
- ``q * v`` with v of shape (cols,) multiplies column j of q by v[j] (broadcasting).
- ``np.sign(np.diag(r))`` is the vector of signs. (It would be 0 for an exactly zero
  diagonal entry, which does not happen for random normal A.)

Check your work:   tinygrad-rnn check ex10
"""
import numpy as np


def orthogonal(A, gain=1.0):
    """gain * Q, where Q is A orthonormalised by QR with the sign fix (rows or columns orthonormal)."""
    raise NotImplementedError("exercise ex10: write orthogonal (delete this line)")
