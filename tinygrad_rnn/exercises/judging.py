"""Judging out of the learner's process: the child computes the learner's outputs and sends values
only; the grader runs the check and compares.

In the child, a check runs with a ``Recorder``: every call into the learner's code (a function from
``get``, a method of a class from ``own_function``) is run and recorded as an event — the call's name,
a digest of its arguments, the result (or the exception it raised) and the arrays it changed in place,
as values (``encode``: JSON of numbers, strings, lists and arrays; never pickle). What the check
concludes in the child does not count.

In the grader, the same check runs again with a ``Replayer``: each call into the learner's code is
answered from the next event, after checking that it is the same call with the same arguments (the
checks are deterministic); the results are rebuilt from values (``decode`` validates everything), and
the check compares them with what it computes itself. The learner's code never runs in the grader, and
nothing it does in its own process (forging records, replacing the checks' code, patching NumPy,
reading the check's frames) changes the comparison: at most it changes its outputs, which are then
judged like any others. Events that don't fit the grader's own run make the check an error
(``Mismatch``), never a pass.

A learner's function from Tensors to Tensors (ex06, ex13) also sends, for each output, its Jacobian
with respect to each input Tensor, measured through the graph its code built; in the grader its
outputs are rebuilt as one op whose backward multiplies by those Jacobians, so the checks' gradients
flow as they did in the child.

A Tensor of the graphs the check passed in (ex04's ``topological_order`` returns them) is sent as its
number in ``graph_nodes``, the same in both processes.

``JUDGED_OUTSIDE``: the exercises judged this way; ex12, whose learner code drives the check's model
and optimizer, is still judged in the child.
"""
import base64
import builtins
import hashlib
import json
import traceback
from pathlib import Path

import numpy as np

#: the exercises whose checks are judged in the grader (see the module docstring)
JUDGED_OUTSIDE = {"ex01_central_difference", "ex02_mul_backward", "ex03_matmul_backward", "ex04_topological_sort",
                  "ex05_tanh_sigmoid",
                  "ex06_rnn_step", "ex07_bptt_by_hand", "ex08_hidden_jacobian", "ex09_eigenvalues_2x2",
                  "ex10_orthogonal_init", "ex11_clip_grad", "ex13_lstm_cell", "ex14_cell_state_path"}

_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
           "float64", "complex64", "complex128"}
MAX_EVENTS, MAX_ARRAY = 10000, 10**7


class Mismatch(Exception):
    """The child's events don't fit the grader's run of the check: its results can't be trusted."""


class _Opaque:
    """A value of a type that is not sent (an object of the learner's): only its type name and repr."""

    def __init__(self, kind: str, text: str):
        self.kind, self.text = kind, text

    def __repr__(self):
        return self.text


# --- values -----------------------------------------------------------------------------------------

