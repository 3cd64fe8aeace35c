"""Exercise 12 — a truncated-BPTT loop with the cut in the right place (chapter 6: Truncated BPTT).

Full BPTT over T steps keeps the graph of all T steps in memory and sends every gradient
back through up to T Jacobians. Truncated BPTT cuts the sequence into windows of k steps:

    for each window [start, start + k):
        cut:       h = h.detach()       (same values, but a new leaf: the graph ends here)
        forward:   the window's k steps, adding up their losses
        backward:  total.backward()      once per window, before the next window starts

The *values* of h flow on from window to window (the net still reads the whole sequence);
only the *gradient* is stopped at the cut, so nothing the net does at step 10 can be blamed
on an input at step 3 when k = 4. That is the price of truncation.

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
checks that no window's loss reaches back (through the graph) to a step before its cut,
and that every step inside the window is reached.

Hints:
- Detach at the *start* of each window, before its first step — not every step (that is
  k = 1), and not after the first step of the window (off by one).
- Without the cut, the second ``backward()`` walks into the first window's graph, whose saved
  values were freed: the error names ``backward(retain_graph=True)``, but that is not the
  fix here — retaining would silently make the gradients wrong.
- ``for start in range(0, len(xs), k):`` and ``range(start, min(start + k, len(xs)))``.
- The library's ``tinygrad_rnn.train.TBPTT(k).run(...)`` does this (and more); read it after.

Check your work:   tinygrad-rnn check ex12
"""


def truncated_bptt(step, h0, xs, loss_fn, k):
    """Run the sequence window by window (k steps), detaching h between windows and calling
    backward() once per window. Return the list of window losses."""
    raise NotImplementedError("exercise ex12: write truncated_bptt (delete this line)")
