"""benchmarks/numpy_train.py, the NumPy yardstick of the whole-process benchmark rows, does what
``tinygrad-rnn train`` does: a text stream's update (the state carried in, the mean cross-entropy of
the window, its gradients) equals the engine's ``stream_update`` from the same weights, its Adam
equals ``optim.Adam``, and the adding problem's gradients equal those ``TBPTT.run`` gives ``train``.
Float64 throughout, so agreement to 1e-9 checks both sides."""
import pathlib
import sys

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.tasks import TextStream, make_task
from tinygrad_rnn.train import TBPTT, SequenceModel, StreamCursor, stream_update

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import numpy_train  # noqa: E402

TEXT = "the quick brown fox jumps over the lazy dog; " * 40


def model_with(params, I, H, O):
    model = SequenceModel("lstm", I, H, O, dtype=np.float64)
    model.load_state_dict({name: value.copy() for name, value in params.items()})
    return model


def test_a_stream_update_is_the_engines():
    stream = TextStream(TEXT, batch_size=4)
    params = numpy_train.initial_params(stream.input_size, 6, stream.output_size, np.random.default_rng(0),
                                        np.float64)
    model = model_with(params, stream.input_size, 6, stream.output_size)
    state, cursor = numpy_train.zero_state(params, 4), StreamCursor()
    for step in (0, 7):                                  # the second window starts from the carried state
        window = stream.window(step, step + 7)
        loss, grads, state = numpy_train.stream_loss_and_grads(params, window.inputs.astype(np.float64),
                                                               window.targets, state)
        model.zero_grad()
        engine_loss, cursor = stream_update(TBPTT(7), model, stream, cursor)
        assert loss == pytest.approx(engine_loss.item(), rel=1e-10)
        for name, p in model.named_parameters():
            np.testing.assert_allclose(grads[name], p.grad, rtol=1e-8, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(state[0], cursor.state[0].data, rtol=1e-12)
        np.testing.assert_allclose(state[1], cursor.state[1].data, rtol=1e-12)


def test_the_adding_gradients_are_those_train_backpropagates():
    task = make_task("adding", seq_len=9)
    batch = task.batch(5, rng=1)
    params = numpy_train.initial_params(2, 6, 1, np.random.default_rng(2), np.float64)
    model = model_with(params, 2, 6, 1)
    ((_, loss),) = [(w, loss) for w, loss in TBPTT(9).run(
        model, batch.inputs, window_loss=lambda outputs, start, stop: task.window_loss(outputs, batch, start, stop),
        loss_steps=batch.loss_steps)]
    expected, grads = numpy_train.adding_loss_and_grads(
        params, batch._replace(inputs=batch.inputs.astype(np.float64)))
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad, rtol=1e-8, atol=1e-12, err_msg=name)


def test_adam_is_the_engines():
    rng = np.random.default_rng(3)
    params = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    tensors = {name: tg.tensor(value.copy(), requires_grad=True) for name, value in params.items()}
    mine, theirs = numpy_train.Adam(params, lr=0.01), tg.optim.Adam(list(tensors.values()), lr=0.01)
    for _ in range(3):
        grads = {name: rng.standard_normal(value.shape) for name, value in params.items()}
        mine.step(params, grads)
        for name, t in tensors.items():
            t.grad = grads[name].copy()
        theirs.step()
    for name, t in tensors.items():
        np.testing.assert_allclose(params[name], t.data, rtol=1e-12, err_msg=name)
