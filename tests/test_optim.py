"""optim: SGD, Adagrad and Adam with PyTorch's update rules. Hand-computed steps from the
formulas first, then multi-step parity with torch.optim in float64."""
import math

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import optim
from tinygrad_rnn.nn import Module, Parameter


def _scalar_param(value=1.0):
    return Parameter(np.array([value], dtype=np.float64))


def _step_with(opt, param, grad):
    param.grad = np.array([grad], dtype=np.float64)
    opt.step()
    return param.data[0]


# --- SGD by hand ---------------------------------------------------------------------
def test_sgd_plain_step():
    p = _scalar_param(1.0)
    opt = optim.SGD([p], lr=0.1)
    assert _step_with(opt, p, 2.0) == pytest.approx(1.0 - 0.1 * 2.0)


def test_sgd_momentum_buffer_starts_at_the_first_gradient():
    p = _scalar_param(0.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    assert _step_with(opt, p, 1.0) == pytest.approx(-0.1)            # b = g = 1 (not 0.1 * g)
    assert _step_with(opt, p, 1.0) == pytest.approx(-0.1 - 0.19)     # b = 0.9 * 1 + 1 = 1.9
    assert _step_with(opt, p, 0.0) == pytest.approx(-0.29 - 0.171)   # b = 0.9 * 1.9 = 1.71


def test_sgd_dampening_and_weight_decay():
    p = _scalar_param(2.0)
    opt = optim.SGD([p], lr=0.5, momentum=0.5, dampening=0.5, weight_decay=0.25)
    # step 1: g = 1 + 0.25*2 = 1.5, b = 1.5 (no dampening on the first step), p = 2 - 0.75
    assert _step_with(opt, p, 1.0) == pytest.approx(1.25)
    # step 2: g = 1 + 0.25*1.25 = 1.3125, b = 0.5*1.5 + 0.5*1.3125 = 1.40625, p = 1.25 - 0.703125
    assert _step_with(opt, p, 1.0) == pytest.approx(0.546875)


def test_sgd_nesterov():
    p = _scalar_param(0.0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    # step 1: b = 1, update g + 0.9 b = 1.9; step 2: b = 1.9, update 1 + 0.9*1.9 = 2.71
    assert _step_with(opt, p, 1.0) == pytest.approx(-0.19)
    assert _step_with(opt, p, 1.0) == pytest.approx(-0.19 - 0.271)


# --- Adagrad by hand ---------------------------------------------------------------
def test_adagrad_first_steps():
    p = _scalar_param(1.0)
    opt = optim.Adagrad([p], lr=0.1, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    # step 1: s = 1 + 9 = 10, clr = 0.1, p = 1 - 0.1 * 3 / sqrt(10)
    p1 = 1.0 - 0.1 * 3 / math.sqrt(10)
    assert _step_with(opt, p, 3.0) == pytest.approx(p1, rel=1e-14)
    # step 2: s = 10 + 16 = 26, clr = 0.1 / (1 + 0.5), p -= clr * 4 / sqrt(26)
    assert _step_with(opt, p, 4.0) == pytest.approx(p1 - 0.1 / 1.5 * 4 / math.sqrt(26), rel=1e-14)


# --- Adam by hand ---------------------------------------------------------------
@pytest.mark.parametrize("grad", [0.3, -20.0])
def test_adam_first_step_is_lr_times_sign_thanks_to_bias_correction(grad):
    """m_1 = (1-b1) g, v_1 = (1-b2) g^2; after bias correction m_hat = g, sqrt(v_hat) = |g|, so the
    first update is lr * g / (|g| + eps), whatever the size of g."""
    p = _scalar_param(1.0)
    opt = optim.Adam([p], lr=0.01, eps=1e-8)
    assert _step_with(opt, p, grad) == pytest.approx(1.0 - 0.01 * grad / (abs(grad) + 1e-8), rel=1e-12)


def test_adam_second_step_by_hand():
    b1, b2, lr, eps = 0.5, 0.75, 0.1, 0.0
    p = _scalar_param(0.0)
    opt = optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    _step_with(opt, p, 1.0)                                  # p = -0.1
    m = b1 * (1 - b1) * 1.0 + (1 - b1) * 3.0                 # 0.25 + 1.5 = 1.75
    v = b2 * (1 - b2) * 1.0 + (1 - b2) * 9.0                 # 0.1875 + 2.25 = 2.4375
    expected = -0.1 - lr / (1 - b1 ** 2) * m / (math.sqrt(v) / math.sqrt(1 - b2 ** 2) + eps)
    assert _step_with(opt, p, 3.0) == pytest.approx(expected, rel=1e-14)


def test_adam_amsgrad_uses_the_largest_second_moment():
    b2 = 0.5
    p, q = _scalar_param(0.0), _scalar_param(0.0)
    plain, ams = optim.Adam([p], lr=0.1, betas=(0.0, b2), eps=0.0), optim.Adam([q], lr=0.1, betas=(0.0, b2),
                                                                              eps=0.0, amsgrad=True)
    for opt, param in ((plain, p), (ams, q)):
        _step_with(opt, param, 4.0)                           # beta1 = 0: m = g; v = 0.5 * 16 = 8 for both
    assert p.data[0] == q.data[0]
    # step 2, g = 1: v = 0.5 * 8 + 0.5 * 1 = 4.5 shrinks, but amsgrad keeps v_max = max(8, 4.5) = 8
    before = q.data[0]
    _step_with(ams, q, 1.0)
    assert q.data[0] == pytest.approx(before - 0.1 * 1.0 / (math.sqrt(8.0) / math.sqrt(1 - b2 ** 2)), rel=1e-14)
    before = p.data[0]
    _step_with(plain, p, 1.0)
    assert p.data[0] == pytest.approx(before - 0.1 * 1.0 / (math.sqrt(4.5) / math.sqrt(1 - b2 ** 2)), rel=1e-14)


# --- shared behaviour ---------------------------------------------------------------
OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adagrad(ps, lr=0.1),
    lambda ps: optim.Adam(ps, lr=0.1),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_parameters_without_grad_are_skipped_and_their_state_waits(make):
    a, b = _scalar_param(1.0), _scalar_param(1.0)
    opt = make([a, b])
    a.grad = np.array([1.0])
    opt.step()
    assert b.data[0] == 1.0 and b not in opt.state
    # b's first real step equals a fresh optimizer's first step: no state advanced while skipped
    fresh_param = _scalar_param(1.0)
    fresh = make([fresh_param])
    b.grad, fresh_param.grad = np.array([0.5]), np.array([0.5])
    a.grad = None
    opt.step()
    fresh.step()
    assert b.data[0] == fresh_param.data[0]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_step_updates_data_in_place(make):
    p = Parameter(np.ones((2, 3)))
    array = p.data
    opt = make([p])
    p.grad = np.ones((2, 3))
    opt.step()
    assert p.data is array and np.all(p.data < 1.0)
    assert p.grad is not None                                  # step does not clear the gradient


def test_zero_grad():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = np.ones(2)
    array = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is array and np.all(a.grad == 0) and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_param_groups_have_their_own_hyperparameters():
    a, b = _scalar_param(1.0), _scalar_param(1.0)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad = b.grad = np.array([1.0])
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)


def test_closure_is_called_and_its_loss_returned():
    p = Parameter(np.array([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():                                         # the closure records a graph anyway
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.data[0] == pytest.approx(3.0 - 0.25 * 6.0)


class _Quadratic(Module):
    def __init__(self):
        super().__init__()
        self.w = Parameter(np.array([4.0, -3.0]))


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5),
    lambda ps: optim.Adagrad(ps, lr=0.5),
    lambda ps: optim.Adam(ps, lr=0.1),
])
def test_training_loop_minimises_a_quadratic(make):
    model = _Quadratic()
    target = tg.tensor(np.array([1.0, 2.0]))
    opt = make(model.parameters())                             # a generator is fine
    for _ in range(300):
        opt.zero_grad()
        loss = ((model.w - target) ** 2).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(model.w.data, [1.0, 2.0], atol=1e-2)


# --- errors ---------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda ps: optim.SGD(ps, lr=-0.1), r"SGD: invalid lr=-0.1; it must be >= 0"),
    (lambda ps: optim.SGD(ps, momentum=-1), r"SGD: invalid momentum=-1"),
    (lambda ps: optim.SGD(ps, weight_decay=-1), r"SGD: invalid weight_decay=-1"),
    (lambda ps: optim.SGD(ps, nesterov=True), r"SGD: nesterov=True requires momentum > 0 and dampening = 0"),
    (lambda ps: optim.SGD(ps, momentum=0.9, dampening=0.1, nesterov=True), r"requires momentum > 0 and dampening"),
    (lambda ps: optim.Adagrad(ps, lr_decay=-1), r"Adagrad: invalid lr_decay=-1"),
    (lambda ps: optim.Adagrad(ps, eps=-1), r"Adagrad: invalid eps=-1"),
    (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-1), r"Adagrad: invalid initial_accumulator_value"),
    (lambda ps: optim.Adam(ps, lr=-1e-3), r"Adam: invalid lr=-0.001"),
    (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), r"Adam: invalid beta parameter at index 0: 1.0"),
    (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), r"Adam: invalid beta parameter at index 1"),
    (lambda ps: optim.Adam(ps, betas=0.9), r"Adam: betas must be a pair"),
    (lambda ps: optim.Adam(ps, eps=float("nan")), r"Adam: invalid eps=nan"),
    (lambda ps: optim.Adam([{"params": ps, "lr": -1.0}]), r"Adam: invalid lr=-1.0"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([_scalar_param()])


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"Adam: params must be an iterable.*single Parameter.*wrap it in a list"):
        optim.Adam(_scalar_param())
    with pytest.raises(TypeError, match="Adam: can only optimize Tensors, got a ndarray"):
        optim.Adam([np.zeros(2)])
    p = _scalar_param()
    with pytest.raises(ValueError, match="appears more than once"):
        optim.Adam([p, p])
    with pytest.raises(ValueError, match="can't optimize a non-leaf tensor"):
        optim.Adam([p * 2])
    with pytest.raises(TypeError, match=r"unknown hyperparameter\(s\) \['momentum'\]"):
        optim.Adam([{"params": [p], "momentum": 0.9}])


