"""The lecture's experiments, as library code: one module per section, each ``run(config) -> Result``.

    from tinygrad_rnn import lecture
    result = lecture.clipping.run(lecture.clipping.Config(seed=2))
    for verdict in result.verdicts:
        print(lecture.verdict_line(verdict))

Each experiment is a function of its ``Config`` (a dataclass, seed included; ``Config().quick()``
is a shorter version telling the same story). It returns a ``Result``: the values it measured,
what each one is, the arrays behind its figures, and its **claims**, each a sentence with the
lecture section and tutorial chapter it belongs to and conditions over the measured values with
a margin (``claims.py``). ``tinygrad-rnn tour`` runs them all and renders the results; the
tutorial chapters call the same functions, so a chapter and its tour section print the same
numbers. The claims are worded so that they hold for every seed and on every CPU (tested over
seeds 0-4, and under several OpenBLAS kernels in CI); a claim that fails is reported as failing.

| module | lecture | chapter |
|---|---|---|
| ``eigenvalues`` | §1 eigenvalues, §2 orthogonal matrices | 03 |
| ``gradient_flow`` | §1 the product of Jacobians, §2, §5 the cell path | 02, 04, 07 |
| ``clipping`` | §3 gradient clipping | 05 |
| ``truncation`` | §4 truncated BPTT | 06 |
| ``lstm`` | §5 why these are only partial solutions | 07 |
| ``windows`` | §4 the window table, on real text (``tour --window-table``) | 06 |
"""
from . import clipping, eigenvalues, gradient_flow, lstm, truncation, windows
from .claims import Claim, Condition, verdict_line
from .result import Item, Result

EXPERIMENTS = (eigenvalues, gradient_flow, clipping, truncation, lstm)
#: longer experiments, run on request (``tinygrad-rnn tour --window-table``)
EXTRA_EXPERIMENTS = (windows,)

__all__ = ["EXPERIMENTS", "Claim", "Condition", "Item", "Result", "verdict_line", "clipping", "eigenvalues",
           "gradient_flow", "lstm", "truncation", "windows", "EXTRA_EXPERIMENTS"]
