"""Helpers shared by the exercise checks, so that a failed check tells the learner what went wrong.

A check is a plain function ``check_something(mod)`` that takes the learner's module (their
edited file, loaded by the grader) and raises ``AssertionError`` with a readable message when
the work is wrong. The expected values in a check come from the maths (or from NumPy, or from
the library's own ops used as an independent oracle) — never from the learner's code.
"""
import contextlib
import functools
import sys
import threading

import numpy as np

from ...core import Function, Tensor, ops


#: how the checks reach the learner's code in this thread: None (directly, in this process), a
#: ``judging.Recorder`` (the child: run and record each call) or a ``judging.Replayer`` (the grader:
#: answer each call from the child's records). Set by ``child`` and ``grader`` around one check.
_mode = threading.local()


def mode():
    return getattr(_mode, "value", None)


def set_mode(value) -> None:
    _mode.value = value


def get(mod, name: str):
    """The learner's ``name`` (a function or class from their file), or a clear AssertionError. If the
    calling check's module lists ``LIBRARY_OFF``, a function comes wrapped: while it runs, the library's
    own versions are switched off (``switched_off``). Recorded or replayed (``judging``) when judged
    out of the learner's process."""
    from ..judging import Recorder, Replayer
    off = sys._getframe(1).f_globals.get("LIBRARY_OFF")
    current = mode()
    missing = f"your file defines no `{name}`. Keep the name the stub gives it."
    if isinstance(current, Replayer):
        event = current.next("get", name)
        if not event.get("found"):
            raise AssertionError(missing)
        if event.get("class"):
            return None                            # own_function makes the class
        return functools.partial(_replayed_call, current, name)
    if not hasattr(mod, name):
        if isinstance(current, Recorder):
            current.note("get", name, found=False)
        raise AssertionError(missing)
    value = getattr(mod, name)
    if isinstance(current, Recorder):
        current.note("get", name, found=True, **{"class": isinstance(value, type)})
    if not callable(value) or isinstance(value, type) or not (off or isinstance(current, Recorder)):
        return value
    learner = value

    def run(*args, **kwargs):
        if off:
            with switched_off(off):
                return learner(*args, **kwargs)
        return learner(*args, **kwargs)

    @functools.wraps(learner)
    def value(*args, **kwargs):
        if isinstance(current, Recorder):
            return current.call(name, run, args, kwargs)
        return run(*args, **kwargs)
    return value


def _replayed_call(replayer, name, *args, **kwargs):
    return replayer.call(name, args, kwargs)


#: what the library's versions say when the learner's code calls one while it is switched off
_OFF_MESSAGE = ("`{name}` is the library's own version, and it is switched off while your code runs in this check "
                "(so is anything that calls it): the exercise is to write it yourself, with NumPy and the Tensor "
                "ops the stub names")


def _refusing_code(name: str):
    namespace = {}
    exec(f"def {name.rsplit('.', 1)[-1]}(*args, **kwargs):\n"
         f"    raise AssertionError({_OFF_MESSAGE.format(name=name)!r})\n", namespace)
    return next(v for v in namespace.values() if callable(v)).__code__


@contextlib.contextmanager
def switched_off(functions):
    """Make each of ``functions`` (the library's own versions of what an exercise asks for) raise an
    AssertionError that says so, however the learner's code reaches it (imported by name, wrapped, or
    through a class that calls it), until the block ends: their code objects are swapped."""
    saved = []
    try:
        for fn in functions:
            name = f"{fn.__module__.split('tinygrad_rnn.', 1)[-1]}.{fn.__qualname__}"
            saved.append((fn, fn.__code__))
            fn.__code__ = _refusing_code(name)
        yield
    finally:
        for fn, code in saved:
            fn.__code__ = code


def as_array(value, what: str) -> np.ndarray:
    """``value`` (an ndarray, number or Tensor) as an ndarray; None means a forgotten ``return``."""
    if value is None:
        raise AssertionError(f"{what}: got None. Did you forget a `return`?")
    if isinstance(value, Tensor):
        value = value.data
    try:
        return np.asarray(value, dtype=np.result_type(np.asarray(value).dtype, np.float64))
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected numbers, got {type(value).__name__} {value!r:.80}") from None


def _show(array: np.ndarray, prefix: str) -> str:
    """``prefix`` followed by the array, its continuation lines lined up under the first."""
    return prefix + np.array2string(np.asarray(array), precision=6, separator=", ", threshold=12, prefix=prefix)


