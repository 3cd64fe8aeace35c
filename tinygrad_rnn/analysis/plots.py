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

Sized for slides: a figure made here is ``SLIDE_INCHES`` (16 × 9) and, saved at ``DPI`` (120), is a
1920×1080 PNG, a slide shown 1:1; every text is at least ``TEXT_PT["tick"]`` = 12 pt, 20 px at that
resolution (``MIN_TEXT_PX`` = 14 is the floor ``tests/test_analysis_plots.py`` checks).
"""
import numpy as np

QUANTITIES = {"grad_norms": "‖∂L/∂h_(T−d)‖", "jacobian_norms": "‖∂h_T/∂h_(T−d)‖₂"}

#: a slide: 16 × 9 inches at DPI dots per inch is 1920 × 1080 pixels
SLIDE_INCHES = (16.0, 9.0)
DPI = 120
MIN_TEXT_PX = 14
#: font sizes in points (a point is DPI/72 pixels: 12 pt = 20 px at 120 dpi)
TEXT_PT = {"suptitle": 18, "title": 16, "label": 15, "tick": 13, "legend": 13}
#: PyTorch's gate blocks of weight_hh, in its order: what each GradientFlow.eigenvalues key stands for
GATE_NAMES = {"i": "input gate W_hi", "f": "forget gate W_hf", "g": "cell candidate W_hg", "o": "output gate W_ho",
              "r": "reset gate W_hr", "z": "update gate W_hz", "n": "candidate W_hn", "W_hh": "W_hh"}
_GATE_MARKERS = {"i": "o", "f": "s", "g": "^", "o": "D", "r": "o", "z": "s", "n": "^", "W_hh": "o"}


def style_axes(ax, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None) -> None:
    """Title, axis labels and tick labels at the slide sizes (``TEXT_PT``)."""
    if title is not None:
        ax.set_title(title, fontsize=TEXT_PT["title"])
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=TEXT_PT["label"])
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=TEXT_PT["label"])
    ax.tick_params(which="both", labelsize=TEXT_PT["tick"])


def legend(ax, *args, **kwargs):
    """``ax.legend`` at the slide size, without a frame."""
    kwargs.setdefault("frameon", False)
    return ax.legend(*args, fontsize=TEXT_PT["legend"], **kwargs)


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
        _, ax = plt.subplots(figsize=SLIDE_INCHES)
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
    style_axes(ax, title or "How much gradient reaches d steps back",
               "distance d from the loss (steps back in time)",
               ("gradient norm" if quantity == "both" else QUANTITIES[quantity]) + "  (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    legend(ax)
    return ax


def plot_eigenvalues(flows, ax=None, title: str | None = None, only=None):
    """Eigenvalues of each setting's W_hh and the unit circle, with a legend; ``only``: a sub-list of
    ``flows`` to show (colours stay those of ``flows``). An LSTM's or GRU's W_hh is one H×H block per gate
    (PyTorch's order: i, f, g, o; r, z, n): each block's eigenvalues get their own marker, named in the
    legend (``GATE_NAMES``), since they belong to different matrices. Returns the Axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 9.0))
    angle = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(angle), np.sin(angle), color="0.3", linewidth=1.0, label="|λ| = 1")
    gated = False
    shown = [flow for flow in flows if only is None or any(flow is other for other in only)]
    for i, (flow, colour) in enumerate(zip(flows, _colours(len(flows)))):
        if not any(flow is other for other in shown):
            continue
        size = max(16, 90 - 12 * i)            # later settings smaller: coinciding eigenvalues stay visible
        blocks = flow.eigenvalues
        gated = gated or len(blocks) > 1
        # one setting alone: each gate its own colour too; several: a setting's colour, a gate's marker
        colours = _colours(len(blocks)) if len(shown) == 1 and len(blocks) > 1 else [colour] * len(blocks)
        for (gate, lam), gate_colour in zip(blocks.items(), colours):
            lam = np.asarray(lam)
            label = flow.label if len(blocks) == 1 else f"{flow.label}: {GATE_NAMES.get(gate, gate)}"
            ax.scatter(lam.real, lam.imag, s=size, color=gate_colour, alpha=0.85, edgecolors="white",
                       linewidths=0.4, marker=_GATE_MARKERS.get(gate, "o"), label=label)
    ax.axhline(0, color="0.85", linewidth=0.6)
    ax.axvline(0, color="0.85", linewidth=0.6)
    ax.set_aspect("equal", adjustable="datalim")
    style_axes(ax, title or ("Eigenvalues of each gate's block of W_hh" if gated else "Eigenvalues of W_hh"),
               "Re λ", "Im λ")
    legend(ax, loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.3)
    return ax


def gradient_flow_figure(flows, path=None, quantity: str = "grad_norms", title: str | None = None,
                         eigenvalues_of=None):
    """Curves (left) and eigenvalues (right) in one figure; saved to ``path`` if given (any format
    matplotlib knows from the suffix: .png, .svg, .pdf). ``eigenvalues_of``: the settings whose
    eigenvalues to show (default: all), drawn in the same colours as their curves. Returns the Figure."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=SLIDE_INCHES, gridspec_kw={"width_ratios": [1.3, 1]})
    plot_gradient_flow(flows, ax=left, quantity=quantity, title=title)
    plot_eigenvalues(flows, ax=right, only=eigenvalues_of)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=DPI)
        plt.close(fig)
    return fig


def window_table_figure(rows, baseline_bits: float, title: str | None = None):
    """Held-out bits per character against the window k (log axis; the last row is full BPTT), the
    unigram entropy ``baseline_bits`` as a dashed line, and the time per character read on a second
    axis. ``rows``: dicts with ``window``, ``bpc`` and ``us_per_char`` (``lecture.windows``' rows).
    Returns the Figure."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SLIDE_INCHES)
    x = [row["window"] for row in rows]
    ax.plot(x, [row["bpc"] for row in rows], "o-", color="C0", label="held-out bits per character")
    ax.axhline(baseline_bits, color="0.6", linestyle="--", linewidth=1, label="unigram entropy")
    ax.set_xscale("log")
    ax.set_xticks(x, [str(k) for k in x[:-1]] + [f"{x[-1]}\nfull"])
    ax.minorticks_off()
    style_axes(ax, title, "window k in characters (the last point: full BPTT)")
    ax.set_ylabel("bits per character", color="C0", fontsize=TEXT_PT["label"])
    ax.set_ylim(0, baseline_bits + 0.5)
    time_axis = ax.twinx()
    time_axis.plot(x, [row["us_per_char"] for row in rows], "s:", color="C1", label="time per character")
    style_axes(time_axis)
    time_axis.set_ylabel("µs per character read (varies)", color="C1", fontsize=TEXT_PT["label"])
    time_axis.set_ylim(0, 2 * max(row["us_per_char"] for row in rows))
    lines = ax.get_lines() + time_axis.get_lines()
    legend(ax, lines, [line.get_label() for line in lines], loc="upper left", bbox_to_anchor=(0, 0.88))
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
