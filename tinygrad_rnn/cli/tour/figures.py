"""The tour's pictures: for each lecture experiment, its plots (from ``Result.series``) and graph
drawings. Rendering only: every number comes from the experiment's ``Result``.

``FIGURES[result.name](out, result)`` writes that part's files and returns their names.
"""
from ...analysis import all_gradients, gradient_flow_figure, unroll
from ...analysis.curves import Panel, curves_figure
from ...viz import draw_graph


def draw_unrolled(out, stem: str, section: str, what: str, *, cell: str, steps: int, detail: str, title: str,
                  **settings) -> str:
    """Unroll ``cell`` for ``steps`` steps (hidden size 3, input size 2, seed 0; ``settings`` go to
    ``unroll``), draw it with its gradients for L = sum(h_T), sized for a slide (1920×1080 px, text at
    least 14 px high), and write ``stem.svg`` (or ``.dot``)."""
    net = unroll(cell, steps=steps, hidden_size=3, input_size=2, **settings)
    graph = draw_graph(net.loss, detail=detail, grads=all_gradients(net.loss), title=title, size="slide")
    return out.graph(stem, graph, section, what)


def eigenvalues(out, r) -> list:
    flows = r.series["flows"]
    H = r.config.hidden
    return [out.figure("eigenvalues.png", lambda: gradient_flow_figure(
        flows, quantity="jacobian_norms", eigenvalues_of=flows,
        title=f"‖∂h_T/∂h_(T−d)‖₂ of a linear RNN, H = {H}: the eigenvalues decide"),
        r.name, "the eigenvalues of W_hh for each initialisation against the unit circle, and how the gradient "
                "of a linear RNN grows or decays with them")]


def gradient_flow(out, r) -> list:
    flows = r.series["flows"]
    shown = [flows[k] for k in ("rnn_default", "rnn_orthogonal", "lstm_default")]
    T, H = r.config.steps, r.config.hidden
    files = [out.figure("gradient_flow.png", lambda: gradient_flow_figure(
        shown, title=f"‖∂L/∂h_(T−d)‖ for L = sum(h_T), T = {T}, H = {H}", eigenvalues_of=shown[:2]),
        r.name, "gradient norm against distance for the tanh RNN (default, orthogonal) and the LSTM, next to the "
                "RNNs' eigenvalues")]

    def forget_bias():
        series = {f"b_f = {b}": (list(flows[k].distances), list(flows[k].cell_grad_norms))
                  for b, k in (("0", "lstm_bf0"), ("1", "lstm_bf1"))}
        return curves_figure([Panel(f"LSTM cell path: ‖∂L/∂c_(T−d)‖, T = {T}", series, xlabel="distance d",
                                    ylabel="gradient norm (log)", logy=True, markers=False)])
    files.append(out.figure("forget_bias.png", forget_bias, r.name,
                            "the LSTM's cell-path gradient against distance with forget-gate bias 0 and 1"))
    files.append(draw_unrolled(out, "rnn_unrolled", r.name,
                               "a tanh RNN unrolled 8 steps, one node per state: the gradient fades step by step",
                               cell="rnn", steps=8, detail="cells",
                               title="tanh RNN, T = 8, L = sum(h_8): colour and width = the gradient flowing back"))
    files.append(draw_unrolled(out, "lstm_unrolled", r.name,
                               "an LSTM unrolled 6 steps: the cell path c_(t-1) → c_t, labelled with f_t",
                               cell="lstm", steps=6, detail="cells",
                               title="LSTM, T = 6, L = sum(h_6): the double line is the additive cell path"))
    return files


