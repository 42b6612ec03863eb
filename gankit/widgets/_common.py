"""Helpers every panel shares: the container, the error box, colours, views and clipping.

A panel is a thin view: it turns slider values into numbers, asks the core
(:func:`gankit.simulate`, :mod:`gankit.analysis`) for arrays, and assigns them to bqplot
marks it built once. What is common to all panels lives here, so each panel module
holds only its own layout and its own callback.

* :func:`panel` wraps a panel's widgets in a ``VBox`` carrying the CSS classes
  ``gankit-panel`` and ``gankit-<name>`` (the browser tests find panels by them).
* :class:`ErrorBox` is the ``ipywidgets.Output`` inside the panel where callback errors
  go (JupyterLab shows a callback's exception nowhere else); :meth:`ErrorBox.guard`
  wraps a callback.
* :data:`PALETTE` / :func:`colour`: one colour per optimizer or scheme, in a fixed order.
* :class:`View`: the fixed plot window; :func:`scales` builds bqplot scales that never
  autoscale, so a diverged run can not blow an axis up to 1e30.
* :func:`clip_path`: a trajectory cut where it diverged or left the view, with the exit
  point on the border and the step where it was cut, for drawing and labelling.
* :func:`curve_figure` / :func:`set_curves`: training curves (losses, metrics) over steps,
  on scales pinned to the finite data, so a NaN never breaks the browser's SVG path.
* :func:`legend`: a legend beside a plot, never on its data, its text in the theme's
  colour; :data:`INK` for marks that belong to no run.
* :func:`html_table`: the readout tables.

>>> import numpy as np
>>> from gankit.widgets import _common
>>> view = _common.View(-1, 1, -1, 1)
>>> cut = _common.clip_path(np.array([[0.0, 0.0], [0.5, 0.0], [2.0, 0.0]]), view)
>>> cut.x.tolist(), cut.cut_at, cut.reason
([0.0, 0.5, 1.0], 2, 'left the view')
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
import struct
import threading
import traceback
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import bqplot
import ipywidgets
import numpy as np

#: One colour per run, in the order runs are listed. Chosen (from Okabe & Ito's blue,
#: vermillion and bluish green, then by a max-min search) so that every colour keeps 3:1
#: contrast on JupyterLab's light and dark backgrounds and any two stay at least 15 CIE76
#: units apart in normal vision and under simulated deuteranopia and protanopia
#: (:mod:`gankit.widgets._colour`; tests/test_palette.py). The first six are at least 26
#: apart: the order puts the most distinct first.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#6633FF",  # violet
    "#7777FF",  # periwinkle
    "#DD0044",  # crimson
    "#994477",  # plum
    "#BB77AA",  # mauve
)

#: Colour scheme for value heatmaps (a sequential bqplot/d3 scheme).
HEAT_SCHEME = "viridis"

#: Tick labels of a step axis: three significant digits with SI prefixes (2k, 12.5k), so
#: a narrow plot never prints 2000400060008000.
STEP_TICKS = ".3~s"

#: The neutral colour of marks that belong to no run (an equilibrium, a start point, drawn
#: points, labels): a mid grey that keeps 3:1 contrast on JupyterLab's light *and* dark
#: backgrounds, where black vanishes on dark and white on light (tests/test_palette.py).
INK = "#808080"


def colour(index: int) -> str:
    """The palette colour of the ``index``-th run (wraps around).

    >>> from gankit.widgets._common import colour
    >>> colour(0), colour(8)
    ('#0072B2', '#0072B2')
    """
    return PALETTE[int(index) % len(PALETTE)]


# -- legends: beside the plot, never on it ---------------------------------------------

_SWATCH = "display:inline-block;width:16px;height:3px;vertical-align:middle;background:{c}"


def legend_html(entries: Sequence[tuple[str, str]], title: str = "") -> str:
    """The markup of a legend: per entry ``(label, colour)`` a swatch in the colour and the
    label in the theme's text colour (a pale line colour would make pale text); a
    ``title`` (the plot's) leads the line in bold, so title and key read as one.

    >>> legend_html([("SGD", "#0072B2")]).count("gankit-legend-item")
    1
    """
    items = "".join(
        '<span class="gankit-legend-item" style="white-space:nowrap">'
        f'<span style="{_SWATCH.format(c=html.escape(colour))}"></span>'
        f'<span style="margin-left:5px">{html.escape(str(label))}</span></span>'
        for label, colour in entries
    )
    if title:
        items = f'<b class="gankit-legend-title">{html.escape(title)}</b>' + items
    return (
        '<div class="gankit-legend" style="display:flex;flex-wrap:wrap;gap:2px 14px;'
        "font-size:12px;line-height:18px;color:var(--jp-ui-font-color1,#212121);"
        f'padding:0 4px">{items}</div>'
    )


def legend(entries: Sequence[tuple[str, str]], title: str = "") -> ipywidgets.HTML:
    """A legend to put beside (or above) a plot, outside its plotting area, so it never
    hides data: an ``HTML`` widget of :func:`legend_html`. Update it with ``.value``.

    >>> legend([("D loss", PALETTE[0]), ("G loss", PALETTE[1])]).value.count("</span></span>")
    2
    """
    box = ipywidgets.HTML(legend_html(entries, title))
    box.add_class("gankit-legend-box")
    return box


# -- layout: plots keep their size ---------------------------------------------------


#: About how wide a character of a control's label is, in pixels (JupyterLab's 13 px font).
CHAR_PX = 7.5


def fit_labels(widget: ipywidgets.Widget) -> None:
    """Give every control inside ``widget`` room for its whole label: a description box
    narrower than its text (at :data:`CHAR_PX` a character) is widened, and a button whose
    width nobody set fits its text. A label cut to "learning r…" hides what it controls.
    """
    stack, seen = [widget], set()
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        if isinstance(w, ipywidgets.Box):
            stack.extend(w.children)
        text = getattr(w, "description", "") or ""
        if isinstance(w, ipywidgets.Button | ipywidgets.Checkbox):  # text beside, not in a box
            if text and w.layout.width is None:
                w.layout.width = "auto"
                w.layout.flex = w.layout.flex or "0 0 auto"  # a full row must not squeeze it
            continue
        style = getattr(w, "style", None)
        if not text or not hasattr(style, "description_width"):
            continue
        have = style.description_width or ""
        have_px = float(have[:-2]) if have.endswith("px") else 80.0  # ipywidgets' default
        need_px = math.ceil(CHAR_PX * len(text)) + 8
        if have != "initial" and need_px > have_px:
            style.description_width = f"{need_px}px"


def plot_layout(width: str, height: str) -> ipywidgets.Layout:
    """A plot's box that never shrinks or grows with its neighbours (a table that gains a
    row or a wider number must not move the plot, or the sliders under the mouse).

    >>> plot_layout("520px", "500px").flex
    '0 0 auto'
    """
    return ipywidgets.Layout(width=width, min_width=width, height=height, flex="0 0 auto")


def side_layout(width: str) -> ipywidgets.Layout:
    """The controls' column beside a plot: a fixed width; what is wider scrolls inside it."""
    return ipywidgets.Layout(width=width, min_width=width, flex="0 0 auto", overflow="auto")


