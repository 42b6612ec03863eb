"""Minimax surface: the value ``f(x, y)`` with its saddle, and the two slices through a point.

A zero-sum game is "x minimises f, y maximises f". The heatmap shows ``f`` over the
plane (the value the maximiser maximises, ``game.value``); the two plots beside it
are the slices through the current point ``(x0, y0)``: ``f(., y0)``, which x wants
low, and ``f(x0, .)``, which y wants high. At the saddle both are satisfied at once:
the point is the lowest of its row and the highest of its column.

>>> import gankit as gk
>>> s = gk.widgets.MinimaxSurface("bilinear", point=(0.5, -1.0))
>>> [round(float(v), 2) for v in (s.row.y[0], s.row.y[-1])]  # f(x, -1) = -x, x from -2 to 2
[2.0, -2.0]
"""

from __future__ import annotations

from typing import Any

import bqplot
import ipywidgets
import numpy as np
import traitlets

from gankit import _checks, analysis, games
from gankit.widgets import _common
from gankit.widgets._panel import Panel
from gankit.widgets.game import as_game


class MinimaxSurface(Panel):
    """``f(x, y)`` as a heatmap with the saddle marked, and the slices through ``point``.

    ``game`` is ``"bilinear"``, ``"dirac"`` or any 2-D gankit game. Drag the black
    dot or click the map to move ``point``; :meth:`link` ties ``point`` to a
    :class:`~gankit.widgets.game.GameTrajectories` panel's start (both ways) and the
    game to its game.

    >>> import gankit as gk
    >>> game_panel = gk.widgets.GameTrajectories(schemes=["extragradient"])
    >>> surface = gk.widgets.MinimaxSurface().link(game_panel)
    >>> game_panel.start = (1.5, 0.25)
    >>> surface.point
    (1.5, 0.25)
    """

    game = traitlets.Instance(games.Game)
    point = traitlets.Tuple(traitlets.Float(), traitlets.Float())

    def __init__(
        self,
        game: Any = "bilinear",
        *,
        point: Any = (1.0, 0.5),
        view: Any = (-2.0, 2.0, -2.0, 2.0),
        resolution: int = 64,
    ) -> None:
        super().__init__()
        _, first_game = as_game(game)
        self.view = _common.View.make(view)
        self.resolution = _checks.count("resolution", resolution, minimum=2)
        p = np.asarray(point, np.float64)
        if p.shape != (2,) or not np.all(np.isfinite(p)):
            raise ValueError(f"point must be two finite numbers (x, y), got {point!r}")

        self.errors = _common.ErrorBox()
        sx, sy = _common.scales(self.view)
        sc = bqplot.ColorScale(scheme=_common.HEAT_SCHEME)
        self._sc = sc
        self.heat = bqplot.HeatMap(
            x=np.zeros(2),
            y=np.zeros(2),
            color=np.zeros((2, 2)),
            scales={"x": sx, "y": sy, "color": sc},
        )
        self.clicks = _common.click_layer(self.view, sx, sy, self._on_click)
        self.saddle = bqplot.Scatter(
            x=[],
            y=[],
            marker="diamond",
            default_size=140,
            colors=["white"],
            stroke="black",
            scales={"x": sx, "y": sy},
        )
        self.cross_row = bqplot.Lines(
            x=[self.view.x_min, self.view.x_max],
            y=[0.0, 0.0],
            scales={"x": sx, "y": sy},
            colors=["#D55E00"],
            stroke_width=2,
        )
        self.cross_col = bqplot.Lines(
            x=[0.0, 0.0],
            y=[self.view.y_min, self.view.y_max],
            scales={"x": sx, "y": sy},
            colors=["#0072B2"],
            stroke_width=2,
        )
        self.point_mark = bqplot.Scatter(
            x=[p[0]],
            y=[p[1]],
            marker="circle",
            default_size=90,
            colors=["#000000"],
            stroke="white",
            scales={"x": sx, "y": sy},
            enable_move=True,
            update_on_move=True,
        )
        self.figure = bqplot.Figure(
            marks=[
                self.heat,
                self.clicks,
                self.cross_row,
                self.cross_col,
                self.saddle,
                self.point_mark,
            ],
            axes=[
                bqplot.Axis(scale=sx, label="x (minimiser)"),
                bqplot.Axis(scale=sy, side="left", label="y (maximiser)"),
                bqplot.ColorAxis(scale=sc, side="right", label="f(x, y)"),
            ],
            fig_margin={"top": 20, "bottom": 50, "left": 60, "right": 70},
            layout=ipywidgets.Layout(width="460px", height="420px"),
            animation_duration=0,
        )

        self._sf = bqplot.LinearScale(allow_padding=False)
        self._sxs, self._sys = _common.scales(self.view)[0], _common.scales(self.view)[1]
        self.row = bqplot.Lines(
            x=[],
            y=[],
            scales={"x": self._sxs, "y": self._sf},
            colors=["#D55E00"],
            stroke_width=2,
        )
        self.row_point = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": self._sxs, "y": self._sf},
            colors=[_common.INK],
            default_size=60,
        )
        self.col = bqplot.Lines(
            x=[],
            y=[],
            scales={"x": self._sys, "y": self._sf},
            colors=["#0072B2"],
            stroke_width=2,
        )
        self.col_point = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": self._sys, "y": self._sf},
            colors=[_common.INK],
            default_size=60,
        )
        small = ipywidgets.Layout(width="340px", height="210px")
        self.row_figure = bqplot.Figure(
            marks=[self.row, self.row_point],
            axes=[
                bqplot.Axis(scale=self._sxs, label="x"),
                bqplot.Axis(scale=self._sf, side="left", label="f(x, y0)"),
            ],
            title="x minimises its row",
            layout=small,
            animation_duration=0,
            fig_margin={"top": 30, "bottom": 40, "left": 55, "right": 10},
        )
        self.col_figure = bqplot.Figure(
            marks=[self.col, self.col_point],
            axes=[
                bqplot.Axis(scale=self._sys, label="y"),
                bqplot.Axis(scale=self._sf, side="left", label="f(x0, y)"),
            ],
            title="y maximises its column",
            layout=small,
            animation_duration=0,
            fig_margin={"top": 30, "bottom": 40, "left": 55, "right": 10},
        )
        self.readout = ipywidgets.HTML()
        self.widget = _common.panel(
            "surface",
            ipywidgets.HBox([self.figure, ipywidgets.VBox([self.row_figure, self.col_figure])]),
            self.readout,
            self.errors.widget,
        )
        self.controls: dict = {}  # the point is dragged or clicked: it is the setting
        self.values = np.zeros((0, 0))
        self.game = first_game
        self.point = (float(p[0]), float(p[1]))
        self._recompute()

        guard = self.errors.guard
        self.observe(guard(self._on_game), names="game")
        self.observe(guard(self._on_point), names="point")
        self.point_mark.observe(guard(self._on_drag), names=["x", "y"])

    # -- callbacks ------------------------------------------------------------------
    def _on_game(self, change: Any = None) -> None:
        self._recompute()

    def _on_point(self, change: Any = None) -> None:
        x, y = self.point
        if list(self.point_mark.x) != [x] or list(self.point_mark.y) != [y]:
            # both coordinates first, then one notification: no half-moved point
            with self.point_mark.hold_trait_notifications(), self.point_mark.hold_sync():
                self.point_mark.x, self.point_mark.y = [x], [y]
        self._draw_slices()

    def _on_drag(self, change: Any = None) -> None:
        if len(self.point_mark.x) and len(self.point_mark.y):
            self.point = (float(self.point_mark.x[0]), float(self.point_mark.y[0]))

    def _on_click(self, x: float, y: float) -> None:
        self.errors.guard(lambda: setattr(self, "point", (x, y)))()

    # -- drawing ----------------------------------------------------------------------
    def _recompute(self) -> None:
        """A new game: the heatmap, its colour range, the saddle; then the slices."""
        xs, ys, values = analysis.value_grid(self.game, self.view, self.resolution)
        self.values = values
        lo, hi = float(values.min()), float(values.max())
        if not hi > lo:
            lo, hi = lo - 1.0, hi + 1.0
        with self.heat.hold_sync():
            self.heat.x, self.heat.y, self.heat.color = xs, ys, values
        self._sc.min, self._sc.max = lo, hi
        pad = 0.05 * (hi - lo)
        self._sf.min, self._sf.max = lo - pad, hi + pad
        eq = self.game.equilibrium
        with self.saddle.hold_sync():
            self.saddle.x = [] if eq is None else [float(eq[0])]
            self.saddle.y = [] if eq is None else [float(eq[1])]
        self._draw_slices()

    def _draw_slices(self) -> None:
        x0, y0 = self.point
        n = self.resolution
        xs = np.linspace(self.view.x_min, self.view.x_max, n)
        ys = np.linspace(self.view.y_min, self.view.y_max, n)
        points = np.concatenate(
            [
                np.stack([xs, np.full(n, y0)], axis=1),
                np.stack([np.full(n, x0), ys], axis=1),
                [[x0, y0]],
            ]
        ).astype(np.float32)
        values = analysis.values(self.game, points)
        row, col, here = values[:n], values[n : 2 * n], float(values[-1])
        with self.row.hold_sync():
            self.row.x, self.row.y = xs, row
        with self.col.hold_sync():
            self.col.x, self.col.y = ys, col
        with self.row_point.hold_sync():
            self.row_point.x, self.row_point.y = [x0], [here]
        with self.col_point.hold_sync():
            self.col_point.x, self.col_point.y = [y0], [here]
        with self.cross_row.hold_sync():
            self.cross_row.y = [y0, y0]
        with self.cross_col.hold_sync():
            self.cross_col.x = [x0, x0]
        best_x, best_y = xs[int(np.argmin(row))], ys[int(np.argmax(col))]
        self.readout.value = _common.html_table(
            ["point (x0, y0)", "f(x0, y0)", "best x for y0 (in view)", "best y for x0 (in view)"],
            [[f"({x0:.2f}, {y0:.2f})", f"{here:.3f}", f"{best_x:.2f}", f"{best_y:.2f}"]],
        )

    # -- linking and display ----------------------------------------------------------
    def link(self, panel: Any) -> MinimaxSurface:
        """Share ``point`` with ``panel.start`` (both ways) and follow ``panel.game``."""
        if not isinstance(panel, traitlets.HasTraits) or not (
            panel.has_trait("start") and panel.has_trait("game")
        ):
            raise ValueError(f"panel must be a GameTrajectories panel, got {panel!r}")
        self.game = panel.game
        self._links = [
            traitlets.link((panel, "start"), (self, "point")),
            traitlets.dlink((panel, "game"), (self, "game")),
        ]
        return self

    def _own_state(self) -> dict:
        return {"point": list(self.point)}

    def _set_own_state(self, state: dict) -> None:
        if "point" in state:
            self.point = _common.finite_point("point", state["point"])

    def __repr__(self) -> str:
        return f"MinimaxSurface(game={self.game!r}, point={self.point!r})"