def encode(value, args: tuple = (), depth: int = 0, nodes: dict | None = None):
    """``value`` as JSON-ready data; an argument returned as itself is sent as a reference to it, and a
    Tensor of the arguments' graphs (``nodes``: id -> its number in ``graph_nodes``) as its number."""
    from ..core import Tensor
    if nodes and isinstance(value, Tensor) and id(value) in nodes:
        return {"node": nodes[id(value)]}
    for i, arg in enumerate(args):
        if value is arg and isinstance(value, (np.ndarray, list, dict)) and args:
            return {"arg": i}
    if depth > 20:
        return {"opaque": "deep", "repr": "a value nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) in (float, np.float64):
        return {"float": repr(float(value))}
    if type(value) is complex:
        return {"complex": [repr(value.real), repr(value.imag)]}
    if isinstance(value, np.generic) and value.dtype.name in _DTYPES:
        return {"scalar": value.dtype.name, "data": base64.b64encode(np.asarray(value).tobytes()).decode()}
    if type(value) is np.ndarray and value.dtype.name in _DTYPES:
        data = np.ascontiguousarray(value)
        return {"array": value.dtype.name, "shape": list(value.shape), "data": base64.b64encode(data.tobytes()).decode()}
    if type(value) in (list, tuple):
        return {"list" if type(value) is list else "tuple": [encode(v, args, depth + 1, nodes) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": [[k, encode(v, args, depth + 1, nodes)] for k, v in value.items()]}
    if isinstance(value, Tensor):
        return {"tensor": encode(np.array(value.data), (), depth + 1), "requires_grad": bool(value.requires_grad)}
    try:
        text = repr(value)[:200]
    except Exception:                           # noqa: BLE001 - a learner's object whose repr fails
        text = "?"
    return {"opaque": type(value).__name__[:80], "repr": text}


def _number(text) -> float:
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("not a number")
    return float(text)


def decode(data, args: tuple = (), nodes: list | None = None):
    """The value ``encode`` sent, rebuilt and validated (a ValueError for anything else)."""
    from ..core import Tensor
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is not dict or len(data) > 3:
        raise ValueError("not a value")
    if "node" in data:
        index = data["node"]
        if type(index) is not int or not nodes or not 0 <= index < len(nodes):
            raise ValueError("a bad reference to a tensor of the graph")
        return nodes[index]
    if "arg" in data:
        index = data["arg"]
        if type(index) is not int or not 0 <= index < len(args):
            raise ValueError("a bad argument reference")
        return args[index]
    if "float" in data:
        return _number(data["float"])
    if "complex" in data:
        re, im = data["complex"]
        return complex(_number(re), _number(im))
    if "scalar" in data or "array" in data:
        dtype = data.get("scalar", data.get("array"))
        if dtype not in _DTYPES or not isinstance(data.get("data"), str):
            raise ValueError("a bad array")
        shape = () if "scalar" in data else data.get("shape")
        if type(shape) is not list or len(shape) > 8 or not all(type(n) is int and 0 <= n <= MAX_ARRAY for n in shape):
            raise ValueError("a bad shape")
        raw = base64.b64decode(data["data"], validate=True)
        count = int(np.prod(shape)) if shape else 1
        if count > MAX_ARRAY or len(raw) != count * np.dtype(dtype).itemsize:
            raise ValueError("an array whose size does not match its shape")
        array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        return array[()] if "scalar" in data else array
    if "list" in data or "tuple" in data:
        items = data.get("list", data.get("tuple"))
        if type(items) is not list:
            raise ValueError("a bad list")
        values = [decode(v, args, nodes) for v in items]
        return values if "list" in data else tuple(values)
    if "dict" in data:
        items = data["dict"]
        if type(items) is not list or not all(type(i) is list and len(i) == 2 and type(i[0]) is str for i in items):
            raise ValueError("a bad dict")
        return {k: decode(v, args, nodes) for k, v in items}
    if "tensor" in data:
        array = decode(data["tensor"])
        if type(array) is not np.ndarray:
            raise ValueError("a bad tensor")
        return Tensor(array, requires_grad=bool(data.get("requires_grad")))
    if "opaque" in data:
        return _Opaque(str(data["opaque"])[:80], str(data.get("repr", ""))[:200])
    raise ValueError("not a value")


def graph_nodes(args: tuple) -> list:
    """Every Tensor of the graphs below the Tensor arguments, in a fixed order (depth first, inputs in
    order): the same in the child and in the grader, whose checks build the same graphs."""
    from ..core import Tensor
    found, seen = [], set()
    stack = [a for a in reversed(args) if isinstance(a, Tensor)]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        found.append(t)
        ctx = getattr(t, "_ctx", None)
        if ctx is not None:
            stack += [p for p in reversed(ctx.parents) if isinstance(p, Tensor)]
        if len(found) > 100000:
            break
    return found


def _digest(args: tuple, kwargs: dict) -> str:
    """What identifies a call's arguments: callables by name only, and numbers in single precision (the
    grader's BLAS may sum in another order than the child's)."""
    def plain(value):
        if callable(value) and not isinstance(value, np.ndarray):
            return {"callable": getattr(value, "__qualname__", type(value).__name__)}
        if type(value) in (list, tuple):
            return [plain(v) for v in value]
        if type(value) in (float, np.float64):
            return {"float": repr(float(np.float32(value)))}
        if type(value) is np.ndarray and value.dtype.kind in "fc":
            return encode(value.astype(np.complex64 if value.dtype.kind == "c" else np.float32))
        return encode(value)
    text = json.dumps([[plain(a) for a in args], {k: plain(v) for k, v in sorted(kwargs.items())}],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _arrays_in(args: tuple) -> list:
    """[(place, array)] for the arrays among the arguments and in lists or tuples among them: what a call
    may change in place. A place is [i] or [i, j]."""
    found = []
    for i, arg in enumerate(args):
        if type(arg) is np.ndarray:
            found.append(([i], arg))
        elif type(arg) in (list, tuple):
            found += [([i, j], a) for j, a in enumerate(arg) if type(a) is np.ndarray]
    return found


def _at(args: tuple, place):
    if type(place) is not list or not 1 <= len(place) <= 2 or not all(type(i) is int for i in place):
        raise ValueError("a bad place")
    value = args[place[0]]
    return value[place[1]] if len(place) == 2 else value


# --- the child: recording ---------------------------------------------------------------------------

class Recorder:
    """In the child: runs the learner's calls and records them (``events``)."""

    def __init__(self, path):
        self.path, self.events = Path(path), []

    def note(self, kind: str, name: str, **fields) -> None:
        self.events.append({"kind": kind, "name": name, **fields})

    def call(self, name: str, fn, args: tuple, kwargs: dict):
        digest = _digest(args, kwargs)
        arrays = [(place, a.copy()) for place, a in _arrays_in(args)]
        nodes = {id(t): k for k, t in enumerate(graph_nodes(args))}
        try:
            result = fn(*args, **kwargs)
        except BaseException as err:            # noqa: BLE001 - recorded, then raised on in the child
            from .checking import _where_in
            self.note("call", name, digest=digest, raised={
                "type": type(err).__name__[:80], "message": str(err)[:4000],
                "base": next(b.__name__ for b in type(err).__mro__ if b.__module__ == "builtins"),
                "where": _where_in(self.path, err.__traceback__)[:400],
                "traceback": "".join(traceback.format_exception(type(err), err, err.__traceback__))[-8000:]})
            raise
        changed = [[place, encode(_at(args, place))] for place, before in arrays
                   if before.shape != _at(args, place).shape
                   or not np.array_equal(before, _at(args, place), equal_nan=True)]
        extra = {}
        outs = _outputs(result)
        table = None if outs is None or any(id(o) in nodes for o in outs) else _jacobians(result, args)
        if table is not None:
            extra["jacobians"] = table
        self.note("call", name, digest=digest, result=encode(result, args, nodes=nodes), changed=changed, **extra)
        return result


def _outputs(result):
    """The Tensors a learner's function returned (one, or a tuple of them), or None."""
    from ..core import Tensor
    if isinstance(result, Tensor):
        return [result]
    if type(result) in (tuple, list) and result and all(isinstance(o, Tensor) for o in result):
        return list(result)
    return None


def _jacobians(result, args):
    """For a learner's function from Tensors to Tensors: for each output, [[argument index, d output /
    d argument as an (output size, argument size) array], ...] through the graph the learner's code
    built (one backward pass per output entry), so that the grader can send any gradient back through
    it. None when nothing of the kind was returned."""
    from ..core import Tensor
    outs = _outputs(result)
    inputs = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if outs is None or not inputs or sum(o.data.size for o in outs) > 4096:
        return None
    saved = [a.grad for _, a in inputs]
    table = []
    try:
        for out in outs:
            if not out.requires_grad:
                table.append(None)
                continue
            rows, reached = {i: np.zeros((out.data.size, a.data.size)) for i, a in inputs}, set()
            for entry in range(out.data.size):
                for _, a in inputs:
                    a.grad = None
                seed = np.zeros(out.data.shape)
                seed.flat[entry] = 1.0
                out.backward(seed, retain_graph=True)
                for i, a in inputs:
                    if a.grad is not None:
                        rows[i][entry] = np.asarray(a.grad, dtype=np.float64).ravel()
                        reached.add(i)
            table.append([[i, encode(rows[i])] for i in sorted(reached)])
    except Exception:                           # noqa: BLE001 - the learner's graph can't go backward
        table = None
    finally:
        for (_, a), grad in zip(inputs, saved):
            a.grad = grad
    return table


# --- the grader: replaying ----------------------------------------------------------------------------

_BUILTIN_ERRORS = {name: getattr(builtins, name)
                   for name in ("Exception", "ArithmeticError", "AssertionError", "AttributeError", "IndexError",
                                "KeyError", "LookupError", "NameError", "NotImplementedError", "RuntimeError",
                                "TypeError", "ValueError", "ZeroDivisionError", "OverflowError", "MemoryError",
                                "RecursionError", "UnboundLocalError", "FloatingPointError", "SystemExit")}


def _rebuilt_error(raised: dict) -> BaseException:
    """The exception the learner's code raised, rebuilt: its type's name and message, where it was."""
    if type(raised) is not dict:
        raise Mismatch("a bad exception record")
    name = str(raised.get("type", "Exception"))
    base = _BUILTIN_ERRORS.get(str(raised.get("base"))) or Exception
    if not name.isidentifier():
        name = "Exception"
    cls = base if base.__name__ == name else type(name, (base,), {})
    err = cls(str(raised.get("message", "")))
    err.learner_where = str(raised.get("where", ""))
    err.learner_traceback = str(raised.get("traceback", ""))
    return err


class Replayer:
    """In the grader: answers the check's calls into the learner's code from the child's events."""

    def __init__(self, events):
        if type(events) is not list or len(events) > MAX_EVENTS:
            raise Mismatch("no list of events")
        self.events, self.at = events, 0

    def next(self, kind: str, name: str) -> dict:
        if self.at >= len(self.events):
            raise Mismatch(f"the check's {kind} {name!r} has no record")
        event = self.events[self.at]
        self.at += 1
        if type(event) is not dict or event.get("kind") != kind or event.get("name") != name:
            raise Mismatch(f"the record for the check's {kind} {name!r} is for something else")
        return event

    def call(self, name: str, args: tuple, kwargs: dict):
        event = self.next("call", name)
        if event.get("digest") != _digest(args, kwargs):
            raise Mismatch(f"the record for the call {name!r} is for other arguments")
        if "raised" in event:
            raise _rebuilt_error(event["raised"])
        try:
            for place, value in event.get("changed", []):
                target, new = _at(args, place), decode(value)
                if type(target) is not np.ndarray or type(new) is not np.ndarray:
                    raise ValueError("not an array")
                if new.shape == target.shape:
                    target[...] = new
            result = decode(event.get("result"), args, graph_nodes(args))
            if event.get("jacobians") is not None and type(result) is not list:
                result = _through(name, result, args, event["jacobians"])
            return result
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as err:
            raise Mismatch(f"the record for the call {name!r} does not hold values ({err})") from None

    def finished(self) -> bool:
        return self.at == len(self.events)


def _through(name: str, result, args: tuple, table):
    """The learner's output Tensors, rebuilt as the outputs of one op on the argument Tensors whose
    backward sends a gradient through the Jacobians the child measured (``_jacobians``)."""
    from ..core import Function, Tensor
    outs = _outputs(result)
    if outs is None or type(table) is not list or len(table) != len(outs):
        raise ValueError("Jacobians that do not fit the outputs")
    inputs = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not inputs:
        raise ValueError("Jacobians without inputs")
    blocks = []
    for out, rows in zip(outs, table):
        block = {}
        for i, data in rows or []:
            J = decode(data)
            arg = args[i] if type(i) is int and 0 <= i < len(args) else None
            if not isinstance(arg, Tensor) or type(J) is not np.ndarray or J.shape != (out.data.size, arg.data.size):
                raise ValueError("a Jacobian of the wrong shape")
            block[i] = J
        blocks.append(block if rows is not None else None)
    several = type(result) in (tuple, list)

    class Replayed(Function):
        def forward(self, *arrays):
            return tuple(o.data for o in outs) if several else outs[0].data

        def backward(self, grad):
            grads = list(grad) if several else [grad]
            found = []
            for i, a in inputs:
                total = None
                for g, block in zip(grads, blocks):
                    if g is None or not block or i not in block:
                        continue
                    part = (np.asarray(g, dtype=np.float64).ravel() @ block[i]).reshape(a.data.shape)
                    total = part if total is None else total + part
                found.append(total)
            return tuple(found)
    Replayed.name = name
    if all(b is None for b in blocks):
        return result
    made = Replayed.apply(*[a for _, a in inputs])
    return type(result)(made) if several else made