# -- the panel container and its error box --------------------------------------------


#: The CSS class of a panel whose callback is running.
BUSY = "gankit-busy"
#: A callback that runs longer than this (seconds) marks its panel busy.
BUSY_AFTER_S = 0.15

#: The look every panel shares: readout tables that keep their columns apart and their
#: numbers on one line, and the busy state (plots and tables greyed, and a "computing"
#: line, once a callback has run for BUSY_AFTER_S: a quick one never flickers).
STYLE = """<style>
.gankit-readout { border-collapse: collapse; font-size: 12px; }
.gankit-readout th, .gankit-readout td { padding: 1px 8px; white-space: nowrap; }
.gankit-readout th { white-space: normal; max-width: 11em; vertical-align: bottom;
  border-bottom: 1px solid var(--jp-border-color1, #bdbdbd); }
.gankit-busy .bqplot, .gankit-busy .gankit-readout, .gankit-busy .gankit-legend {
  opacity: 0.3; transition: opacity 0.1s;
}
.gankit-panel.gankit-busy::before {
  content: "computing…"; color: var(--jp-ui-font-color2, #616161); font-size: 12px;
}
</style>"""


def panel(name: str, *children: ipywidgets.Widget) -> ipywidgets.VBox:
    """The panel's outer box, with CSS classes ``gankit-panel`` and ``gankit-<name>``.

    >>> import ipywidgets
    >>> from gankit.widgets._common import panel
    >>> box = panel("race", ipywidgets.Label("hi"))
    >>> box._dom_classes
    ('gankit-panel', 'gankit-race')
    """
    if not isinstance(name, str) or not name.replace("-", "").isalnum() or name != name.lower():
        raise ValueError(f"name must be a lower-case word (letters, digits, '-'), got {name!r}")
    style = ipywidgets.HTML(STYLE, layout=ipywidgets.Layout(display="none"))
    box = ipywidgets.VBox([*children, style])
    box.add_class("gankit-panel")
    box.add_class(f"gankit-{name}")
    return box


