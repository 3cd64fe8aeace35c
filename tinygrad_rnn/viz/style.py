"""How a drawing looks: gradient norms as colour and line width on a log scale, the node styles, the legend.

Gradient norms in an unrolled net span many orders of magnitude (1e-6 at the start of a long
sequence, 1e+2 when it explodes), so they are mapped on a *log* scale: each factor of 10 moves the
same distance along the colour ramp. From small to large:

    faded grey  ->  light blue  ->  blue (about 1)  ->  purple  ->  orange  ->  red
    (vanishing)                                                     (exploding)

and lines get thicker as the gradient grows. Norms below ``low`` all look faded, above ``high``
all glow red. Only this module knows colours: the views ask it for styles by meaning.
"""
import math
import textwrap

FONT = "Helvetica,Arial,sans-serif"

# node styles by what a tensor is; gradient colour is added on top (border and a light tint of the fill)
OP_STYLE = dict(shape="box", style="rounded,filled", fillcolor="#eef1f7", color="#8a94a6", fontsize="10",
                height="0.3", margin="0.08,0.03")
TENSOR_STYLE = dict(shape="Mrecord", style="filled", fillcolor="#ffffff", color="#555555", fontsize="10")
PARAMETER_STYLE = dict(shape="record", style="filled", fillcolor="#fde9a9", color="#9a7b1c", fontsize="10")
CONSTANT_STYLE = dict(shape="Mrecord", style="filled", fillcolor="#f3f3f3", color="#b0b0b0", fontcolor="#666666",
                      fontsize="9")
SCALAR_STYLE = dict(shape="plaintext", fontcolor="#666666", fontsize="9", height="0.2", width="0.2", margin="0")
DOT_STYLE = dict(shape="circle", style="filled", width="0.12", height="0.12", fixedsize="true", label="",
                 color="#9a9a9a", fillcolor="#9a9a9a")
FADED_STYLE = dict(color="#c8c8c8", fontcolor="#a0a0a0", fillcolor="#fafafa", style="filled,dashed")

EDGE_STYLE = dict(color="#9a9a9a", penwidth="0.8", arrowsize="0.6")      # grey: no gradient
CELL_EDGE_STYLE = dict(color="#4a5163", penwidth="1", arrowsize="0.6")    # the rolled cell: gradient not shown
CUT_STYLE = dict(style="dashed", color="#c0392b", fontcolor="#c0392b", penwidth="1.6", arrowhead="tee",
                 fontsize="10")
JACOBIAN_FONT = dict(fontsize="9", fontcolor="#1f3d7a")
ADDITIVE_FONT = dict(fontsize="9", fontcolor="#1b6e4a")
CLUSTER_STYLE = dict(style="rounded,filled", fillcolor="#f7f8fc", color="#c5cadb", fontcolor="#39405a",
                     fontsize="12", labelloc="t", labeljust="l")
SHARED_CLUSTER_STYLE = dict(CLUSTER_STYLE, fillcolor="#fffaf0", color="#e3cf8f")
FADED_CLUSTER_STYLE = dict(CLUSTER_STYLE, style="rounded,filled,dashed", fillcolor="#fcfcfc", color="#d5d5d5",
                           fontcolor="#a0a0a0")

# drawing sizes (``draw_graph(size=...)``): the box the picture must fit, the dpi it is rendered at,
# how high the smallest text must come out in it, and the smallest font used to get there
# (dpi: Graphviz's for PNG, 96; an SVG is in points, 72 to the inch, and scales)
SIZES = {"slide": dict(width_px=1920, height_px=1080, dpi=96, min_text_px=14, min_font=14, ranksep=0.2,
                       wrap=60, what="a 16:9 slide, 1920×1080 px")}


def check_size(size, who: str = "draw_graph") -> None:
    """``size`` must be None (the natural size) or a name in ``SIZES``."""
    if size is not None and size not in SIZES:
        names = ", ".join(repr(k) for k in SIZES)
        raise ValueError(f"{who}: size must be None (the natural size) or one of {names}, got {size!r}. "
                         f"Fix: size=\"slide\" for {SIZES['slide']['what']}")


