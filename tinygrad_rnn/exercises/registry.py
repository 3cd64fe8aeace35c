"""The list of exercises: one ``Exercise`` per stub file in ``tutorials/exercises/``.

Each exercise has a number and a name (the stub's file name, ``ex01_central_difference``),
the tutorial chapter it belongs to, a title, what it teaches, and hints, from what to look at to
the fix (the last), each named by the checks it is about (``hint_for``): when a check fails the
grader shows the hint about the first failing check, and ``check exNN --hint`` one more each time,
on from there. Its checks live in
``checks/<name>.py`` (the list ``TESTS``). The reference solutions are not part of the package:
they are in the repository's ``tests/solutions/``, for the tests.
"""
import dataclasses
import importlib
from pathlib import Path

#: the tutorial chapters (tutorials/*.md), by number
CHAPTERS = {
    1: "Autograd from scratch",
    2: "RNNs and BPTT",
    3: "Eigenvalues and gradient flow",
    4: "Orthogonal initialisation",
    5: "Gradient clipping",
    6: "Truncated BPTT",
    7: "LSTM",
    8: "Summary",
    9: "Carrying it over to PyTorch",
    10: "What the papers found",
}


@dataclasses.dataclass(frozen=True)
class Exercise:
    number: int
    name: str                 # also the stub's file name, without ".py"
    chapter: int
    title: str
    teaches: str              # one line: what doing it teaches
    hints: tuple = ()         # from a pointer to the fix itself (the last); the others on request (--hint)
    hint_for: tuple = ()      # per check, in the order of its checks: the number (1, 2, ...) of its hint

    @property
    def short_name(self) -> str:
        """``ex01``"""
        return f"ex{self.number:02d}"

    @property
    def filename(self) -> str:
        return self.name + ".py"

    @property
    def chapter_title(self) -> str:
        return CHAPTERS[self.chapter]

    def first_hint(self, check_name: str | None) -> int:
        """The number (1, 2, ...) of the hint about the check called ``check_name`` (the first failing
        one): the hint shown first. 1 for None or a check without one."""
        names = [check.__name__ for check in self.checks]
        if check_name in names and len(self.hint_for) == len(names):
            return self.hint_for[names.index(check_name)]
        return 1

    @property
    def checks(self) -> list:
        """The check functions, each ``check(module)``, in order."""
        return list(importlib.import_module(f"{__package__}.checks.{self.name}").TESTS)