class ErrorBox:
    """An ``ipywidgets.Output`` that shows a callback's exception inside the panel.

    Callbacks run by a widget event have nowhere to print a traceback in JupyterLab, so
    a panel wraps each in :meth:`guard`: an exception is shown in ``widget`` (and kept in
    ``last_error``) instead of vanishing; the next successful call clears it. A student
    sees one sentence (the error's message); the traceback is one click away, folded
    under "details". Works without a browser or kernel (it writes the Output's
    ``outputs`` directly).

    >>> from gankit.widgets._common import ErrorBox
    >>> box = ErrorBox()
    >>> @box.guard
    ... def bad(change=None):
    ...     raise ValueError("learning_rate must be positive")
    >>> bad()
    >>> type(box.last_error).__name__, "learning_rate" in box.text
    ('ValueError', True)
    """

    def __init__(self) -> None:
        self.widget = ipywidgets.Output()
        self.widget.add_class("gankit-errors")
        self.last_error: BaseException | None = None
        #: The panel's box, marked ``gankit-busy`` while a slow guarded callback runs (the
        #: base :class:`gankit.widgets.Panel` sets it): its plots and tables grey out and it
        #: says "computing", so a slow first choice never shows the old result under a new
        #: name.
        self.busy_widget: ipywidgets.DOMWidget | None = None
        self._depth = 0

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Mark the panel busy if what runs inside takes longer than :data:`BUSY_AFTER_S`
        (a timer marks it, so a quick callback sends the browser nothing more); nested
        uses mark it once."""
        box = self.busy_widget
        self._depth += 1
        if box is None or self._depth > 1:
            try:
                yield
            finally:
                self._depth -= 1
            return
        lock, shown, done = threading.Lock(), [False], [False]

        def show() -> None:
            with lock:
                if not done[0]:
                    box.add_class(BUSY)
                    shown[0] = True

        timer = threading.Timer(BUSY_AFTER_S, show)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            self._depth -= 1
            timer.cancel()
            with lock:
                done[0] = True
                if shown[0]:
                    box.remove_class(BUSY)

    @property
    def message(self) -> str:
        """The sentence the box shows (empty when the last call succeeded)."""
        return "" if self.last_error is None else sentence(self.last_error)

    @property
    def text(self) -> str:
        """What the box holds now: the sentence, then the folded traceback ("" if none)."""
        return "\n".join(o["data"]["text/plain"] for o in self.widget.outputs)

    def show(self, error: BaseException) -> None:
        """Display ``error`` in the box: its sentence, and its traceback under "details"."""
        self.last_error = error
        lines = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        said = sentence(error)
        markup = (
            f'<div class="gankit-error" style="color:var(--jp-error-color1,#b00020)">'
            f"{html.escape(said)}</div>"
            '<details class="gankit-error-details"><summary>details</summary>'
            '<pre style="white-space:pre-wrap;max-height:12em;overflow:auto;font-size:11px">'
            f"{html.escape(lines)}</pre></details>"
        )
        self.widget.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": markup, "text/plain": f"{said}\n{lines}"},
                "metadata": {},
            },
        )

    def clear(self) -> None:
        """Empty the box."""
        self.last_error = None
        if self.widget.outputs:
            self.widget.outputs = ()

    def guard(self, callback: Callable, *, busy: bool = True) -> Callable:
        """Wrap ``callback`` so its exceptions land in the box; it returns None then.

        While it runs the panel is marked busy (``busy=False`` for an animation's frames,
        which must not flicker)."""

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                with self.busy() if busy else contextlib.nullcontext():
                    result = callback(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - shown to the user, not swallowed
                self.show(error)
                return None
            self.clear()
            return result

        return guarded


# -- clicks on a plot ----------------------------------------------------------------


def _png(rgba: np.ndarray) -> bytes:
    """Encode an ``(h, w, 4)`` uint8 array as PNG bytes (no imaging library needed)."""
    h, w, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


_CLEAR_PNG = _png(np.zeros((1, 1, 4), np.uint8))


def click_layer(
    view: View,
    sx: bqplot.Scale,
    sy: bqplot.Scale,
    on_click: Callable[[float, float], None],
) -> bqplot.Image:
    """A transparent bqplot ``Image`` over the whole view that reports clicks.

    bqplot's ``Image`` mark sends a click as data coordinates (``click_x``,
    ``click_y``); other marks send no position. Put the layer above every mark that
    would take the click (a heatmap, dense lines) and below the marks that must stay
    draggable; ``on_click(x, y)`` gets the point.
    """
    layer = bqplot.Image(
        image=ipywidgets.Image(value=_CLEAR_PNG, format="png"),
        x=[view.x_min, view.x_max],
        y=[view.y_min, view.y_max],
        scales={"x": sx, "y": sy},
    )

    def handler(_mark: Any, content: dict) -> None:
        data = content.get("data") or {}
        if "click_x" in data and "click_y" in data:
            on_click(float(data["click_x"]), float(data["click_y"]))

    layer.on_element_click(handler)
    return layer


def finite_point(name: str, value: Any) -> tuple[float, float]:
    """Two finite numbers ``(x, y)``, or a ValueError naming ``name``.

    >>> finite_point("start", [1, 2.5])
    (1.0, 2.5)
    """
    try:
        p = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        p = np.full(1, np.nan)
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be two finite numbers (x, y), got {value!r}")
    return float(p[0]), float(p[1])


def sentence(error: BaseException) -> str:
    """An exception as the one sentence a student reads: its message, first line only.

    >>> sentence(ValueError("learning_rate must be positive, got -1"))
    'learning_rate must be positive, got -1'
    >>> sentence(KeyError("x"))
    "KeyError: 'x'"
    """
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(error, ValueError | TypeError | RuntimeError) and first:
        return first
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


# -- the fixed view --------------------------------------------------------------------


class View(NamedTuple):
    """The plot window ``[x_min, x_max] x [y_min, y_max]``; scales never leave it."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @classmethod
    def make(cls, view: Any) -> View:
        """A View from four numbers, with a ValueError naming ``view`` if they are bad.

        >>> from gankit.widgets._common import View
        >>> View.make((-2, 2, -1, 3))
        View(x_min=-2.0, x_max=2.0, y_min=-1.0, y_max=3.0)
        """
        try:
            numbers = [float(v) for v in view]
        except (TypeError, ValueError):
            numbers = []
        if (
            len(numbers) != 4
            or not np.all(np.isfinite(numbers))
            or numbers[0] >= numbers[1]
            or numbers[2] >= numbers[3]
        ):
            raise ValueError(
                f"view must be four finite numbers (x_min, x_max, y_min, y_max) with "
                f"x_min < x_max and y_min < y_max, got {view!r}"
            )
        return cls(*numbers)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Which rows of ``points`` (``(..., 2)``) lie inside the window (borders included)."""
        p = np.asarray(points, np.float64)
        return (
            (p[..., 0] >= self.x_min)
            & (p[..., 0] <= self.x_max)
            & (p[..., 1] >= self.y_min)
            & (p[..., 1] <= self.y_max)
        )


def scales(view: View) -> tuple[bqplot.LinearScale, bqplot.LinearScale]:
    """Linear x and y scales pinned to ``view`` (no autoscaling on new data).

    >>> from gankit.widgets._common import View, scales
    >>> sx, sy = scales(View(-1, 1, -2, 2))
    >>> sx.min, sy.max
    (-1.0, 2.0)
    """
    view = View.make(view)
    return (
        bqplot.LinearScale(min=view.x_min, max=view.x_max, allow_padding=False),
        bqplot.LinearScale(min=view.y_min, max=view.y_max, allow_padding=False),
    )


def nice_ticks(low: float, high: float, count: int) -> list[float]:
    """About ``count`` round tick values between ``low`` and ``high`` (steps of 1, 2 or 5
    times a power of ten, as d3 picks them).

    >>> nice_ticks(0.0, 1.05, 3)
    [0.0, 0.5, 1.0]
    >>> nice_ticks(-3.2, 118.0, 5)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    """
    span = high - low
    if not (math.isfinite(span) and span > 0) or count < 1:
        return [low] if math.isfinite(low) else []
    rough = span / count
    power = 10.0 ** math.floor(math.log10(rough))
    error = rough / power
    factor = (
        10
        if error >= math.sqrt(50)
        else 5
        if error >= math.sqrt(10)
        else 2
        if error >= math.sqrt(2)
        else 1
    )
    step = factor * power
    first = math.ceil(low / step - 1e-9)
    return [round(k * step, 12) for k in range(first, math.floor(high / step + 1e-9) + 1)]


#: Axes whose ticks follow their scale's range: scale -> (axis, about how many ticks).
_TICKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def follow_ticks(axis: bqplot.Axis, pixels: int, spacing: int = 45) -> bqplot.Axis:
    """Let ``axis`` carry round ticks, as many as its ``pixels`` of length hold at one per
    ``spacing`` pixels, recomputed by :func:`fit_scale` (bqplot's own choice crowds a
    small plot: ten labels on 170 pixels overlap). Returns the axis."""
    count = max(2, int(pixels) // spacing)
    _TICKED[axis.scale] = (axis, count)
    axis.tick_values = nice_ticks(axis.scale.min, axis.scale.max, count)
    return axis


def fit_scale(scale: bqplot.LinearScale, values: Any) -> None:
    """Pin ``scale`` to the finite range of ``values`` with a small pad (never NaN or empty).

    >>> import bqplot
    >>> from gankit.widgets._common import fit_scale
    >>> s = bqplot.LinearScale()
    >>> fit_scale(s, [0.0, float("nan"), 10.0])
    >>> round(s.min, 2), round(s.max, 2)
    (-0.5, 10.5)
    """
    finite = np.asarray(values, np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return
    low, high = float(finite.min()), float(finite.max())
    pad = 0.05 * (high - low) if high > low else max(abs(high), 1.0) * 0.05
    set_range(scale, low - pad, high + pad)


def set_range(scale: bqplot.LinearScale, low: float, high: float) -> None:
    """Set a scale's range, and the ticks of an axis that :func:`follow_ticks` it."""
    with scale.hold_sync():
        scale.min, scale.max = float(low), float(high)
    if scale in _TICKED:
        axis, count = _TICKED[scale]
        axis.tick_values = nice_ticks(scale.min, scale.max, count)


