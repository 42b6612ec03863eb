"""A still figure in the panels' visual language, for a lesson's own results.

A lesson that has computed some paths, clouds or counts shows them with
:func:`figure`: the run colours of :data:`~gankit.widgets._common.PALETTE` in order, the
legend beside the plot (never on its data) in the theme's text colour, both axes
labelled, reference points in :data:`~gankit.widgets._common.INK` (readable in the light
and the dark theme). It returns the box to display; ``box.figure`` is the bqplot figure.

>>> import numpy as np
>>> import gankit as gk
>>> t = np.linspace(0, 6, 50)
>>> box = gk.widgets.figure(
...     lines={"spiral": (np.cos(t) * t, np.sin(t) * t)},
...     points={"equilibrium": (0.0, 0.0)},
...     x_label="θ",
...     y_label="ψ",
... )
>>> [type(m).__name__ for m in box.figure.marks]
['Lines', 'Scatter']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from gankit.widgets import _common


def _series(name: str, value: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = (np.asarray(v, np.float64) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (x, y) of equal-length arrays") from None
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"{name} must be a pair (x, y) of equal-length 1-D arrays")
    return x, y


def figure(
    *,
    lines: Mapping[str, Sequence[Any]] | None = None,
    dots: Mapping[str, Sequence[Any]] | None = None,
    points: Mapping[str, Sequence[float]] | None = None,
    bars: Mapping[str, Sequence[float]] | None = None,
    categories: Sequence[Any] | None = None,
    x_label: str,
    y_label: str,
    title: str = "",
    view: Sequence[float] | None = None,
    width: str = "520px",
    height: str = "420px",
) -> ipywidgets.VBox:
    """A figure of named ``lines`` and ``dots`` (each ``{name: (x, y)}``), reference
    ``points`` (``{name: (x, y)}``, crosses in ink) or grouped ``bars`` (``{name:
    heights}`` over ``categories``), with its legend above it. Colours follow the order
    of the names: lines first, then dots, then bars. ``view`` (x_min, x_max, y_min, y_max)
    pins the window, so a path that runs off to infinity cannot blow the axes up."""
    lines, dots, points, bars = (dict(d or {}) for d in (lines, dots, points, bars))
    if not (lines or dots or bars):
        raise ValueError("figure needs lines, dots or bars to draw")
    if bars and (lines or dots or points):
        raise ValueError("bars go in a figure of their own (no lines, dots or points beside)")
    entries: list[tuple[str, str]] = []
    if bars:
        heights = np.asarray(list(bars.values()), np.float64)
        cats = list(range(heights.shape[1])) if categories is None else list(categories)
        if heights.ndim != 2 or heights.shape[1] != len(cats):
            raise ValueError(f"bars must each have one height per category ({len(cats)})")
        top = float(np.nanmax(heights, initial=0.0)) * 1.05 or 1.0
        sx, sy = bqplot.OrdinalScale(), bqplot.LinearScale(min=0.0, max=top)  # bqplot's bars
        # draw nothing on a scale without both ends
        colours = [_common.colour(i) for i in range(len(bars))]
        marks = [
            bqplot.Bars(
                x=[str(c) for c in cats],
                y=heights,
                type="grouped",
                colors=colours,
                scales={"x": sx, "y": sy},
            )
        ]
        entries = list(zip(bars, colours, strict=True))
    else:
        if view is None:  # pinned to the finite data (a NaN never blows an axis up)
            sx, sy = bqplot.LinearScale(), bqplot.LinearScale()
            pairs = [_series(f"series {n!r}", v) for n, v in [*lines.items(), *dots.items()]]
            xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
            _common.fit_scale(sx, np.concatenate([*xs, [p[0] for p in points.values()]]))
            _common.fit_scale(sy, np.concatenate([*ys, [p[1] for p in points.values()]]))
        else:
            sx, sy = _common.scales(view)
        marks = []
        for i, (name, value) in enumerate([*lines.items(), *dots.items()]):
            x, y = _series(f"series {name!r}", value)
            colour = _common.colour(i)
            kind = bqplot.Lines if name in lines else bqplot.Scatter
            style = {"stroke_width": 2} if kind is bqplot.Lines else {"default_size": 8}
            marks.append(
                kind(x=x, y=y, scales={"x": sx, "y": sy}, colors=[colour], labels=[name], **style)
            )
            entries.append((name, colour))
        for name, (px, py) in points.items():
            marks.append(
                bqplot.Scatter(
                    x=[float(px)],
                    y=[float(py)],
                    scales={"x": sx, "y": sy},
                    colors=[_common.INK],
                    marker="cross",
                    default_size=120,
                    labels=[name],
                )
            )
            entries.append((f"{name} (cross)", _common.INK))
    plot = bqplot.Figure(
        marks=marks,
        axes=[
            bqplot.Axis(scale=sx, label=x_label)
            if bars
            else _common.follow_ticks(bqplot.Axis(scale=sx, label=x_label), _common.px(width) - 80),
            _common.follow_ticks(
                bqplot.Axis(scale=sy, label=y_label, side="left"), _common.px(height) - 60
            ),
        ],
        title=title,
        title_style={"display": "none"},  # it leads the legend line above the plot
        fig_margin={"top": 15, "bottom": 45, "left": 60, "right": 20},
        layout=_common.plot_layout(width, height),
        animation_duration=0,
    )
    box = ipywidgets.VBox([_common.legend(entries, title=title), plot])
    box.add_class("gankit-figure")
    box.figure = plot
    return box
