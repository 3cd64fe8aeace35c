"""detect_anomaly: the first op whose forward output or backward gradient holds NaN/Inf is named,
with its input shapes and its time step."""
import re
import sys
from fractions import Fraction

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from tinygrad_rnn.core.anomaly import AnomalyError, created_at, is_anomaly_check_nan_enabled
from tinygrad_rnn.nn.cells import lstm_cell, rnn_cell

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's overflow/invalid warnings

F32_MAX = Fraction(float(np.finfo(np.float32).max))  # 3.4028235e38, exactly


def exploding_rnn(T, H=2, cell=None):
    """tanh RNN with W_hh = 3 I, zero input, no bias, h_0 = 0: every h_t is exactly 0, so
    tanh'(a_t) = 1 and dL/dh_{t-1} = 3 dL/dh_t: the gradient grows by 3 per step back.
    Written out with core ops (h @ W_hh.T is a 'matmul'), or with the library's ``rnn_cell``."""
    W_ih = tg.Tensor(np.ones((H, 1), np.float32), requires_grad=True, name="W_ih")
    W_hh = tg.Tensor(3 * np.eye(H, dtype=np.float32), requires_grad=True, name="W_hh")
    h = tg.zeros(1, H)
    h.name = "h_0"
    for t in range(1, T + 1):
        with tg.time_step(t):
            x = tg.zeros(1, 1)
            if cell is None:
                h = (x @ W_ih.T + h @ W_hh.T).tanh()
                h.name = f"h_{t}"
            else:
                h = cell(x, h, W_ih, W_hh, t=str(t))
    return h, W_ih, W_hh


def first_overflow(seed):
    """Smallest k with 3^k * seed > float32 max, in exact rational arithmetic."""
    k = 0
    while 3 ** k * Fraction(seed) <= F32_MAX:
        k += 1
    # float32 rounding over k steps changes 3^k by far less than 1%, so it cannot move the step
    assert 3 ** k * Fraction(seed) > 1.01 * F32_MAX and 3 ** (k - 1) * Fraction(seed) < 0.99 * F32_MAX
    return k


@pytest.mark.parametrize("T, seed", [(100, 1.0), (90, 1e10), (40, 1e30)])
def test_exploding_rnn_names_the_step_where_the_gradient_overflowed(T, seed):
    k = first_overflow(seed)          # dL/dh_t = 3^(T-t) seed first overflows at t = T - k ...
    assert k < T
    t_overflow = T - k                # ... and the op returning it is step t+1's h_{t} @ W_hh^T
    with detect_anomaly():
        h, _, _ = exploding_rnn(T)
        assert not h.data.any()       # the forward pass stays exactly 0: nothing to see there
        loss = h.sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward(gradient=np.float32(seed))
    message = str(info.value)
    assert "backward of 'matmul'" in message
    assert re.search(rf"made at time step {t_overflow + 1}\b", message)
    assert f"input 0 'h_{t_overflow}' (step {t_overflow}, shape (1, 2), float32)" in message
    assert "Inf" in message and "overflowed float32" in message
    assert "test_anomaly.py:" in message                             # where the op was made
    assert isinstance(info.value, RuntimeError)


def test_exploding_rnn_cell_names_the_step_and_the_library_line():
    T, k = 100, first_overflow(1.0)
    with detect_anomaly():
        h, _, _ = exploding_rnn(T, cell=rnn_cell)
        with pytest.raises(AnomalyError) as info:
            h.sum().backward()
    message = str(info.value)
    # whichever op computes h_{t} W_hh^T (a matmul, or a fused linear) is blamed, at step t + 1
    assert re.search(rf"backward of '\w+' \(made at time step {T - k + 1}, at \S*tinygrad_rnn/\S+\.py:\d+ in \w+ <- "
                     rf"\S*test_anomaly.py:\d+ in exploding_rnn\)", message)
    assert f"input 1 'h_{T - k}'" in message or f"input 0 'h_{T - k}'" in message


def test_without_anomaly_mode_nan_flows_through():
    h, W_ih, W_hh = exploding_rnn(100)
    h.sum().backward()                # no error, as PyTorch outside anomaly mode
    # dL/dW_hh sums h_{t-1}^T dL/da_t: 0 * inf = NaN at the early steps
    assert np.isnan(W_hh.grad).any()
    assert not is_anomaly_enabled()