def size_attrs(size: str) -> dict:
    """Graph attributes that scale the picture (up or down) to fill the box of ``SIZES[size]``."""
    spec = SIZES[size]
    return dict(size=f"{spec['width_px'] / spec['dpi']:g},{spec['height_px'] / spec['dpi']:g}!",
                ranksep=f"{spec['ranksep']:g}")


def at_least_font(attrs: dict, min_font: float | None) -> dict:
    """``attrs`` with its ``fontsize`` raised to ``min_font`` (unchanged for None)."""
    if min_font is None or "fontsize" not in attrs or float(attrs["fontsize"]) >= min_font:
        return attrs
    return dict(attrs, fontsize=f"{min_font:g}")


# the colour ramp: (position on the log scale from low = 0 to high = 1, colour)
_RAMP = [(0.0, (0xd9, 0xd9, 0xd9)),     # faded: almost the background
         (0.33, (0x9e, 0xca, 0xe1)),    # light blue
         (0.67, (0x2c, 0x5a, 0xa0)),    # blue: about 1 with the default range
         (0.80, (0x8e, 0x3b, 0xa8)),    # purple
         (0.90, (0xe8, 0x59, 0x0c)),    # orange
         (1.0, (0xd7, 0x19, 0x1c))]     # red: exploding


def format_number(x: float) -> str:
    """Three significant digits: 0.0123, 1.23e-05, 457."""
    return f"{x:.3g}"


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def _mix(rgb, other, weight: float):
    """``weight`` of ``other`` mixed into ``rgb``."""
    return tuple(a + (b - a) * weight for a, b in zip(rgb, other))


class GradientScale:
    """Maps a gradient norm to a colour and pen widths, log-linearly between ``low`` and ``high``."""

    def __init__(self, low: float = 1e-4, high: float = 1e2):
        if not 0 < low < high:
            raise ValueError(f"GradientScale: need 0 < low < high, got low={low}, high={high}")
        self.low, self.high = low, high

    def position(self, norm: float) -> float:
        """Where ``norm`` sits between low (0) and high (1) on the log scale, clipped to [0, 1]."""
        if norm <= 0:
            return 0.0
        p = (math.log10(norm) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        return min(1.0, max(0.0, p))

    def _rgb(self, norm: float):
        p = self.position(norm)
        for (p0, c0), (p1, c1) in zip(_RAMP, _RAMP[1:]):
            if p <= p1:
                return _mix(c0, c1, (p - p0) / (p1 - p0))
        return _RAMP[-1][1]

    def colour(self, norm: float) -> str:
        return _hex(self._rgb(norm))

    def fill(self, norm: float) -> str:
        """A light tint of the colour, for a node's background: black text stays readable."""
        return _hex(_mix(self._rgb(norm), (255, 255, 255), 0.72))

    def edge_width(self, norm: float) -> float:
        return round(0.6 + 5.4 * self.position(norm), 2)

    def border_width(self, norm: float) -> float:
        return round(0.8 + 3.2 * self.position(norm), 2)

    def edge_style(self, norm: float | None) -> dict:
        """Attributes for an edge carrying a gradient of this norm (the plain grey edge for ``None``)."""
        if norm is None:
            return dict(EDGE_STYLE)
        return dict(EDGE_STYLE, color=self.colour(norm), penwidth=str(self.edge_width(norm)))

    def node_style(self, norm: float | None) -> dict:
        """Border colour, border width and fill tint for a tensor whose gradient has this norm."""
        if norm is None:
            return {}
        return dict(color=self.colour(norm), penwidth=str(self.border_width(norm)), fillcolor=self.fill(norm))

    def decades(self) -> list:
        """Powers of ten from low to high (at most 7, evenly spaced), for the legend."""
        lo, hi = math.ceil(math.log10(self.low) - 1e-9), math.floor(math.log10(self.high) + 1e-9)
        exponents = list(range(lo, hi + 1))
        step = max(1, math.ceil(len(exponents) / 7))
        return [10.0 ** e for e in exponents[::step]]


def additive(style: dict) -> dict:
    """The same edge drawn as a double line: the LSTM's additive cell path c_(t-1) -> c_t."""
    colour = style.get("color", EDGE_STYLE["color"])
    width = float(style.get("penwidth", 1.0))
    return dict(style, color=f"{colour}:invis:{colour}", penwidth=str(max(1.2, width * 0.7)))


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: the legend's notes are set in columns of this many characters (a drawing's own size may ask for fewer)
LEGEND_WRAP = 75


