"""Many independent training runs side by side: ``run_many(function, configs, jobs, note)``.

Each run is ``function(config)``, a pure function of its config (its seed included), so the
results are the same for any number of worker processes; they come back in the order of
``configs``. With ``jobs`` > 1 the runs go to a ``multiprocessing.Pool`` of that many workers (as
the tour's, ``cli/tour/workers.py``); leaving the pool ends the workers, so an interrupted card
leaves nothing computing. ``jobs=1`` runs them in this process. The library never changes BLAS
settings: a worker runs under the ones it inherits, unless the caller passes ``initializer`` (the
command line passes one that limits each worker to one BLAS thread: the matrices are small, and
several threads on two cores were measured slower).
"""
import multiprocessing
import time

def _call(task):
    i, function, config = task
    return i, function(config)


def run_many(function, configs, jobs: int = 1, note=None, label=str, initializer=None) -> list:
    """``[function(c) for c in configs]``, in ``jobs`` processes; ``note(text)`` hears of each finished
    run (``label(config)`` names it) with a count and the elapsed time. ``function`` must be a
    module-level function (the workers receive it by name); ``initializer()`` runs first in each worker."""
    configs = list(configs)
    start, results, finished = time.perf_counter(), [None] * len(configs), 0

    def done(i, result):
        nonlocal finished
        results[i], finished = result, finished + 1
        if note:
            note(f"[{finished}/{len(configs)}, {time.perf_counter() - start:.0f} s] {label(configs[i])}")

    if jobs <= 1 or len(configs) <= 1:
        for i, config in enumerate(configs):
            done(i, function(config))
        return results
    with multiprocessing.Pool(processes=jobs, initializer=initializer) as pool:
        for i, result in pool.imap_unordered(_call, [(i, function, c) for i, c in enumerate(configs)]):
            done(i, result)
    return results
