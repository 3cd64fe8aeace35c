"""``to_gif``: the explorer's backward animation as an animated GIF, for slides that cannot show HTML.

    to_gif(draw_graph(loss, grads=all_gradients(loss)), "backward.gif")

One frame per frame of the explorer (``explain.py``): the engine's reverse topological order,
each tensor lighting up (teal border) when its gradient is complete, the newest one black, the
ones still waiting washed out; a banner above the drawing names the tensor and its ‖∂L/∂x‖,
shows ‖∂L/∂h_t‖ for the steps reached so far (log scale), and says where a ``detach()`` stops
the gradient.

``dot`` lays the drawing out once per output, not once per frame: the picture (PNG), an image map
with every node's box in pixels (cmapx) and the SVG that names the boxes; the frames are then
drawn on copies of that picture with Pillow (a few ms each, where one ``dot`` run per frame
would take 0.2 s or more). Pillow comes with matplotlib (the ``plots`` extra).

Big graphs: at most ``max_frames`` frames (default 150); with more steps, each frame moves on by
several steps (every ``ceil(steps / max_frames)``-th, and always the last). The picture is scaled
down to ``max_width`` pixels wide (default 1920, a slide).
"""
import html as _html
import io
import math
import pathlib
import re

from ..serialization import atomic_write
from .html import check_drawing, check_suffix
from .render import TIMEOUT, run_dot

SUFFIXES = (".gif",)
# lit teal and current black: no colour of the gradient scale, so neither reads as "exploding" (as in the explorer)
LIT, CURRENT, CUT = (15, 157, 138), (17, 17, 17), (192, 57, 43)
FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf")


def _pillow(who: str):
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(f"{who} needs Pillow, which is not installed. Fix: pip install \"tinygrad-rnn[plots]\" "
                          f"(matplotlib brings Pillow), or pip install pillow") from None
    return Image, ImageDraw, ImageFont


def layout(drawing, timeout: float | None = TIMEOUT, who: str = "to_gif") -> tuple:
    """The PNG bytes and ``{node id: (x0, y0, x1, y1)}``, each node's box in the PNG's pixels, from
    ``dot``'s image map (cmapx) and its SVG (which names the boxes). Nodes without a tooltip, such
    as the 1 in 1 - z, have no box."""
    image, cmapx, svg = run_dot(drawing, ("png", "cmapx", "svg"), timeout, who)     # one layout, three files
    cmapx, svg = cmapx.decode("utf-8"), svg.decode("utf-8")
    names = dict(re.findall(r'<g id="(node\d+)" class="node">\s*<title>([^<]*)</title>', svg))
    boxes = {}
    for area in re.findall(r"<area [^>]*>", cmapx):
        ident = re.search(r'id="(node\d+)"', area)
        coords = re.search(r'coords="([\d,\s-]+)"', area)
        if ident and coords and 'shape="rect"' in area and ident[1] in names:
            x0, y0, x1, y1 = (int(v) for v in coords[1].split(","))
            boxes[_html.unescape(names[ident[1]])] = (x0, y0, x1, y1)
    return image, boxes


def frame_steps(count: int, max_frames: int) -> list:
    """Which explorer frames (1-based) become GIF frames: all of them, or every n-th and the last."""
    if count <= max_frames:
        return list(range(1, count + 1))
    every = math.ceil(count / max_frames)
    steps = list(range(every, count + 1, every))
    return steps if steps[-1] == count else steps + [count]


def _font(ImageFont, size: int):
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _fmt(x) -> str:
    return "?" if x is None else x if isinstance(x, str) else f"{x:.3g}"


def to_gif(drawing, path, *, frame_ms: int = 400, last_ms: int = 2500, max_frames: int = 150,
           max_width: int = 1920, timeout: float | None = TIMEOUT) -> pathlib.Path:
    """Write the backward animation of ``drawing`` (what ``draw_graph`` returns) to ``path`` (.gif);
    returns the path. ``frame_ms``: how long each frame shows, ``last_ms`` the last one;
    ``max_frames``, ``max_width``: caps for big graphs (see the module docstring); ``timeout``: the
    seconds ``dot`` may take, as for ``render``."""
    data = check_drawing(drawing, "to_gif")
    path = check_suffix(path, SUFFIXES, "to_gif")
    for name, value, low in (("frame_ms", frame_ms, 20), ("last_ms", last_ms, 20), ("max_frames", max_frames, 1),
                             ("max_width", max_width, 200)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"to_gif: {name} must be an int >= {low}, got {value!r}")
    if not data["frames"]:
        raise ValueError("to_gif: the drawing has no backward pass to animate (nothing in it requires grad). Fix: "
                         "draw a loss computed from tensors with requires_grad=True")
    Image, ImageDraw, ImageFont = _pillow("to_gif")
    png, boxes = layout(drawing, timeout)
    base = Image.open(io.BytesIO(png)).convert("RGB")
    scale = min(1.0, max_width / base.width)
    if scale < 1:
        base = base.resize((round(base.width * scale), round(base.height * scale)), Image.LANCZOS)
        boxes = {k: tuple(round(v * scale) for v in box) for k, box in boxes.items()}
    fonts = _font(ImageFont, 22), _font(ImageFont, 16)[0]
    frames = [_frame(data, k, base, boxes, Image, ImageDraw, fonts)
              for k in frame_steps(len(data["frames"]), max_frames)]
    # one palette for all frames (from the first and the last), so that unchanged pixels stay the same
    # and the GIF stores only what changed from frame to frame
    both = Image.new("RGB", (frames[0].width, 2 * frames[0].height))
    both.paste(frames[0], (0, 0))
    both.paste(frames[-1], (0, frames[0].height))
    shared = both.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    palette = [f.quantize(palette=shared, dither=Image.Dither.NONE) for f in frames]
    durations = [frame_ms] * (len(palette) - 1) + [last_ms]

    def write(f):
        palette[0].save(f, format="GIF", save_all=True, append_images=palette[1:], duration=durations, loop=0)
    atomic_write(path, write, "to_gif")
    return path


