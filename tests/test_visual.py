"""One visual language for every panel: legends beside the plot (never on its data) in the
theme's text colour, both axes of every figure labelled, no black or white mark on the
theme's background (it vanishes in one of JupyterLab's two themes)."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import re

import bqplot
import ipywidgets
import pytest
from gankit.widgets import _colour, _common

from .test_panels import BUILD


def _walk(widget):
    seen, stack = set(), [widget]
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        yield w
        if isinstance(w, ipywidgets.Box):
            stack.extend(w.children)


def _legend_entries(widget) -> list[tuple[str, str]]:
    """(label, swatch colour) of every legend in the panel."""
    found = []
    for w in _walk(widget):
        if isinstance(w, ipywidgets.HTML) and "gankit-legend" in w.value:
            found += re.findall(r"background:([^;\"]+)\"></span><span[^>]*>([^<]*)<", w.value)
    return [(label, colour) for colour, label in found]


@pytest.fixture(scope="module", params=list(BUILD))
def panel(request):
    return BUILD[request.param]()


def test_no_legend_is_drawn_on_the_data(panel):
    marks = [m for w in _walk(panel.widget) if isinstance(w, bqplot.Figure) for m in w.marks]
    assert marks, "a panel draws figures"
    assert not [m for m in marks if m.display_legend], "bqplot's legend lies on the data"


def test_every_named_series_is_in_a_legend_beside_the_plot(panel):
    entries = _legend_entries(panel.widget)
    for figure in (w for w in _walk(panel.widget) if isinstance(w, bqplot.Figure)):
        for mark in figure.marks:
            if not isinstance(mark, bqplot.Lines) or not mark.labels:
                continue
            for label, colour in zip(mark.labels, mark.colors, strict=False):
                assert (label, colour) in entries, (figure.title, label, entries)
    legends = [w for w in _walk(panel.widget) if "gankit-legend-box" in w._dom_classes]
    for box in legends:
        assert "color:var(--jp-ui-font-color1" in box.value  # the theme's text colour


def test_every_axis_is_labelled(panel):
    for figure in (w for w in _walk(panel.widget) if isinstance(w, bqplot.Figure)):
        if not figure.axes:  # an image grid: pictures, no axes
            continue
        unlabelled = [
            a.side or "bottom"
            for a in figure.axes
            if not a.label and not (isinstance(a, bqplot.ColorAxis) and figure.title)
        ]  # a colour bar is named by its figure's title
        assert not unlabelled, (type(panel).__name__, figure.title, unlabelled)


def test_no_mark_in_black_or_white_where_the_theme_shows_through(panel):
    """Marks drawn on the theme's background (no heatmap under them) keep 3:1 contrast on
    JupyterLab's light and dark backgrounds."""
    for figure in (w for w in _walk(panel.widget) if isinstance(w, bqplot.Figure)):
        if any(isinstance(m, bqplot.HeatMap | bqplot.GridHeatMap) for m in figure.marks):
            continue  # marks lie on the heatmap, whichever theme
        for mark in figure.marks:
            colours = getattr(mark, "colors", None)
            for colour in colours if isinstance(colours, list) else []:
                if not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)):
                    continue
                for background in (_colour.LIGHT_BACKGROUND, _colour.DARK_BACKGROUND):
                    ratio = _colour.contrast(colour, background)
                    assert ratio >= _colour.MIN_CONTRAST, (figure.title, colour, background)


def test_ink_reads_on_both_themes():
    for background in (_colour.LIGHT_BACKGROUND, _colour.DARK_BACKGROUND):
        assert _colour.contrast(_common.INK, background) >= _colour.MIN_CONTRAST
    for colour in ("#000000", "#ffffff"):  # what INK replaces: each fails one theme
        low = min(_colour.contrast(colour, b) for b in ("#ffffff", "#111111"))
        assert low < _colour.MIN_CONTRAST


def test_legend_markup_is_escaped():
    assert "&lt;b&gt;" in _common.legend_html([("<b>", "#0072B2")], title="<i>")
    assert "&lt;i&gt;" in _common.legend_html([], title="<i>")


def test_a_slow_callback_marks_the_panel_busy_while_it_runs_and_only_then():
    """A choice that computes (or compiles) greys the old result: the panel carries
    ``gankit-busy`` once its callback has run BUSY_AFTER_S, and loses it after, also after
    an error."""
    import time

    race = BUILD["OptimizerRace"]()
    seen = []
    simulate = race._simulate

    def slow() -> None:
        time.sleep(2 * _common.BUSY_AFTER_S + 0.1)
        seen.append("gankit-busy" in race.widget._dom_classes)
        simulate()

    race._simulate = slow
    race.controls["surface"].value = "saddle"
    assert seen and all(seen)
    assert "gankit-busy" not in race.widget._dom_classes

    def broken() -> None:
        time.sleep(2 * _common.BUSY_AFTER_S + 0.1)
        raise ValueError("boom")

    race._simulate = broken
    race.controls["surface"].value = "abs"
    assert race.errors.message == "boom" and "gankit-busy" not in race.widget._dom_classes
    assert _common.STYLE in [
        w.value for w in race.widget.children if isinstance(w, ipywidgets.HTML)
    ]


def test_quick_callbacks_and_animation_frames_send_no_busy_state():
    """A slider's quick redraw, or a frame of the Play animation, leaves the panel's classes
    alone: no extra message to the browser, no flicker."""
    race = BUILD["OptimizerRace"]()
    seen = []
    race.widget.observe(lambda ch: seen.append(ch["new"]), names="_dom_classes")
    race.controls["frame"].value = 10  # a frame of the Play animation
    race.controls["steps"].value = 150  # a quick setting
    assert seen == []


def test_a_lessons_still_figure_speaks_the_same_language():
    import numpy as np

    import gankit as gk

    t = np.linspace(0.0, 1.0, 20)
    box = gk.widgets.figure(
        lines={"a": (t, t**2)},
        dots={"b": (t, -t)},
        points={"minimum": (0.0, 0.0)},
        x_label="x",
        y_label="y",
        view=(-1, 1, -1, 1),
    )
    assert not any(m.display_legend for m in box.figure.marks)
    assert [e[0] for e in _legend_entries(box)] == ["a", "b", "minimum (cross)"]
    assert box.figure.marks[2].colors == [_common.INK]
    assert all(a.label for a in box.figure.axes) and box.figure.axes[0].scale.min == -1.0
    bars = gk.widgets.figure(bars={"h": [1, 2, 3], "c": [3, 0, 0]}, x_label="k", y_label="n")
    assert [e[0] for e in _legend_entries(bars)] == ["h", "c"]
    for bad, match in (
        ({}, "needs lines, dots or bars"),
        ({"lines": {"a": (t, t[:3])}}, "equal-length"),
        ({"lines": {"a": 3}}, "a pair"),
        ({"bars": {"h": [1, 2]}, "points": {"p": (0, 0)}}, "of their own"),
        ({"bars": {"h": [1, 2]}, "categories": [1, 2, 3]}, "one height per category"),
    ):
        with pytest.raises(ValueError, match=match):
            gk.widgets.figure(x_label="x", y_label="y", **bad)
