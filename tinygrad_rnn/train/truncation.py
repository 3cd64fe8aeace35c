r"""Backpropagation through time, full and truncated, by cutting the graph.

Full BPTT unrolls all T steps, adds up the loss and calls ``backward()`` once: the
gradient of a loss at step t reaches every earlier step, multiplied on the way by
one Jacobian $\partial h_s / \partial h_{s-1}$ per step — which is why it explodes
or vanishes.

Truncated BPTT, TBPTT(k1, k2) after Williams & Peng (1990): every ``k1`` steps,
backpropagate the loss of those ``k1`` steps through (at most) the last ``k2``
steps. The hidden state carried into a window is ``detach()``-ed, so the graph
simply ends there: no gradient can cross the cut, and the memory held is that of
``k2`` steps, whatever T is. ``k1 = k2 = k`` is the common case; ``k = T`` is full
BPTT. The state *values* are always carried on — only the gradient is cut.

With ``k2 > k1`` windows overlap: the steps between the cut and the first loss
step are recomputed from the stored state at the cut (with the current weights).

Randomized truncation (after Tallec & Ollivier, 2017) draws each window's length
at random, so no dependency length is *always* cut; ARTBP's reweighting of the
gradient at the cuts is not applied here.

Usage, with any model that has ``step(x_t, state) -> (y_t, state)``::

    tbptt = TBPTT(k1=50)                                    # k2 defaults to k1
    for window, loss in tbptt.run(model, inputs, step_loss):
        clip_grad_norm_(model.parameters(), 1.0)            # the window's gradient is in .grad
        optimizer.step(); optimizer.zero_grad()

or, with a model run as the layers run (``model(inputs, state) -> (outputs, state)``, such as
``SequenceModel``), a window's loss in one call, the same numbers with far fewer nodes::

    tbptt.run(model, batch.inputs, window_loss=lambda outputs, start, stop: task.window_loss(outputs, batch, start,
              stop), loss_steps=batch.loss_steps)
"""
import contextlib
import dataclasses

import numpy as np

from ..core import Tensor, cat, no_grad


@dataclasses.dataclass(frozen=True)
class Window:
    """Steps ``[cut, stop)`` are unrolled with a graph; the state entering step ``cut`` is detached.
    The loss of steps ``[loss_start, stop)`` is backpropagated (``cut <= loss_start < stop``)."""
    cut: int
    loss_start: int
    stop: int