class Curves(NamedTuple):
    """A curve figure as a panel shows it: ``widget`` (its legend above the figure, hide
    this one), the bqplot ``figure``, its ``lines`` mark and its ``legend``."""

    widget: ipywidgets.VBox
    figure: bqplot.Figure
    lines: bqplot.Lines
    legend: ipywidgets.HTML

    def relabel(self, labels: Sequence[str]) -> None:
        """Give the curves new names, in the lines and in the legend."""
        self.lines.labels = list(labels)
        entries = list(zip(labels, self.lines.colors, strict=True))
        self.legend.value = legend_html(entries, title=self.figure.title)


def px(size: str) -> int:
    """``"360px"`` as 360 (sizes the panels set are in pixels)."""
    return int(float(size.removesuffix("px")))


def curve_figure(
    title: str,
    labels: Sequence[str],
    colours: Sequence[str],
    y_range: tuple[float, float] | None = None,
    width: str = "360px",
    height: str = "210px",
    smoothed: bool = False,
    y_label: str = "",
) -> Curves:
    """A figure of ``len(labels)`` curves over training steps, with its legend above it.

    The scales are pinned (``y_range`` fixes y; otherwise :func:`set_curves` fits it to
    the data), and the lines start with one finite point: NaN, or no points at all,
    give the browser broken SVG paths. With ``smoothed`` the figure also holds the raw
    curves, faint and behind (``figure.marks[0]``), for :func:`set_curves`' ``raw``. The
    step axis writes 2k, not 2000 (a narrow plot has no room for four digits a tick).

    >>> from gankit.widgets._common import curve_figure, set_curves
    >>> curves = curve_figure("losses", ["D", "G"], PALETTE[:2])
    >>> set_curves(curves.lines, [0, 10, 20], [[1.0, 0.5, 0.4], [0.7, 0.9, float("nan")]])
    >>> curves.lines.y.shape, curves.lines.scales["x"].max
    ((2, 3), 21.0)
    """
    k = len(labels)
    x_scale = bqplot.LinearScale(min=0.0, max=10.0)
    low, high = y_range if y_range is not None else (0.0, 1.0)
    y_scale = bqplot.LinearScale(min=float(low), max=float(high))
    lines = bqplot.Lines(
        x=np.zeros(1),
        y=np.zeros((k, 1)),
        scales={"x": x_scale, "y": y_scale},
        colors=list(colours),
        labels=list(labels),
    )
    marks = [lines]
    if smoothed:
        raw = bqplot.Lines(
            x=np.zeros(1),
            y=np.zeros((k, 1)),
            scales={"x": x_scale, "y": y_scale},
            colors=list(colours),
            opacities=[0.3] * k,
            stroke_width=1,
        )
        marks = [raw, lines]
    figure = bqplot.Figure(
        marks=marks,
        title=title,
        title_style={"display": "none"},  # it leads the legend line above the plot
        axes=[
            follow_ticks(
                bqplot.Axis(scale=x_scale, label="step", tick_format=STEP_TICKS), px(width)
            ),
            follow_ticks(
                bqplot.Axis(scale=y_scale, side="left", label=y_label or title), px(height) - 70
            ),
        ],
        layout=ipywidgets.Layout(width=width, height=height),
        fig_margin={"top": 10, "bottom": 40, "left": 55, "right": 20},
    )
    key = legend(list(zip(labels, colours, strict=True)), title=title)
    box = ipywidgets.VBox([key, figure], layout=ipywidgets.Layout(width=width, flex="0 0 auto"))
    return Curves(box, figure, lines, key)


