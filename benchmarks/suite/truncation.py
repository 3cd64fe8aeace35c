"""What a truncation window costs in time: one pass of ``TBPTT(k)`` over a sequence (forward every
step, one backward per window, no optimizer step), for several windows k and full BPTT.

The setting is the lecture's (§4): the text task (``make_task("text", seq_len=T)``, a loss at
every step), a tanh RNN of H units in ``train.SequenceModel``, a batch of B sequences. Each
window is timed ``repeats`` times, interleaved, by ``analysis.truncation_cost.time_truncation``
(CPU seconds of this process, so the load of other programs does not count; medians). Reported:
seconds per sequence and per update, each as a ratio to full BPTT in the same run, beside the
exact work from ``truncation_cost`` (graph nodes per sequence and per update), and the time per
extra window: (time of the smallest window - time of full BPTT) / (its updates - 1), which is
what a backward call costs on top of the nodes it visits.
"""
import numpy as np

from tinygrad_rnn.analysis.truncation_cost import time_truncation, truncation_cost
from tinygrad_rnn.tasks import make_task
from tinygrad_rnn.train import SequenceModel


def tbptt_time(cell: str, T: int, windows, H: int, B: int, repeats: int) -> dict:
    """Time per sequence and per update of TBPTT(k) for each k in ``windows`` (full BPTT, k = T, is
    added when missing), as medians and as ratios to full BPTT; the node counts of each."""
    windows = tuple(sorted({*windows, T}))
    task = make_task("text", seq_len=T)
    batch = task.batch(B, rng=0)
    model = SequenceModel(cell, task.input_size, H, task.output_size, generator=np.random.default_rng(0))

    def step_loss(y, t):
        return task.step_loss(y, batch, t)

    work = {k: truncation_cost(model, batch.inputs, step_loss, k, traced=False, timed=False) for k in windows}
    timing = time_truncation(model, batch.inputs, step_loss, windows, repeats=repeats)
    rows = []
    for k in windows:
        cost = work[k]
        rows.append({"window": k, "updates": cost.updates, "forward_nodes": cost.forward_nodes,
                     "backward_nodes": cost.backward_nodes, "update_nodes": cost.update_nodes,
                     "seconds": timing.seconds[k], "seconds_per_update": timing.seconds_per_update[k],
                     "ratio": timing.ratio[k], "ratio_per_update": timing.ratio_per_update[k],
                     "us_per_node": timing.seconds[k] / cost.backward_nodes * 1e6, "samples": timing.samples[k]})
    smallest, full = rows[0], rows[-1]
    extra = smallest["updates"] - full["updates"]
    per_window = (smallest["seconds"] - full["seconds"]) / extra if extra else None
    per_step = full["seconds"] / T
    return {"cell": cell, "T": T, "H": H, "B": B, "repeats": repeats, "clock": timing.clock, "rows": rows,
            "us_per_extra_window": None if per_window is None else per_window * 1e6,
            "extra_window_in_steps": None if per_window is None else per_window / per_step}
