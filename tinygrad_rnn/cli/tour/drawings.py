"""The tour's graph drawings: a small net unrolled (``analysis.unroll``), dL/dx for every tensor
(``analysis.all_gradients``), drawn by ``viz.draw_graph`` and written by ``Output.graph``."""
from ...analysis import all_gradients, unroll
from ...viz import draw_graph


def draw_unrolled(out, stem: str, section: str, what: str, *, cell: str, steps: int, detail: str, title: str,
                  **settings) -> str:
    """Unroll ``cell`` for ``steps`` steps (hidden size 3, input size 2, seed 0; ``settings`` go to
    ``unroll``), draw it with its gradients for L = sum(h_T), and write ``stem.svg`` (or ``.dot``)."""
    net = unroll(cell, steps=steps, hidden_size=3, input_size=2, **settings)
    graph = draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss), title=title)
    return out.graph(stem, graph, section, what)
