"""Exercise 12 — a truncated-BPTT loop with the cut in the right place (chapter 6: Truncated BPTT).

Full BPTT over T steps keeps the graph of all T steps in memory and sends every gradient
back through up to T Jacobians. Truncated BPTT runs the sequence in windows of k steps: each
window's gradient goes back to the start of that window and no further, and each window gets
its own backward pass as soon as it is done (in training, an optimizer step would follow).

The *values* of h flow on from window to window (the net still reads the whole sequence);
only the *gradient* is stopped at a window's start, so nothing the net does at step 10 can be
blamed on an input at step 3 when k = 4. That is the price of truncation.

Implement ``truncated_bptt(step, h0, xs, loss_fn, k)``:

    step(x_t, h) -> h_t         one RNN step; its weights live inside (they collect .grad)
    h0                          Tensor, the state before step 0
    xs                          list of T input Tensors, xs[t] for t = 0, ..., T-1
    loss_fn(h_t, t) -> Tensor   the (one-element) loss of step t
    k                           window length; the last window may be shorter (T = 10, k = 4:
                                windows of steps 0-3, 4-7, 8-9)
    returns                     the list of the windows' summed losses (Tensors), in order

Call ``backward()`` on each window's summed loss as soon as the window is done. Don't zero
any gradients: the checker reads the weights' ``.grad`` summed over all windows. It also
checks that no window's loss reaches back (through the graph) to a step before the window's
start, and that every step inside the window is reached.

Chapter 6 ("The truncated sum") shows where the graph must end for a window, and what a cut
in the graph is. When a check fails, its message says which window reaches where; the hints
(``tinygrad-rnn check ex12 --hint``, once more for each next one) go from what to look at to
the fix. The library's ``tinygrad_rnn.train.TBPTT`` does this (and more): read it after.

Check your work:   tinygrad-rnn check ex12
"""


def truncated_bptt(step, h0, xs, loss_fn, k):
    """Run the sequence window by window (k steps), each window's gradient stopped at its start, and
    backward() once per window. Return the list of window losses."""
    raise NotImplementedError("exercise ex12: write truncated_bptt (delete this line)")
