"""Exercise 13 — the LSTM cell, with PyTorch's gate order (chapter 7: LSTM).

An LSTM step reads x_t and the previous (h, c) and computes four gates from the same
inputs, then updates the cell state c by *adding* new content to a gated copy of the old:

    gates = x W_ih^T + b_ih + h W_hh^T + b_hh        (B, 4H): four blocks of H columns
    i = sigmoid(gates[:, 0H:1H])     input gate:  how much new content to write
    f = sigmoid(gates[:, 1H:2H])     forget gate: how much of c to keep
    g =    tanh(gates[:, 2H:3H])     candidate:   the new content
    o = sigmoid(gates[:, 3H:4H])     output gate: how much of the cell to show
    c' = f * c + i * g
    h' = o * tanh(c')

The order of the blocks — i, f, g, o — is PyTorch's (``torch.nn.LSTMCell``); a model's
weights only mean something together with it.

Implement ``lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)`` with Tensor
operations, returning the tuple ``(h', c')``:

    x          (B, I)   or unbatched (I,)
    h, c       (B, H)   or unbatched (H,)
    weight_ih  (4H, I)      weight_hh (4H, H)      bias_ih, bias_hh (4H,)
    returns    (h', c'), each shaped like h

Hints:
- ``gates.chunk(4, dim=-1)`` splits the last axis into four equal pieces, in order; it works
  for batched and unbatched inputs alike.
- ``.sigmoid()`` and ``.tanh()`` are Tensor methods; ``*`` is elementwise.
- The c' line is the point of the whole design: along the path c -> c' the only factor is f
  (chapter 7 and exercise 14).

Check your work:   tinygrad-rnn check ex13
"""
import tinygrad_rnn as tg


def lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step with gates in the order i, f, g, o; returns (h', c')."""
    raise NotImplementedError("exercise ex13: write lstm_step (delete this line)")
