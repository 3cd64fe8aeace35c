"""The list of exercises: one ``Exercise`` per stub file in ``tutorials/exercises/``.

Each exercise has a number and a name (the stub's file name, ``ex01_central_difference``),
the tutorial chapter it belongs to, a title, what it teaches, and hints that the grader shows
when a check fails. Its checks live in ``checks/<name>.py`` (the list ``TESTS``) and its
reference solution in ``solutions/<name>.py``.
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
}

_HERE = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Exercise:
    number: int
    name: str                 # also the stub's file name, without ".py"
    chapter: int
    title: str
    teaches: str              # one line: what doing it teaches
    hints: tuple = ()         # shown by the grader when a check fails

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

    @property
    def checks(self) -> list:
        """The check functions, each ``check(module)``, in order."""
        return list(importlib.import_module(f"{__package__}.checks.{self.name}").TESTS)

    @property
    def solution_path(self) -> Path:
        return _HERE / "solutions" / self.filename


EXERCISES = [
    Exercise(1, "ex01_central_difference", 1, "Central differences",
             "estimating a gradient numerically, and why the two-sided formula is accurate to eps^2",
             ("g[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps): nudge one entry at a time, both ways.",
              "Work on a copy of x (np.array(x, dtype=np.float64)) and restore each entry after nudging it.")),
    Exercise(2, "ex02_mul_backward", 1, "Backward of *, with broadcasting",
             "writing an op's backward, and why a broadcast input's gradient is a sum (unbroadcast)",
             ("dL/da = G * b and dL/db = G * a, then sum each down to its input's shape.",
              "unbroadcast: first sum away the extra leading axes, then sum (keepdims=True) over the axes where "
              "the target shape has 1 and grad has more.",
              "backward returns a tuple: return g_a, g_b.")),
    Exercise(3, "ex03_matmul_backward", 1, "Backward of @, for batches of matrices",
             "dL/dA = G B^T and dL/dB = A^T G, and summing a shared weight's gradient over the batch",
             ("Transpose only the last two axes: np.swapaxes(b, -1, -2).",
              "A weight used by every matrix of a batch gets the sum of their gradients: "
              "unbroadcast(grad_b, b.shape).")),
    Exercise(4, "ex04_topological_sort", 1, "Topological order, without recursion",
             "the order in which backward visits the graph, so fan-in gradients are complete before use",
             ("Post-order depth-first search with an explicit stack of (tensor, parents_done) pairs.",
              "Skip parents with requires_grad False; remember visited tensors by id(tensor).",
              "Reversed breadth-first order is not topological: a tensor reached by a short and a long path "
              "ends up in the wrong place.")),
    Exercise(5, "ex05_tanh_sigmoid", 1, "tanh and sigmoid, forward and backward",
             "the two derivatives, at most 1 and 1/4, that every step of BPTT multiplies in",
             ("Save the output y in forward; tanh' = 1 - y^2 and sigmoid' = y (1 - y).",
              "backward returns a one-element tuple: return (grad * ...,)",
              "Use the saved output y, not the input x, in 1 - y^2.")),
    Exercise(6, "ex06_rnn_step", 2, "One step of an Elman RNN",
             "the RNN cell in PyTorch's layout: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)",
             ("Use Tensor ops (@, .T, +, .tanh()) on the Tensors themselves, not on .data, so gradients flow.",
              "Both weights are (out, in): multiply by their transposes, x @ weight_ih.T and h @ weight_hh.T.")),
    Exercise(7, "ex07_bptt_by_hand", 2, "BPTT by hand for a scalar RNN",
             "unrolling the chain rule through time: one factor w tanh'(a_t) per step, sums over steps for w",
             ("Keep every h_t from the forward pass; walk t = T..1 carrying delta = dL/dh_t.",
              "dL/da_t = delta (1 - h_t^2); then dL/dw += dL/da_t h_{t-1} at every step, and delta = dL/da_t w.")),
    Exercise(8, "ex08_hidden_jacobian", 2, "dh_T/dh_0 as a product of Jacobians",
             "where prod diag(tanh'(a_t)) W_hh comes from, the product that explodes or vanishes",
             ("J_t = diag(1 - h_t^2) W_hh = (1 - h_t**2)[:, None] * W_hh.",
              "Start from the identity and multiply each new J_t on the left: J = J_t @ J.")),
    Exercise(9, "ex09_eigenvalues_2x2", 3, "Eigenvalues of a 2 x 2 matrix",
             "the characteristic polynomial, complex pairs, and the lecture's table of regimes",
             ("lambda = (tr +- sqrt(tr^2 - 4 det)) / 2 with a complex square root (cmath.sqrt).",
              "Regime: look at the largest |lambda|; 'explode (oscillating)' only when it is real and negative.")),
    Exercise(10, "ex10_orthogonal_init", 4, "Orthogonal initialisation with the sign fix",
             "QR as Gram-Schmidt, why Q needs the sign fix, and what orthogonal means for eigenvalues",
             ("q, r = np.linalg.qr(A); q = q * np.sign(np.diag(r)) flips the columns where R's diagonal is negative.",
              "For a wide A (rows < cols), orthonormalise A.T and transpose the result back.")),
    Exercise(11, "ex11_clip_grad", 5, "Clipping by norm and by value",
             "PyTorch's clip_grad_norm_ rule (one norm for all parameters) versus clamping each entry",
             ("total = sqrt(sum of squares over ALL arrays); coef = max_norm / (total + 1e-6); scale only if coef < 1.",
              "Change the arrays in place (g *= coef, np.clip(g, -v, v, out=g)); return total as a float.")),
    Exercise(12, "ex12_tbptt_loop", 6, "A truncated-BPTT loop",
             "where the cut goes: detach the carried state at each window's start, one backward per window",
             ("At the start of each window: h = h.detach(). Then run its k steps, sum their losses, call backward().",
              "Don't detach every step, and don't use backward(retain_graph=True) to get around a freed graph.")),
    Exercise(13, "ex13_lstm_cell", 7, "The LSTM cell",
             "the four gates in PyTorch's order i, f, g, o, and the additive update c' = f c + i g",
             ("gates = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh; i, f, g, o = gates.chunk(4, dim=-1).",
              "sigmoid for i, f, o; tanh for g and for the cell in h' = o * tanh(c').")),
    Exercise(14, "ex14_cell_state_path", 7, "dc_T/dc_0 along the cell path",
             "with weight_hh = 0, the gradient along the cell is exactly the product of the forget gates",
             ("The forget gate is the second block: rows H:2H of weight_ih, entries H:2H of both biases.",
              "f_t = sigmoid(x_t W_if^T + b_if + b_hf); return np.prod(f, axis=0).")),
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