EXERCISES = [
    Exercise(1, "ex01_central_difference", 1, "Central differences",
             "estimating a gradient numerically, and why the two-sided formula is accurate to eps^2",
             ("Nudge one entry of x at a time, once by +eps and once by -eps, and divide the change in f by the "
              "distance between the two points (2 eps).",
              "Work on a private float64 copy of x, so that the caller's array never changes, and put each entry "
              "back before you nudge the next one.",
              "np.ndindex(*shape) yields every index of an array of any shape: one loop handles vectors and "
              "matrices alike."),
             (1, 3, 2, 1)),
    Exercise(2, "ex02_mul_backward", 1, "Backward of *, with broadcasting",
             "writing an op's backward, and why a broadcast input's gradient is a sum (unbroadcast)",
             ("For out = a * b, dL/da is the incoming gradient times b and dL/db is it times a; then each must be "
              "summed down to the shape of its input.",
              "unbroadcast undoes broadcasting in two steps: sum away the extra leading axes, then sum "
              "(keepdims=True) over each axis where the target shape has 1 and the gradient has more.",
              "backward returns one gradient per input of forward, as a tuple, in the order of the inputs."),
             (2, 1, 2, 3)),
    Exercise(3, "ex03_matmul_backward", 1, "Backward of @, for batches of matrices",
             "dL/dA = G B^T and dL/dB = A^T G, and summing a shared weight's gradient over the batch",
             ("With G = dL/dOut: dL/dA = G B^T and dL/dB = A^T G. Check the shapes: (n, m) @ (m, p) gives (n, p).",
              "Transpose only the last two axes (np.swapaxes with -1 and -2), so that a batch of matrices stays "
              "a batch.",
              "A weight shared by every matrix of a batch has fewer axes than its gradient: sum that gradient "
              "over the batch axes, as ex02's unbroadcast does, for both inputs."),
             (1, 3, 2, 1)),
    Exercise(4, "ex04_topological_sort", 1, "Topological order, without recursion",
             "the order in which backward visits the graph, so fan-in gradients are complete before use",
             ("Depth-first search, post-order: a tensor goes into the list only after all of its parents "
              "(tensor.grad_fn.parents) are in it.",
              "Use a list as an explicit stack of (tensor, parents_done) pairs: push a tensor again, marked done, "
              "before you push its parents; skip parents whose requires_grad is False.",
              "Tensors compare elementwise, so remember visited tensors by id() in a set. And reversed "
              "breadth-first order is not topological: a tensor reached by a short and a long path ends up in the "
              "wrong place."),
             (1, 3, 2, 1)),
    Exercise(5, "ex05_tanh_sigmoid", 1, "tanh and sigmoid, forward and backward",
             "the two derivatives, at most 1 and 1/4, that every step of BPTT multiplies in",
             ("Both derivatives can be written with the output alone: tanh' = 1 - tanh^2 and "
              "sigmoid' = sigmoid (1 - sigmoid). So save the output in forward.",
              "backward multiplies the incoming gradient by the derivative and returns a tuple with one "
              "gradient, for the one input.",
              "Use the saved output, not the input x: 1 - x^2 is not the derivative of tanh."),
             (1, 1, 3, 2)),
    Exercise(6, "ex06_rnn_step", 2, "One step of an Elman RNN",
             "the RNN cell in PyTorch's layout: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)",
             ("Use Tensor ops (@, .T, +, .tanh()) on the Tensors themselves, not on .data, so that gradients flow.",
              "PyTorch stores both weights as (out, in): multiply the input and the state by the transposes of "
              "their weights.",
              "Four terms go inside the tanh: the input's product and its bias, the state's product and its bias."),
             (2, 2, 1)),
    Exercise(7, "ex07_bptt_by_hand", 2, "BPTT by hand for a scalar RNN",
             "unrolling the chain rule through time: one factor w tanh'(a_t) per step, sums over steps for w",
             ("Run the forward pass first and keep every h_t: the backward pass needs all of them.",
              "Walk t = T..1 carrying delta = dL/dh_t, which starts at 1. At each step dL/da_t is delta times "
              "tanh'(a_t), and tanh'(a_t) can be written with h_t alone.",
              "w, u and b are used at every step, so their gradients are sums over the steps; the delta for the "
              "step before is dL/da_t times w."),
             (1, 2, 3)),
    Exercise(8, "ex08_hidden_jacobian", 2, "dh_T/dh_0 as a product of Jacobians",
             "where prod diag(tanh'(a_t)) W_hh comes from, the product that explodes or vanishes",
             ("dh_t/dh_(t-1) = diag(tanh'(a_t)) W_hh, and tanh'(a_t) = 1 - h_t^2: the states give you the "
              "derivatives.",
              "diag(d) W_hh scales row i of W_hh by d_i: broadcasting d as a column (d[:, None]) does it without "
              "building the diagonal matrix.",
              "Start from the identity. The newest step's Jacobian goes on the left of the product: "
              "dh_T/dh_0 = J_T ... J_2 J_1."),
             (1, 3, 2)),
    Exercise(9, "ex09_eigenvalues_2x2", 3, "Eigenvalues of a 2 x 2 matrix",
             "the characteristic polynomial, complex pairs, and the lecture's table of regimes",
             ("The eigenvalues of a 2 x 2 matrix are the roots of lambda^2 - tr lambda + det = 0.",
              "The discriminant tr^2 - 4 det can be negative (a complex pair): cmath.sqrt takes the square root of "
              "a negative number, math.sqrt and np.sqrt do not.",
              "The regime follows the largest |lambda|; 'explode (oscillating)' only when that eigenvalue is real "
              "and negative."),
             (1, 2, 1, 3)),
    Exercise(10, "ex10_orthogonal_init", 4, "Orthogonal initialisation with the sign fix",
             "QR as Gram-Schmidt, why Q needs the sign fix, and what orthogonal means for eigenvalues",
             ("np.linalg.qr orthonormalises the columns of a matrix, like Gram-Schmidt: its Q has orthonormal "
              "columns.",
              "Q is unique only up to the signs of its columns: flip each column of Q whose entry on R's diagonal "
              "is negative (multiply by the signs of that diagonal, broadcast over the rows).",
              "For a wide A (rows < cols), orthonormalise A.T and transpose the result back; scale by gain last."),
             (1, 2, 3, 3)),
    Exercise(11, "ex11_clip_grad", 5, "Clipping by norm and by value",
             "PyTorch's clip_grad_norm_ rule (one norm for all parameters) versus clamping each entry",
             ("One norm for all the parameters: the square root of the sum of squares over every entry of every "
              "array.",
              "The factor is max_norm over (the norm + 1e-6), and it is applied only when it is below 1: clipping "
              "never scales a gradient up.",
              "Change the arrays in place (*=, or np.clip with out=): the caller keeps references to them. Return "
              "the norm from before clipping, as a float."),
             (2, 2, 1, 3)),
    Exercise(12, "ex12_tbptt_loop", 6, "A truncated-BPTT loop",
             "where truncated BPTT cuts the graph, and one backward per window",
             ("A message that names a window reaching back before its start, or a graph already freed, is about "
              "what the state carried into a window is still connected to: look at its grad_fn at the start of "
              "each window (None for a leaf), or draw a window's loss with tinygrad_rnn.viz.draw_graph.",
              "In a window, run its k steps, add up their losses and call backward() once on that sum, before the "
              "next window starts.",
              "The fix: before each window's first step, carry in h.detach() (the same values, a new leaf, so the "
              "graph ends there). Not at every step (that is k = 1), and not retain_graph=True, which only hides "
              "the missing cut."),
             (1, 1, 1, 2)),
    Exercise(13, "ex13_lstm_cell", 7, "The LSTM cell",
             "the four gates in PyTorch's order i, f, g, o, and the additive update c' = f c + i g",
             ("The pre-activations of all four gates come out of one product per input, stacked as (B, 4H) in "
              "PyTorch's order i, f, g, o.",
              "Split them into four chunks of H along the last axis (Tensor.chunk); i, f and o go through the "
              "sigmoid, g through tanh.",
              "The cell update is additive: the forget gate times the old cell plus the input gate times g. The new "
              "h is the output gate times tanh of the new cell."),
             (1, 2, 3)),
    Exercise(14, "ex14_cell_state_path", 7, "dc_T/dc_0 along the cell path",
             "with weight_hh = 0, the gradient along the cell is exactly the product of the forget gates",
             ("With W_hh = 0 the cell path is c_t = f_t c_(t-1) + (terms without c), so dc_T/dc_0 is the product "
              "of the forget gates over time.",
              "The forget gate is the second block: rows H:2H of weight_ih, and entries H:2H of both biases.",
              "Compute f_t for every t at once (xs holds every step), then multiply them over the time axis "
              "(axis 0)."),
             (1, 3, 2)),
]


class UnknownExercise(ValueError):
    """No exercise matches the name the learner typed."""


def find(query) -> Exercise:
    """The exercise named ``query``: ``ex01``, ``1``, ``01``, ``ex01_central_difference``, ``central_difference``
    (or a stub's file name ending in ``.py``)."""
    text = str(query).strip().lower()
    text = text[:-3] if text.endswith(".py") else text
    for exercise in EXERCISES:
        if text in (exercise.name, exercise.short_name, exercise.name[len(exercise.short_name) + 1:]):
            return exercise
        if text.isdigit() and int(text) == exercise.number:
            return exercise
    valid = "\n".join(f"  {e.short_name}  {e.name}" for e in EXERCISES)
    raise UnknownExercise(f"no exercise called {query!r}. Give a number (1), a short name (ex01) or a full name; "
                          f"the exercises are:\n{valid}")


def from_filename(path) -> Exercise | None:
    """The exercise whose stub ``path`` looks like (``.../ex03_anything.py`` -> ex03), or None."""
    stem = Path(path).stem.lower()
    if len(stem) >= 4 and stem.startswith("ex") and stem[2:4].isdigit():
        number = int(stem[2:4])
        return next((e for e in EXERCISES if e.number == number), None)
    return None
