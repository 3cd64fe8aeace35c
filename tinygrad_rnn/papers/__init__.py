"""Paper cards: results from the literature on RNN gradients, rerun with the engine, each with a verdict.

    from tinygrad_rnn import papers
    papers.CARDS                                   # name -> module
    card = papers.CARDS["pascanu2013"].run(papers.CARDS["pascanu2013"].Config())
    card.verdict["verdict"]                        # "reproduces" | "partially" | "does not"

A card is library code, like the lecture's experiments (``tinygrad_rnn.lecture``): one module per
card, each with ``NAME``, ``TITLE``, a ``Config`` (``.full()``: the paper's scale where feasible;
``.quick()``: CI's reduced configuration), ``run(config, note=None) -> Card`` and
``figures(card, folder, plt)``. A ``Card`` (``card.py``) is a lecture ``Result`` plus the paper, its
published numbers (each marked verified or not), the setup published and here, the deviations, and
a verdict decided by checked predicates with margins. ``render.write`` turns it into Markdown, JSON
and PNG figures; ``tinygrad-rnn reproduce`` runs one.

| card | paper | what |
|---|---|---|
| ``pascanu2013`` | Pascanu, Mikolov & Bengio 2013 | clipping and Ω on the temporal-order problem |
| ``adding`` | Hochreiter & Schmidhuber 1997; Le et al. 2015; Arjovsky et al. 2016 | the adding problem by variant |
"""
from . import adding_variants, pascanu2013
from .card import Card
from .render import markdown, write

CARDS = {module.NAME: module for module in (pascanu2013, adding_variants)}

__all__ = ["CARDS", "Card", "markdown", "write", "adding_variants", "pascanu2013"]