def ema(ys: Any, smoothing: float) -> np.ndarray:
    """Exponential moving average of each row, as TensorBoard smooths: weight ``smoothing``
    on the past, debiased so the first points are not pulled toward 0; NaN stays NaN and
    does not enter the average.

    >>> ema([[1.0, 3.0, float("nan"), 3.0]], 0.5).round(3).tolist()
    [[1.0, 2.333, nan, 2.714]]
    >>> ema([[1.0, 3.0]], 0.0).tolist()
    [[1.0, 3.0]]
    """
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    ys = np.atleast_2d(np.asarray(ys, np.float64))
    out = np.full_like(ys, np.nan)
    for row, values in zip(out, ys.tolist(), strict=True):  # plain floats: a Play frame's cost
        total = weight = 0.0
        for t, v in enumerate(values):
            if math.isfinite(v):
                total = smoothing * total + (1 - smoothing) * v
                weight = smoothing * weight + (1 - smoothing)
                row[t] = total / weight
    return out


def set_curves(
    lines: bqplot.Lines,
    x: Any,
    ys: Any,
    fit_y: bool = True,
    *,
    raw: bqplot.Lines | None = None,
    smoothing: float = 0.0,
) -> None:
    """Draw the curves ``ys`` (one row per curve) over the steps ``x``; NaN shown as gaps.

    The x scale, and the y scale unless ``fit_y`` is false, are fitted to the finite data.
    With ``raw`` (a smoothed :func:`curve_figure`'s ``figure.marks[0]``) the raw curves
    go there and ``lines`` draws their :func:`ema` with ``smoothing``.
    """
    x = np.asarray(x, np.float64)
    ys = np.atleast_2d(np.asarray(ys, np.float64))  # (curves, len(x))
    if len(x) == 0:  # cleared (a Reset): back to the one placeholder point, drawn as nothing
        x, ys = np.zeros(1), np.zeros((len(ys), 1))
    steps = lines.scales["x"]
    fit_scale(steps, x)
    if steps.max - steps.min < 10:  # a few steps: whole-number ticks, not 0.1, 0.2, ...
        set_range(steps, steps.min, steps.min + 10)
    if fit_y:
        fit_scale(lines.scales["y"], ys)
    if raw is not None:
        _draw_rows(raw, x, ys, 0.3)
        ys = ema(ys, smoothing)
    _draw_rows(lines, x, ys, 1.0)


