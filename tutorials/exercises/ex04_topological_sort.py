"""Exercise 04 — topological order of the graph, without recursion (chapter 1: Autograd from scratch).

``loss.backward()`` must hand each tensor its *complete* gradient dL/d(tensor) before it
passes that gradient on to the tensor's inputs. A tensor used twice (fan-in: ``h`` feeds
both the next step and a loss) gets one contribution from each user, so all users must be
processed first. That is what a topological order gives: list every tensor after all the
tensors it was computed from; walking that list backwards visits each tensor after all its
users.

Implement ``topological_order(root)``:

- ``root`` is a Tensor (the loss). Return a list of Tensors: every tensor that ``root``
  depends on *and that requires grad*, ``root`` included, each exactly once, each after all
  of its inputs (so ``root`` comes last).
- The graph: ``t.grad_fn`` is the Function node that made tensor ``t`` (``None`` for a leaf
  such as a parameter or an input; PyTorch's name), and ``t.grad_fn.parents`` is the tuple of
  its input tensors (a tensor appears twice in it for ``a * a``). ``t.requires_grad`` tells whether
  a gradient flows to ``t``; skip the tensors where it is False.
- No recursion: an RNN unrolled for 1000 steps is a chain thousands of tensors deep, more
  than Python's recursion limit (1000 frames). Use a list as an explicit stack.

Hints:
- Depth-first search, post-order: a tensor goes into the result after all its parents have.
  With an explicit stack, push ``(tensor, False)`` to mean "visit its parents first" and,
  before pushing the parents, push ``(tensor, True)`` to mean "now append it".
- Tensors compare elementwise (``t1 == t2`` makes a new tensor), so ``t in some_list`` does
  not do what you want. Remember visited tensors by ``id(t)`` in a set.
- Breadth-first order, reversed, is *not* a topological order: try it on
  ``a = x * 2; y = (a.tanh().exp() + a) * x`` and see ``x`` come after ``a``.

Check your work:   tinygrad-rnn check ex04
"""


def topological_order(root):
    """Every tensor ``root`` depends on (requiring grad, ``root`` included), each after its inputs."""
    raise NotImplementedError("exercise ex04: write topological_order (delete this line)")
