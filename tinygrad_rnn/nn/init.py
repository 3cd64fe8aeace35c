"""Weight initialisation, with PyTorch's ``nn.init`` names and numbers, plus two helpers for RNNs.

Every function fills a tensor **in place** and returns it, so ``init.orthogonal_(cell.weight_hh)``
and ``w = init.zeros_(w)`` both work. They write straight into ``tensor.data`` (the NumPy
array), which records nothing in the autodiff graph — the same effect as PyTorch running its
init functions under ``torch.no_grad()``. The array object is kept, only its values change,
and the tensor's version (``_version``) goes up, so a graph that saved the old values raises.

Random draws come from ``generator`` (a ``np.random.Generator``) if you pass one, otherwise
from the library's global generator (``tinygrad_rnn.manual_seed(n)`` makes them repeatable).
Values are drawn in float64 and then stored in the tensor's own dtype.

PyTorch's functions here: ``uniform_``, ``normal_``, ``constant_``, ``zeros_``, ``ones_``,
``eye_``, ``xavier_uniform_``, ``orthogonal_``.

Helpers PyTorch does not have, for the recurrent weight ``W_hh``:

- ``spectral_radius(W)`` and ``scale_to_spectral_radius_(W, rho)``: the largest |eigenvalue|
  of ``W_hh`` decides whether ``W_hh^T`` repeated T times blows up (rho > 1) or dies out (rho < 1).
- ``orthogonal_per_gate_(weight_hh, num_gates)``: an orthogonal H x H block per gate of an
  LSTM (4H, H) or GRU (3H, H) ``weight_hh``.
- ``init_weight_hh_(weight_hh, name, scale, gates)``: the initialisations the lecture compares
  (``RECURRENT_INITS``: default, normal, orthogonal, identity, spectral), by name, per gate.

And one for the LSTM's biases: ``forget_gate_bias_(lstm, value=1.0)`` sets the forget-gate bias
(Jozefowicz et al. 2015), in an ``LSTMCell`` or in every layer of an ``LSTM``.
"""
import math

import numpy as np

from ..core.creation import default_generator
from ..core.tensor import Tensor

__all__ = ["uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_", "xavier_uniform_", "orthogonal_",
           "spectral_radius", "scale_to_spectral_radius_", "orthogonal_per_gate_", "init_weight_hh_",
           "RECURRENT_INITS", "forget_gate_bias_"]


# --- small shared checks ------------------------------------------------------------
def _check_tensor(fn: str, tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a Tensor or Parameter, got {type(tensor).__name__}. Fix: wrap the "
                        f"array first (tinygrad_rnn.tensor(array)), or pass a module's parameter "
                        f"(e.g. cell.weight_hh)")


def _check_floating(fn: str, tensor: Tensor) -> None:
    _check_tensor(fn, tensor)
    if not np.issubdtype(tensor.dtype, np.floating):
        raise TypeError(f"{fn}: can only fill a floating point tensor with random or scaled values, this one is "
                        f"{tensor.dtype}. Fix: convert it first, e.g. tensor.data = tensor.data.astype(np.float32)")


def _check_number(fn: str, name: str, value) -> float:
    """``value`` as a float, or a TypeError naming ``fn`` and ``name`` (a str, None, an array ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r} ({type(value).__name__}). "
                        f"Fix: pass a float, e.g. {name}=1.0")
    return float(value)


def _generator(generator) -> np.random.Generator:
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"init: generator must be a np.random.Generator (e.g. np.random.default_rng(0)) or None, "
                        f"got {type(generator).__name__}")
    return generator


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor.data`` in place (cast to the tensor's dtype) and return ``tensor``."""
    tensor.data[...] = values
    tensor._bump_version()         # a write into .data's array: count it (see Tensor._version)
    return tensor