def _frame(data, k, base, boxes, Image, ImageDraw, fonts):
    """The picture after ``k`` frames of the backward pass: a banner above the lit drawing."""
    frames = data["frames"]
    frame_of = {}
    for i, frame in enumerate(frames, start=1):
        for node in frame["tensors"] + frame["ops"]:
            frame_of[node] = i
    (font, unicode_ok), small = fonts
    grad = "‖∂L/∂x‖" if unicode_ok else "|dL/dx|"
    banner_h = 150
    image = Image.new("RGB", (max(base.width, 900), base.height + banner_h), "white")
    picture = base.copy()
    draw = ImageDraw.Draw(picture)
    for node, f in frame_of.items():
        box = boxes.get(node)
        if box is None:
            continue
        if f > k:                                               # still waiting: washed out
            region = picture.crop(box)
            picture.paste(Image.blend(region, Image.new("RGB", region.size, "white"), 0.7), box[:2])
        else:
            draw.rounded_rectangle(_grow(box, 3), radius=6, outline=CURRENT if f == k else LIT,
                                   width=5 if f == k else 3)
    hit = [cut for cut in data["cuts"] if (cut["frame"] is None and k == len(frames))
           or (cut["frame"] is not None and k >= cut["frame"])]
    for cut in hit:
        for node in (cut["origin"], cut["detached"]):
            if node in boxes:
                draw.rectangle(_grow(boxes[node], 5), outline=CUT, width=5)
    image.paste(picture, (0, banner_h))

    top = ImageDraw.Draw(image)
    frame = frames[k - 1]
    node = data["nodes"].get(frame["tensors"][0], {})
    what = frame["name"] or (f"the output of {frame['made_by']}" if frame["made_by"] else "a tensor")
    if frame["step"] is not None:
        what += f" (t = {frame['step']})"
    line = f"backward, frame {k} of {len(frames)}: {what} complete, {grad} = {_fmt(node.get('grad'))}"
    top.text((14, 10), line, fill=(29, 35, 48), font=font)
    top.text((14, 42), data["title"], fill=(90, 96, 112), font=small)
    for i, cut in enumerate(hit):
        where = f"step {cut['step']} or earlier" if cut["step"] is not None else cut["name"]
        top.text((14, 70 + 26 * i), f"✂ the gradient stops at {cut['name']}.detach(): none reaches {where}"
                 if unicode_ok else f"cut: the gradient stops at {cut['name']}.detach(): none reaches {where}",
                 fill=CUT, font=font)
    _strip(top, data, k, (image.width - 20 - min(560, 80 * max(1, len(data["strip"]["points"]))), 8,
                          image.width - 20, banner_h - 10), small, unicode_ok)
    top.line((0, banner_h - 2, image.width, banner_h - 2), fill=(197, 202, 219), width=2)
    return image


def _grow(box, by):
    x0, y0, x1, y1 = box
    return (x0 - by, y0 - by, x1 + by, y1 + by)


def _strip(draw, data, k, area, font, unicode_ok):
    """‖∂L/∂h_t‖ as bars on a log scale, for the steps reached after ``k`` frames."""
    points = data["strip"]["points"]
    if not points:
        return
    x0, y0, x1, y1 = area
    label = "‖∂L/∂h_t‖, log scale" if unicode_ok else "|dL/dh_t|, log scale"
    draw.text((x0, y0), label, fill=(29, 35, 48), font=font)
    known = [p["grad"] for p in points if isinstance(p["grad"], float) and p["grad"] > 0]
    if not known:
        return
    lo, hi = math.floor(math.log10(min(known))), math.ceil(math.log10(max(known)))
    hi = max(hi, lo + 1)
    top, bottom = y0 + 26, y1 - 20
    slot = (x1 - x0) / len(points)
    every = math.ceil(44 / slot)                # label every step that has room (44 px a label)
    for i, p in enumerate(points):
        cx = x0 + slot * (i + 0.5)
        if i % every == 0 or i == len(points) - 1 and every == 1:
            draw.text((cx - 14, bottom + 2), f"t={p['t']}", fill=(57, 64, 90), font=font)
        reached = p["frame"] is not None and p["frame"] <= k
        if reached and isinstance(p["grad"], float) and p["grad"] > 0:
            y = top + (bottom - top) * (1 - (math.log10(p["grad"]) - lo) / (hi - lo))
            draw.rectangle((cx - slot * 0.3, y, cx + slot * 0.3, bottom), fill=(44, 90, 160))
    draw.line((x0, bottom, x1, bottom), fill=(150, 150, 150), width=1)