def legend(scale: GradientScale, title: str = "", notes=(), show_scale: bool = True, min_font: float | None = None,
           wrap: int | None = None) -> str:
    """The legend, an HTML-like Graphviz label (used as the graph's label, below the drawing).

    One band, to cost the drawing as little height as it can: on the left the title and one row of
    colour swatches, one per decade, each a little taller than the last (line width grows too); to
    its right the notes (what the shapes and special edges mean), in up to three columns of about
    equal height, each note broken into lines of ``wrap`` characters (``LEGEND_WRAP`` unless told).
    ``min_font``: no text smaller than this (points).
    """
    small, note_pt = (8, 9) if min_font is None else (max(8, min_font), max(9, min_font))
    wrap = wrap or LEGEND_WRAP
    left = []
    if title:
        left.append(f'<TR><TD ALIGN="LEFT"><B>{escape_html(title)}</B></TD></TR>')
    if show_scale:
        decades = scale.decades()
        swatches = "".join(
            f'<TD BGCOLOR="{scale.colour(d)}" WIDTH="34" HEIGHT="{int(4 + 10 * scale.position(d))}" '
            f'FIXEDSIZE="TRUE"></TD>' for d in decades)
        ticks = "".join(f'<TD><FONT POINT-SIZE="{small:g}">{_tick(d)}</FONT></TD>' for d in decades)
        scale_table = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="0">'
                       f'<TR>{swatches}</TR><TR>{ticks}</TR></TABLE>')
        left.append(f'<TR><TD ALIGN="LEFT">‖∂L/∂x‖ (log scale): '
                    f'<FONT POINT-SIZE="{small:g}">faded = vanishing, red = exploding</FONT></TD></TR>'
                    f'<TR><TD ALIGN="LEFT">{scale_table}</TD></TR>')
    wrapped = [textwrap.wrap(note, wrap) or [""] for note in notes]
    columns = _balanced(wrapped, 3 if sum(map(len, wrapped)) > 12 else 2 if len(wrapped) > 1 else 1)
    cells = []
    for column in columns:
        rows = "".join(
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="{note_pt:g}">'
            + '<BR/>'.join(escape_html(line) for line in lines) + '</FONT></TD></TR>' for lines in column)
        cells.append(f'<TD VALIGN="TOP"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
                     f'{rows}</TABLE></TD>')
    head = ('<TD VALIGN="TOP"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
            + "".join(left) + '</TABLE></TD>') if left else ""
    # a gap between columns: a browser may set the SVG's text a little wider than dot measured it
    gap = f'<TD WIDTH="{round(2 * note_pt)}"></TD>'
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="6" CELLPADDING="0"><TR>' + gap.join([head] + cells if head
                                                                                              else cells)
            + "</TR></TABLE>>")


def _balanced(wrapped: list, count: int) -> list:
    """The notes (each a list of lines) cut, in order, into ``count`` columns of about equal height."""
    if not wrapped:
        return []
    total = sum(map(len, wrapped))
    columns, current, height = [], [], 0
    for lines in wrapped:
        if current and height + len(lines) / 2 > total / count * (len(columns) + 1) and len(columns) < count - 1:
            columns.append(current)
            current = []
        current.append(lines)
        height += len(lines)
    columns.append(current)
    return columns


def _tick(value: float) -> str:
    exponent = round(math.log10(value))
    return "1" if exponent == 0 else ("10" if exponent == 1 else f"1e{exponent}")
