"""Stability map: where in (learning rate, momentum or gamma) a scheme converges.

A scheme is a map ``z_{k+1} = F(z_k)`` on the game's point and the scheme's state; near
the equilibrium it converges when the spectral radius of ``dF`` is below 1 and spirals
out when it is above. :class:`StabilityMap` draws :func:`gankit.analysis.spectral_radii`
(one jitted, vmapped call over a whole grid of numbers) as a heatmap with the current
setting marked; the named schemes are :func:`gankit.schemes.preset`'s, so the trajectory
panel and the map mean the same thing by "negative momentum".

>>> import gankit as gk
>>> m = gk.widgets.StabilityMap("bilinear", "consensus", resolution=8)
>>> m.axis.value
'gamma'
"""

from __future__ import annotations

import math
from typing import Any

import bqplot
import ipywidgets
import numpy as np
import traitlets

from gankit import _checks, analysis, catalogue, games, schemes
from gankit.widgets import _common
from gankit.widgets._panel import Panel

SCHEME_NAMES = schemes.PRESETS
AXES = {name: entry.axes for name, entry in catalogue.SCHEMES.items()}
RANGES = {name: (n.low, n.high) for name, n in catalogue.NUMBERS.items()}
METRICS = ("radius", "growth")


# -- the panel ------------------------------------------------------------------------

_MAP_GAMES = {"bilinear": games.Bilinear, "dirac": games.DiracGAN}


def _as_game(game: Any) -> games.Game:
    if isinstance(game, str):
        return _MAP_GAMES[_checks.choice("game", game, tuple(_MAP_GAMES))]()
    if not isinstance(game, games.Game) or game.equilibrium is None:
        raise ValueError(
            f"game must be one of {tuple(_MAP_GAMES)} or a gankit game with a known "
            f"equilibrium, got {game!r}"
        )
    return game