# --- PyTorch's functions --------------------------------------------------------------
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill ``tensor`` (any shape) with samples from the uniform distribution U(a, b).

    PyTorch's RNN, LSTM and GRU layers start every weight and bias at U(-1/sqrt(H), 1/sqrt(H)).
    """
    _check_floating("uniform_", tensor)
    a, b = _check_number("uniform_", "a", a), _check_number("uniform_", "b", b)
    if not a <= b:
        raise ValueError(f"uniform_: the lower bound a={a} must not exceed the upper bound b={b}; swap them")
    return _fill(tensor, _generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill ``tensor`` (any shape) with samples from the normal distribution N(mean, std^2)."""
    _check_floating("normal_", tensor)
    mean, std = _check_number("normal_", "mean", mean), _check_number("normal_", "std", std)
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}. Fix: pass the standard deviation, not the "
                         f"variance, and make it non-negative")
    return _fill(tensor, _generator(generator).normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` (any shape) with the value ``val``."""
    _check_tensor("constant_", tensor)
    return _fill(tensor, _check_number("constant_", "val", val))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` (any shape) with 0 (e.g. biases)."""
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` (any shape) with 1."""
    return constant_(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D ``tensor`` of shape (n, m) with the identity matrix (ones on the main diagonal).

    With ``weight_hh`` = I, zero biases and ReLU, a vanilla RNN copies its hidden state
    forward unchanged at the start of training: the IRNN of Le, Jaitly & Hinton (2015).
    """
    _check_tensor("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}. Fix: use it on a "
                         f"weight matrix such as weight_hh of shape (H, H)")
    return _fill(tensor, np.eye(*tensor.shape))


def _fan_in_and_fan_out(fn: str, tensor: Tensor) -> tuple[int, int]:
    """PyTorch's rule: for a weight of shape (out, in, *k), fan_in = in * prod(k), fan_out = out * prod(k)."""
    if tensor.ndim < 2:
        raise ValueError(f"{fn}: fan in and fan out can not be computed for a tensor with fewer than 2 dims "
                         f"(got shape {tensor.shape}). Fix: use it on a weight matrix; for a bias use zeros_ "
                         f"or uniform_")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio (2010): fill ``tensor`` of shape (fan_out, fan_in, ...) with U(-a, a), where

        a = gain * sqrt(6 / (fan_in + fan_out)),

    i.e. standard deviation gain * sqrt(2 / (fan_in + fan_out)), chosen so that activations and
    gradients keep roughly the same variance from layer to layer.
    """
    _check_floating("xavier_uniform_", tensor)
    gain = _check_number("xavier_uniform_", "gain", gain)
    fan_in, fan_out = _fan_in_and_fan_out("xavier_uniform_", tensor)
    if fan_in + fan_out == 0:         # shape (0, 0): no entry to fill, no fan to divide by (PyTorch divides by 0)
        return uniform_(tensor, 0.0, 0.0, generator=generator)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std      # U(-a, a) has standard deviation a / sqrt(3)
    return uniform_(tensor, -bound, bound, generator=generator)


def _orthogonal_from(normal_matrix: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """The (semi-)orthogonal matrix PyTorch's ``orthogonal_`` makes from its random normal draw.

    ``normal_matrix``: shape (rows, cols). Returns Q of the same shape with orthonormal columns
    (rows >= cols: QᵀQ = I) or orthonormal rows (rows < cols: QQᵀ = I), times ``gain``.

    Steps: make the matrix tall (transpose if rows < cols), take its QR factorisation A = QR,
    flip the sign of each column of Q where R's diagonal is negative, and transpose back.
    The sign flip makes the factorisation unique (R gets a positive diagonal), so Q does not
    depend on the sign conventions of the QR routine, and Q is uniformly (Haar) distributed
    over orthogonal matrices (Mezzadri 2007, arXiv:math-ph/0609050).
    """
    rows, cols = normal_matrix.shape
    tall = normal_matrix.T if rows < cols else normal_matrix      # (max(rows, cols), min(rows, cols))
    q, r = np.linalg.qr(np.asarray(tall, dtype=np.float64))       # q: (big, small), r: (small, small)
    q = q * np.sign(np.diag(r))                                   # column j times sign(R_jj)
    if rows < cols:
        q = q.T
    return gain * q


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fill ``tensor`` with a random (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013).

    ``tensor`` needs at least 2 dims; a shape (rows, *rest) is treated as a (rows, prod(rest))
    matrix. Square: QᵀQ = I, so every eigenvalue has |λ| = 1 and multiplying by Q keeps a
    vector's length — repeated multiplication neither explodes nor vanishes. Tall (rows > cols):
    orthonormal columns. Wide (rows < cols): orthonormal rows.

    Same algorithm as PyTorch (normal draw, QR, sign fix by diag(R)); the numbers differ because
    the random draw comes from NumPy, not from PyTorch's generator.
    """
    _check_floating("orthogonal_", tensor)
    gain = _check_number("orthogonal_", "gain", gain)
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dims are supported, got shape "
                         f"{tensor.shape}. Fix: use it on a weight matrix (e.g. weight_hh of shape (H, H)); "
                         f"for a vector use normal_ or zeros_")
    if tensor.numel() == 0:
        return tensor                                             # nothing to fill, as PyTorch
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    normal_matrix = _generator(generator).standard_normal((rows, cols))
    return _fill(tensor, _orthogonal_from(normal_matrix, gain).reshape(tensor.shape))


# --- helpers PyTorch lacks -----------------------------------------------------------
def _square_matrix(fn: str, W) -> np.ndarray:
    """``W`` (a Tensor, ndarray or list of rows) as a float64 matrix of shape (n, n), n >= 1, with
    finite entries; otherwise an error naming ``fn``, the bad value and a fix."""
    try:
        matrix = None if W is None else np.asarray(W.data if isinstance(W, Tensor) else W, dtype=np.float64)
    except (TypeError, ValueError):          # a str, a complex number, ragged rows ...
        matrix = None
    if matrix is None:
        raise TypeError(f"{fn}: expected a square matrix of numbers (a Tensor, ndarray or list of rows), got "
                        f"{type(W).__name__} {W!r:.40}. Fix: pass e.g. cell.weight_hh or "
                        f"np.array([[0.9, 2.0], [0.0, 0.9]])")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"{fn}: needs a square matrix (eigenvalues exist only for shape (n, n), n >= 1), got "
                         f"shape {matrix.shape}. Fix: pass a recurrent weight such as an RNN's weight_hh (H, H); "
                         f"for an LSTM/GRU weight_hh of shape (gates*H, H), pass one gate's block, e.g. w[:H]")
    if not np.isfinite(matrix).all():
        raise ValueError(f"{fn}: the matrix has non-finite entries (nan or inf), so it has no eigenvalues to read. "
                         f"Fix: look for where training diverged, or initialise it with finite values first")
    return matrix


