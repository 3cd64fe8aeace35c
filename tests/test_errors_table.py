"""Errors that teach, across the whole API (the core ops have their own table in test_core_errors.py).

Each row is one mistake a learner can make: the call that makes it, the exception it must raise,
and the fragments its message must contain — the function or class that complains, the offending
value or shape, and a word of the fix (a valid option, the call to make instead). The fragments
were written from the mistake itself, not copied from the library's output: a message that stops
naming any of them fails its row.
"""
import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import analysis, exercises, nn, optim, serialization, tasks, viz
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.nn import init
from tinygrad_rnn.nn.utils import clip_grad_norm_, clip_grad_value_
from tinygrad_rnn.train import TBPTT, SequenceModel, TrainConfig, train
from tinygrad_rnn.train.loop import evaluate

TINY_TRAIN = TrainConfig(cell="rnn", hidden=2, seq_len=4, batch=2, iters=1, log_every=1, eval_batch=2)


def t(*shape, dtype=np.float32):
    """A tensor of ones of ``shape`` (float32 by default, as the layers' weights)."""
    return tg.Tensor(np.ones(shape, dtype=dtype))


def param(*shape, dtype=np.float64):
    return nn.Parameter(np.ones(shape, dtype=dtype))


def with_grad(*shape):
    p = param(*shape)
    p.grad = np.ones(shape)
    return p


def int_grad(n):
    """A float64 parameter whose .grad was set by hand to integers (3, 4, 0, ...)."""
    p = param(n)
    p.grad = np.array([3, 4, 0, 1][:n])
    return p


def linear_state(**changes):
    """Linear(2, 3)'s state dict, with some entries changed (a value None removes the entry)."""
    state = dict(nn.Linear(2, 3).state_dict())
    state.update(changes)
    return {k: v for k, v in state.items() if v is not None}


def step_model():
    return SequenceModel("rnn", 2, 3, 1)


def adding_batch():
    return tasks.AddingTask(5).batch(2, 0)            # T = 5, B = 2; only the last step has a loss


def in_tagged_step():
    with tg.time_step(3):                 # a hand-written loop's step 3: h @ W instead of h @ W.T
        return t(2, 3) @ t(4, 3)


def save_into_folder(tmp):
    serialization.save({"w": np.ones(2)}, tmp)


def load_text_file(tmp):
    path = tmp / "notes.npz"
    path.write_text("not an archive")
    serialization.load(path)


def rolled_without_recurrence():
    x = tg.Tensor(np.ones(3), requires_grad=True)
    viz.draw_graph((x * 2).sum(), detail="rolled")


# (id, call(tmp_path) that makes the mistake, exception type, fragments the message must contain)
def _after_backward(measure):
    """``measure(loss)`` for a loss whose graph one backward() has already freed."""
    x = tg.tensor([0.5, -1.0], requires_grad=True)
    loss = (x.tanh() * 2).sum()
    loss.backward()
    return measure(loss)


