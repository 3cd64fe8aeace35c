"""Pictures of gradient flow (matplotlib, the ``plots`` extra), and the same numbers as a text table.

- ``plot_gradient_flow(flows)``: gradient norm against distance d on a log axis, one curve per
  setting — a straight line on this axis is exponential growth or decay, with slope log(factor per step).
- ``plot_eigenvalues(flows)``: the eigenvalues of each setting's W_hh on the complex plane, with
  the unit circle: inside it, a linear recurrence's gradients vanish; outside, they explode.
- ``gradient_flow_figure(flows, path)``: both side by side, saved to a file.
- ``format_table(flows)``: plain text, for when matplotlib is not installed.
- ``window_table_figure(rows, baseline_bits)``: held-out bits per character against the truncation
  window, with the time per character on a second axis (``lecture.windows``'s table).

matplotlib is imported only inside these functions, so the rest of the library works without it.
``flows`` is a list of ``analysis.gradflow.GradientFlow``.
"""
import numpy as np

QUANTITIES = {"grad_norms": "‖∂L/∂h_(T−d)‖", "jacobian_norms": "‖∂h_T/∂h_(T−d)‖₂"}


def have_matplotlib() -> bool:
    try:
        _pyplot()
    except ImportError:
        return False
    return True


def _pyplot():
    try:
        import matplotlib.pyplot as plt          # with no display, matplotlib picks its file-only backend
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'tinygrad-rnn[plots]' (or pip install matplotlib); "
                          "without it, format_table() prints the same numbers") from None
    return plt


def _colours(n: int):
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def plot_gradient_flow(flows, ax=None, quantity: str = "grad_norms", title: str | None = None):
    """Gradient norm vs distance d = 1..T on a log y axis, one curve per setting. Returns the Axes.

    ``quantity``: "grad_norms" (||∂L/∂h_(T-d)||), "jacobian_norms" (||∂h_T/∂h_(T-d)||₂), or "both"
    (the Jacobian norms dashed, in the same colour).
    """
    if quantity not in (*QUANTITIES, "both"):
        raise ValueError(f"plot_gradient_flow: quantity must be one of {[*QUANTITIES, 'both']}, got {quantity!r}")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    shown = list(QUANTITIES) if quantity == "both" else [quantity]
    for flow, colour in zip(flows, _colours(len(flows))):
        for which in shown:
            values = np.asarray(getattr(flow, which), dtype=np.float64)
            values = np.where(values > 0, values, np.nan)        # log axis: leave out exact zeros
            dashed = quantity == "both" and which == "jacobian_norms"
            label = flow.label + (f"  {QUANTITIES[which]}" if quantity == "both" else "")
            ax.semilogy(flow.distances, values, marker="" if dashed else "o", markersize=2.5, linewidth=1.8,
                        linestyle="--" if dashed else "-", color=colour, label=label)
    ax.axhline(1.0, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel("distance d from the loss (steps back in time)")
    ax.set_ylabel(("gradient norm" if quantity == "both" else QUANTITIES[quantity]) + "  (log scale)")
    ax.set_title(title or "How much gradient reaches d steps back")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_eigenvalues(flows, ax=None, title: str | None = None, only=None):
    """Eigenvalues of each setting's W_hh (every gate block for LSTM/GRU) and the unit circle; ``only``:
    a sub-list of ``flows`` to show (colours stay those of ``flows``). Returns the Axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    angle = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(angle), np.sin(angle), color="0.3", linewidth=1.0, label="|λ| = 1")
    for i, (flow, colour) in enumerate(zip(flows, _colours(len(flows)))):
        if only is not None and not any(flow is other for other in only):
            continue
        lam = np.concatenate([np.asarray(v) for v in flow.eigenvalues.values()])
        size = max(8, 60 - 7 * i)              # later settings smaller: coinciding eigenvalues stay visible
        ax.scatter(lam.real, lam.imag, s=size, color=colour, alpha=0.85, edgecolors="white", linewidths=0.4,
                   label=flow.label)
    ax.axhline(0, color="0.85", linewidth=0.6)
    ax.axvline(0, color="0.85", linewidth=0.6)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    ax.set_title(title or "Eigenvalues of W_hh")
    return ax


def gradient_flow_figure(flows, path=None, quantity: str = "grad_norms", title: str | None = None,
                         eigenvalues_of=None):
    """Curves (left) and eigenvalues (right) in one figure; saved to ``path`` if given (any format
    matplotlib knows from the suffix: .png, .svg, .pdf). ``eigenvalues_of``: the settings whose
    eigenvalues to show (default: all), drawn in the same colours as their curves. Returns the Figure."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [1.55, 1]})
    plot_gradient_flow(flows, ax=left, quantity=quantity, title=title)
    plot_eigenvalues(flows, ax=right, only=eigenvalues_of)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return fig


def window_table_figure(rows, baseline_bits: float, title: str | None = None):
    """Held-out bits per character against the window k (log axis; the last row is full BPTT), the
    unigram entropy ``baseline_bits`` as a dashed line, and the time per character read on a second
    axis. ``rows``: dicts with ``window``, ``bpc`` and ``us_per_char`` (``lecture.windows``' rows).
    Returns the Figure."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    x = [row["window"] for row in rows]
    ax.plot(x, [row["bpc"] for row in rows], "o-", color="C0", label="held-out bits per character")
    ax.axhline(baseline_bits, color="0.6", linestyle="--", linewidth=1, label="unigram entropy")
    ax.set_xscale("log")
    ax.set_xticks(x, [str(k) for k in x[:-1]] + [f"{x[-1]}\nfull"])
    ax.minorticks_off()
    ax.set_xlabel("window k in characters (the last point: full BPTT)")
    ax.set_ylabel("bits per character", color="C0")
    ax.set_ylim(0, baseline_bits + 0.5)
    time_axis = ax.twinx()
    time_axis.plot(x, [row["us_per_char"] for row in rows], "s:", color="C1", label="time per character")
    time_axis.set_ylabel("µs per character read (varies)", color="C1")
    time_axis.set_ylim(0, 2 * max(row["us_per_char"] for row in rows))
    lines = ax.get_lines() + time_axis.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], frameon=False, loc="upper left", fontsize=8,
              bbox_to_anchor=(0, 0.88))
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def format_table(flows, quantity: str = "grad_norms", every: int | None = None) -> str:
    """A text table: one row per distance d (every ``every``-th, plus the last), one column per setting."""
    if quantity not in QUANTITIES:
        raise ValueError(f"format_table: quantity must be one of {list(QUANTITIES)}, got {quantity!r}")
    if not flows:
        return ""
    steps = max(f.steps for f in flows)
    every = every or max(1, steps // 10)
    distances = sorted(set(range(1, steps + 1, every)) | {steps})
    width = max(14, *(len(f.label) + 2 for f in flows))
    lines = [f"{QUANTITIES[quantity]} for a loss on the last step",
             "d".rjust(4) + "".join(f.label.rjust(width) for f in flows)]
    for d in distances:
        cells = []
        for f in flows:
            values = getattr(f, quantity)
            cells.append((f"{values[d - 1]:.4g}" if d <= f.steps else "").rjust(width))
        lines.append(str(d).rjust(4) + "".join(cells))
    return "\n".join(lines)