def _draw_rows(lines: bqplot.Lines, x: np.ndarray, ys: np.ndarray, opacity: float) -> None:
    """A row with no finite value (a number not measured in this setting) is drawn as an
    invisible flat line: an all-NaN row gives the browser null SVG paths and legend
    positions."""
    empty = ~np.isfinite(ys).any(axis=1)
    if empty.any():
        ys = ys.copy()
        low = lines.scales["y"].min
        ys[empty] = 0.0 if low is None else float(low)
    with lines.hold_sync():
        lines.x, lines.y = x, ys
        lines.opacities = [0.0 if e else opacity for e in empty]


# -- clipping a trajectory for drawing ------------------------------------------------


class Clipped(NamedTuple):
    """A path ready to draw: ``x``, ``y`` and where (``cut_at``, ``reason``) it was cut.

    ``cut_at`` is the step (row index of the trajectory) that diverged or first lay
    outside the view, or -1 when the whole path is drawn; ``reason`` is
    ``"diverged"``, ``"left the view"`` or ``""``.
    """

    x: np.ndarray
    y: np.ndarray
    cut_at: int
    reason: str


def _exit_point(inside: np.ndarray, outside: np.ndarray, view: View) -> np.ndarray:
    """Where the segment from ``inside`` to ``outside`` crosses the border of ``view``."""
    d = outside - inside
    t = 1.0
    for axis, (lo, hi) in enumerate(((view.x_min, view.x_max), (view.y_min, view.y_max))):
        if d[axis] > 0 and outside[axis] > hi:
            t = min(t, (hi - inside[axis]) / d[axis])
        elif d[axis] < 0 and outside[axis] < lo:
            t = min(t, (lo - inside[axis]) / d[axis])
    return inside + max(t, 0.0) * d


