"""nn.Sequential, the activation modules and the loss modules: the same numbers, gradients, parameter names
and state_dict keys as PyTorch's classes of the same name, in float64; and errors that name the fix."""
import collections

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn

torch = pytest.importorskip("torch", reason="PyTorch parity tests need the torch extra: pip install -e '.[torch]'")

ACTIVATIONS = [("Tanh", {}), ("Sigmoid", {}), ("ReLU", {}), ("Identity", {}), ("Softmax", {"dim": -1}),
               ("LogSoftmax", {"dim": 1}), ("Softmax", {"dim": 0})]


def pair(seed=0):
    ours = nn.Sequential(nn.Linear(3, 5, dtype=np.float64), nn.Tanh(), nn.Linear(5, 4, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def test_sequential_has_pytorchs_names_and_repr():
    ours, theirs = pair()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert repr(ours) == repr(theirs).replace("torch.", "")
    assert len(ours) == 3 and isinstance(ours[1], nn.Tanh) and ours[-1] is ours[2]
    assert list(ours[1:].state_dict()) == list(theirs[1:].state_dict()) == ["2.weight", "2.bias"]
    named = nn.Sequential(collections.OrderedDict(first=nn.Linear(2, 2), act=nn.ReLU()))
    assert list(named.state_dict()) == ["first.weight", "first.bias"]
    assert ours.append(nn.Sigmoid()) is ours and list(ours.named_children())[-1][0] == "3"


@pytest.mark.parametrize("loss_name", ["CrossEntropyLoss", "MSELoss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_sequential_with_a_loss_module_matches_pytorch(loss_name, reduction):
    ours, theirs = pair()
    x = np.random.default_rng(1).standard_normal((6, 3))
    target = (np.array([0, 3, 1, 2, 2, 0]) if loss_name == "CrossEntropyLoss"
              else np.random.default_rng(2).standard_normal((6, 4)))
    our_x, their_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    our_loss = getattr(nn, loss_name)(reduction=reduction)(ours(our_x), target)
    their_loss = getattr(torch.nn, loss_name)(reduction=reduction)(theirs(their_x), torch.from_numpy(target))
    np.testing.assert_allclose(our_loss.data, their_loss.detach().numpy(), rtol=1e-10)
    our_loss.sum().backward()
    their_loss.sum().backward()
    np.testing.assert_allclose(our_x.grad, their_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS)
def test_activation_modules_match_pytorch(name, kwargs):
    x = np.random.default_rng(3).standard_normal((4, 5))
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    our_x, their_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    weights = np.random.default_rng(4).standard_normal((4, 5))
    (ours(our_x) * tg.tensor(weights)).sum().backward()
    (theirs(their_x) * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(our_x.grad, their_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert repr(ours) == repr(theirs)


def test_nll_loss_module_matches_pytorch():
    logp = np.log(np.random.default_rng(5).dirichlet(np.ones(3), size=4))
    target = np.array([2, 0, 1, 1])
    ours = nn.NLLLoss(reduction="sum")(tg.tensor(logp), target)
    theirs = torch.nn.NLLLoss(reduction="sum")(torch.from_numpy(logp), torch.from_numpy(target))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("make, words", [
    (lambda: nn.Sequential(nn.Linear(2, 2), np.tanh), "nn.Tanh()"),
    (lambda: nn.Sequential(nn.Linear(2, 2), 3), "pass modules"),
    (lambda: nn.Softmax(), "nn.Softmax(dim=-1)"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=0.1), "label_smoothing=0.1"),
    (lambda: nn.CrossEntropyLoss(ignore_index=0), "ignore_index=0"),
    (lambda: nn.MSELoss(reduction="avg"), "'mean', 'sum' or 'none'"),
    (lambda: nn.Sequential(nn.Tanh())[3], "out of range for 1 modules"),
])
def test_mistakes_are_named_with_a_fix(make, words):
    with pytest.raises((TypeError, ValueError, NotImplementedError, IndexError)) as info:
        make()
    assert words in str(info.value)
