"""``tour --papers``: the paper cards (``tinygrad_rnn.papers``) as parts of the tour's page.

Each card runs at its default scale (a few minutes each), after the lecture's parts; its files
(``NAME.md``, ``NAME.json``, figures) go into the tour's folder, and its claims, measured values and
verdict become a part of ``index.html`` / ``summary.md`` like any experiment's (a card is a lecture
``Result``). The card's verdict is added as a note of its own.
"""
import functools
import time

from ... import papers
from . import summary, workers


def sections(out, first_number: int, progress, blas_threads: int = 1) -> list:
    """Run every card, each worker with ``blas_threads`` BLAS threads; returns their summary sections,
    numbered from ``first_number``."""
    plt = None
    if out.plots:
        import matplotlib.pyplot as plt
    result = []
    for number, (name, module) in enumerate(papers.CARDS.items(), first_number):
        progress.start(number, f"paper card: {module.TITLE}")
        start = time.perf_counter()
        card = module.run(module.Config(), note=progress.note,
                          worker_init=functools.partial(workers._init_worker, blas_threads))
        card.seconds = time.perf_counter() - start
        files = []
        for path, what in papers.write(card, out.folder, figures=module.figures, plt=plt):
            files.append(out._record(path.name, card.name, what))
        progress.done(card.seconds)
        part = summary.section(card, number, card.seconds, files)
        verdict = card.verdict
        part["verdict"] = verdict["verdict"]
        out.notes.append(f"paper card {name}: {verdict['verdict']}" +
                         (f" ({'; '.join(verdict['why'])})" if verdict["why"] else "") + f" — see {name}.md")
        result.append(part)
    return result
