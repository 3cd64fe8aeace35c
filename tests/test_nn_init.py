"""nn.init: in-place fills with PyTorch's names and rules, plus the RNN helpers
(spectral radius, per-gate orthogonal). Expectations come from the definitions, not from our outputs."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_rnn as tg
from tinygrad_rnn.nn import Parameter, init
from tinygrad_rnn.nn.init import _orthogonal_from


def _param(*shape, dtype=np.float32):
    return Parameter(np.zeros(shape, dtype=dtype))


# --- the simple fills ----------------------------------------------------------------
@pytest.mark.parametrize("fill, kwargs", [
    (init.uniform_, {"a": -2.0, "b": 3.0}), (init.normal_, {"mean": 1.0, "std": 2.0}),
    (init.constant_, {"val": 0.5}), (init.zeros_, {}), (init.ones_, {}), (init.eye_, {}),
    (init.xavier_uniform_, {}), (init.orthogonal_, {}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fills_in_place_keep_dtype_and_return_the_tensor(fill, kwargs, dtype):
    p = _param(5, 4, dtype=dtype)
    array_before = p.data
    p.data[...] = 123.0
    out = fill(p, **kwargs)
    assert out is p
    assert p.data is array_before                  # same array: views and optimizers see the change
    assert p.dtype == dtype and p.shape == (5, 4)
    assert not np.any(p.data == 123.0)
    assert p.grad is None and p.is_leaf and p.requires_grad


def test_constant_zeros_ones():
    p = _param(2, 3)
    np.testing.assert_array_equal(init.constant_(p, -1.5).data, np.full((2, 3), -1.5))
    np.testing.assert_array_equal(init.zeros_(p).data, np.zeros((2, 3)))
    np.testing.assert_array_equal(init.ones_(p).data, np.ones((2, 3)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_eye_is_the_identity(shape):
    p = Parameter(np.full(shape, 7.0))
    init.eye_(p)
    for i in range(shape[0]):
        for j in range(shape[1]):
            assert p.data[i, j] == (1.0 if i == j else 0.0)


def test_eye_needs_a_matrix():
    with pytest.raises(ValueError, match=r"eye_: only 2-D.*\(4,\)"):
        init.eye_(_param(4))


def test_uniform_range_and_moments():
    p = _param(200, 500, dtype=np.float64)
    init.uniform_(p, -2.0, 3.0, generator=np.random.default_rng(0))
    assert p.data.min() >= -2.0 and p.data.max() < 3.0
    n = p.numel()
    # U(a, b): mean (a+b)/2, variance (b-a)^2/12; sample mean is within 5 standard errors
    assert abs(p.data.mean() - 0.5) < 5 * math.sqrt(25 / 12 / n)
    assert abs(p.data.var() - 25 / 12) < 0.05


def test_normal_moments():
    p = _param(400, 250, dtype=np.float64)
    init.normal_(p, mean=1.0, std=2.0, generator=np.random.default_rng(0))
    assert abs(p.data.mean() - 1.0) < 5 * 2.0 / math.sqrt(p.numel())
    assert abs(p.data.std() - 2.0) < 0.02


def test_random_fills_follow_the_generator_and_manual_seed():
    a, b = _param(3, 4), _param(3, 4)
    init.normal_(a, generator=np.random.default_rng(7))
    init.normal_(b, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    tg.manual_seed(3)
    init.orthogonal_(a)
    tg.manual_seed(3)
    init.orthogonal_(b)
    np.testing.assert_array_equal(a.data, b.data)
    # an explicit generator leaves the global one alone
    tg.manual_seed(5)
    init.uniform_(a, generator=np.random.default_rng(1))
    after_explicit = tg.default_generator().random()
    tg.manual_seed(5)
    assert tg.default_generator().random() == after_explicit


def test_xavier_uniform_bound():
    fan_out, fan_in, gain = 300, 200, 2.0
    p = _param(fan_out, fan_in, dtype=np.float64)
    init.xavier_uniform_(p, gain=gain, generator=np.random.default_rng(0))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))        # Glorot & Bengio's a
    assert np.abs(p.data).max() <= bound
    assert np.abs(p.data).max() > 0.99 * bound                 # 60,000 draws reach the edge
    assert abs(p.data.std() - bound / math.sqrt(3)) < 0.01 * bound


def test_xavier_uniform_counts_receptive_field():
    p = _param(4, 3, 5, dtype=np.float64)                      # fan_in = 3*5, fan_out = 4*5
    init.xavier_uniform_(p, generator=np.random.default_rng(0))
    assert np.abs(p.data).max() <= math.sqrt(6.0 / (15 + 20))


def test_xavier_needs_two_dims():
    with pytest.raises(ValueError, match="xavier_uniform_: fan in and fan out.*zeros_"):
        init.xavier_uniform_(_param(5))


# --- orthogonal_ --------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (5, 5), (32, 32), (7, 3), (3, 7), (4, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_has_orthonormal_rows_or_columns(shape, gain):
    p = _param(*shape, dtype=np.float64)
    init.orthogonal_(p, gain=gain, generator=np.random.default_rng(sum(shape)))
    q = p.data.reshape(shape[0], -1)
    rows, cols = q.shape
    gram = q.T @ q if rows >= cols else q @ q.T               # columns (tall) or rows (wide)
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_float32_is_orthogonal_to_float32_precision():
    p = _param(16, 16)
    init.orthogonal_(p, generator=np.random.default_rng(0))
    np.testing.assert_allclose(p.data.T @ p.data, np.eye(16), atol=1e-5)


def test_orthogonal_errors_and_empty():
    with pytest.raises(ValueError, match=r"orthogonal_: only tensors with 2 or more dims.*\(6,\)"):
        init.orthogonal_(_param(6))
    empty = _param(0, 3)
    assert init.orthogonal_(empty) is empty
    with pytest.raises(TypeError, match="orthogonal_: expected a Tensor or Parameter, got ndarray"):
        init.orthogonal_(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="orthogonal_: .*floating point.*int64"):
        init.orthogonal_(tg.Tensor(np.zeros((3, 3), dtype=np.int64)))


@given(rows=st.integers(1, 9), cols=st.integers(1, 9), seed=st.integers(0, 2 ** 32 - 1))
def test_orthogonal_from_is_qr_with_positive_diagonal(rows, cols, seed):
    """The sign fix of PyTorch's algorithm: for A (rows >= cols), Q = orth(A) is the Q of the QR
    factorisation A = QR whose R has a positive diagonal, i.e. QᵀA is upper triangular with
    positive diagonal. For a wide A the same holds for Aᵀ and Qᵀ."""
    a = np.random.default_rng(seed).standard_normal((rows, cols))
    q = _orthogonal_from(a)
    assert q.shape == a.shape
    tall_q, tall_a = (q, a) if rows >= cols else (q.T, a.T)
    r = tall_q.T @ tall_a                                        # (k, k), k = min(rows, cols)
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-10)
    assert np.all(np.diag(r) > 0)
    np.testing.assert_allclose(tall_q @ r, tall_a, atol=1e-10)   # and it reconstructs A


def test_orthogonal_from_applies_gain():
    a = np.random.default_rng(0).standard_normal((4, 4))
    np.testing.assert_allclose(_orthogonal_from(a, gain=3.0), 3.0 * _orthogonal_from(a), rtol=1e-15)


# --- spectral radius helpers --------------------------------------------------------------
def test_spectral_radius_of_known_matrices():
    assert init.spectral_radius(tg.tensor(np.diag([0.5, -3.0, 2.0]))) == pytest.approx(3.0)
    rotation = np.array([[0.0, -2.0], [2.0, 0.0]])              # eigenvalues ±2i
    assert init.spectral_radius(tg.tensor(rotation)) == pytest.approx(2.0)


def test_spectral_radius_is_one_function_for_tensors_arrays_and_lists():
    assert tg.analysis.spectral_radius is init.spectral_radius      # analysis re-exports nn.init's
    rotation = [[0.0, -2.0], [2.0, 0.0]]
    for W in (rotation, np.array(rotation), tg.tensor(rotation), Parameter(np.array(rotation, dtype=np.float32)),
              np.array([[0, -2], [2, 0]])):
        assert init.spectral_radius(W) == pytest.approx(2.0)


@pytest.mark.parametrize("W, error, words", [
    ("abc", TypeError, ["str", "'abc'", "cell.weight_hh"]),
    (None, TypeError, ["NoneType", "cell.weight_hh"]),
    (np.ones(3), ValueError, ["square", "(3,)", "w[:H]"]),
    (np.ones((8, 2)), ValueError, ["square", "(8, 2)", "w[:H]"]),
    (np.zeros((0, 0)), ValueError, ["square", "n >= 1", "(0, 0)"]),
    (np.array([[np.nan, 0.0], [0.0, 1.0]]), ValueError, ["non-finite", "Fix: look for where training diverged"]),
])
def test_spectral_radius_errors_name_the_function_the_value_and_a_fix(W, error, words):
    with pytest.raises(error) as info:
        init.spectral_radius(W)
    message = str(info.value)
    assert message.startswith("spectral_radius: ") and "Fix:" in message
    assert all(word in message for word in words), message


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.7])
def test_scale_to_spectral_radius(rho):
    w = _param(10, 10, dtype=np.float64)
    init.normal_(w, generator=np.random.default_rng(0))
    before = w.data.copy()
    assert init.scale_to_spectral_radius_(w, rho) is w
    assert np.max(np.abs(np.linalg.eigvals(w.data))) == pytest.approx(rho, rel=1e-10)
    scale = w.data[0, 0] / before[0, 0]                         # one common factor for every entry
    np.testing.assert_allclose(w.data, scale * before, rtol=1e-12)
    assert scale > 0


def test_scale_to_spectral_radius_errors():
    with pytest.raises(ValueError, match=r"scale_to_spectral_radius_: needs a square matrix.*\(4, 2\)"):
        init.scale_to_spectral_radius_(_param(4, 2), 1.0)
    with pytest.raises(ValueError, match="spectral radius 0.*normal_ or orthogonal_"):
        init.scale_to_spectral_radius_(_param(3, 3), 1.0)
    nilpotent = tg.tensor(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="spectral radius 0"):
        init.scale_to_spectral_radius_(nilpotent, 1.0)
    with pytest.raises(ValueError, match="rho must be a finite number >= 0"):
        init.scale_to_spectral_radius_(tg.tensor(np.eye(2)), -1.0)
    with pytest.raises(ValueError, match="scale_to_spectral_radius_: the matrix has non-finite entries"):
        init.scale_to_spectral_radius_(tg.tensor(np.array([[np.inf, 0.0], [0.0, 1.0]])), 1.0)


# --- orthogonal_per_gate_ -----------------------------------------------------------------
@pytest.mark.parametrize("num_gates", [1, 3, 4])
def test_orthogonal_per_gate_makes_each_block_orthogonal(num_gates):
    hidden = 6
    w = _param(num_gates * hidden, hidden, dtype=np.float64)
    assert init.orthogonal_per_gate_(w, num_gates, generator=np.random.default_rng(0)) is w
    blocks = [w.data[k * hidden:(k + 1) * hidden] for k in range(num_gates)]
    for block in blocks:
        np.testing.assert_allclose(block.T @ block, np.eye(hidden), atol=1e-12)
        np.testing.assert_allclose(np.abs(np.linalg.eigvals(block)), 1.0, atol=1e-10)
    for i in range(num_gates):
        for j in range(i):
            assert not np.allclose(blocks[i], blocks[j])       # independent draws


def test_fused_orthogonal_shrinks_each_gate_which_is_why_per_gate_exists():
    """The docstring's claim: orthogonal_ on a (4H, H) matrix gives Σ_k W_kᵀW_k = I, so the
    gates share one identity and no block is orthogonal (its singular values are below 1)."""
    hidden = 8
    w = _param(4 * hidden, hidden, dtype=np.float64)
    init.orthogonal_(w, generator=np.random.default_rng(0))
    blocks = [w.data[k * hidden:(k + 1) * hidden] for k in range(4)]
    np.testing.assert_allclose(sum(b.T @ b for b in blocks), np.eye(hidden), atol=1e-12)
    for block in blocks:
        assert np.linalg.svd(block, compute_uv=False).max() < 1.0
    # trace of Σ_k W_kᵀW_k = I: the 4H squared singular values add up to H, 1/4 each on average
    total = sum(np.sum(np.linalg.svd(b, compute_uv=False) ** 2) for b in blocks)
    assert total == pytest.approx(hidden)


def test_orthogonal_per_gate_errors():
    with pytest.raises(ValueError, match=r"orthogonal_per_gate_: weight_hh has shape \(8, 3\).*\(4\*3, 3\).*"
                                         r"num_gates=4 for an LSTM"):
        init.orthogonal_per_gate_(_param(8, 3), 4)
    with pytest.raises(ValueError, match="num_gates must be a positive int"):
        init.orthogonal_per_gate_(_param(4, 4), 0)


# --- argument checks ---------------------------------------------------------------
def test_argument_errors_name_the_function():
    with pytest.raises(ValueError, match="uniform_: the lower bound a=2.0 must not exceed the upper bound b=1.0"):
        init.uniform_(_param(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="normal_: std must be >= 0"):
        init.normal_(_param(2), std=-1.0)
    with pytest.raises(TypeError, match="generator must be a np.random.Generator"):
        init.normal_(_param(2), generator=42)


# --- forget_gate_bias_ -------------------------------------------------------------------
def _biases(module):
    return {name: p.data.copy() for name, p in module.named_parameters()}


@pytest.mark.parametrize("value", [1.0, -2, 0.0, np.float32(3.5)])
def test_forget_gate_bias_sets_the_forget_rows_and_nothing_else(value):
    cell = tg.nn.LSTMCell(3, 5, generator=np.random.default_rng(0))
    before, arrays = _biases(cell), {name: p.data for name, p in cell.named_parameters()}
    assert init.forget_gate_bias_(cell, value) is cell
    after = _biases(cell)
    forget = np.zeros(20, dtype=bool)
    forget[5:10] = True                                  # gates i, f, g, o: f is rows [H:2H]
    np.testing.assert_array_equal(after["bias_ih"][forget], np.full(5, float(value), np.float32))
    np.testing.assert_array_equal(after["bias_hh"][forget], np.zeros(5, np.float32))
    for name in ("bias_ih", "bias_hh"):
        np.testing.assert_array_equal(after[name][~forget], before[name][~forget])
    for name in ("weight_ih", "weight_hh"):
        np.testing.assert_array_equal(after[name], before[name])
    assert all(p.data is arrays[name] and p.dtype == np.float32 for name, p in cell.named_parameters())


def test_forget_gate_bias_sets_every_layer_of_an_lstm():
    layer = tg.nn.LSTM(3, 4, num_layers=3, dtype=np.float64, generator=np.random.default_rng(1))
    before = _biases(layer)
    init.forget_gate_bias_(layer)
    after = _biases(layer)
    for name in before:
        expected = before[name].copy()
        if name.startswith("bias_ih_l"):
            expected[4:8] = 1.0
        elif name.startswith("bias_hh_l"):
            expected[4:8] = 0.0
        np.testing.assert_array_equal(after[name], expected, err_msg=name)
    assert {name for name in after if name.startswith("bias")} == \
        {f"bias_{kind}_l{k}" for kind in ("ih", "hh") for k in range(3)}


def _forget_gate_at_rest(cell):
    """f_1 for x = 0, h_0 = 0, read off the cell's output: c_1 = f_1 * c_0 + i_1 * g_1, so running
    from c_0 = 1 and from c_0 = 0 and subtracting leaves f_1 (B = 2, every unit)."""
    x, h0 = tg.tensor(np.zeros((2, 3))), tg.tensor(np.zeros((2, cell.hidden_size)))
    _, c_from_one = cell(x, (h0, tg.tensor(np.ones((2, cell.hidden_size)))))
    _, c_from_zero = cell(x, (h0, tg.tensor(np.zeros((2, cell.hidden_size)))))
    return c_from_one.data - c_from_zero.data


def test_forget_gate_at_rest_is_sigmoid_of_the_bias():
    cell = tg.nn.LSTMCell(3, 6, dtype=np.float64, generator=np.random.default_rng(2))
    default = _forget_gate_at_rest(cell)
    # with zero input and state the pre-activation is the bias sum alone: f = sigmoid(b_ih_f + b_hh_f)
    H = 6
    np.testing.assert_allclose(default[0], 1 / (1 + np.exp(-(cell.bias_ih.data[H:2 * H] + cell.bias_hh.data[H:2 * H]))),
                               rtol=1e-12)
    np.testing.assert_allclose(_forget_gate_at_rest(init.forget_gate_bias_(cell, 0.0)), 0.5, rtol=1e-12)
    at_one = _forget_gate_at_rest(init.forget_gate_bias_(cell, 1.0))
    np.testing.assert_allclose(at_one, 1 / (1 + math.exp(-1.0)), rtol=1e-12)   # 0.7311 for every unit
    assert at_one.mean() > default.mean()


@pytest.mark.parametrize("module, error, match", [
    (tg.nn.GRUCell(2, 3), TypeError, "GRUCell has no forget gate.*update gate z.*no_grad\\(\\): bias_ih\\[H:2\\*H\\]"),
    (tg.nn.RNNCell(2, 3), TypeError, "RNNCell has no gates.*weight_hh, 'orthogonal'"),
    (tg.nn.Linear(2, 3), TypeError, "expected an nn.LSTMCell or nn.LSTM, got Linear"),
    (tg.nn.LSTM(2, 3, bias=False), ValueError, "LSTM\\(2, 3, bias=False\\) has no biases.*bias=True"),
])
def test_forget_gate_bias_refuses_other_modules(module, error, match):
    before = _biases(module)
    with pytest.raises(error, match=match):
        init.forget_gate_bias_(module)
    assert all(np.array_equal(v, _biases(module)[k]) for k, v in before.items())


@pytest.mark.parametrize("value, error", [(True, TypeError), ("1", TypeError), (None, TypeError),
                                          (float("nan"), ValueError), (-float("inf"), ValueError)])
def test_forget_gate_bias_refuses_bad_values_and_changes_nothing(value, error):
    cell = tg.nn.LSTMCell(2, 3)
    before = _biases(cell)
    with pytest.raises(error, match="forget_gate_bias_: value"):
        init.forget_gate_bias_(cell, value)
    assert all(np.array_equal(v, _biases(cell)[k]) for k, v in before.items())


# --- PyTorch parity ---------------------------------------------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")


@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6), (4, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_matches_torch_given_the_same_normal_draw(torch, shape, gain):
    """torch.nn.init.orthogonal_ draws a (rows, cols) normal matrix from its generator; drawing the
    same matrix from an identically seeded generator lets us feed it to our algorithm."""
    rows = shape[0]
    cols = math.prod(shape) // rows
    normal = torch.empty(rows, cols, dtype=torch.float64).normal_(0, 1, generator=torch.Generator().manual_seed(11))
    expected = torch.empty(*shape, dtype=torch.float64)
    torch.nn.init.orthogonal_(expected, gain=gain, generator=torch.Generator().manual_seed(11))
    ours = _orthogonal_from(normal.numpy(), gain).reshape(shape)
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-12)


def test_xavier_uniform_bound_matches_torch(torch):
    """Same fan rule and bound as torch: the largest |entry| of many draws approaches the same a."""
    shape = (40, 30, 5)
    theirs = torch.nn.init.xavier_uniform_(torch.empty(*shape, dtype=torch.float64), gain=1.3).numpy()
    ours = init.xavier_uniform_(_param(*shape, dtype=np.float64), gain=1.3, generator=np.random.default_rng(0)).data
    bound = 1.3 * math.sqrt(6.0 / (30 * 5 + 40 * 5))
    for values in (theirs, ours):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.99 * bound


def _copy_into_torch(torch, ours, theirs):
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.from_numpy(p.data))


def test_forget_gate_bias_cell_matches_torch(torch):
    """Our LSTMCell with b_f = 1, copied into torch.nn.LSTMCell, computes the same (h', c')."""
    ours = init.forget_gate_bias_(tg.nn.LSTMCell(3, 4, dtype=np.float64, generator=np.random.default_rng(3)), 1.0)
    theirs = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    _copy_into_torch(torch, ours, theirs)
    rng = np.random.default_rng(4)
    x, h, c = rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    h_ours, c_ours = ours(tg.tensor(x), (tg.tensor(h), tg.tensor(c)))
    h_theirs, c_theirs = theirs(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    np.testing.assert_allclose(h_ours.data, h_theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_ours.data, c_theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    # and torch sees the same forget gate at rest: sigmoid(1) for every unit
    with torch.no_grad():
        zeros = torch.zeros(1, 4, dtype=torch.float64)
        forget = theirs(torch.zeros(1, 3, dtype=torch.float64), (zeros, zeros + 1))[1] - \
            theirs(torch.zeros(1, 3, dtype=torch.float64), (zeros, zeros))[1]
    np.testing.assert_allclose(forget.numpy(), 1 / (1 + math.exp(-1.0)), rtol=1e-12)


def test_forget_gate_bias_layer_matches_torch(torch):
    ours = init.forget_gate_bias_(tg.nn.LSTM(3, 4, num_layers=2, dtype=np.float64,
                                             generator=np.random.default_rng(5)), 1.5)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, dtype=torch.float64)
    _copy_into_torch(torch, ours, theirs)
    x = np.random.default_rng(6).normal(size=(6, 2, 3))
    out_ours, (h_ours, c_ours) = ours(tg.tensor(x))
    out_theirs, (h_theirs, c_theirs) = theirs(torch.from_numpy(x))
    for a, b in ((out_ours, out_theirs), (h_ours, h_theirs), (c_ours, c_theirs)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
