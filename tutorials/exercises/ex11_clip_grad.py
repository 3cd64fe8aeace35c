"""Exercise 11 — gradient clipping, by norm and by value (chapter 5: Gradient clipping).

When one batch produces an exploding gradient, a single optimizer step can throw the
weights far away. Clipping caps the step before it is taken.

1. ``clip_grad_norm(grads, max_norm)`` — PyTorch's ``clip_grad_norm_`` rule. See all the
   gradient arrays together as one long vector g (every entry of every array) and

       total = ||g||_2 = sqrt(sum of the squares of all entries of all arrays)
       coef  = max_norm / (total + 1e-6)
       if coef < 1: multiply every array by coef          (otherwise leave them alone)

   The direction of g is kept and its length becomes (just under) max_norm. The 1e-6
   avoids dividing by zero; it also means a norm exactly equal to max_norm is still scaled,
   by max_norm / (max_norm + 1e-6).
   Change the arrays **in place** (the caller keeps references to them, as an optimizer
   keeps ``param.grad``) and return ``total``, the norm *before* clipping, as a float.

2. ``clip_grad_value(grads, clip_value)`` — clamp every entry to [-clip_value, clip_value],
   in place. Returns None. Simpler, but it changes g's direction.

The lecture's example: g = (80, 60) has norm 100. With max_norm = 10, clipping by norm
gives (8, 6) (up to the 1e-6), pointing the same way. Clipping by value at 10 gives
(10, 10): a different direction.

``grads`` is a list of float ndarrays of any shapes (one per parameter).

Hints:
- In place: ``g *= coef`` or ``g[...] = ...`` changes the array; ``g = g * coef`` only
  rebinds the name g and the caller never sees it. ``np.clip(g, lo, hi, out=g)`` clips in place.
- One norm over *all* arrays, not one per array: sum the squares of every array first.
- Compare with ``tinygrad_rnn.nn.utils.clip_grad_norm_`` (it takes Tensors with .grad).

Check your work:   tinygrad-rnn check ex11
"""
import numpy as np


def clip_grad_norm(grads, max_norm):
    """Scale all arrays in ``grads`` in place so that their total 2-norm is at most max_norm;
    return the total norm before clipping."""
    raise NotImplementedError("exercise ex11: write clip_grad_norm (delete this line)")


def clip_grad_value(grads, clip_value):
    """Clamp every entry of every array in ``grads`` to [-clip_value, clip_value], in place."""
    raise NotImplementedError("exercise ex11: write clip_grad_value (delete this line)")