def test_check_nan_false_checks_nothing():
    with detect_anomaly(check_nan=False):
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
        h, W_ih, W_hh = exploding_rnn(100)
        h.sum().backward()
        x = tg.tensor([-1.0, 2.0], requires_grad=True)
        y = x.log()
    assert np.isnan(W_hh.grad).any()
    assert np.isnan(y.data[0]) and y.data[1] == np.float32(np.log(2.0))
    assert is_anomaly_check_nan_enabled()


def test_forward_nan_from_log_of_negative_names_op_shapes_and_step():
    x = tg.Tensor(np.array([[1.0, 2.0, 3.0], [4.0, -5.0, 6.0]], np.float32), requires_grad=True, name="x")
    with detect_anomaly():
        with tg.time_step(7):
            doubled = x * 2           # finite: not blamed
            with pytest.raises(AnomalyError) as info:
                doubled.log()
    message = str(info.value)
    assert message.startswith("detect_anomaly: 'log' at time step 7")
    assert "NaN (1 of 6 values)" in message
    assert "0: output of 'mul' (step 7, shape (2, 3), float32)" in message
    assert "clamp" in message                                              # a fix


def test_forward_names_input_by_name_and_its_step_outside_a_scope():
    with tg.time_step(3):
        a = tg.Tensor(np.zeros(4, np.float32), name="a_3")
    b = tg.Tensor(np.zeros(4, np.float32), name="b")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        a / b                         # 0/0
    message = str(info.value)
    assert "'div' at time step 3" in message                      # the inputs' step
    assert "0: 'a_3' (step 3, shape (4,), float32); 1: 'b' (shape (4,), float32)" in message
    assert "NaN (4 of 4 values)" in message


def test_forward_exp_overflow_is_inf():
    x = tg.Tensor(np.array([1.0, 100.0], np.float32))            # e^100 > 3.4e38
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"'exp' produced Inf \(1 of 2 values\)"):
        x.exp()
    x64 = tg.Tensor(np.array([1.0, 100.0]))                       # fits float64: no error
    with detect_anomaly():
        assert np.isfinite(x64.exp().data).all()


def test_only_the_first_op_is_blamed_nan_inputs_pass():
    x = tg.Tensor(np.array([np.nan, 1.0], np.float32), requires_grad=True)
    with detect_anomaly():
        y = x.tanh() * 2              # NaN came in with the data: no op made it
    assert np.isnan(y.data[0])


def test_backward_inf_from_sqrt_at_zero():
    x = tg.Tensor(np.array([0.0, 4.0]), requires_grad=True, name="x")
    with detect_anomaly():
        loss = (x ** 0.5).sum()       # d sqrt(x)/dx = 1/(2 sqrt x) = inf at 0
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert "backward of 'pow'" in message and "input 0 'x' (shape (2,), float64)" in message
    assert "Inf (1 of 2 values)" in message


def test_backward_nan_from_zero_times_infinite_slope():
    x = tg.Tensor(np.array([0.0, 4.0]), requires_grad=True, name="x")
    with detect_anomaly():
        loss = ((x ** 0.5) * 0.0).sum()      # grad 0 reaches pow, 0 * inf = NaN
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert "backward of 'pow'" in message and "NaN (1 of 2 values)" in message
    assert "0 * Inf" in message


def lstm_grads(seed):
    rng = np.random.default_rng(seed)
    H, I, B, T = 3, 2, 2, 6
    W_ih = tg.Tensor(rng.normal(size=(4 * H, I)), requires_grad=True)
    W_hh = tg.Tensor(rng.normal(size=(4 * H, H)), requires_grad=True)
    b = tg.Tensor(rng.normal(size=4 * H), requires_grad=True)
    xs = rng.normal(size=(T, B, I))
    h = c = tg.Tensor(np.zeros((B, H)))
    total = 0
    for t in range(T):
        with tg.time_step(t):
            h, c = lstm_cell(tg.Tensor(xs[t]), h, c, W_ih, W_hh, b, None, t=str(t))
            total = total + (h * h).mean()
    total.backward()
    return [p.grad for p in (W_ih, W_hh, b)]


def test_anomaly_free_run_gives_identical_gradients():
    outside = lstm_grads(0)
    with detect_anomaly():
        inside = lstm_grads(0)
    for a, b in zip(outside, inside):
        assert np.array_equal(a, b)