ROWS = [
    # --- cells and layers: wrong input size ---------------------------------------------------------
    ("LSTMCell input size", lambda _: nn.LSTMCell(3, 4)(t(2, 5)), ValueError,
     ["LSTMCell", "(2, 5)", "input_size is 3", "input_size=5"]),
    ("GRUCell unbatched input size", lambda _: nn.GRUCell(3, 4)(t(5)), ValueError,
     ["GRUCell", "(5,)", "input_size is 3", "Fix"]),
    ("RNNCell input size", lambda _: nn.RNNCell(3, 4)(t(2, 2)), ValueError, ["RNNCell", "(2, 2)", "input_size=2"]),
    ("RNN input size", lambda _: nn.RNN(3, 4)(t(5, 2, 2)), ValueError, ["RNN:", "(5, 2, 2)", "input_size is 3"]),
    ("LSTM batch_first input size", lambda _: nn.LSTM(3, 4, batch_first=True)(t(2, 5, 4)), ValueError,
     ["LSTM:", "(2, 5, 4)", "batch_first=True", "input_size=4"]),
    ("GRU unbatched input size", lambda _: nn.GRU(3, 4)(t(5, 2)), ValueError, ["GRU:", "(5, 2)", "input_size=2"]),
    # --- cells and layers: the state -----------------------------------------------------------------
    ("LSTMCell given a bare h", lambda _: nn.LSTMCell(3, 4)(t(2, 3), t(2, 4)), TypeError,
     ["LSTMCell", "Tensor of shape (2, 4)", "tuple (h, c)", "cell(x, (h, c))"]),
    ("LSTMCell given a 3-tuple", lambda _: nn.LSTMCell(3, 4)(t(2, 3), (t(2, 4), t(2, 4), t(2, 4))), TypeError,
     ["LSTMCell", "tuple of 3 items", "(h, c)"]),
    ("RNNCell given (h, c)", lambda _: nn.RNNCell(3, 4)(t(2, 3), (t(2, 4), t(2, 4))), TypeError,
     ["RNNCell", "tuple of 2 items", "only LSTMCell"]),
    ("GRUCell h of another batch", lambda _: nn.GRUCell(3, 4)(t(2, 3), t(3, 4)), ValueError,
     ["GRUCell", "h has shape (3, 4)", "expected (2, 4)", "same batch size"]),
    ("LSTMCell c of another hidden size", lambda _: nn.LSTMCell(3, 4)(t(2, 3), (t(2, 4), t(2, 5))), ValueError,
     ["LSTMCell", "c has shape (2, 5)", "(2, 4)"]),
    ("RNNCell unbatched x, batched h", lambda _: nn.RNNCell(3, 4)(t(3), t(2, 4)), ValueError,
     ["RNNCell", "(2, 4)", "expected (4,)", "unbatched"]),
    ("RNN h_0 without the layer dim", lambda _: nn.RNN(3, 4)(t(5, 2, 3), t(2, 4)), ValueError,
     ["RNN", "h_0 has shape (2, 4)", "(1, 2, 4)"]),
    ("LSTM given a bare h_0", lambda _: nn.LSTM(3, 4)(t(5, 2, 3), t(1, 2, 4)), TypeError,
     ["LSTM", "(h_0, c_0)", "Fix"]),
    ("GRU given a tuple h_0", lambda _: nn.GRU(3, 4)(t(5, 2, 3), (t(1, 2, 4),)), TypeError, ["GRU", "one tensor"]),
    # --- cells and layers: the number of dims ---------------------------------------------------------
    ("RNNCell given a sequence", lambda _: nn.RNNCell(3, 4)(t(5, 2, 3)), ValueError,
     ["RNNCell", "3-D", "(5, 2, 3)", "layer (RNN)"]),
    ("LSTM given 4-D input", lambda _: nn.LSTM(3, 4)(t(5, 2, 2, 3)), ValueError,
     ["LSTM", "4-D", "(5, 2, 2, 3)", "LSTMCell"]),
    ("GRU given one step", lambda _: nn.GRU(3, 4)(t(3)), ValueError, ["GRU", "1-D", "GRUCell"]),
    # --- cells and layers: dtypes ------------------------------------------------------------------------
    ("float64 input, float32 cell", lambda _: nn.GRUCell(3, 4)(t(2, 3, dtype=np.float64)), TypeError,
     ["GRUCell", "float64", "float32", "x.float()"]),
    ("float64 input, float32 layer", lambda _: nn.LSTM(3, 4)(t(5, 2, 3, dtype=np.float64)), TypeError,
     ["LSTM", "float64", "module.double()"]),
    ("float64 state, float32 cell", lambda _: nn.RNNCell(3, 4)(t(2, 3), t(2, 4, dtype=np.float64)), TypeError,
     ["RNNCell", "h is float64", "float32", "h.float()"]),
    ("float64 h_0, float32 layer",
                 lambda _: nn.LSTM(3, 4)(t(5, 2, 3), (t(1, 2, 4, dtype=np.float64), t(1, 2, 4))), TypeError,
                 ["LSTM", "h_0 is float64", "float32"]),
    ("int input to a cell", lambda _: nn.RNNCell(3, 4)(tg.Tensor(np.ones((2, 3), dtype=np.int64))), TypeError,
     ["RNNCell", "int64", "x.float()"]),
    ("int dtype for a cell", lambda _: nn.LSTMCell(3, 4, dtype=np.int32), TypeError,
     ["LSTMCell", "int32", "np.float32"]),
    ("module.to(int)", lambda _: nn.Linear(2, 3).to(np.int32), TypeError, ["Linear.to", "int32", "np.float32"]),
    # --- constructors ----------------------------------------------------------------------------------
    ("negative input_size", lambda _: nn.LSTMCell(-1, 4), ValueError, ["LSTMCell", "input_size", "-1", "Fix"]),
    ("zero hidden_size", lambda _: nn.GRUCell(3, 0), ValueError, ["GRUCell", "hidden_size", "got 0"]),
    ("zero num_layers", lambda _: nn.RNN(3, 4, num_layers=0), ValueError, ["RNN", "num_layers", "0"]),
    ("float hidden_size", lambda _: nn.RNNCell(3, 4.0), TypeError, ["RNNCell", "hidden_size", "4.0", "hidden_size=4"]),
    ("text input_size for a layer", lambda _: nn.RNN("3", 4), TypeError, ["RNN", "input_size", "'3'"]),
    ("negative in_features", lambda _: nn.Linear(-2, 3), ValueError, ["Linear", "in_features", "-2"]),
    ("negative embedding_dim", lambda _: nn.Embedding(10, -1), ValueError, ["Embedding", "embedding_dim", "-1"]),
    ("unknown cell nonlinearity", lambda _: nn.RNNCell(3, 4, nonlinearity="sigmoid"), ValueError,
     ["RNNCell", "'sigmoid'", "'tanh' or 'relu'"]),
    ("layer nonlinearity in capitals", lambda _: nn.RNN(3, 4, nonlinearity="Tanh"), ValueError,
     ["RNN", "'Tanh'", "'tanh'"]),
    ("int as generator", lambda _: nn.GRUCell(3, 4, generator=0), TypeError,
     ["GRUCell", "generator", "np.random.default_rng(0)"]),
    # --- Linear and Embedding --------------------------------------------------------------------------
    ("Linear in_features", lambda _: nn.Linear(3, 2)(t(4, 5)), ValueError,
     ["Linear", "(4, 5)", "in_features is 3", "Linear(5, 2)"]),
    ("Embedding index too big", lambda _: nn.Embedding(3, 2)([0, 3]), IndexError, ["Embedding", "[0, 2]", "3]"]),
    ("Embedding float ids", lambda _: nn.Embedding(3, 2)(np.array([0.0, 1.0])), TypeError,
     ["Embedding", "float64", "np.int64"]),
    # --- load_state_dict -------------------------------------------------------------------------------
    ("load_state_dict missing key", lambda _: nn.Linear(2, 3).load_state_dict(linear_state(bias=None)), ValueError,
     ["load_state_dict", "missing: 'bias'", "strict=False"]),
    ("load_state_dict unexpected key", lambda _: nn.Linear(2, 3).load_state_dict(linear_state(extra=np.ones(1))),
     ValueError, ["load_state_dict", "unexpected: 'extra'", "strict=False"]),
    ("load_state_dict wrong shape",
     lambda _: nn.Linear(2, 3).load_state_dict(linear_state(weight=np.ones((2, 3), np.float32))), ValueError,
     ["load_state_dict", "'weight': shape (2, 3)", "(3, 2) in the module", "sizes"]),
    ("load_state_dict wrong dtype",
     lambda _: nn.Linear(2, 3).load_state_dict(linear_state(weight=np.ones((3, 2)))), ValueError,
     ["load_state_dict", "dtype float64", ".to(np.float64)"]),
    ("load_state_dict of a list", lambda _: nn.Linear(2, 3).load_state_dict([np.ones((3, 2))]), TypeError,
     ["load_state_dict", "list", "state_dict()"]),
    ("load_state_dict text value", lambda _: nn.Linear(2, 3).load_state_dict(linear_state(weight="w")), ValueError,
     ["load_state_dict", "'weight'", "numeric array"]),
    # --- functional ------------------------------------------------------------------------------------
    ("cross_entropy reduction None", lambda _: F.cross_entropy(t(2, 3), [0, 1], reduction=None), ValueError,
     ["cross_entropy", "None", "'mean'"]),
    ("mse_loss old reduction name", lambda _: F.mse_loss(t(2), t(2), reduction="elementwise_mean"), ValueError,
     ["mse_loss", "'elementwise_mean'", "'none'"]),
    ("cross_entropy one sample, class too big", lambda _: F.cross_entropy(t(3), 3), IndexError,
     ["cross_entropy", "[0, 2]", "3"]),
    ("mse_loss target with an extra dim", lambda _: F.mse_loss(t(3), t(3, 1)), ValueError,
     ["mse_loss", "(3,)", "(3, 1)", "reshape"]),
    ("log_softmax dim", lambda _: F.log_softmax(t(2, 3), dim=2), IndexError,
     ["log_softmax", "dim 2", "(2, 3)", "dim=-1"]),
    ("softmax of an ndarray", lambda _: F.softmax(np.ones(3)), TypeError, ["softmax", "ndarray", "tensor("]),
    ("cross_entropy of ndarray logits", lambda _: F.cross_entropy(np.ones((2, 3)), [0, 1]), TypeError,
     ["cross_entropy", "ndarray", "tensor("]),
    # --- optimizers ------------------------------------------------------------------------------------
    ("SGD negative lr", lambda _: optim.SGD([param(2)], lr=-0.1), ValueError, ["SGD", "lr=-0.1", ">= 0"]),
    ("Adam beta2 = 1", lambda _: optim.Adam([param(2)], betas=(0.9, 1.0)), ValueError,
     ["Adam", "index 1", "1.0", "[0, 1)"]),
    ("Adam one beta", lambda _: optim.Adam([param(2)], betas=0.9), ValueError, ["Adam", "pair", "0.9"]),
    ("Adam beta as text", lambda _: optim.Adam([param(2)], betas=("0.9", 0.999)), ValueError,
     ["Adam", "index 0", "0.9", "[0, 1)"]),
    ("Adagrad without parameters", lambda _: optim.Adagrad([]), ValueError,
     ["Adagrad", "empty", "model.parameters()"]),
    ("SGD over ndarrays", lambda _: optim.SGD([np.ones(2)], lr=0.1), TypeError,
     ["SGD", "ndarray", "model.parameters()"]),
    ("Adam given one Parameter", lambda _: optim.Adam(param(2)), TypeError,
     ["Adam", "single Parameter", "wrap it in a list"]),
    ("SGD misspelt hyperparameter", lambda _: optim.SGD([{"params": [param(2)], "momentun": 0.9}], lr=0.1),
     TypeError, ["SGD", "'momentun'", "momentum"]),
    ("SGD nesterov without momentum", lambda _: optim.SGD([param(2)], lr=0.1, nesterov=True), ValueError,
     ["SGD", "nesterov", "momentum=0.9"]),
    ("Adam eps as text", lambda _: optim.Adam([param(2)], eps="small"), ValueError, ["Adam", "eps='small'", ">= 0"]),
    ("step(closure) not callable", lambda _: optim.SGD([param(2)], lr=0.1).step(3), TypeError,
     ["SGD.step", "closure", "int"]),
    ("optimize a non-leaf", lambda _: optim.SGD([param(2) * 2], lr=0.1), ValueError,
     ["SGD", "non-leaf", "detach()"]),
    # --- clipping --------------------------------------------------------------------------------------
    ("clip_grad_norm_ negative max_norm", lambda _: clip_grad_norm_([with_grad(2)], -1), ValueError,
     ["clip_grad_norm_", "max_norm", "-1.0", ">= 0"]),
    ("clip_grad_value_ negative", lambda _: clip_grad_value_([with_grad(2)], -0.5), ValueError,
     ["clip_grad_value_", "-0.5", "[-clip_value, clip_value]"]),
    ("clip_grad_norm_ of .grad arrays", lambda _: clip_grad_norm_([np.ones(2)], 1.0), TypeError,
     ["clip_grad_norm_", "ndarray", "model.parameters()"]),
    ("clip_grad_norm_ max_norm None", lambda _: clip_grad_norm_([with_grad(2)], None), TypeError,
     ["clip_grad_norm_", "max_norm", "None", "don't call clip_grad_norm_", "max_norm=1.0"]),
    ("clip_grad_norm_ max_norm a str", lambda _: clip_grad_norm_([with_grad(2)], "1.0"), TypeError,
     ["clip_grad_norm_", "max_norm", "'1.0'", "float('1.0')"]),
    ("clip_grad_value_ None", lambda _: clip_grad_value_([with_grad(2)], None), TypeError,
     ["clip_grad_value_", "clip_value", "None", "clip_value=0.5"]),
    ("clip_grad_value_ a str", lambda _: clip_grad_value_([with_grad(2)], "1"), TypeError,
     ["clip_grad_value_", "clip_value", "'1'", "float('1')"]),
    ("clip_grad_norm_ of int grads", lambda _: clip_grad_norm_([param(2), int_grad(3)], 1.0), TypeError,
     ["clip_grad_norm_", "parameter 1", "int64", "dtype=p.dtype"]),
    ("clip_grad_value_ of int grads", lambda _: clip_grad_value_([int_grad(3)], 1.5), TypeError,
     ["clip_grad_value_", "parameter 0", "int64", "dtype=p.dtype"]),
    ("clip_grad_norm_ of a dict", lambda _: clip_grad_norm_({"w": with_grad(2)}, 1.0), TypeError,
     ["clip_grad_norm_", "dict", ".values()"]),
    ("clip_grad_norm_ norm_type 'fro'", lambda _: clip_grad_norm_([with_grad(2)], 1.0, norm_type="fro"),
                 ValueError, ["clip_grad_norm_", "norm_type", "'fro'", "inf"]),
    # --- init ------------------------------------------------------------------------------------------
    ("orthogonal_ of a vector", lambda _: init.orthogonal_(param(3)), ValueError,
     ["orthogonal_", "(3,)", "normal_ or zeros_"]),
    ("xavier_uniform_ of a bias", lambda _: init.xavier_uniform_(param(4)), ValueError,
     ["xavier_uniform_", "(4,)", "zeros_"]),
    ("eye_ of 3-D", lambda _: init.eye_(param(2, 2, 2)), ValueError, ["eye_", "(2, 2, 2)", "weight_hh"]),
    ("normal_ negative std", lambda _: init.normal_(param(3), std=-1), ValueError,
     ["normal_", "-1", "standard deviation"]),
    ("uniform_ bounds swapped", lambda _: init.uniform_(param(3), 1.0, 0.0), ValueError,
     ["uniform_", "a=1.0", "b=0.0", "swap"]),
    ("init_weight_hh_ unknown scheme", lambda _: init.init_weight_hh_(param(3, 3), "xavier"), ValueError,
     ["init_weight_hh_", "'xavier'", "orthogonal"]),
    ("init_weight_hh_ gates", lambda _: init.init_weight_hh_(param(3, 3), "orthogonal", gates=4), ValueError,
     ["init_weight_hh_", "(3, 3)", "gates=4", "weight_ih"]),
    ("init_weight_hh_ of a vector", lambda _: init.init_weight_hh_(param(3), "identity"), ValueError,
     ["init_weight_hh_", "(3,)", "(gates*H, H)"]),
    ("init_weight_hh_ scale as text", lambda _: init.init_weight_hh_(param(3, 3), "orthogonal", scale="big"),
     TypeError, ["init_weight_hh_", "scale", "'big'"]),
    ("orthogonal_ gain as text", lambda _: init.orthogonal_(param(3, 3), gain="big"), TypeError,
     ["orthogonal_", "gain", "'big'"]),
    ("scale_to_spectral_radius_ not square", lambda _: init.scale_to_spectral_radius_(param(4, 2), 1.0), ValueError,
     ["scale_to_spectral_radius_", "(4, 2)", "w[:H]"]),
    ("orthogonal_per_gate_ gates", lambda _: init.orthogonal_per_gate_(param(8, 2), 3), ValueError,
     ["orthogonal_per_gate_", "(8, 2)", "num_gates=3", "num_gates=4"]),
    ("orthogonal_ of an ndarray", lambda _: init.orthogonal_(np.ones((3, 3))), TypeError,
     ["orthogonal_", "ndarray", "tinygrad_rnn.tensor"]),
    ("constant_ of text", lambda _: init.constant_(param(2), "x"), TypeError, ["constant_", "val", "'x'"]),
    ("forget_gate_bias_ of a GRUCell", lambda _: init.forget_gate_bias_(nn.GRUCell(3, 4)), TypeError,
     ["forget_gate_bias_", "GRUCell", "no forget gate", "update gate z", "bias_ih[H:2*H]"]),
    ("forget_gate_bias_ of a GRU layer", lambda _: init.forget_gate_bias_(nn.GRU(3, 4)), TypeError,
     ["forget_gate_bias_", "GRU", "no forget gate", "bias_ih_l0"]),
    ("forget_gate_bias_ of an RNN layer", lambda _: init.forget_gate_bias_(nn.RNN(3, 4)), TypeError,
     ["forget_gate_bias_", "RNN", "no gates", "LSTM", "weight_hh_l0"]),
    ("forget_gate_bias_ of the bias itself", lambda _: init.forget_gate_bias_(nn.LSTMCell(3, 4).bias_ih), TypeError,
     ["forget_gate_bias_", "Parameter", "(16,)", "forget_gate_bias_(model.cell)"]),
    ("forget_gate_bias_ without biases", lambda _: init.forget_gate_bias_(nn.LSTMCell(3, 4, bias=False)), ValueError,
     ["forget_gate_bias_", "LSTMCell(3, 4, bias=False)", "no biases", "bias=True"]),
    ("forget_gate_bias_ value True", lambda _: init.forget_gate_bias_(nn.LSTMCell(3, 4), True), TypeError,
     ["forget_gate_bias_", "value", "True", "value=1.0"]),
    ("forget_gate_bias_ value inf", lambda _: init.forget_gate_bias_(nn.LSTM(3, 4), float("inf")), ValueError,
     ["forget_gate_bias_", "inf", "finite", "value=1.0"]),
    # --- saving and loading ----------------------------------------------------------------------------
    ("save a module", lambda tmp: serialization.save(nn.Linear(2, 3), tmp / "m.npz"), TypeError,
     ["save", "Linear", "model.state_dict()"]),
    ("save into a missing folder", lambda tmp: serialization.save({"w": np.ones(2)}, tmp / "no" / "m.npz"),
     FileNotFoundError, ["save", "does not exist", "os.makedirs"]),
    ("load a missing file", lambda tmp: serialization.load(tmp / "nope.npz"), FileNotFoundError,
     ["load", "nope.npz", "check the path"]),
    ("load a text file", load_text_file, ValueError, ["load", "notes.npz", "not an .npz archive", "Fix"]),
    ("save onto a folder", save_into_folder, IsADirectoryError, ["save", "is a folder"]),
    ("save names that collide", lambda tmp: serialization.save({"w.npy": np.ones(1), "w": np.zeros(1)}, tmp / "m.npz"),
     ValueError, ["save", "'w' and 'w.npy'", "silently replace", "rename"]),
    ("save a name with a slash", lambda tmp: serialization.save({"cells/0": np.ones(1)}, tmp / "m.npz"), ValueError,
     ["save", "'cells/0'", "path separator", "'cells.0'"]),
    ("load with max_bytes as text", lambda tmp: serialization.load(tmp / "m.npz", max_bytes="1GB"), TypeError,
     ["load", "max_bytes", "'1GB'", "1024**3"]),
    # --- tasks -----------------------------------------------------------------------------------------
    ("make_task unknown name", lambda _: tasks.make_task("addition", 10), ValueError,
     ["make_task", "'addition'", "adding"]),
    ("make_task option of another task", lambda _: tasks.make_task("adding", 10, n_symbols=3), TypeError,
     ["make_task", "'n_symbols'", "none"]),
    ("copy task too short", lambda _: tasks.make_task("copy", 10), ValueError, ["copy task", "21", "got 10"]),
    ("batch of 0", lambda _: tasks.AddingTask(5).batch(0), ValueError, ["AddingTask.batch", "batch_size", "got 0"]),
    ("rng as text", lambda _: tasks.CopyTask(5).batch(2, rng="0"), TypeError,
     ["CopyTask.batch", "rng", "str", "default_rng"]),
    ("TextTask missing file", lambda tmp: tasks.TextTask(tmp / "missing.txt"), FileNotFoundError,
     ["TextTask", "missing.txt", "existing path"]),
    ("AgreementTask range backwards", lambda _: tasks.AgreementTask((5, 2)), ValueError,
     ["AgreementTask", "(5, 2)", "min <= max"]),
    ("evaluate wrong output size", lambda _: tasks.AddingTask(5).evaluate(np.ones((5, 2, 3)), adding_batch()),
     ValueError, ["evaluate", "(5, 2, 1)", "(5, 2, 3)", "Linear(hidden, 1)"]),
    ("compute_loss wrong steps", lambda _: tasks.AddingTask(5).compute_loss(t(4, 2, 1), adding_batch()),
     ValueError, ["compute_loss", "(5, 2, 1)", "(4, 2, 1)"]),
    ("windows of 0 steps", lambda _: list(adding_batch().windows(0)), ValueError,
     ["windows", "got 0"]),
    ("trivial_metric of a window", lambda _: tasks.AddingTask(5).trivial_metric(adding_batch().window(0, 3)),
     ValueError, ["AddingTask.trivial_metric", "3 steps", "seq_len=5", "whole batch"]),
    ("trivial_metric of arrays", lambda _: tasks.AddingTask(5).trivial_metric(tuple(adding_batch())), TypeError,
     ["AddingTask.trivial_metric", "tuple", "task.batch("]),
    ("step_loss at a step without loss", lambda _: tasks.AddingTask(5).step_loss(t(2, 1), adding_batch(), 0),
     ValueError, ["step_loss", "step 0", "loss_steps"]),
    # --- training ----------------------------------------------------------------------------------------
    ("TBPTT k1 = 0", lambda _: TBPTT(0), ValueError, ["TBPTT", "k1", "got 0", "TBPTT.full"]),
    ("TBPTT k2 < k1", lambda _: TBPTT(5, 3), ValueError, ["TBPTT", "k2", "got 3", "k2 >= 5"]),
    ("TBPTT random with k2", lambda _: TBPTT(5, 8, random=True), ValueError, ["TBPTT", "random=True", "k1 only"]),
    ("TBPTT k2 a bool", lambda _: TBPTT(1, True), ValueError, ["TBPTT", "k2", "got True"]),
    ("TBPTT step_loss None",
     lambda _: list(TBPTT(2).run(step_model(), np.ones((4, 2, 2), np.float32), None)), TypeError,
     ["TBPTT.run", "step_loss(y_t, t)", "window_loss(outputs, start, stop)", "not neither"]),
    ("TBPTT random=seed", lambda _: TBPTT(5, random=3), TypeError,
     ["TBPTT", "random", "got 3", "rng=np.random.default_rng(3)"]),
    ("TBPTT rng a seed", lambda _: TBPTT(5, random=True, rng=7), TypeError,
     ["TBPTT", "rng", "got 7", "np.random.default_rng(7)"]),
    ("TBPTT.run on a sequence layer",
     lambda _: list(TBPTT(2).run(nn.RNN(2, 3), np.ones((4, 2, 2), np.float32), lambda y, s: y.sum())), TypeError,
     ["TBPTT.run", "step(x_t, state)", "RNN", "whole sequences", "SequenceModel"]),
    ("TBPTT.run on a cell",
     lambda _: list(TBPTT(2).run(nn.GRUCell(2, 3), np.ones((4, 2, 2), np.float32), lambda y, s: y.sum())), TypeError,
     ["TBPTT.run", "GRUCell", "new state only", "SequenceModel"]),
    ("TBPTT loss step after the end",
     lambda _: list(TBPTT(2).run(step_model(), np.ones((4, 2, 2), np.float32), lambda y, s: y.sum(), loss_steps=[4])),
     ValueError, ["TBPTT.run", "loss_steps [4]", "T = 4", "[0, 3]"]),
    ("TBPTT loss step -1",
     lambda _: list(TBPTT(2).run(step_model(), np.ones((4, 2, 2), np.float32), lambda y, s: y.sum(),
                                 loss_steps=[-1])), ValueError, ["TBPTT.run", "[-1]", "last step is 3"]),
    ("TBPTT loss_steps one int",
     lambda _: list(TBPTT(2).run(step_model(), np.ones((4, 2, 2), np.float32), lambda y, s: y.sum(), loss_steps=3)),
     TypeError, ["TBPTT.run", "loss_steps", "int", "loss_steps=[3]"]),
    ("TBPTT step_loss returns a float",
     lambda _: list(TBPTT(2).run(step_model(), np.ones((4, 2, 2), np.float32), lambda y, s: 1.0)), TypeError,
     ["TBPTT.run", "float", "t=0", ".item()"]),
    ("TBPTT inputs not an array", lambda _: list(TBPTT(2).run(step_model(), 4, lambda y, s: y.sum())), TypeError,
     ["TBPTT.run", "int", "batch.inputs"]),
    ("SequenceModel unknown cell", lambda _: SequenceModel("transformer", 2, 3, 1), ValueError,
     ["SequenceModel", "'transformer'", "lstm"]),
    ("TrainConfig hidden 0", lambda _: TrainConfig(hidden=0).check(), ValueError, ["train", "hidden", "got 0"]),
    ("TrainConfig tbptt and k1", lambda _: TrainConfig(tbptt=5, k1=3).check(), ValueError,
     ["train", "tbptt", "k1", "not both"]),
    ("TrainConfig unknown cell", lambda _: TrainConfig(cell="cnn").check(), ValueError,
                 ["train", "cell", "'cnn'", "lstm"]),
    ("TrainConfig k2 < k1", lambda _: TrainConfig(k1=5, k2=3).check(), ValueError,
                 ["train", "k2", "k1"]),
    ("SequenceModel forget_bias for a GRU", lambda _: SequenceModel("gru", 2, 3, 1, forget_bias=1.0), ValueError,
     ["SequenceModel", "forget_bias=1.0", "gru", "update gate", "cell='lstm'"]),
    ("TrainConfig forget_bias for an RNN", lambda _: TrainConfig(cell="rnn", forget_bias=1.0).check(), ValueError,
     ["train", "--forget-bias", "'rnn'", "no forget gate", "--cell lstm"]),
    ("TrainConfig forget_bias as text", lambda _: TrainConfig(forget_bias="1").check(), ValueError,
     ["train", "forget-bias", "'1'", "str", "1.0"]),
    ("TrainConfig forget_bias nan", lambda _: TrainConfig(forget_bias=float("nan")).check(), ValueError,
     ["train", "forget-bias", "finite", "nan"]),
    ("train observe not callable", lambda _: train(TINY_TRAIN, observe={"radius": 1.0}), TypeError,
     ["train", "observe", "dict", "lambda model"]),
    ("train observe returns a list", lambda _: train(TINY_TRAIN, observe=lambda m: [1.0]), TypeError,
     ["train", "observe(model)", "list", "iteration 1", "spectral_radius"]),
    ("train observe key clashes", lambda _: train(TINY_TRAIN, observe=lambda m: {"loss": 1.0}), ValueError,
     ["train", "'loss'", "already has", "observed_loss"]),
    ("train observe value as text", lambda _: train(TINY_TRAIN, observe=lambda m: {"radius": "0.9"}), TypeError,
     ["train", "'radius'", "'0.9'", "str", "float("]),
    ("train observe key not a str", lambda _: train(TINY_TRAIN, observe=lambda m: {1: 0.5}), TypeError,
     ["train", "key 1", "int", "str"]),
    ("train observe value nan", lambda _: train(TINY_TRAIN, observe=lambda m: {"radius": float("nan")}),
     ValueError, ["train", "'radius'", "nan", "finite"]),
    ("TrainConfig tbptt 0", lambda _: TrainConfig(tbptt=0).check(), ValueError,
     ["train", "tbptt (--tbptt)", "got 0", "full BPTT"]),
    ("TrainConfig k1 0 with k2", lambda _: TrainConfig(k1=0, k2=5).check(), ValueError, ["train", "k1 (--k1)", "got 0"]),
    ("TrainConfig lr as text", lambda _: TrainConfig(lr="0.1").check(), ValueError,
     ["train", "lr (--lr)", "'0.1' (str)", "lr=0.1"]),
    ("TrainConfig hidden True", lambda _: TrainConfig(hidden=True).check(), ValueError,
     ["train", "hidden (--hidden)", "True (bool)", "hidden=32"]),
    ("TrainConfig clip inf", lambda _: TrainConfig(clip=float("inf")).check(), ValueError,
     ["train", "clip (--clip)", "inf", "clip=None"]),
    ("TrainConfig eval_batch 0", lambda _: TrainConfig(eval_batch=0).check(), ValueError,
     ["train", "eval_batch", "got 0", "eval_batch=256"]),
    ("train evaluate window 0", lambda _: evaluate(step_model(), tasks.AddingTask(5), adding_batch(), window=0),
     ValueError, ["evaluate", "window", "got 0", "window=1000"]),
    # --- analysis ----------------------------------------------------------------------------------------
    ("spectrum not square", lambda _: analysis.spectrum(np.ones((2, 3))), ValueError,
     ["spectrum", "(2, 3)", "one gate's H x H block"]),
    ("spectrum of text", lambda _: analysis.spectrum("1 1; 1 1"), ValueError, ["spectrum", "str", "np.array"]),
    ("spectrum with nan", lambda _: analysis.spectrum(np.array([[np.nan, 1.0], [1.0, 1.0]])), ValueError,
     ["spectrum", "nan", "Fix"]),
    ("eigvals of a vector", lambda _: analysis.eigvals(np.ones(3)), ValueError, ["eigvals", "(3,)", "weight_hh"]),
    ("pascanu_condition activation", lambda _: analysis.pascanu_condition(np.eye(2), "gelu"), ValueError,
     ["pascanu_condition", "'gelu'", "tanh"]),
    ("power_norms negative", lambda _: analysis.power_norms(np.eye(2), -1), ValueError,
     ["power_norms", "k_max", "-1"]),
    ("unroll unknown cell", lambda _: analysis.unroll("cnn"), ValueError, ["unroll", "'cnn'", "gru"]),
    ("unroll zero steps", lambda _: analysis.unroll("rnn", steps=0), ValueError, ["unroll", "steps", "got 0"]),
    ("unroll cut after the end", lambda _: analysis.unroll("rnn", steps=3, cut_at=3), ValueError,
     ["unroll", "cut_at", "steps - 1 = 2", "got 3"]),
    ("unroll LSTM with relu", lambda _: analysis.unroll("lstm", nonlinearity="relu"), ValueError,
     ["unroll", "LSTM", "rnn cell only"]),
    ("gradient_flow unknown init", lambda _: analysis.gradient_flow(init="xavier"), ValueError,
     ["unroll", "'xavier'", "orthogonal"]),
    ("compare_gradient_flow misspelt option", lambda _: analysis.compare_gradient_flow([dict(cel="rnn")]), TypeError,
     ["compare_gradient_flow", "'cel'", "cell"]),
    ("jacobian_between 3-D", lambda _: analysis.jacobian_between(t(2, 3, 4), t(3)), ValueError,
     ["jacobian_between", "(2, 3, 4)", "(batch, H)"]),
    ("jacobian_products mixed sizes", lambda _: analysis.jacobian_products([np.eye(2), np.eye(3)]), ValueError,
     ["jacobian_products", "(2, 2)", "(3, 3)"]),
    ("spectral_norm of a vector", lambda _: analysis.spectral_norm(np.ones(3)), ValueError,
     ["spectral_norm", "(3,)", "np.linalg.norm"]),
    ("activation_derivative unknown", lambda _: analysis.activation_derivative(np.ones(2), "gelu"), ValueError,
     ["activation_derivative", "'gelu'", "'linear'"]),
    ("all_gradients of an ndarray", lambda _: analysis.all_gradients(np.ones(2)), TypeError,
     ["all_gradients", "ndarray", ".item()"]),
    ("all_gradients after backward", lambda _: _after_backward(analysis.all_gradients), tg.GraphFreedError,
     ["all_gradients:", "before loss.backward()", "retain_graph=True"]),
    ("grad_norms of one tensor", lambda _: analysis.grad_norms(t(2)), TypeError,
     ["grad_norms", "one Tensor", "grad_norms([x])"]),
    ("format_table quantity", lambda _: analysis.format_table([], "norms"), ValueError,
     ["format_table", "'norms'", "grad_norms"]),
    ("plot_gradient_flow quantity", lambda _: analysis.plot_gradient_flow([], quantity="norms"), ValueError,
     ["plot_gradient_flow", "'norms'", "both"]),
    # --- drawings ----------------------------------------------------------------------------------------
    ("draw_graph detail", lambda _: viz.draw_graph(t(2).sum(), detail="full"), ValueError,
     ["draw_graph", "'full'", "ops, cells, rolled"]),
    ("draw_graph of an ndarray", lambda _: viz.draw_graph(np.ones(2)), TypeError,
     ["draw_graph", "ndarray", "loss tensor"]),
    ("draw_graph rolled without a recurrence", lambda _: rolled_without_recurrence(), ValueError,
     ["draw_graph(detail='rolled')", "h_1, h_2"]),
    ("render unknown format", lambda tmp: viz.render(viz.draw_graph(t(2).sum()), tmp / "a.jpg"), ValueError,
     ["render", "'a.jpg'", ".svg"]),
    ("render into a missing folder", lambda tmp: viz.render(viz.draw_graph(t(2).sum()), tmp / "no" / "a.dot"),
     FileNotFoundError, ["render", "does not exist", "os.makedirs"]),
    ("render DOT text", lambda tmp: viz.render("digraph {}", tmp / "a.dot"), TypeError,
     ["render", "str", "draw_graph"]),
    ("GradientScale low > high", lambda _: viz.GradientScale(1, 0.1), ValueError,
     ["GradientScale", "low=1", "high=0.1"]),
    # --- the exercises' grader -----------------------------------------------------------------------------
    ("find unknown exercise", lambda _: exercises.find("ex99"), exercises.UnknownExercise,
     ["no exercise called 'ex99'", "ex01"]),
    ("grade by a bad name", lambda tmp: exercises.grade(2.5, tmp / "ex.py"), ValueError, ["2.5", "ex14"]),
    ("load_module missing file", lambda tmp: exercises.load_module(tmp / "missing.py"), FileNotFoundError,
     ["load_module", "missing.py", "Fix"]),
    # --- a shape mismatch inside `with time_step(t):` names the step -----------------------------------------
    ("matmul in time step 3", lambda _: in_tagged_step(), ValueError, ["matmul", "time step 3", ".T"]),
    # --- input validation: data a tensor can't hold (complex, object, text ...) -----------------------------
    ("object ndarray into a cell", lambda _: nn.RNNCell(3, 4)(np.array([[1.0, None, 2.0]] * 2, dtype=object)),
     TypeError, ["RNNCell", "object", "np.asarray(x, dtype=np.float32)"]),
    ("complex ndarray into a cell", lambda _: nn.GRUCell(3, 4)(np.ones((2, 3), dtype=complex)), TypeError,
     ["GRUCell", "complex128", "x.real"]),
    ("str ndarray into a cell", lambda _: nn.LSTMCell(3, 4)(np.array([["1", "2", "3"]])), TypeError,
     ["LSTMCell", "<U1", "str", "np.asarray"]),
    ("complex ndarray into tensor()", lambda _: tg.tensor(np.array([1 + 2j])), TypeError,
     ["Tensor", "complex128", "x.real"]),
    ("object ndarray into Tensor()", lambda _: tg.Tensor(np.array([None, 1.0], dtype=object)), TypeError,
     ["Tensor", "object", "np.float32"]),
    ("bytes ndarray into tensor()", lambda _: tg.tensor(np.array([b"1"])), TypeError, ["Tensor", "bytes", "np.asarray"]),
    ("structured ndarray into tensor()", lambda _: tg.tensor(np.zeros(2, dtype=[("value", "f4")])), TypeError,
     ["Tensor", "structured", "x['value']"]),
    ("list of str into tensor()", lambda _: tg.tensor(["1", "2"]), TypeError, ["Tensor", "str", "np.asarray"]),
    ("tensor() with a complex dtype", lambda _: tg.tensor([1.0], dtype=np.complex64), TypeError,
     ["Tensor", "complex64", "dtype=np.float32"]),
    ("ragged nested list", lambda _: tg.tensor([[1, 2], [3]]), ValueError, ["Tensor", "[[1, 2], [3]]", "pad"]),
    ("complex number in an op", lambda _: t(2) + 1j, TypeError, ["add", "complex", "x.real"]),
    ("complex ndarray in an op", lambda _: t(2) * np.ones(2, dtype=complex), TypeError, ["mul", "complex128", "x.real"]),
    ("complex state into a cell", lambda _: nn.RNNCell(3, 4)(t(2, 3), np.ones((2, 4), dtype=complex)), TypeError,
     ["RNNCell", "h has dtype complex128", "x.real"]),
    ("object state into a cell", lambda _: nn.RNNCell(3, 4)(t(2, 3), np.full((2, 4), None)), TypeError,
     ["RNNCell", "h has dtype object", "np.float32"]),
    ("complex input to Linear", lambda _: nn.Linear(2, 3)(np.ones((1, 2), dtype=complex)), TypeError,
     ["Linear", "complex128", "x.real"]),
    ("dict input to Linear", lambda _: nn.Linear(2, 3)({"x": 1}), TypeError, ["Linear", "dict", "tinygrad_rnn.tensor(x)"]),
    ("to(complex)", lambda _: t(2).to(np.complex128), TypeError, ["to", "complex128", "np.float32"]),
    ("to(None)", lambda _: t(2).to(None), TypeError, ["to", "None", "np.float32"]),
    ("to an unknown dtype", lambda _: t(2).to("floaty"), TypeError, ["to", "'floaty'", "np.float32"]),
    ("zeros with an unknown dtype", lambda _: tg.zeros(2, dtype="float33"), TypeError, ["zeros", "'float33'", "np.float32"]),
    ("backward with a complex gradient", lambda _: (param(2) * 2).backward(np.ones(2, dtype=complex)), TypeError,
     ["backward", "complex128", "x.real"]),
    # --- input validation: comparisons -------------------------------------------------------------------
    ("< on shapes that don't broadcast", lambda _: t(2, 3) < t(4), ValueError, ["lt", "(2, 3)", "(4,)", "unsqueeze"]),
    ("== on shapes that don't broadcast", lambda _: t(3) == t(2), ValueError, ["eq", "(3,)", "(2,)", "reshape"]),
    ("> against text", lambda _: t(2) > "a", TypeError, ["gt", "'a' (str)", "compare with a number"]),
    ("!= against complex", lambda _: t(2) != np.array([1j, 2]), TypeError, ["ne", "complex128", "x.real"]),
    # --- input validation: optimizers' hyperparameters -------------------------------------------------------
    ("SGD lr as text", lambda _: optim.SGD([param(2)], lr="0.1"), ValueError, ["SGD", "lr='0.1'", "str", "lr=0.01"]),
    ("SGD lr True", lambda _: optim.SGD([param(2)], lr=True), ValueError, ["SGD", "lr=True", "bool", "lr=0.01"]),
    ("SGD lr inf", lambda _: optim.SGD([param(2)], lr=float("inf")), ValueError, ["SGD", "lr=inf", "finite", "lr=0.01"]),
    ("SGD lr None", lambda _: optim.SGD([param(2)], lr=None), ValueError, ["SGD", "lr=None", "NoneType"]),
    ("SGD momentum 1", lambda _: optim.SGD([param(2)], lr=0.1, momentum=1.0), ValueError,
     ["SGD", "momentum=1.0", "[0, 1)", "momentum=0.9"]),
    ("SGD negative momentum", lambda _: optim.SGD([param(2)], lr=0.1, momentum=-0.5), ValueError,
     ["SGD", "momentum=-0.5", "[0, 1)"]),
    ("SGD momentum as text", lambda _: optim.SGD([param(2)], lr=0.1, momentum="0.9"), ValueError,
     ["SGD", "momentum='0.9'", "str", "momentum=0.9"]),
    ("SGD negative weight_decay", lambda _: optim.SGD([param(2)], lr=0.1, weight_decay=-1), ValueError,
     ["SGD", "weight_decay=-1", ">= 0", "weight_decay=0"]),
    ("SGD dampening 2", lambda _: optim.SGD([param(2)], lr=0.1, dampening=2), ValueError,
     ["SGD", "dampening=2", "[0, 1]"]),
    ("SGD nesterov as text", lambda _: optim.SGD([param(2)], lr=0.1, momentum=0.9, nesterov="yes"), TypeError,
     ["SGD", "nesterov", "'yes'", "nesterov=True"]),
    ("SGD group lr as text", lambda _: optim.SGD([{"params": [param(2)], "lr": "1"}], lr=0.1), ValueError,
     ["SGD", "lr='1'", "str"]),
    ("Adam negative eps", lambda _: optim.Adam([param(2)], eps=-1e-8), ValueError, ["Adam", "eps=-1e-08", ">= 0", "eps=1e-08"]),
    ("Adam lr nan", lambda _: optim.Adam([param(2)], lr=float("nan")), ValueError, ["Adam", "lr=nan", "finite"]),
    ("Adam beta True", lambda _: optim.Adam([param(2)], betas=(True, 0.999)), ValueError,
     ["Adam", "index 0", "True", "[0, 1)"]),
    ("Adam amsgrad as text", lambda _: optim.Adam([param(2)], amsgrad="no"), TypeError,
     ["Adam", "amsgrad", "'no'", "amsgrad=False"]),
    ("Adagrad negative lr_decay", lambda _: optim.Adagrad([param(2)], lr_decay=-0.1), ValueError,
     ["Adagrad", "lr_decay=-0.1", ">= 0", "lr_decay=0"]),
    ("Adagrad accumulator as text", lambda _: optim.Adagrad([param(2)], initial_accumulator_value="0"), ValueError,
     ["Adagrad", "initial_accumulator_value='0'", "str"]),
    ("Adagrad lr as a list", lambda _: optim.Adagrad([param(2)], lr=[0.1]), ValueError, ["Adagrad", "lr=[0.1]", "list"]),
    # --- input validation: optimizer.step() and each .grad -----------------------------------------------------
    ("step with a grad of another shape", lambda _: stepped(optim.SGD, np.ones(1)), ValueError,
     ["SGD.step", "parameter 0", "(1,)", "(3,)", "broadcast"]),
    ("step with a list grad", lambda _: stepped(optim.Adam, [1.0, 1.0, 1.0]), TypeError,
     ["Adam.step", "parameter 0", "list", "np.zeros(p.shape"]),
    ("step with an int grad", lambda _: stepped(optim.Adagrad, np.ones(3, dtype=np.int64)), TypeError,
     ["Adagrad.step", "int64", "astype(p.dtype)"]),
    ("step names the parameter", lambda _: stepped(optim.SGD, np.ones((3, 1)), name="w"), ValueError,
     ["SGD.step", "'w'", "(3, 1)", "(3,)"]),
    # --- input validation: Tensor methods' dims and sizes ----------------------------------------------------
    ("argmax dim out of range", lambda _: t(2, 3).argmax(dim=5), IndexError,
     ["argmax", "dim 5", "2 dimension(s)", "[-2, 1]"]),
    ("argmax dim as text", lambda _: t(2, 3).argmax(dim="0"), TypeError, ["argmax", "'0' (str)", "dim=0"]),
    ("argmax of an empty tensor", lambda _: t(0).argmax(), ValueError, ["argmax", "(0,)", "empty", "Fix"]),
    ("split dim out of range", lambda _: t(2, 3).split(1, dim=4), IndexError, ["split", "dim 4", "[-2, 1]"]),
    ("split size as a float", lambda _: t(4).split(2.0), TypeError, ["split", "2.0", "split(2)"]),
    ("split negative section", lambda _: t(4).split([5, -1]), ValueError, ["split", "section size", "-1", ">= 0"]),
    ("split of a 0-d tensor", lambda _: t().split(1), ValueError, ["split", "0-d", "reshape(1)"]),
    ("chunk 0", lambda _: t(4).chunk(0), ValueError, ["chunk", "chunks", "got 0", "chunks=2"]),
    ("chunk as a float", lambda _: t(4).chunk(2.0), TypeError, ["chunk", "chunks", "2.0", "chunks=2"]),
    ("chunk dim out of range", lambda _: t(4, 2).chunk(2, dim=3), IndexError, ["chunk", "dim 3", "[-2, 1]"]),
    ("max dim as text", lambda _: t(2, 3).max(dim="a"), TypeError, ["max", "'a' (str)", "amax"]),
    ("sum dim as a float", lambda _: t(2, 3).sum(dim=1.0), TypeError, ["sum", "1.0 (float)", "dim=0"]),
    ("mean dim as text", lambda _: t(2, 3).mean(dim="rows"), TypeError, ["mean", "'rows' (str)", "dim=-1"]),
    ("size dim out of range", lambda _: t(2, 3).size(3), IndexError, ["size", "dim 3", "[-2, 1]"]),
    ("unsqueeze dim as text", lambda _: t(2).unsqueeze("0"), TypeError, ["unsqueeze", "'0' (str)", "unsqueeze(0)"]),
    ("squeeze dim as text", lambda _: t(2, 1).squeeze("1"), TypeError, ["squeeze", "'1' (str)", "dim=-1"]),
    ("permute with a float", lambda _: t(2, 3).permute(1.0, 0), TypeError, ["permute", "1.0 (float)", "permute(1, 0)"]),
    ("transpose dim None", lambda _: t(2, 3).transpose(None, 1), TypeError, ["transpose", "None", "dim=0"]),
    ("unbind dim out of range", lambda _: t(2, 3).unbind(2), IndexError, ["unbind", "dim 2", "[-2, 1]"]),
    ("pow exponent as text", lambda _: t(2) ** "2", TypeError, ["pow", "exponent='2'", "str", "exponent=2"]),
    ("clamp min as text", lambda _: t(2).clamp(min="0"), TypeError, ["clamp", "min='0'", "min=0.0"]),
    # --- input validation: creation functions ----------------------------------------------------------------
    ("randn negative size", lambda _: tg.randn(-1), ValueError, ["randn", "-1", ">= 0", "randn(2, 3)"]),
    ("zeros float size", lambda _: tg.zeros(2.5), TypeError, ["zeros", "2.5", "whole numbers"]),
    ("zeros whole float size", lambda _: tg.zeros(2, 3.0), TypeError, ["zeros", "size[1]", "3.0", "pass 3"]),
    ("ones size as text", lambda _: tg.ones("3"), TypeError, ["ones", "'3' (str)", "ones(2, 3)"]),
    ("rand size None", lambda _: tg.rand(2, None), TypeError, ["rand", "None", "rand((2, 3))"]),
    ("arange step 0", lambda _: tg.arange(0, 10, 0), ValueError, ["arange", "step", "0", "step=1"]),
    ("arange end as text", lambda _: tg.arange(0, "10"), TypeError, ["arange", "end='10'", "str", "end=10"]),
    ("arange start nan", lambda _: tg.arange(float("nan"), 3), ValueError, ["arange", "start=nan", "finite", "start=0"]),
    ("eye negative n", lambda _: tg.eye(-2), ValueError, ["eye", "n", "-2", "n=3"]),
    ("eye float n", lambda _: tg.eye(2.0), TypeError, ["eye", "2.0", "n=2"]),
    ("full fill_value as text", lambda _: tg.full((2,), "1"), TypeError, ["full", "fill_value='1'", "fill_value=0.0"]),
    ("full negative size", lambda _: tg.full(-1, 0.0), ValueError, ["full", "-1", ">= 0"]),
    ("randn generator as int", lambda _: tg.randn(2, generator=0), TypeError, ["randn", "generator", "default_rng(0)"]),
    ("manual_seed negative", lambda _: tg.manual_seed(-1), ValueError, ["manual_seed", "seed", "-1", "seed=0"]),
    ("manual_seed as text", lambda _: tg.manual_seed("0"), TypeError, ["manual_seed", "'0' (str)", "seed=0"]),
    ("cat dim as text", lambda _: tg.cat([t(2), t(2)], dim="0"), TypeError, ["cat", "'0' (str)", "dim=0"]),
    ("stack dim out of range", lambda _: tg.stack([t(2, 3), t(2, 3)], dim=3), IndexError, ["stack", "dim 3", "[-3, 2]"]),
    ("cat of one tensor", lambda _: tg.cat(t(2, 3)), TypeError, ["cat", "Tensor", "cat([a, b], dim=0)"]),
    # --- input validation: the right fix for a dtype ---------------------------------------------------------
    ("float16 input, float32 Linear", lambda _: nn.Linear(2, 3)(t(1, 2, dtype=np.float16)), TypeError,
     ["Linear", "float16", "float32", "x.float()", "x.astype(np.float32)"]),
    ("float16 input, float32 cell", lambda _: nn.GRUCell(3, 4)(t(2, 3, dtype=np.float16)), TypeError,
     ["GRUCell", "float16", "x.float()"]),
    ("load_state_dict int64 weights",
     lambda _: nn.Linear(2, 3).load_state_dict(linear_state(weight=np.ones((3, 2), np.int64))), ValueError,
     ["load_state_dict", "int64", "astype(np.float32)"]),
    ("load_state_dict float16 weights",
     lambda _: nn.Linear(2, 3).load_state_dict(linear_state(bias=np.ones(3, np.float16))), ValueError,
     ["load_state_dict", "'bias'", "float16", "astype(np.float32)"]),
    # --- input validation: layer constructors ----------------------------------------------------------------
    ("Linear float out_features", lambda _: nn.Linear(2, 3.0), TypeError, ["Linear", "out_features", "3.0", "out_features=3"]),
    ("Embedding num_embeddings as text", lambda _: nn.Embedding("10", 2), TypeError,
     ["Embedding", "num_embeddings", "'10'", "int("]),
    ("LSTMCell input_size True", lambda _: nn.LSTMCell(True, 4), TypeError, ["LSTMCell", "input_size", "True", "int("]),
]