def detach_state(state):
    """Detach a hidden state: a Tensor ``h``, or a tuple such as the LSTM's ``(h, c)``."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return tuple(detach_state(s) for s in state)


class TBPTT:
    """Truncated backpropagation through time.

    ``k1``: backpropagate every k1 steps (the loss of those k1 steps).
    ``k2``: through at most the last k2 steps (default k1; must be >= k1).
    ``random=True``: draw each window length uniformly from ``[max(1, k1 // 2), 2 * k1 - max(1, k1 // 2)]``
    (mean k1), with ``k2 = k1`` per window, from ``rng``.
    Use ``TBPTT.full(T)`` (or k1 = T) for full BPTT.
    """

    def __init__(self, k1: int, k2: int | None = None, random: bool = False, rng=None):
        k2 = k1 if k2 is None else k2
        if not (isinstance(k1, (int, np.integer)) and not isinstance(k1, bool) and k1 >= 1):
            raise ValueError(f"TBPTT: k1 must be a positive int (backpropagate every k1 steps), got {k1!r}. "
                             "Fix: e.g. TBPTT(k1=20), or TBPTT.full(T) for full BPTT")
        if not (isinstance(k2, (int, np.integer)) and not isinstance(k2, bool) and k2 >= k1):
            raise ValueError(f"TBPTT: k2 (how far back gradients go) must be an int >= k1 = {k1}, got {k2!r}. "
                             "Backpropagating fewer steps than the loss window would leave some losses cut "
                             f"off from their own step. Fix: pass k2 >= {k1}, or leave k2 out (k2 = k1).")
        if not isinstance(random, (bool, np.bool_)):
            raise TypeError(f"TBPTT: random must be True or False (draw each window's length at random), got "
                            f"{random!r}. Fix: TBPTT({k1}, random=True" + (f", rng=np.random.default_rng({random}))"
                            f" to seed the draws" if isinstance(random, (int, np.integer)) else ")"))
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"TBPTT: rng must be a np.random.Generator, got {rng!r}. Fix: rng=np.random.default_rng("
                            + (f"{rng})" if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) else "0)"))
        if random and k2 != k1:
            raise ValueError("TBPTT: random=True draws one length per window, so give k1 only (k2 = k1)")
        self.k1, self.k2, self.random = int(k1), int(k2), random
        self.rng = rng if rng is not None else np.random.default_rng()

    @classmethod
    def full(cls, T: int) -> "TBPTT":
        """Full BPTT over a sequence of length T: one window, one backward."""
        return cls(T)

    def __repr__(self):
        if self.random:
            return f"TBPTT(k1={self.k1}, random=True)"
        return f"TBPTT(k1={self.k1}, k2={self.k2})"

    def windows(self, T: int) -> list:
        """The windows covering steps 0..T-1 (the last may be shorter when k1 does not divide T)."""
        if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
            raise ValueError(f"TBPTT.windows: T must be a number of steps >= 0, got {T!r}")
        return list(self._iter_windows(T))

    def _iter_windows(self, T: int):
        stop = 0
        while stop < T:
            loss_start, stop = stop, min(stop + self._next_length(), T)
            # gradients reach k2 - k1 steps further back than the window's own loss steps
            yield Window(max(0, loss_start - (self.k2 - self.k1)), loss_start, stop)

    def _next_length(self) -> int:
        if not self.random:
            return self.k1
        low = max(1, self.k1 // 2)
        return int(self.rng.integers(low, 2 * self.k1 - low + 1))

    def run(self, model, inputs, step_loss=None, loss_steps=None, state=None, *, window_loss=None):
        """Unroll ``model`` over ``inputs`` window by window, calling ``backward()`` once per window.

        ``inputs``: an array or Tensor (T, B, I). ``state``: the state entering step 0 (None: zeros).
        A window is computed one of two ways, the same numbers up to rounding; give one of
        ``step_loss`` and ``window_loss``:

        - ``step_loss(y_t, t)``, the loss Tensor of step t: ``model.step(x_t, state) -> (y_t, state)``
          once per step, and a loss node per step (any model with ``step``; ``inputs`` need only
          ``len`` and ``[t]``).
        - ``window_loss(outputs, start, stop)``, the loss of steps [start, stop) in one call, from
          their outputs (stop - start, B, O): the layer's way, ``model(inputs[a:b], state) ->
          (outputs, state)`` over the window (one matmul projects its inputs, one reads out all its
          h_t, one node per step between), split only where a later window starts from a state.
          Fewer nodes: what ``train`` and the tour use (``task.window_loss``).

        ``loss_steps``: the steps that carry a loss (default: all). A window without any
        runs without recording a graph and calls no backward.
        Yields ``(window, loss)`` after each window, with that window's gradients in
        ``.grad`` (step the optimizer there); ``loss`` is ``None`` for a window without
        loss steps. ``self.final_state`` is then the (detached) state after the last step.
        Keep ``loss.item()``, not ``loss``: while ``loss`` is referenced, its window's whole graph
        stays alive during the next window (``del loss`` in the loop body), nearly doubling the
        memory a short window holds.
        """
        if not hasattr(inputs, "__len__") or not hasattr(inputs, "__getitem__"):
            raise TypeError(f"TBPTT.run: inputs must be an array or Tensor of shape (T, B, I), indexed by step, got "
                            f"{type(inputs).__name__}. Fix: pass batch.inputs")
        if (step_loss is None) == (window_loss is None):
            raise TypeError("TBPTT.run: give one loss, step_loss(y_t, t) (a loss per step) or window_loss(outputs, "
                            "start, stop) (a window's loss in one call), not " + ("both" if step_loss else "neither")
                            + ". Fix: e.g. window_loss=lambda outputs, start, stop: task.window_loss(outputs, batch, "
                            "start, stop)")
        if not callable(getattr(model, "step", None)):
            from ..nn.cells import RNNCellBase
            from ..nn.recurrent import RNNBase
            what = (" (a layer over whole sequences: layer(inputs) -> (outputs, h_n))" if isinstance(model, RNNBase)
                    else " (a cell gives the new state only, no output y_t)" if isinstance(model, RNNCellBase)
                    else "")
            raise TypeError(f"TBPTT.run: model must have step(x_t, state) -> (y_t, state), one time step, but a "
                            f"{type(model).__name__} has none{what}. Fix: pass a model with a step method, e.g. "
                            f"tinygrad_rnn.train.SequenceModel('lstm', input_size, hidden_size, output_size)")
        if step_loss is not None and not callable(step_loss):
            raise TypeError(f"TBPTT.run: step_loss must be a function step_loss(y_t, t) returning the loss Tensor of "
                            f"step t, got {_describe(step_loss)}. Fix: e.g. lambda y_t, t: F.mse_loss(y_t, "
                            f"targets[t])")
        if window_loss is not None and not callable(window_loss):
            raise TypeError(f"TBPTT.run: window_loss must be a function window_loss(outputs, start, stop) returning "
                            f"the loss Tensor of steps [start, stop), got {_describe(window_loss)}. Fix: e.g. "
                            f"lambda outputs, start, stop: task.window_loss(outputs, batch, start, stop)")
        T, dtype = len(inputs), model_dtype(model)
        loss_steps = None if loss_steps is None else _checked_loss_steps(loss_steps, T)
        unroll = (_by_steps(model, inputs, step_loss, loss_steps, dtype) if window_loss is None
                  else _by_window(model, inputs, window_loss, dtype))
        carried = {0: state}          # detached state entering step t, kept while a later cut may need it
        for window in self._iter_windows(T):
            has_loss = loss_steps is None or any(t in loss_steps for t in range(window.loss_start, window.stop))
            with contextlib.nullcontext() if has_loss else no_grad():
                loss, states = unroll(window, carried[window.cut], self._carry(window, T), has_loss)
            carried.update((t, detach_state(s)) for t, s in states.items())   # the gradient stops at a cut
            del states                                # (held past the yield, they would keep the graph alive)
            if loss is not None:
                loss.backward()
            for t in [t for t in carried if t < window.stop - (self.k2 - self.k1)]:
                del carried[t]                        # no later window starts before the next one's cut
            yield window, loss
            del loss
        self.final_state = carried[T]

    def _carry(self, window: Window, T: int) -> list:
        """The steps (in ``(loss_start, stop]``) whose entering state a later window starts its graph from
        (its cut), and T, for ``final_state``. Random windows do not overlap (the next cut is ``stop``);
        fixed ones start every k1 steps, k2 - k1 steps before their loss steps."""
        if window.stop == T:
            return [T]
        overlap = self.k2 - self.k1
        cuts = range(window.stop - overlap, min(T, window.stop + overlap + 1) - overlap, self.k1)
        return [t for t in cuts if t > window.loss_start]


def _by_steps(model, inputs, step_loss, loss_steps, dtype):
    """A window one step at a time: ``model.step`` per step, ``step_loss`` per step with a loss; returns
    ``unroll(window, state, carry, has_loss) -> (the summed loss or None, {t: the state entering t, for t in
    carry})``."""
    def unroll(window, state, carry, has_loss):
        total, kept = None, {}
        for t in range(window.cut, window.stop):
            y, state = model.step(model_input(inputs[t], dtype), state)
            if has_loss and t >= window.loss_start and (loss_steps is None or t in loss_steps):
                loss_t = step_loss(y, t)
                _check_loss(loss_t, "step_loss(y_t, t)", "the loss of step t", f"at t={t}", "F.mse_loss(y_t, target_t)")
                total = loss_t if total is None else total + loss_t
            if t + 1 in carry:
                kept[t + 1] = state
        return total, kept
    return unroll


def _by_window(model, inputs, window_loss, dtype):
    """A window the layer's way: ``model(inputs[a:b], state)`` over each stretch between the window's cut,
    its first loss step, the states to carry and its stop (usually one stretch: the whole window), then
    ``window_loss`` once over the outputs of its loss steps. Returns ``unroll`` as ``_by_steps`` does."""
    def unroll(window, state, carry, has_loss):
        bounds = sorted({window.cut, window.loss_start, window.stop, *carry})
        outputs, kept = [], {}
        for a, b in zip(bounds, bounds[1:]):
            y, state = model(model_input(inputs[a:b], dtype), state)
            if a >= window.loss_start:
                outputs.append(y)
            if b in carry:
                kept[b] = state
        if not has_loss:
            return None, kept
        loss = window_loss(outputs[0] if len(outputs) == 1 else cat(outputs), window.loss_start, window.stop)
        _check_loss(loss, "window_loss(outputs, start, stop)", "the loss of steps [start, stop)",
                    f"for steps [{window.loss_start}, {window.stop})", "task.window_loss(outputs, batch, start, stop)")
        return loss, kept
    return unroll


def _check_loss(loss, call: str, what: str, where: str, example: str) -> None:
    """A TypeError naming ``call`` unless ``loss`` is a one-element Tensor."""
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise TypeError(f"TBPTT.run: {call} must return a one-element Tensor ({what}), got {_describe(loss)} {where}. "
                        f"Fix: return e.g. {example}, not .item() of it")


@dataclasses.dataclass
class StreamCursor:
    """Where a stream is read up to: ``step``, the next new step of every track, and ``state``, the
    detached state entering step ``max(0, step - (k2 - k1))`` (where the next window's graph starts;
    None: zeros, at a track's start). ``stream_update`` returns the next one."""
    step: int = 0
    state: object = None
    read: int = 0           # new steps read so far, over all updates (characters read = read x tracks)


def stream_update(tbptt: "TBPTT", model, stream, cursor: StreamCursor, carry: bool = True):
    """One update of ``tbptt`` on a stream (``tasks.TextStream``): read the next k1 steps of every track
    (k1 drawn when ``tbptt.random``) and call ``backward()`` on their mean loss, backpropagated through
    the last k2 steps, from ``cursor``. Returns ``(loss, next cursor)``; the gradients are in ``.grad``.

    The graph starts at the cut c = max(0, step - (k2 - k1)) from ``cursor.state`` (detached), so
    across updates this is exactly ``TBPTT.run`` over each whole track: the values flow on, the
    gradient stops at the cut. When a track has fewer than k1 steps left, every track starts over
    from step 0 with zeros (its last few characters are skipped). ``carry=False``: the state is reset
    at every window (each window read as a sequence of its own: full BPTT over k1 steps).
    The stream's ``window(start, stop)`` gives the steps, its ``compute_loss`` the loss (the mean
    cross-entropy over the new steps; the k2 - k1 steps before them carry none)."""
    k = tbptt._next_length()
    overlap = tbptt.k2 - tbptt.k1
    length = stream.track_length
    if tbptt.k2 > length or k > length:
        raise ValueError(f"stream_update: a window of {max(k, tbptt.k2)} steps does not fit in a track of {length} "
                         f"steps (the corpus cut into {stream.batch_size} tracks). Fix: a smaller window (--tbptt), a "
                         f"smaller batch (fewer, longer tracks) or a longer text")
    step, state = cursor.step, cursor.state if carry else None
    if step + k > length:                              # the end of the tracks: start them over, from zeros
        step, state = 0, None
    cut = step if not carry else max(0, step - overlap)
    next_cut = step + k if not carry else max(0, step + k - overlap)
    batch = stream.window(cut, step + k)
    batch.mask[:step - cut] = False                    # steps recomputed for the overlap carry no loss
    dtype = model_dtype(model)
    inputs = batch.inputs
    split = next_cut - cut                             # the state entering next_cut is the next cursor's
    if split == 0:
        outputs, _ = model(model_input(inputs, dtype), state)
        kept = state
    elif split == len(inputs):
        outputs, kept = model(model_input(inputs, dtype), state)
    else:
        first, middle = model(model_input(inputs[:split], dtype), state)
        rest, _ = model(model_input(inputs[split:], dtype), middle)
        outputs, kept = cat([first, rest]), middle
    loss = stream.compute_loss(outputs, batch)
    loss.backward()
    return loss, StreamCursor(step + k, detach_state(kept) if carry else None, cursor.read + k)


def _checked_loss_steps(loss_steps, T: int) -> set:
    """``TBPTT.run``'s ``loss_steps`` as a set of ints in [0, T); a step outside would never get its loss."""
    try:
        steps = list(loss_steps)
    except TypeError:
        raise TypeError(f"TBPTT.run: loss_steps must be a list of steps (ints in [0, {T})), got "
                        f"{type(loss_steps).__name__}. Fix: e.g. loss_steps=[{max(T - 1, 0)}] for the last step "
                        f"only") from None
    bad = [t for t in steps if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer))]
    if bad:
        raise TypeError(f"TBPTT.run: loss_steps must hold int steps, got {bad[0]!r}. Fix: e.g. "
                        f"loss_steps=[{max(T - 1, 0)}] for the last step only")
    outside = sorted({int(t) for t in steps if not 0 <= t < T})
    if outside:
        raise ValueError(f"TBPTT.run: loss_steps {outside[:5]} are outside the sequence of T = {T} steps (0 to "
                         f"{T - 1}), so their loss would never be computed. Fix: steps in [0, {T - 1}] (the last "
                         f"step is {T - 1}, not -1)")
    return {int(t) for t in steps}


def _describe(value) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {value.shape}"
    return f"a {type(value).__name__}"


def model_input(x, dtype):
    """``x`` for the model: a Tensor as given; an array wrapped as one without a copy, in ``dtype``
    (the model's, so that the tasks' float32 arrays feed a float64 model too; None: as it is).
    For arrays nobody writes to while the graph lives (the tasks' batches), as TBPTT and
    ``train.evaluate`` pass them."""
    if isinstance(x, Tensor):
        return x
    x = np.asarray(x)
    return Tensor._wrap(x if dtype is None or x.dtype == dtype or x.dtype.kind != "f" else x.astype(dtype))


def model_dtype(model):
    """The dtype of the model's first parameter, or None for a model without ``parameters()``."""
    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if callable(parameters) else None
    return getattr(first, "dtype", None)