def test_creation_site_is_recorded_only_in_anomaly_mode():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh()
    assert not hasattr(y.grad_fn, "_created_at")       # nothing stored on the normal path
    with detect_anomaly(check_nan=False), tg.time_step(5):
        z = x.tanh()
    line = sys._getframe().f_lineno - 1                 # the line of z = x.tanh() above
    where = created_at(z.grad_fn)
    assert where.startswith("time step 5, at ") and "<-" not in where   # the test's own line only
    assert where.endswith(f"test_anomaly.py:{line} in test_creation_site_is_recorded_only_in_anomaly_mode")
    assert created_at(y.grad_fn) is None


def test_detect_anomaly_nests_and_decorates():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        with detect_anomaly(check_nan=False):
            assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()

    @detect_anomaly()
    def depth(n):
        assert is_anomaly_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)   # the same object re-entered

    assert not is_anomaly_enabled()
    assert depth(3) == 3
    assert not is_anomaly_enabled()


def test_state_is_restored_after_an_error():
    with pytest.raises(AnomalyError):
        with detect_anomaly():
            tg.tensor([-1.0]).log()
    assert not is_anomaly_enabled()


def test_set_detect_anomaly_call_block_and_decorator():
    try:
        set_detect_anomaly(True)               # a plain call switches it on, as PyTorch
        assert is_anomaly_enabled()
        with set_detect_anomaly(False, check_nan=False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()

    @set_detect_anomaly(True)
    def inside():
        return is_anomaly_enabled()

    assert not is_anomaly_enabled()            # decorating does not switch it
    assert inside() and inside()
    assert not is_anomaly_enabled()


class _TwoOutputs(tg.Function):
    """x -> (x, 2x), one node with two outputs; its backward divides by zero on purpose."""

    def forward(self, x):
        return x.copy(), 2 * x

    def backward(self, grads):            # a list: one gradient per output (both are used below)
        g0, g1 = grads
        return ((g0 + 2 * g1) / 0.0,)       # the right gradient would be g0 + 2 g1


def test_backward_of_an_op_with_several_outputs():
    x = tg.Tensor(np.ones(3), requires_grad=True, name="x")
    with detect_anomaly():
        a, b = _TwoOutputs.apply(x)
        loss = (a * b).sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert "backward of '_twooutputs'" in message and "its 2 outputs was finite" in message
    assert "input 0 'x' (shape (3,), float64)" in message and "Inf (3 of 3 values)" in message


# --- NaN/Inf that come in with an input (issue 16 item 3) ------------------------------------------

def _sequence_with_nan(T=100, B=2, I=3, bad_step=37):
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    x[bad_step - 1, 1, 2] = np.nan          # step t reads x[t - 1]
    return x


def _assert_entry_message(message, op=None, step=37):
    op_pattern = op or r"\w+"
    assert re.search(rf"'{op_pattern}' at time step {step} read input \d", message), message
    assert "'x' (shape (100, 2, 3), float32)" in message                 # names the input it came with
    assert "the input already contained nan/inf: check your data (np.isfinite(x).all())" in message
    assert "0 * Inf" not in message and "0 × Inf" not in message
    assert "test_anomaly.py:" in message                                 # the user's line


def test_nan_in_the_input_of_an_lstm_cell_loop_names_its_step():
    tg.manual_seed(0)
    cell = tg.nn.LSTMCell(3, 4)
    x = tg.Tensor(_sequence_with_nan(), name="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        h, c = tg.zeros(2, 4), tg.zeros(2, 4)
        for t in range(1, 101):
            with tg.time_step(t):
                h, c = cell(x[t - 1], (h, c))
        h.sum().backward()
    _assert_entry_message(str(info.value))
    assert "through 'getitem'" in str(info.value)


@pytest.mark.parametrize("fused", [True, False])
def test_nan_in_the_input_of_nn_lstm_names_its_step(fused):
    tg.manual_seed(0)
    lstm = tg.nn.LSTM(3, 4, fused=fused)
    x = tg.Tensor(_sequence_with_nan(), name="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        out, _ = lstm(x)
        out.sum().backward()
    _assert_entry_message(str(info.value), op="lstm_step" if fused else None)


def test_nan_in_a_parameter_names_the_parameter():
    tg.manual_seed(0)
    cell = tg.nn.LSTMCell(3, 4)
    cell.weight_hh.data[2, 1] = np.nan
    x = tg.Tensor(np.ones((5, 2, 3), np.float32), name="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        h, c = tg.zeros(2, 4), tg.zeros(2, 4)
        for t in range(1, 6):
            with tg.time_step(t):
                h, c = cell(x[t - 1], (h, c))
    message = str(info.value)
    assert "at time step 1 read input" in message
    assert "'weight_hh' (shape (16, 4), float32)" in message and "NaN (1 of 64 values)" in message
    assert "the input already contained nan/inf" in message


def test_inf_in_a_constant_made_inside_a_time_step_names_that_step():
    h = tg.Tensor(np.ones(3, np.float32), requires_grad=True, name="h")
    with detect_anomaly():
        with tg.time_step(5):
            scale = tg.Tensor(np.array([1.0, np.inf, 2.0], np.float32), name="scale")
        with pytest.raises(AnomalyError) as info:
            h * scale                    # made outside the scope: the constant's own step counts
    message = str(info.value)
    assert message.startswith("detect_anomaly: 'mul' at time step 5 read input 1, 'scale' (step 5, shape (3,), "
                              "float32)")
    assert "Inf (1 of 3 values)" in message and "the input already contained nan/inf" in message


def test_a_parameter_is_scanned_once_per_session(monkeypatch):
    from tinygrad_rnn.core import anomaly
    w = tg.Tensor(np.ones((4, 4), np.float32), requires_grad=True, name="w")
    scanned = []
    real = anomaly._all_finite
    monkeypatch.setattr(anomaly, "_all_finite", lambda a: scanned.append(a is w.data) or real(a))
    with detect_anomaly():
        h = tg.ones(1, 4)
        for t in range(1, 21):
            with tg.time_step(t):
                h = (h @ w).tanh()
        with tg.no_grad():
            w.data = np.full((4, 4), np.nan, np.float32)     # a new array: scanned again, and caught
        with pytest.raises(AnomalyError, match="'w'"):
            h @ w
    assert sum(scanned) == 2


def test_log_of_zero_at_step_37_still_names_the_log():
    x = np.abs(np.random.default_rng(1).standard_normal((100, 3)).astype(np.float32)) + 0.5
    x[36, 1] = 0.0
    x = tg.Tensor(x, name="x")
    w = tg.Tensor(np.ones(3, np.float32), requires_grad=True, name="w")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        for t in range(1, 101):
            with tg.time_step(t):
                (x[t - 1] * w).log()
    message = str(info.value)
    assert message.startswith("detect_anomaly: 'log' at time step 37 produced Inf (1 of 3 values)")
    assert "clamp" in message and "already contained" not in message


def test_nan_seed_of_backward_is_reported_as_the_seed():
    x = tg.Tensor(np.ones(3, np.float32), requires_grad=True, name="x")
    with detect_anomaly():
        y = x * 2
        y.name = "y"
        with pytest.raises(AnomalyError) as info:
            y.backward(gradient=np.array([1.0, np.nan, 1.0], np.float32))
    message = str(info.value)
    assert "the gradient given to backward(gradient=...) for 'y'" in message and "NaN (1 of 3 values)" in message
    assert "0 * Inf" not in message


def test_nan_input_read_outside_any_time_step_is_reported_by_backward():
    x = tg.Tensor(np.array([[1.0, np.nan]], np.float32), name="x")
    w = tg.Tensor(np.ones((2, 2), np.float32), requires_grad=True, name="w")
    with detect_anomaly():
        loss = (x @ w).tanh().sum()          # no step to name: noted, not raised, in the forward pass
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("detect_anomaly: 'matmul' read input 0, 'x' (shape (1, 2), float32)")
    assert "Reported by backward()" in message and "0 * Inf" not in message


def test_no_anomaly_no_error_and_the_same_gradients():
    def run():
        tg.manual_seed(3)
        lstm = tg.nn.LSTM(3, 4)
        cell = tg.nn.LSTMCell(3, 4)
        x = tg.Tensor(np.random.default_rng(2).standard_normal((20, 2, 3)).astype(np.float32), name="x")
        out, _ = lstm(x)
        h, c = tg.zeros(2, 4), tg.zeros(2, 4)
        for t in range(1, 21):
            with tg.time_step(t):
                h, c = cell(x[t - 1], (h, c))
        (out.sum() + h.sum()).backward()
        return [p.grad.copy() for p in list(lstm.parameters()) + list(cell.parameters())]

    plain = run()
    with detect_anomaly():
        checked = run()
    assert len(plain) == len(checked) == 8
    for a, b in zip(plain, checked):
        np.testing.assert_array_equal(a, b)
