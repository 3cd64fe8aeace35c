"""Where the tour writes (``Output``) and how it shows progress (``Progress``).

Every file is written atomically (``serialization.atomic_write``; ``viz.render`` writes that way
too). Graph drawings are SVG when Graphviz's ``dot`` is on PATH and DOT text otherwise (the viz
package's rule, ``viz.dot_available``); with SVG, each drawing also gets a PNG copy for slide
software (rendered from the same drawing), and the drawings named in ``explorers`` an HTML
explorer (``viz.to_html``). Plots are PNG when matplotlib is installed and are left out
otherwise. A file that cannot be written raises ``CommandError`` naming the folder (the CLI
reports it in one line, exit code 2).
"""
import pathlib
import secrets
import sys
import time

from ...analysis import have_matplotlib
from ...analysis.plots import DPI
from ...serialization import atomic_write
from ...viz import GraphvizNotFoundError, dot_available, render, to_html
from ...viz.render import INSTALL_HINT
from ..args import CommandError

PLOTS_HINT = "plots need matplotlib: python3 -m pip install -e \".[plots]\" (or pip install matplotlib)"


class Output:
    """The output folder and the files written into it, in order: ``files`` is a list of
    ``{"name", "section", "what"}``; a drawing's PNG copy adds ``"copy_of"`` and its explorer
    ``"explorer_of"`` (the SVG's name). ``explorers``: the stems of the drawings that get an explorer."""

    def __init__(self, folder, explorers=()):
        self.folder = pathlib.Path(folder)
        self.files = []
        self.explorers = set(explorers)
        self.graph_format = "svg" if dot_available() else "dot"
        self.plots = have_matplotlib()
        self.notes = []                  # things the reader should know (missing dot, missing matplotlib)
        if self.graph_format == "dot":
            self.notes.append("Graph drawings are DOT text (.dot), not SVG: " + INSTALL_HINT)
        if not self.plots:
            self.notes.append("No PNG plots were made: " + PLOTS_HINT + ". The numbers are all in summary.md.")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / f".tour-probe-{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise CommandError(self._problem(err)) from None

    def _problem(self, err: OSError) -> str:
        reason = err.strerror or type(err).__name__
        return (f"cannot write to the output folder '{self.folder}' ({reason}); "
                "choose another one with --out DIR")

    def _record(self, name: str, section: str, what: str, **about) -> str:
        self.files = [f for f in self.files if f["name"] != name]
        self.files.append({"name": name, "section": section, "what": what, **about})
        return name

    def write_bytes(self, name: str, data: bytes, section: str, what: str, **about) -> str:
        try:
            atomic_write(self.folder / name, lambda f: f.write(data), "tour")
        except OSError as err:
            raise CommandError(self._problem(err)) from None
        return self._record(name, section, what, **about)

    def write_text(self, name: str, text: str, section: str, what: str, **about) -> str:
        return self.write_bytes(name, text.encode("utf-8"), section, what, **about)

    def figure(self, name: str, make_figure, section: str, what: str) -> str | None:
        """Save the matplotlib Figure that ``make_figure()`` returns as PNG at ``analysis.plots.DPI`` (the plots
        are made for a 1920×1080 slide at that resolution); ``None`` without matplotlib."""
        if not self.plots:
            return None
        import matplotlib.pyplot as plt
        fig = make_figure()
        try:
            atomic_write(self.folder / name, lambda f: fig.savefig(f, format="png", dpi=DPI), "tour")
        except OSError as err:
            raise CommandError(self._problem(err)) from None
        finally:
            plt.close(fig)
        return self._record(name, section, what)

    def graph(self, stem: str, graph, section: str, what: str) -> str:
        """Write a drawing (what ``viz.draw_graph`` returns) as ``stem.svg`` and its PNG copy ``stem.png``,
        and ``stem.html`` (its explorer) when ``stem`` is in ``explorers``; without Graphviz's ``dot``,
        only ``stem.dot``. Returns the drawing's name (.svg or .dot)."""
        try:
            if self.graph_format == "svg":
                try:
                    svg = self._record(render(graph, self.folder / (stem + ".svg")).name, section, what)
                    self._record(render(graph, self.folder / (stem + ".png")).name, section,
                                 f"{svg} as PNG, for slides", copy_of=svg)
                except GraphvizNotFoundError:       # `dot` on PATH but not runnable: DOT text from now on
                    self.graph_format = "dot"
                    self.notes.insert(0, "Graph drawings are DOT text (.dot), not SVG: " + INSTALL_HINT)
                else:
                    if stem in self.explorers:
                        self.write_text(stem + ".html", to_html(graph).html, section,
                                        f"{svg} to explore in a browser: hover a node for its values and "
                                        "gradient, press play to watch the backward pass", explorer_of=svg)
                    return svg
            return self._record(render(graph, self.folder / (stem + ".dot")).name, section, what)
        except OSError as err:
            raise CommandError(self._problem(err)) from None


class Progress:
    """``[k/N] title`` when a section starts, indented notes while it runs, and the time it took,
    on stderr (stdout keeps the results)."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.start_time = time.perf_counter()
        self.section_start = self.start_time

    def elapsed(self) -> float:
        return time.perf_counter() - self.start_time

    def start(self, number: int, title: str) -> None:
        self.section_start = time.perf_counter()
        print(f"[{number}/{self.total}] {title}", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        print(f"      {text}", file=self.stream, flush=True)

    def done(self, seconds: float | None = None) -> float:
        """End the section: ``seconds`` it took (default: since ``start``; a part run in a worker
        process says its own)."""
        if seconds is None:
            seconds = time.perf_counter() - self.section_start
        print(f"      done in {seconds:.1f} s ({self.elapsed():.1f} s so far)", file=self.stream, flush=True)
        return seconds
