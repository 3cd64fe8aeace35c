"""Part 5: a tanh RNN and an LSTM trained alike on the adding problem (``train.train``)."""
from ...analysis.curves import Panel, curves_figure
from ...train import TrainConfig, train
from .summary import Section

TITLE = "RNN vs LSTM on the adding problem"
COMMON = dict(task="adding", hidden=32, batch=32, optim="adam", lr=1e-2, clip=1.0, log_every=50, seed=0)
FULL = {"seq_len": 30, "iters": 600}
QUICK = {"seq_len": 10, "iters": 300}
CH = "07-lstm.md"
CLAIM = "the LSTM's additive cell path carries what a plain RNN loses over long spans"


def run(ctx) -> Section:
    s = QUICK if ctx.quick else FULL
    section = Section("adding", TITLE, "§5 why these are only partial solutions: the LSTM", CH, {**COMMON, **s})
    results = {}
    for cell in ("rnn", "lstm"):
        def on_log(record, cell=cell):
            if record["iter"] % 100 == 0:
                ctx.note(f"{cell.upper()}: iteration {record['iter']}/{s['iters']}, held-out MSE {record['eval']:.4f}")
        ctx.note(f"training the {cell.upper()} ({s['iters']} iterations, T = {s['seq_len']})")
        results[cell] = result = train(TrainConfig(cell=cell, **COMMON, **s), on_log=on_log)
        section.add(f"{cell}.mse", result.value, f"held-out MSE of the {cell.upper()} after {s['iters']} iterations",
                    CLAIM, CH, "RNN against LSTM on the adding problem", headline=True)
        section.add(f"{cell}.seconds", result.seconds, f"seconds to train the {cell.upper()}", CLAIM, CH,
                    "RNN against LSTM on the adding problem", fmt=".3g", varies=True)
    section.add("baseline_mse", results["rnn"].baseline, "MSE of always predicting 1 (the trivial predictor)",
                CLAIM, CH, "RNN against LSTM on the adding problem", headline=True)
    section.add("rnn_over_lstm", results["rnn"].value / results["lstm"].value, "RNN's MSE / LSTM's MSE", CLAIM, CH,
                "RNN against LSTM on the adding problem", fmt=".3g")

    def figure():
        series = {cell.upper(): ([r["iter"] for r in res.history], [r["eval"] for r in res.history])
                  for cell, res in results.items()}
        return curves_figure([Panel(f"adding problem, T = {s['seq_len']}: held-out MSE", series, xlabel="iteration",
                                    ylabel="MSE (log)", logy=True, reference=(results["rnn"].baseline,
                                                                             "predict 1 (MSE 1/6)"))])
    section.file(ctx.out.figure("adding.png", figure, section.key,
                                "held-out MSE against iteration for the RNN and the LSTM"))
    return section
