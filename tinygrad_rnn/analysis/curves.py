"""Curves against a shared axis — training runs, sweeps — as one matplotlib figure of panels side by side.

    fig = curves_figure([Panel("held-out MSE", {"RNN": (iters, rnn_mse), "LSTM": (iters, lstm_mse)},
                               xlabel="iteration", logy=True, reference=(1 / 6, "predict 1"))])
    fig.savefig("adding.png")

matplotlib (the ``plots`` extra) is imported only when a figure is made, as in ``plots.py``.
"""
import dataclasses

import numpy as np

from .plots import SLIDE_INCHES, TEXT_PT, _colours, _pyplot, legend, style_axes


@dataclasses.dataclass
class Panel:
    """One panel: ``series`` maps a label to ``(x, y)``, two sequences of one length (N,)."""
    title: str
    series: dict
    xlabel: str = ""
    ylabel: str = ""
    logy: bool = False
    logx: bool = False
    reference: tuple | None = None       # (y, label): a dashed horizontal line, e.g. a baseline
    markers: bool = True
    vline: tuple | None = None           # (x, label): a dotted vertical line, e.g. where a run stopped


def curves_figure(panels, title: str | None = None, ncols: int | None = None, figsize: tuple = SLIDE_INCHES):
    """The panels in a grid of ``ncols`` columns (default: all in one row), each series in the same colour
    in every panel. Non-finite and (on a log axis) non-positive values are left out. ``figsize`` in
    inches: by default a slide (``plots.SLIDE_INCHES``, 1920×1080 px at ``plots.DPI``), with the text
    sizes of ``plots.TEXT_PT``. Returns the Figure (save it with ``fig.savefig``)."""
    plt = _pyplot()
    panels = list(panels)
    if not panels:
        raise ValueError("curves_figure: give at least one Panel")
    ncols = len(panels) if ncols is None else max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    labels = list(dict.fromkeys(label for panel in panels for label in panel.series))
    colour = dict(zip(labels, _colours(len(labels))))
    for ax, panel in zip(axes.flat, panels):
        for label, (x, y) in panel.series.items():
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            if x.shape != y.shape:
                raise ValueError(f"curves_figure: series {label!r} has x of shape {x.shape} and y of shape "
                                 f"{y.shape}; they must match")
            keep = np.isfinite(y) & ((y > 0) if panel.logy else True)
            ax.plot(x[keep], y[keep], marker="o" if panel.markers else "", markersize=4, linewidth=2.0,
                    color=colour[label], label=label)
        if panel.reference is not None:
            value, text = panel.reference
            ax.axhline(value, color="0.5", linestyle="--", linewidth=1.2, label=text)
        if panel.vline is not None:
            value, text = panel.vline
            ax.axvline(value, color="0.3", linestyle=":", linewidth=1.5, label=text)
            low, high = ax.get_xlim()
            if value >= high - 0.01 * (high - low):        # not on the frame: a little room past it
                ax.set_xlim(low, value + 0.04 * (value - low))
        if panel.logy:
            ax.set_yscale("log")
        if panel.logx:
            ax.set_xscale("log")
        style_axes(ax, panel.title, panel.xlabel, panel.ylabel)
        ax.grid(True, which="major", alpha=0.3)
        legend(ax)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=TEXT_PT["suptitle"])
    fig.tight_layout()
    return fig