def assert_close(actual, expected, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Same shape and values equal within ``atol + rtol * |expected|``, or an AssertionError that
    shows the worst entry (and the whole arrays when they are small)."""
    actual = as_array(actual, what)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: expected shape {expected.shape}, got shape {actual.shape}")
    bad = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if not bad.any():
        return
    if not np.all(np.isfinite(actual)):
        detail = "it contains nan or inf"
    else:
        worst = np.unravel_index(np.argmax(np.abs(actual - expected) * bad), actual.shape) if actual.ndim else ()
        where = f" at index {tuple(int(i) for i in worst)}" if actual.ndim else ""
        detail = f"{int(bad.sum())} of {bad.size} entries differ; worst{where}: got {actual[worst]:.8g}, " \
                 f"expected {expected[worst]:.8g}"
    message = f"{what}: wrong values ({detail})"
    if expected.size <= 12:
        message += "\n" + _show(actual, "  got      ") + "\n" + _show(expected, "  expected ")
    raise AssertionError(message)


def not_the_library(learner_obj, library_obj, name: str) -> None:
    """Fail if the learner's ``name`` *is* the library's own version (imported, not written)."""
    from ..judging import Recorder, Replayer
    current = mode()
    if isinstance(current, Replayer):
        same = bool(current.next("same", name).get("same"))
    else:
        same = getattr(learner_obj, "__wrapped__", learner_obj) is library_obj
        if isinstance(current, Recorder):
            current.note("same", name, same=same)
    if same:
        raise AssertionError(f"`{name}` in your file is the library's own version (imported). The exercise is "
                             f"to write it yourself.")


def _library_backwards() -> set:
    """Every ``backward`` method the library's ops define, and the base class's."""
    found = {Function.backward}
    for value in vars(ops).values():
        if isinstance(value, type) and issubclass(value, Function):
            found.add(value.backward)
    return found


def own_function(mod, class_name: str) -> type:
    """The learner's Function subclass ``class_name``, checked to have a backward of its own
    (not the library's, inherited or assigned). Recorded or replayed (``judging``) when judged out of
    the learner's process: in the grader, a stand-in class answers forward and backward from the records."""
    from ..judging import Recorder, Replayer
    current = mode()
    cls = get(mod, class_name)
    if isinstance(current, Replayer):
        error = current.next("own", class_name).get("error")
        if error:
            raise AssertionError(str(error))

        class Replayed(Function):
            def forward(self, *args, **kwargs):
                return current.call(f"{class_name}.forward", args, kwargs)

            def backward(self, *args, **kwargs):
                return current.call(f"{class_name}.backward", args, kwargs)
        Replayed.__name__ = Replayed.__qualname__ = class_name
        return Replayed
    error = ""
    if not (isinstance(cls, type) and issubclass(cls, Function)):
        error = (f"`{class_name}` must be a class that subclasses tinygrad_rnn.Function, as in the "
                 f"stub; got {cls!r}")
    elif cls.backward in _library_backwards():
        error = (f"`{class_name}.backward` is the library's own (inherited or imported). Write "
                 f"the backward method yourself in your class.")
    if isinstance(current, Recorder):
        current.note("own", class_name, error=error)
    if error:
        raise AssertionError(error)
    off = sys._getframe(1).f_globals.get("LIBRARY_OFF")
    if not off and not isinstance(current, Recorder):
        return cls

    def run(method, instance, args, kwargs):
        if off:
            with switched_off(off):
                return method(instance, *args, **kwargs)
        return method(instance, *args, **kwargs)

    class Switched(cls):               # the learner's methods: the library's versions off, calls recorded
        def forward(self, *args, **kwargs):
            if isinstance(current, Recorder):
                return current.call(f"{class_name}.forward", lambda *a, **k: run(cls.forward, self, a, k),
                                    args, kwargs)
            return run(cls.forward, self, args, kwargs)

        def backward(self, *args, **kwargs):
            if isinstance(current, Recorder):
                return current.call(f"{class_name}.backward", lambda *a, **k: run(cls.backward, self, a, k),
                                    args, kwargs)
            return run(cls.backward, self, args, kwargs)
    Switched.__name__, Switched.__qualname__ = cls.__name__, cls.__qualname__
    return Switched


def spy_on_backward(cls: type):
    """A subclass of ``cls`` that counts how often its (the learner's) backward runs.

    Returns ``(Spy, calls)``: use ``Spy.apply(...)`` in place of ``cls.apply(...)``, then
    ``len(calls)`` is the number of times the engine called the learner's backward.
    """
    calls = []

    class Spy(cls):
        name = cls.__name__.lower()

        def backward(self, grad):
            calls.append(1)
            return super().backward(grad)

    return Spy, calls


def one_gradient_tuple(result, n: int, what: str) -> tuple:
    """``backward`` must return a tuple (or list) of ``n`` gradients, one per input."""
    if isinstance(result, np.ndarray) or not isinstance(result, (tuple, list)):
        raise AssertionError(f"{what} must return a tuple with one gradient per input ({n} here), e.g. "
                             f"`return (g,)` or `return g_a, g_b`; got {type(result).__name__}")
    if len(result) != n:
        raise AssertionError(f"{what} must return {n} gradient(s), one per input; got {len(result)}")
    return tuple(result)


def tensor64(array, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A float64 Tensor of ``array`` (the checks work in float64 so that tolerances can be tight)."""
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, name=name)