def _range(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        lo, hi = math.nan, math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be two finite numbers (low, high) with low < high")
    return lo, hi


class StabilityMap(Panel):
    """Heatmap of a scheme's spectral radius over (learning rate, momentum / gamma / lam).

    Blue cells converge (radius below 1), red ones spiral out; the cross is the current
    setting of the sliders. The whole map is one vmapped call (:func:`gankit.analysis.spectral_radii`, or
    :func:`~gankit.analysis.measured_growth` with ``metric="growth"``); moving a slider only moves the
    cross and the readout. ``link(game_panel)`` ties the sliders to a
    :class:`~gankit.widgets.game.GameTrajectories` panel's and follows its game.

    >>> import gankit as gk
    >>> m = gk.widgets.StabilityMap("bilinear", "extragradient", resolution=8)
    >>> m.learning_rate.value = 0.5
    >>> round(m.current, 4) == round((1 - 0.5**2 + 0.5**4) ** 0.5, 4)
    True
    """

    game = traitlets.Instance(games.Game)

    def __init__(
        self,
        game: Any = "bilinear",
        scheme: str = "simultaneous",
        axis: str | None = None,
        *,
        metric: str = "radius",
        learning_rate: float = 0.1,
        value: float | None = None,
        learning_rates: Any = RANGES["learning_rate"],
        values: Any = None,
        resolution: int = 48,
        steps: int = 200,
        start: Any = (1.0, 0.5),
    ) -> None:
        super().__init__()
        self.game = _as_game(game)
        scheme = _checks.choice("scheme", scheme, SCHEME_NAMES)
        axis = AXES[scheme][0] if axis is None else axis
        _checks.choice("axis", axis, AXES[scheme])
        self.metric_name = _checks.choice("metric", metric, METRICS)
        self.resolution = _checks.count("resolution", resolution, minimum=2)
        self.steps = _checks.count("steps", steps)
        self.start = np.asarray(start, np.float32)
        if self.start.shape != (self.game.dim,) or not np.all(np.isfinite(self.start)):
            raise ValueError(f"start must be {self.game.dim} finite numbers, got {start!r}")
        lr_lo, lr_hi = _range("learning_rates", learning_rates)
        if lr_lo <= 0:
            raise ValueError("learning_rates must be positive: (low, high) with 0 < low < high")
        self._lr_range = (lr_lo, lr_hi)
        self._values_arg = values
        learning_rate = _checks.positive("learning_rate", learning_rate)

        self.errors = _common.ErrorBox()
        self.scheme = ipywidgets.Dropdown(
            options=[(n.replace("_", " "), n) for n in SCHEME_NAMES],
            value=scheme,
            description="scheme",
        )
        self.axis = ipywidgets.Dropdown(options=AXES[scheme], value=axis, description="axis")
        self.metric = ipywidgets.Dropdown(options=METRICS, value=metric, description="metric")
        self.learning_rate = ipywidgets.FloatSlider(
            value=min(max(learning_rate, lr_lo), lr_hi),
            min=lr_lo,
            max=lr_hi,
            step=(lr_hi - lr_lo) / 200,
            description="learning rate",
            readout_format=".3f",
        )
        self.second = ipywidgets.FloatSlider(description=axis, readout_format=".2f")
        self._set_value_range(axis, value)

        self._sx = bqplot.LinearScale(min=lr_lo, max=lr_hi, allow_padding=False)
        self._sy = bqplot.LinearScale(allow_padding=False)
        self._sc = bqplot.ColorScale(
            min=0.5, mid=1.0, max=1.5, colors=["#2166ac", "#f7f7f7", "#b2182b"]
        )
        self.heat = bqplot.HeatMap(
            x=np.zeros(2),
            y=np.zeros(2),
            color=np.ones((2, 2)),
            scales={"x": self._sx, "y": self._sy, "color": self._sc},
        )
        self.boundary = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": self._sx, "y": self._sy},
            marker="circle",
            default_size=4,
            colors=["#222222"],
            opacities=[0.6],
        )
        self.marker = bqplot.Scatter(
            x=[learning_rate],
            y=[self.second.value],
            scales={"x": self._sx, "y": self._sy},
            marker="cross",
            default_size=120,
            colors=["#000000"],
            stroke="white",
        )
        axes = [
            bqplot.Axis(scale=self._sx, label="learning rate"),
            bqplot.Axis(scale=self._sy, side="left", label=axis),
            # No label: the title names what the colours measure (a label here lies over
            # the map, and changes with the metric).
            bqplot.ColorAxis(scale=self._sc, side="right"),
        ]
        self._axes = axes
        self.figure = bqplot.Figure(
            marks=[self.heat, self.boundary, self.marker],
            axes=axes,
            fig_margin={"top": 30, "bottom": 50, "left": 60, "right": 80},
            layout=_common.plot_layout("520px", "440px"),
            title="",
        )
        self.readout = ipywidgets.HTML()
        controls = ipywidgets.VBox(
            [self.scheme, self.axis, self.metric, self.learning_rate, self.second]
        )
        self.widget = _common.panel(
            "stability",
            ipywidgets.HBox([self.figure, controls]),
            self.readout,
            self.errors.widget,
        )
        self.controls = {
            "scheme": self.scheme,
            "axis": self.axis,
            "metric": self.metric,
            "learning_rate": self.learning_rate,
            "value": self.second,
        }
        self.values: np.ndarray = np.zeros((0, 0))
        self._quiet = False
        self.current: float = math.nan

        self.scheme.observe(self.errors.guard(self._on_scheme), names="value")
        self.axis.observe(self.errors.guard(self._on_axis), names="value")
        self.metric.observe(self.errors.guard(self._on_map), names="value")
        for slider in (self.learning_rate, self.second):
            slider.observe(self.errors.guard(self._on_setting), names="value")
        self.observe(self.errors.guard(self._on_map), names="game")
        self._recompute()

    # -- callbacks ----------------------------------------------------------------
    def _set_value_range(self, axis: str, value: float | None) -> None:
        lo, hi = (
            _range("values", self._values_arg) if self._values_arg is not None else RANGES[axis]
        )
        default = catalogue.NUMBERS[axis].default
        value = default if value is None else float(schemes.check_hyper(axis, value))
        slider = self.second
        with slider.hold_trait_notifications():
            slider.max = max(hi, slider.min)
            slider.min, slider.max = lo, hi
            slider.step = (hi - lo) / 200
            slider.value = min(max(value, lo), hi)
            slider.description = axis

    def _on_scheme(self, change: Any = None) -> None:
        options = AXES[self.scheme.value]
        axis = options[0]  # each scheme's own number first: gamma for consensus, lam for SGA
        self._quiet = True
        try:
            self.axis.options = options
            self.axis.value = axis
        finally:
            self._quiet = False
        self._on_axis()

    def _on_axis(self, change: Any = None) -> None:
        if self._quiet:
            return
        if self.second.description != self.axis.value:
            self._set_value_range(self.axis.value, None)
            self._axes[1].label = self.axis.value
            self._relink()
        self._recompute()

    def _on_map(self, change: Any = None) -> None:
        self._recompute()

    def _on_setting(self, change: Any = None) -> None:
        self._update_marker()

    # -- computing -------------------------------------------------------------------
    def _scheme(self) -> schemes.Scheme:
        axis, value = self.axis.value, self.second.value
        name = self.scheme.value
        momentum = value if axis == "momentum" else None
        if name == "negative_momentum" and momentum is None:
            momentum = -0.5
        return schemes.preset(name, self.learning_rate.value, momentum=momentum)

    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.resolution
        return (
            np.linspace(*self._lr_range, n),
            np.linspace(self.second.min, self.second.max, n),
        )

    def _evaluate(self, lrs: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """The metric at every (lrs[j], vals[i]) pair, broadcast, in one batched call."""
        scheme = self._scheme()
        numbers = {"learning_rate": lrs, self.axis.value: vals}
        if self.metric.value == "radius":
            return analysis.spectral_radii(self.game, scheme, **numbers)
        return analysis.measured_growth(self.game, scheme, self.steps, self.start, **numbers)

    def _recompute(self) -> None:
        lrs, vals = self._grid()
        grid = self._evaluate(lrs[None, :], vals[:, None])
        self.values = grid
        shown = np.clip(grid, 0.5, 1.5)
        edge = np.abs(np.diff(np.sign(grid - 1.0), axis=1)) > 0
        rows, cols = np.nonzero(edge)
        with self.heat.hold_sync():
            self.heat.x, self.heat.y, self.heat.color = lrs, vals, shown
        with self.boundary.hold_sync():
            self.boundary.x = (lrs[cols] + lrs[cols + 1]) / 2
            self.boundary.y = vals[rows]
        self._sy.min, self._sy.max = float(vals[0]), float(vals[-1])
        self._update_marker()

    def _update_marker(self) -> None:
        lr, v = self.learning_rate.value, self.second.value
        self.current = float(self._evaluate(np.array([lr]), np.array([v]))[0])
        with self.marker.hold_sync():
            self.marker.x, self.marker.y = [lr], [v]
        verdict = (
            "converges"
            if self.current < 1 - 1e-6
            else ("diverges" if self.current > 1 + 1e-6 else "neither (radius 1)")
        )
        label = "spectral radius" if self.metric.value == "radius" else "measured growth"
        self.figure.title = f"{self.scheme.value.replace('_', ' ')}: {label}"
        self.readout.value = _common.html_table(
            ["scheme", "learning rate", self.axis.value, label, "verdict"],
            [
                [
                    self.scheme.value.replace("_", " "),
                    f"{lr:.3f}",
                    f"{v:.2f}",
                    f"{self.current:.4f}",
                    verdict,
                ]
            ],
        )

    # -- linking and display ----------------------------------------------------------
    def link(self, panel: Any) -> StabilityMap:
        """Tie the sliders to ``panel``'s (a GameTrajectories panel) and follow its game.

        The panel's learning-rate slider drives the map's; the map's second slider
        follows the panel's slider of the same number (momentum, gamma or lam), also
        after the map's axis changes.
        """
        for name in ("learning_rate", "momentum", "gamma", "lam", "game"):
            if not hasattr(panel, name):
                raise ValueError(f"panel must be a GameTrajectories panel, got {panel!r}")
        self._unlink()
        self._panel = panel
        self._links = [
            traitlets.dlink((panel.learning_rate, "value"), (self.learning_rate, "value")),
            traitlets.dlink((panel, "game"), (self, "game")),
        ]
        self._relink()
        return self

    def _unlink(self) -> None:
        for link in getattr(self, "_links", []) + [getattr(self, "_second_link", None)]:
            if link is not None:
                link.unlink()
        self._links, self._second_link = [], None

    def _relink(self) -> None:
        panel = getattr(self, "_panel", None)
        if panel is None:
            return
        if getattr(self, "_second_link", None) is not None:
            self._second_link.unlink()
        source = getattr(panel, self.axis.value)
        self._second_link = traitlets.dlink((source, "value"), (self.second, "value"))

    def __repr__(self) -> str:
        return (
            f"StabilityMap(game={self.game!r}, scheme={self.scheme.value!r}, "
            f"axis={self.axis.value!r}, metric={self.metric.value!r})"
        )