def clip_path(points: Any, view: Any, diverged_at: int = -1) -> Clipped:
    """Cut a 2-D path where it diverged or left ``view``, for drawing.

    ``points`` is ``(steps + 1, 2)`` (a :class:`gankit.dynamics.Trajectory` row set, or
    two chosen coordinates of one). The path is kept up to its last row inside the view
    before the first that is not, and ends on the border where it crossed; a
    ``diverged_at`` step (from ``traj.diverged_at``) cuts it there too. A start outside
    the view gives an empty path cut at 0.

    >>> import numpy as np
    >>> from gankit.widgets._common import View, clip_path
    >>> pts = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [0.3, 0.0]])
    >>> c = clip_path(pts, View(-1, 1, -1, 1), diverged_at=2)
    >>> c.x.tolist(), c.cut_at, c.reason
    ([0.0, 0.1], 2, 'diverged')
    """
    view = View.make(view)
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
        raise ValueError(f"points must have shape (n, 2) with n >= 1, got shape {p.shape}")
    diverged_at = int(diverged_at)
    n = len(p) if diverged_at < 0 else min(diverged_at, len(p))
    good = np.isfinite(p[:n]).all(axis=1) & view.contains(p[:n])
    bad = np.flatnonzero(~good)
    if len(bad) == 0:
        if n == len(p):
            return Clipped(p[:, 0], p[:, 1], -1, "")
        return Clipped(p[:n, 0], p[:n, 1], n, "diverged")
    k = int(bad[0])
    kept = p[:k]
    if k > 0 and np.isfinite(p[k]).all():
        kept = np.vstack([kept, _exit_point(p[k - 1], p[k], view)])
    return Clipped(kept[:, 0], kept[:, 1], k, "left the view")


# -- grids and tables ---------------------------------------------------------------


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small HTML table (cells escaped) for a panel's readout ``HTML`` widget.

    >>> from gankit.widgets._common import html_table
    >>> html_table(["a"], [["<1>"]])
    '<table class="gankit-readout"><tr><th>a</th></tr><tr><td>&lt;1&gt;</td></tr></table>'
    """
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="gankit-readout"><tr>{head}</tr>{body}</table>'
