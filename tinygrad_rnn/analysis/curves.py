"""Curves against a shared axis — training runs, sweeps — as one matplotlib figure of panels side by side.

    fig = curves_figure([Panel("held-out MSE", {"RNN": (iters, rnn_mse), "LSTM": (iters, lstm_mse)},
                               xlabel="iteration", logy=True, reference=(1 / 6, "predict 1"))])
    fig.savefig("adding.png")

matplotlib (the ``plots`` extra) is imported only when a figure is made, as in ``plots.py``.
"""
import dataclasses

import numpy as np

from .plots import _colours, _pyplot


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


def curves_figure(panels, title: str | None = None, width_per_panel: float = 5.0, height: float = 3.8):
    """The panels side by side, each series in the same colour in every panel. Non-finite and (on a
    log axis) non-positive values are left out. Returns the Figure (save it with ``fig.savefig``)."""
    plt = _pyplot()
    panels = list(panels)
    if not panels:
        raise ValueError("curves_figure: give at least one Panel")
    fig, axes = plt.subplots(1, len(panels), figsize=(width_per_panel * len(panels), height), squeeze=False)
    labels = list(dict.fromkeys(label for panel in panels for label in panel.series))
    colour = dict(zip(labels, _colours(len(labels))))
    for ax, panel in zip(axes[0], panels):
        for label, (x, y) in panel.series.items():
            x = np.asarray(x, dtype=np.float64)
            y = np.asarray(y, dtype=np.float64)
            if x.shape != y.shape:
                raise ValueError(f"curves_figure: series {label!r} has x of shape {x.shape} and y of shape "
                                 f"{y.shape}; they must match")
            keep = np.isfinite(y) & ((y > 0) if panel.logy else True)
            ax.plot(x[keep], y[keep], marker="o" if panel.markers else "", markersize=3, linewidth=1.6,
                    color=colour[label], label=label)
        if panel.reference is not None:
            value, text = panel.reference
            ax.axhline(value, color="0.5", linestyle="--", linewidth=1, label=text)
        if panel.logy:
            ax.set_yscale("log")
        if panel.logx:
            ax.set_xscale("log")
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
