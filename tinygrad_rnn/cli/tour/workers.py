"""Running the lecture's experiments for the tour: in this process, or in worker processes side by side.

The experiments are independent (each seeds its own generators), so on a machine with two cores
the tour runs them in two worker processes and gets the same numbers in less time. Each worker
pins BLAS to the tour's thread count, as the CLI does, and runs whole experiments; what an
experiment reports while it runs (``note``) is kept and shown with its part, so the terminal
still reads part by part. ``jobs=1`` runs everything here, one after the other, with the notes
shown as they come.

``run_all(experiments, seed, quick, jobs, on_start, on_note, on_done)`` yields, in the
experiments' order, ``(experiment, result, seconds)``; ``seconds`` is the experiment's own run time.
"""
import contextlib
import multiprocessing
import signal
import threading
import time

from threadpoolctl import threadpool_limits

_limits = None            # a worker's BLAS limit, held for the worker's lifetime
#: started first: the RNN/LSTM training takes about as long as all the others together, so one worker
#: trains while the other runs the rest in the lecture's order, and the parts appear as they finish
FIRST = "lstm"


def _init_worker(blas_threads: int) -> None:
    global _limits
    _limits = threadpool_limits(limits=blas_threads, user_api="blas")


def _run(experiment, seed: int, quick: bool, note):
    """Run one experiment with its config for ``seed`` (quick or not); returns (result, seconds)."""
    config = experiment.Config(seed=seed)
    start = time.perf_counter()
    result = experiment.run(config.quick() if quick else config, note=note)
    return result, time.perf_counter() - start


def _run_one(experiment_name: str, seed: int, quick: bool):
    """In a worker: run one experiment; returns (result, seconds, notes)."""
    from ... import lecture
    notes = []
    result, seconds = _run(getattr(lecture, experiment_name), seed, quick, notes.append)
    return result, seconds, notes


def _name(experiment) -> str:
    return experiment.__name__.rsplit(".", 1)[1]


def run_all(experiments, *, seed: int, quick: bool, jobs: int, blas_threads: int, on_start, on_note, on_done):
    """Run ``experiments`` (lecture modules); see the module docstring. ``on_start(number, experiment)``
    is called before a part is shown, ``on_note(text)`` for each of its notes, and
    ``on_done(seconds)`` when it is finished; then the result is yielded."""
    experiments = list(experiments)
    with _noting_ctrl_c() as interrupted:
        if jobs <= 1 or len(experiments) <= 1:
            for number, experiment in enumerate(experiments, 1):
                on_start(number, experiment)
                result, seconds = _run(experiment, seed, quick, on_note)
                interrupted.check()
                on_done(seconds)
                yield experiment, result, seconds
            interrupted.check()
            return
        order = sorted(range(len(experiments)), key=lambda i: _name(experiments[i]) != FIRST)   # stable: lecture order
        # multiprocessing.Pool, not concurrent.futures: leaving the with-block terminates the workers, so an
        # interrupted or failed tour does not leave them computing
        with multiprocessing.Pool(processes=jobs, initializer=_init_worker, initargs=(blas_threads,)) as pool:
            pending = {i: pool.apply_async(_run_one, (_name(experiments[i]), seed, quick)) for i in order}
            for number, experiment in enumerate(experiments, 1):
                on_start(number, experiment)
                result, seconds, notes = interrupted.wait(pending[number - 1])
                for text in notes:
                    on_note(text)
                on_done(seconds)
                yield experiment, result, seconds
            interrupted.check()


class _CtrlC:
    """Whether Ctrl-C came. Python raises it as KeyboardInterrupt wherever the main thread is, and
    drops it when that is inside a weakref callback or a __del__ (it prints "Exception ignored"):
    so the signal is also noted here, and checked between the parts."""

    def __init__(self):
        self.came = False

    def handler(self, signum, frame):
        self.came = True
        raise KeyboardInterrupt

    def check(self) -> None:
        if self.came:
            raise KeyboardInterrupt

    def wait(self, pending):
        """A worker's result, waited for in short slices, so that a dropped Ctrl-C still ends the wait."""
        while True:
            self.check()
            try:
                return pending.get(timeout=0.2)
            except multiprocessing.TimeoutError:
                continue


@contextlib.contextmanager
def _noting_ctrl_c():
    """A ``_CtrlC`` whose handler takes SIGINT while the experiments run (the main thread only;
    the previous handler is restored after)."""
    ctrl_c = _CtrlC()
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield ctrl_c                       # not ours to change (another thread, or the caller's own handler)
        return
    signal.signal(signal.SIGINT, ctrl_c.handler)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