def stepped(make, grad, name=None):
    """One ``make([p], lr=0.1).step()`` over a (3,) parameter whose ``.grad`` is ``grad`` (input validation rows)."""
    p = param(3)
    p.name = name
    p.grad = grad
    make([p], lr=0.1).step()


def _row_id(row):
    return row.values[0] if hasattr(row, "values") else row[0]


@pytest.mark.parametrize("name, call, error, fragments", ROWS, ids=[_row_id(r) for r in ROWS])
def test_the_message_names_the_problem(name, call, error, fragments, tmp_path):
    with pytest.raises(error) as info:
        call(tmp_path)
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{name}: {missing} not in the message: {message}"
    assert type(info.value).__module__.split(".")[0] in ("builtins", "tinygrad_rnn"), \
        f"a {type(info.value).__module__}.{type(info.value).__name__} escaped: {message}"


def test_the_table_has_at_least_40_distinct_mistakes():
    ids = [_row_id(r) for r in ROWS]
    assert len(set(ids)) == len(ids) >= 40


@pytest.mark.parametrize("make", [
    lambda: nn.LSTMCell(3, 4)(t(2, 3), t(2, 4)),
    lambda: nn.RNN(3, 4)(t(5, 2, 2)),
    lambda: init.init_weight_hh_(param(3), "identity"),
    lambda: analysis.spectrum("1 1; 1 1"),
    lambda: F.log_softmax(t(2, 3), dim=2),
], ids=["LSTMCell state", "RNN input", "init_weight_hh_ 1-D", "spectrum str", "log_softmax dim"])
def test_nothing_is_chained_onto_the_message(make):
    """One message, not the library's on top of NumPy's: no exception is chained to it."""
    with pytest.raises((ValueError, TypeError, IndexError)) as info:
        make()
    assert info.value.__cause__ is None and (info.value.__suppress_context__ or info.value.__context__ is None)


def test_a_rejected_state_dict_changes_nothing():
    layer = nn.Linear(2, 3)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    bad = linear_state(weight=np.zeros((3, 2), np.float32), extra=np.ones(1))     # one good entry, one bad
    with pytest.raises(ValueError):
        layer.load_state_dict(bad)
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