# --- PyTorch parity ---------------------------------------------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.3, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.2, eps=1e-6)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True)),
    ("Adam", dict(lr=0.03, amsgrad=True, weight_decay=0.02)),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[f"{n}-{'-'.join(k)}" for n, k in CONFIGS])
def test_steps_match_torch(torch, name, kwargs):
    """Same start, same gradients (some None), 8 steps: parameters equal torch's to ~1e-12 in float64."""
    rng = np.random.default_rng(2024)
    shapes = [(3, 4), (4,), (2, 2, 3)]
    starts = [rng.standard_normal(s) for s in shapes]
    ours = [Parameter(x.copy()) for x in starts]
    theirs = [torch.tensor(x.copy(), requires_grad=True) for x in starts]
    our_opt = getattr(optim, name)(ours, **kwargs)
    their_opt = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(8):
        for i, (o, t) in enumerate(zip(ours, theirs)):
            skip = (i == 1 and step in (2, 3)) or (i == 2 and step == 0)   # grad None: skipped by both
            grad = None if skip else rng.standard_normal(o.shape) * (1 + step)
            o.grad = None if grad is None else grad.copy()
            t.grad = None if grad is None else torch.tensor(grad.copy())
        our_opt.step()
        their_opt.step()
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=0, atol=1e-12,
                                       err_msg=f"{name}{kwargs} after step {step + 1}")
    assert not np.allclose(ours[0].data, starts[0])                     # the parameters did move
