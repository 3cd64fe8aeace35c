"""Exercise 06 — one step of an Elman RNN (chapter 2: RNNs and BPTT).

An RNN applies the same cell at every time step, feeding its own output back in:

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

Implement ``rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh)`` with Tensor operations
(``@``, ``.T``, ``+``, ``.tanh()``), so that the engine can backpropagate through it.
The layout is PyTorch's (``torch.nn.RNNCell``): rows are examples, a weight maps "in" to
"out" and has shape (out, in), hence the transposes.

Shapes (B = batch, I = input size, H = hidden size):

    x          (B, I)   or unbatched (I,)
    h          (B, H)   or unbatched (H,)     the previous state h_{t-1}
    weight_ih  (H, I)
    weight_hh  (H, H)
    bias_ih    (H,)     broadcast over the batch
    bias_hh    (H,)
    returns    h_t, a Tensor shaped like h

Hints:
- ``x @ weight_ih.T`` is (B, I) @ (I, H) -> (B, H); the same line works for an unbatched
  x of shape (I,), giving (H,).
- ``h @ weight_hh`` (without .T) has the right shape too, which is why it is an easy bug
  to miss: it multiplies by the transpose of the recurrent matrix.
- Compare with ``tinygrad_rnn.nn.RNNCell(I, H)``: set its weights to yours and call it.

Check your work:   tinygrad-rnn check ex06
"""
import tinygrad_rnn as tg


def rnn_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """h_t = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), as a Tensor."""
    raise NotImplementedError("exercise ex06: write rnn_step (delete this line)")