def _largest_abs_eigenvalue(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def spectral_radius(W) -> float:
    """The spectral radius rho(W) = max |λ| of a square matrix ``W`` of shape (n, n), as a float.

    ``W``: a Tensor (e.g. ``cell.weight_hh``), an ndarray or a list of rows. For h_t = W h_(t-1),
    the size of W^T h_0 grows or shrinks roughly like spectral_radius(W)^T: rho is the growth
    factor per step in the long run. (``tinygrad_rnn.analysis.spectral_radius`` is this function.)
    """
    return _largest_abs_eigenvalue(_square_matrix("spectral_radius", W))


def scale_to_spectral_radius_(tensor: Tensor, rho: float) -> Tensor:
    """Multiply a square matrix ``tensor`` (n, n) in place by one number so that its spectral
    radius (largest |eigenvalue|) becomes ``rho``; returns ``tensor``.

    Scaling a matrix by c scales every eigenvalue by c, so the eigenvectors and the ratios
    between eigenvalues are unchanged: only how fast W^T grows or shrinks changes
    (rho < 1: it dies out, rho > 1: it blows up, rho = 1: the edge in between). Used for
    echo-state networks and for experiments on exploding and vanishing gradients.
    """
    _check_floating("scale_to_spectral_radius_", tensor)
    matrix = _square_matrix("scale_to_spectral_radius_", tensor)
    rho = _check_number("scale_to_spectral_radius_", "rho", rho)
    if not (math.isfinite(rho) and rho >= 0):
        raise ValueError(f"scale_to_spectral_radius_: rho must be a finite number >= 0, got {rho}")
    radius = _largest_abs_eigenvalue(matrix)
    if radius == 0:
        raise ValueError("scale_to_spectral_radius_: the matrix has spectral radius 0 (all eigenvalues are 0, "
                         "e.g. a zero or strictly triangular matrix), so no scale factor can make it rho. "
                         "Fix: initialise it first, e.g. with normal_ or orthogonal_")
    return _fill(tensor, tensor.data * (rho / radius))


def orthogonal_per_gate_(weight_hh: Tensor, num_gates: int, gain: float = 1.0, generator=None) -> Tensor:
    """Fill each gate's H x H block of a fused recurrent weight with its own orthogonal matrix.

    ``weight_hh``: shape (num_gates * H, H) — PyTorch's layout, gates stacked along dim 0:
    LSTM (4H, H) with blocks (i, f, g, o), GRU (3H, H) with blocks (r, z, n); num_gates=1 is a
    plain ``orthogonal_``. Block k is ``weight_hh[k*H:(k+1)*H]``. Returns ``weight_hh``.

    Why not ``orthogonal_(weight_hh)``: a (4H, H) matrix W cannot have orthogonal blocks. The best
    ``orthogonal_`` can do for a tall matrix is orthonormal *columns*, WᵀW = I, which is
    W_iᵀW_i + W_fᵀW_f + W_gᵀW_g + W_oᵀW_o = I: the four blocks *share* one identity, so each
    block's squared singular values are only about 1/4 (singular values about 1/2). Every gate's
    recurrent map then shrinks h by about half per step — the opposite of what orthogonal init
    is for. Initialising each block separately gives every gate an H x H orthogonal matrix, with
    all singular values (and |eigenvalues|) equal to 1.
    """
    _check_floating("orthogonal_per_gate_", weight_hh)
    gain = _check_number("orthogonal_per_gate_", "gain", gain)
    if not isinstance(num_gates, (int, np.integer)) or num_gates < 1:
        raise ValueError(f"orthogonal_per_gate_: num_gates must be a positive int (4 for LSTM, 3 for GRU, "
                         f"1 for RNN), got {num_gates!r}")
    if weight_hh.ndim != 2 or weight_hh.shape[0] != num_gates * weight_hh.shape[1]:
        hidden = weight_hh.shape[-1] if weight_hh.ndim else "H"
        raise ValueError(f"orthogonal_per_gate_: weight_hh has shape {weight_hh.shape}, but with "
                         f"num_gates={num_gates} it must be (num_gates*H, H) = ({num_gates}*{hidden}, {hidden}). "
                         f"Fix: pass num_gates=4 for an LSTM, 3 for a GRU, 1 for an RNN, and pass weight_hh "
                         f"(not weight_ih, whose second dim is the input size)")
    rng = _generator(generator)
    hidden = weight_hh.shape[1]
    blocks = [_orthogonal_from(rng.standard_normal((hidden, hidden)), gain) for _ in range(num_gates)]
    return _fill(weight_hh, np.concatenate(blocks, axis=0))      # (num_gates*H, H)


#: the recurrent-weight initialisations the lecture compares (``init_weight_hh_``)
RECURRENT_INITS = ("default", "normal", "orthogonal", "identity", "spectral")


def init_weight_hh_(weight_hh: Tensor, init_name: str, scale: float | None = None, gates: int = 1,
                    generator=None) -> Tensor:
    """Set a recurrent weight of shape (G*H, H) in place, each gate's H x H block alike; returns it.

    ============  ==========================================================  ==============
    init_name     W_hh (per gate block)                                        scale default
    ============  ==========================================================  ==============
    default       PyTorch's U(-1/sqrt(H), 1/sqrt(H)) (already there), times S  1
    normal        N(0, S^2) entries (S = 1/sqrt(H): eigenvalues fill ~ the     1/sqrt(H)
                  unit disc)
    orthogonal    S * Q, Q a random orthogonal matrix: every |lambda| = S      1
    identity      S * I: every eigenvalue = S (Le et al.'s IRNN with relu)     1
    spectral      PyTorch's default rescaled to spectral radius S              1
    ============  ==========================================================  ==============
    """
    fn = "init_weight_hh_"
    _check_floating(fn, weight_hh)
    if isinstance(gates, bool) or not isinstance(gates, (int, np.integer)) or gates < 1:
        raise ValueError(f"{fn}: gates must be a positive int (1 for RNN, 4 for LSTM, 3 for GRU), got {gates!r}")
    if scale is not None:
        scale = _check_number(fn, "scale", scale)
    H = weight_hh.shape[-1] if weight_hh.ndim else 0
    if weight_hh.ndim != 2 or weight_hh.shape != (gates * H, H):
        raise ValueError(f"{fn}: weight_hh has shape {weight_hh.shape}, but with gates={gates} it must be "
                         f"(gates*H, H) = ({gates}*{H}, {H}). Fix: pass the recurrent weight weight_hh (not "
                         f"weight_ih) and gates=4 for an LSTM, 3 for a GRU, 1 for an RNN")
    blocks = [weight_hh.data[k * H:(k + 1) * H] for k in range(gates)]     # views into weight_hh
    if init_name == "default":
        weight_hh.data[...] *= 1.0 if scale is None else scale
        weight_hh._bump_version()
    elif init_name == "normal":
        normal_(weight_hh, 0.0, 1 / np.sqrt(H) if scale is None else scale, generator=generator)
    elif init_name == "orthogonal":
        orthogonal_per_gate_(weight_hh, gates, gain=1.0 if scale is None else scale, generator=generator)
    elif init_name == "identity":
        for block in blocks:
            block[...] = (1.0 if scale is None else scale) * np.eye(H)
        weight_hh._bump_version()
    elif init_name == "spectral":
        for block in blocks:
            block_tensor = Tensor._wrap(block)                               # shares the memory
            scale_to_spectral_radius_(block_tensor, 1.0 if scale is None else scale)
        weight_hh._bump_version()                                            # the blocks are its memory
    else:
        raise ValueError(f"init_weight_hh_: init must be one of {', '.join(RECURRENT_INITS)}, got {init_name!r}")
    return weight_hh


def forget_gate_bias_(module, value: float = 1.0):
    """Set the forget-gate bias b_f of an ``nn.LSTMCell``, or of every layer of an ``nn.LSTM``, to
    ``value`` in place; returns ``module``. Jozefowicz, Zaremba & Sutskever (2015) use 1.0.

    Where b_f lives: PyTorch's gate order is (i, f, g, o), so the forget gate owns rows [H:2H]
    of ``bias_ih`` and of ``bias_hh`` (each (4H,); ``bias_ih_l0, bias_hh_l0, bias_ih_l1, ...`` in a
    layer). The pre-activation adds both, a_f = x W_if^T + b_if + h W_hf^T + b_hf, so the
    effective forget bias is their sum b_if + b_hf. This sets ``bias_ih[H:2H] = value`` and
    ``bias_hh[H:2H] = 0``: the sum is exactly ``value``, and the same numbers copied into
    ``torch.nn.LSTMCell`` give the same gates. No other entry changes.

    Why: with PyTorch's U(-1/sqrt(H), 1/sqrt(H)) biases, f_t = sigmoid(a_f) starts near
    sigmoid(0) = 0.5, so the cell path dc_T/dc_0 = f_T * ... * f_1 shrinks like 0.5^T. A bias of 1
    starts f_t near sigmoid(1) ≈ 0.73: the cell keeps more of c_(t-1), and its gradient fades
    more slowly while the net learns what to remember.
    """
    from .cells import GRUCell, LSTMCell, RNNCell          # here: nn.cells is built on this package
    from .recurrent import GRU, LSTM, RNN

    fn = "forget_gate_bias_"
    if isinstance(module, LSTMCell):
        names = [("bias_ih", "bias_hh")]
    elif isinstance(module, LSTM):
        names = [(f"bias_ih_l{k}", f"bias_hh_l{k}") for k in range(module.num_layers)]
    elif isinstance(module, (GRUCell, GRU)):
        bias = "bias_ih" if isinstance(module, GRUCell) else "bias_ih_l0"
        raise TypeError(f"{fn}: a {type(module).__name__} has no forget gate. Its gates are r (reset), z (update) "
                        f"and n (candidate), with h_t = (1 - z_t) * n_t + z_t * h_(t-1): the update gate z decides "
                        f"how much of h_(t-1) is kept. Fix: use an nn.LSTMCell or nn.LSTM; or, for the GRU's "
                        f"counterpart, raise the update-gate bias yourself: with no_grad(): {bias}[H:2*H] = 1.0 (rows [H:2H] "
                        f"are z)")
    elif isinstance(module, (RNNCell, RNN)):
        weight = "weight_hh" if isinstance(module, RNNCell) else "weight_hh_l0"
        raise TypeError(f"{fn}: an {type(module).__name__} has no gates at all (h_t = tanh(x W_ih^T + b_ih + "
                        f"h W_hh^T + b_hh)), so no forget gate. Fix: use an nn.LSTMCell or nn.LSTM (cell 'lstm'); "
                        f"for an RNN, shape W_hh instead, e.g. init_weight_hh_(rnn.{weight}, 'orthogonal')")
    elif isinstance(module, Tensor):
        raise TypeError(f"{fn}: expected an nn.LSTMCell or nn.LSTM, got a {type(module).__name__} of shape "
                        f"{module.shape}. Fix: pass the module that owns the biases, e.g. {fn}(model.cell); it "
                        f"sets rows [H:2H] of both bias_ih and bias_hh")
    else:
        raise TypeError(f"{fn}: expected an nn.LSTMCell or nn.LSTM, got {type(module).__name__}. Fix: pass the "
                        f"LSTM itself, e.g. {fn}(nn.LSTMCell(3, 8)) or {fn}(model.cell)")
    if not module.bias:
        raise ValueError(f"{fn}: {module!r} has no biases, so there is no forget-gate bias to set. Fix: build it "
                         f"with bias=True (the default)")
    value = _check_number(fn, "value", value)
    if not math.isfinite(value):
        raise ValueError(f"{fn}: value must be a finite number, got {value}. Fix: pass e.g. value=1.0 "
                         f"(sigmoid(1) ≈ 0.73 keeps most of c_(t-1) at the start)")
    H = module.hidden_size
    for ih, hh in names:
        for name, fill in ((ih, value), (hh, 0.0)):
            bias = getattr(module, name)
            values = bias.data.copy()
            values[H:2 * H] = fill
            _fill(bias, values)
    return module