def clipping(out, r) -> list:
    clip = r.config.cliff_clip
    cliff = r.series["cliff.unclipped"]
    stop = (cliff["overflow_at"], f"overflow at iteration {cliff['overflow_at']}") if cliff["overflow_at"] else None

    def split(key: str, title: str, reference=None) -> Panel:
        s = r.series[f"cliff.{key}"]
        return Panel(title, {"all parameters, ‖g‖": (s["iteration"], s["grad_norm"]),
                             "W_hh (sent back through time)": (s["iteration"], s["hh_grad_norm"]),
                             "read-out (W_out, b_out)": (s["iteration"], s["readout_grad_norm"])},
                     xlabel="iteration", ylabel="gradient norm (log; 0 not drawn)", logy=True, reference=reference,
                     vline=stop if key == "unclipped" else None)

    def figure():
        panels = [split("unclipped", "no clipping: where the gradient is (W_hh's is 0 where its curve ends)"),
                  split("clipped", f"clipped by norm at {clip:g} (norms before clipping)",
                        reference=(clip, f"threshold {clip:g}")),
                  Panel("spectral radius of W_hh", {}, xlabel="iteration", ylabel="ρ(W_hh) (log)", logy=True,
                        reference=(1.0, "ρ = 1"), vline=stop),
                  Panel("training loss", {}, xlabel="iteration", ylabel="MSE (log)", logy=True, vline=stop)]
        for key, label in (("unclipped", "no clipping"), ("clipped", f"clip by norm at {clip:g}")):
            s = r.series[f"cliff.{key}"]
            panels[2].series[label] = (s["iteration"], s["radius"])
            panels[3].series[label] = (s["iteration"], s["loss"])
        return curves_figure(panels, ncols=2, title=f"tanh RNN on the adding problem (T = "
                                                    f"{r.config.cliff['seq_len']}), W_hh orthogonal × 0.9, SGD lr "
                                                    f"{r.config.cliff['lr']:g}: the cliff")
    return [out.figure("clipping.png", figure, r.name,
                       "the cliff run per iteration, with and without clipping: the gradient norm split into "
                       "W_hh's part (sent back through time) and the read-out's, ρ(W_hh) and the loss"),
            draw_unrolled(out, "rnn_exploding", r.name,
                          "a linear RNN with W_hh = 1.8·Q: every step back multiplies the gradient by 1.8",
                          cell="rnn", steps=8, detail="cells", nonlinearity="linear", init="orthogonal", scale=1.8,
                          title="linear RNN, W_hh = 1.8·Q, T = 8: the gradient grows 1.8x per step back")]


def truncation(out, r) -> list:
    costs, accuracy = r.series["costs"], r.series["accuracy"]
    lengths = list(r.config.lengths)
    chance = r.values[f"agreement_L{lengths[-1]}.chance"]

    def figure():
        windows = [c.window for c in costs]
        memory = Panel(f"one pass over T = {r.config.cost['steps']} steps, against full BPTT",
                       {"peak memory": (windows, [c.peak_bytes / costs[-1].peak_bytes for c in costs]),
                        "work per update": (windows, [c.update_nodes / costs[-1].update_nodes for c in costs]),
                        "work per sequence": (windows, [c.backward_nodes / costs[-1].backward_nodes for c in costs])},
                       xlabel="window k (k = T: full BPTT)", ylabel="fraction of full BPTT's (log)", logy=True)
        learn = Panel("agreement task: what the window can learn",
                      {name: (lengths, values) for name, values in accuracy.items()},
                      xlabel="L, words between subject and verb", ylabel="held-out accuracy",
                      reference=(chance, "trivial guess"))
        return curves_figure([memory, learn])
    return [out.figure("truncation.png", figure, r.name, "memory and work against the window, and agreement "
                                                          "accuracy against the distance for a window and for full BPTT"),
            draw_unrolled(out, "rnn_truncated", r.name,
                          "a tanh RNN over 8 steps, truncated after step 4: no gradient crosses the cut",
                          cell="rnn", steps=8, detail="cells", cut_at=4,
                          title="tanh RNN, T = 8, truncated after step 4: the gradient stops at the cut")]


def adding(out, r) -> list:
    def figure():
        series = {cell.upper(): (r.series[cell]["iteration"], r.series[cell]["eval"]) for cell in ("rnn", "lstm")}
        return curves_figure([Panel(f"adding problem, T = {r.config.common['seq_len']}: held-out MSE", series,
                                    xlabel="iteration", ylabel="MSE (log)", logy=True,
                                    reference=(r.values["baseline"], "predict 1, on the same batch"))])
    return [out.figure("adding.png", figure, r.name, "held-out MSE against iteration for the RNN and the LSTM")]


def windows(out, r) -> list:
    def figure():
        from ...analysis.plots import window_table_figure
        return window_table_figure(r.series["rows"], r.values["baseline_bits"],
                                   title=f"one LSTM, {r.config.budget} characters read per window")
    return [out.figure("windows.png", figure, r.name, "held-out bits per character and time per character "
                                                     "against the truncation window")]


FIGURES = {"eigenvalues": eigenvalues, "gradient_flow": gradient_flow, "clipping": clipping,
           "truncation": truncation, "adding": adding, "windows": windows}
