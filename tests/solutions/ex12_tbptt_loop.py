"""Reference solution of exercise 12 (the truncated-BPTT loop). Try the exercise first."""


def truncated_bptt(step, h0, xs, loss_fn, k):
    h, losses = h0, []
    for start in range(0, len(xs), k):
        h = h.detach()                             # the cut: the graph of earlier windows is not reachable
        total = None
        for t in range(start, min(start + k, len(xs))):
            h = step(xs[t], h)
            loss = loss_fn(h, t)
            total = loss if total is None else total + loss
        total.backward()                           # this window's gradient, added into the weights' .grad
        losses.append(total)
    return losses
