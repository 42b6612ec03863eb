"""OptimizerRace: several optimizers descend one surface side by side.

The panel draws a surface ``f(x, y)`` as a heatmap and the paths of several
optimizers (SGD, heavy-ball momentum, Nesterov, Adam, RMSprop, Adagrad, the
subgradient method) from one start. Each path is :func:`gankit.simulate` run with a
Keras optimizer, the very object that would train a network; the sliders' numbers are
traced arguments, so dragging them recomputes without recompiling. Every run is
simulated for ``max_steps`` once; the steps slider and the Play control only choose how
much of it to draw.

>>> import gankit as gk
>>> race = gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"])
>>> race.controls["lr.SGD"].value = 0.15
>>> race.readout["SGD"]["distance"] < 1e-3
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np

import gankit as gk
from gankit import _checks
from gankit.widgets import _common
from gankit.widgets._panel import Panel

#: Optimizers the race knows, in legend order.
OPTIMIZERS = tuple(gk.catalogue.OPTIMIZERS)

#: Built-in surfaces by name.
SURFACES = ("rosenbrock", "quadratic", "saddle", "abs")

_VIEWS = {
    "rosenbrock": (-2.0, 2.0, -1.0, 3.0),
    "quadratic": (-2.0, 2.0, -2.0, 2.0),
    "saddle": (-2.0, 2.0, -2.0, 2.0),
    "abs": (-2.0, 2.0, -2.0, 2.0),
}
_STARTS = {
    "rosenbrock": (-1.2, 1.0),
    "quadratic": (-1.8, 1.2),
    "saddle": (1.5, 0.05),
    "abs": (1.5, -1.1),
}
# Learning rates that make an instructive race on each surface (each stable there).
_RATES = {
    "rosenbrock": {
        "SGD": 1e-3, "Momentum": 1e-3, "Nesterov": 1e-3, "Adam": 0.1,
        "RMSprop": 0.01, "Adagrad": 0.3, "Subgradient": 1e-3,
    },
    "quadratic": {
        "SGD": 0.15, "Momentum": 0.05, "Nesterov": 0.05, "Adam": 0.1,
        "RMSprop": 0.02, "Adagrad": 0.5, "Subgradient": 0.15,
    },
    "saddle": {
        "SGD": 0.05, "Momentum": 0.02, "Nesterov": 0.02, "Adam": 0.02,
        "RMSprop": 0.01, "Adagrad": 0.1, "Subgradient": 0.05,
    },
    "abs": {
        "SGD": 0.1, "Momentum": 0.02, "Nesterov": 0.02, "Adam": 0.05,
        "RMSprop": 0.01, "Adagrad": 0.3, "Subgradient": 0.5,
    },
}  # fmt: skip


def _surface(surface: Any) -> tuple[str, gk.surfaces.Surface]:
    if isinstance(surface, gk.surfaces.Surface):
        return "custom", surface
    name = _checks.choice("surface", surface, SURFACES)
    built = {
        "rosenbrock": gk.surfaces.Rosenbrock,
        "quadratic": gk.surfaces.Quadratic,
        "saddle": gk.surfaces.Saddle,
        "abs": gk.surfaces.Abs,
    }[name]()
    return name, built


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


class OptimizerRace(Panel):
    """Optimizers racing down one surface; sliders, click-to-start and a Play control.

    ``surface`` is one of ``"rosenbrock"``, ``"quadratic"`` (ill-conditioned),
    ``"saddle"``, ``"abs"``, or any :class:`gankit.surfaces.Surface` (for instance
    ``gk.surfaces.from_function(f, minimum=...)``). ``optimizers`` picks entries of
    :data:`OPTIMIZERS`. Controls (in ``controls``): ``lr.<name>`` per optimizer (log
    scale), ``momentum`` (Momentum, Nesterov), ``beta_1`` and ``beta_2`` (Adam), ``rho``
    (RMSprop), ``schedule`` (Subgradient), ``steps``, ``frame`` + ``play`` (animation),
    ``surface``. Clicking the plot (or dragging the white start marker) moves the start.

    Read the result from ``trajectories`` (full :class:`gankit.dynamics.Trajectory`
    per optimizer), ``paths`` (the bqplot ``Lines`` per optimizer), and ``readout``
    (final value, distance to the minimum, steps to reach ``tolerance``, status).

    >>> import gankit as gk
    >>> race = gk.widgets.OptimizerRace("rosenbrock", ["SGD", "Adam"], max_steps=300)
    >>> race.controls["steps"].value = 300
    >>> race.readout["Adam"]["distance"] < race.readout["SGD"]["distance"]
    True
    """

    def __init__(
        self,
        surface: str | gk.surfaces.Surface = "rosenbrock",
        optimizers: Sequence[str] | None = None,
        *,
        start: Sequence[float] | None = None,
        view: Sequence[float] | None = None,
        max_steps: int = 500,
        tolerance: float = 1e-3,
        grid: int = 80,
    ) -> None:
        super().__init__()
        names = list(OPTIMIZERS if optimizers is None else optimizers)
        if not names:
            raise ValueError(f"optimizers must name at least one of {OPTIMIZERS}")
        for n in names:
            _checks.choice("optimizers", n, OPTIMIZERS)
        if len(set(names)) != len(names):
            raise ValueError(f"optimizers must not repeat a name, got {names!r}")
        self.names = tuple(names)
        self.max_steps = _checks.count("max_steps", max_steps)
        self.tolerance = _checks.positive("tolerance", tolerance)
        self.grid = _checks.count("grid", grid, minimum=2)
        key, self.surface = _surface(surface)
        self._custom = self.surface if key == "custom" else None
        self.view = _common.View.make(
            _VIEWS.get(key, (-2.0, 2.0, -2.0, 2.0)) if view is None else view
        )
        self.start = self._check_start(_STARTS.get(key, (1.5, 1.5)) if start is None else start)
        self.errors = _common.ErrorBox()
        self.trajectories: dict[str, gk.dynamics.Trajectory] = {}
        self.readout: dict[str, dict[str, Any]] = {}
        self._muted = False
        self._build_controls(key)
        self._build_figure()
        self._build_layout()
        self._rebuild_schemes()
        self._draw_surface()
        self._simulate()
        self._redraw()
        self._wire()

    # -- construction -------------------------------------------------------------------
    def _check_start(self, start: Any) -> tuple[float, float]:
        try:
            point = tuple(float(v) for v in start)
        except (TypeError, ValueError):
            point = ()
        if len(point) != 2 or not np.all(np.isfinite(point)):
            raise ValueError(f"start must be two finite numbers (x, y), got {start!r}")
        if not self.view.contains(np.asarray(point)):
            raise ValueError(f"start must lie inside the view {tuple(self.view)}, got {start!r}")
        return point

    def _build_controls(self, key: str) -> None:
        rates = _RATES.get(key, _RATES["quadratic"])
        c: dict[str, ipywidgets.Widget] = {}
        for name in self.names:
            c[f"lr.{name}"] = ipywidgets.FloatLogSlider(
                value=rates[name], base=10, min=-4, max=0.5, step=0.05,
                description=f"lr {name}", readout_format=".2g", continuous_update=True,
            )  # fmt: skip
        uses = set(self.names)
        if uses & {"Momentum", "Nesterov"}:
            c["momentum"] = ipywidgets.FloatSlider(
                value=0.9, min=0.0, max=0.99, step=0.01, description="momentum"
            )
        if "Adam" in uses:
            c["beta_1"] = ipywidgets.FloatSlider(
                value=0.9, min=0.0, max=0.99, step=0.01, description="beta_1"
            )
        if "Adam" in uses:
            c["beta_2"] = ipywidgets.FloatSlider(
                value=0.999, min=0.5, max=0.9999, step=0.0001, readout_format=".4f",
                description="beta_2",
            )  # fmt: skip
        if "RMSprop" in uses:
            c["rho"] = ipywidgets.FloatSlider(
                value=0.9, min=0.0, max=0.999, step=0.001, readout_format=".3f",
                description="rho",
            )  # fmt: skip
        if "Subgradient" in uses:
            c["schedule"] = ipywidgets.Dropdown(
                options=gk.optimizers.SCHEDULES, value="inv_sqrt", description="schedule"
            )
        surfaces = list(SURFACES) + (["custom"] if self._custom is not None else [])
        c["surface"] = ipywidgets.Dropdown(options=surfaces, value=key, description="surface")
        steps = min(200, self.max_steps)
        c["steps"] = ipywidgets.IntSlider(
            value=steps, min=1, max=self.max_steps, description="steps"
        )
        c["frame"] = ipywidgets.IntSlider(value=steps, min=0, max=steps, description="iterate")
        c["play"] = ipywidgets.Play(value=steps, min=0, max=steps, step=1, interval=40)
        for w in c.values():
            if hasattr(w, "style") and hasattr(w.style, "description_width"):
                w.style.description_width = "90px"
        self.controls = c

    def _build_figure(self) -> None:
        sx, sy = _common.scales(self.view)
        scales = {"x": sx, "y": sy}
        self.heatmap = bqplot.HeatMap(
            x=np.zeros(2), y=np.zeros(2), color=np.zeros((2, 2)),
            scales={**scales, "color": bqplot.ColorScale(scheme=_common.HEAT_SCHEME)},
        )  # fmt: skip
        self.paths = {
            name: bqplot.Lines(
                x=[],
                y=[],
                scales=scales,
                colors=[_common.colour(i)],
                labels=[name],
                stroke_width=2.5,
            )  # fmt: skip
            for i, name in enumerate(self.names)
        }
        self.heads = bqplot.Scatter(
            x=[], y=[], scales=scales, colors=[_common.colour(i) for i in range(len(self.names))],
            default_size=48, stroke="white",
        )  # fmt: skip
        self.minimum_mark = bqplot.Scatter(
            x=[], y=[], scales=scales, marker="cross", colors=["white"], stroke="black",
            default_size=160,
        )  # fmt: skip
        self.cut_labels = bqplot.Label(
            x=[], y=[], text=[], scales=scales, colors=[], font_weight="bold", default_size=13,
            align="start",
        )  # fmt: skip
        # A click anywhere on the plot (the layer above the heatmap, which would take it)
        # moves the start; dragging the start's dot moves it too.
        self.clicks = _common.click_layer(
            self.view, sx, sy, self.errors.guard(lambda x, y: self.set_start((x, y)))
        )
        self.start_mark = bqplot.Scatter(
            x=[self.start[0]], y=[self.start[1]], scales=scales, colors=["white"],
            stroke="black", default_size=90, enable_move=True,
        )  # fmt: skip
        self.legend = _common.legend(
            [(name, _common.colour(i)) for i, name in enumerate(self.names)]
        )  # beside the plot, never on it
        axes = [
            bqplot.Axis(scale=sx, label="x"),
            bqplot.Axis(scale=sy, label="y", side="left"),
        ]
        self.figure = bqplot.Figure(
            marks=[
                self.heatmap, self.clicks, *self.paths.values(), self.heads, self.minimum_mark,
                self.cut_labels, self.start_mark,
            ],
            axes=axes, title="click the plot to move the start",
            fig_margin={"top": 40, "bottom": 40, "left": 50, "right": 20},
            layout=_common.plot_layout("560px", "500px"),
        )  # fmt: skip

    def _build_layout(self) -> None:
        c = self.controls
        self.table = ipywidgets.HTML()
        knobs = [c[k] for k in c if k.startswith("lr.")]
        knobs += [c[k] for k in ("momentum", "beta_1", "beta_2", "rho", "schedule") if k in c]
        knobs += [c["surface"], c["steps"], ipywidgets.HBox([c["play"], c["frame"]])]
        side = ipywidgets.VBox([*knobs, self.table], layout=_common.side_layout("400px"))
        self.widget = _common.panel(
            "race",
            ipywidgets.HBox([ipywidgets.VBox([self.figure, self.legend]), side]),
            self.errors.widget,
        )

    # -- computing ----------------------------------------------------------------------
    def _rebuild_schemes(self) -> None:
        c = self.controls
        schedule = c["schedule"].value if "schedule" in c else "constant"
        self._opts = {
            n: gk.schemes.simultaneous(
                gk.catalogue.optimizer(n, c[f"lr.{n}"].value, schedule=schedule)
            )
            for n in self.names
        }

    def _numbers(self, name: str) -> dict[str, float]:
        c = self.controls
        numbers = {"learning_rate": c[f"lr.{name}"].value}
        if name in ("Momentum", "Nesterov"):
            numbers["momentum"] = c["momentum"].value
        if name == "Adam":
            numbers["beta_1"] = c["beta_1"].value
            numbers["beta_2"] = c["beta_2"].value
        if name == "RMSprop":
            numbers["rho"] = c["rho"].value
        return numbers

    def _simulate(self) -> None:
        for name in self.names:
            self.trajectories[name] = gk.simulate(
                self.surface, self._opts[name], self.max_steps, self.start, **self._numbers(name)
            )

    def _draw_surface(self) -> None:
        xs, ys, values = gk.analysis.value_grid(self.surface, self.view, self.grid)
        shade = np.log1p(values - np.nanmin(values))  # log colour: valleys stay visible
        with self.heatmap.hold_sync():
            self.heatmap.x, self.heatmap.y, self.heatmap.color = xs, ys, shade
        minimum = self.surface.minimum
        inside = minimum is not None and bool(self.view.contains(np.asarray(minimum)))
        with self.minimum_mark.hold_sync():
            self.minimum_mark.x = [float(minimum[0])] if inside else []
            self.minimum_mark.y = [float(minimum[1])] if inside else []

    def _redraw(self) -> None:
        """Draw the first ``frame`` iterates of every path and refresh the readout."""
        frame = min(self.controls["frame"].value, self.controls["steps"].value)
        heads, labels = [], []
        for i, name in enumerate(self.names):
            traj = self.trajectories[name]
            cut = _common.clip_path(traj[: frame + 1], self.view, int(traj.diverged_at))
            line = self.paths[name]
            with line.hold_sync():
                line.x, line.y = cut.x, cut.y
            if len(cut.x):
                heads.append((cut.x[-1], cut.y[-1], _common.colour(i)))
            if cut.reason and len(cut.x):
                labels.append((cut.x[-1], cut.y[-1], f"{name}: {cut.reason} at {cut.cut_at}", i))
        with self.heads.hold_sync():
            self.heads.x = [h[0] for h in heads]
            self.heads.y = [h[1] for h in heads]
            self.heads.colors = [h[2] for h in heads] or ["black"]
        with self.cut_labels.hold_sync():
            self.cut_labels.x = [lab[0] for lab in labels]
            self.cut_labels.y = [lab[1] for lab in labels]
            self.cut_labels.text = [lab[2] for lab in labels]
            self.cut_labels.colors = [_common.colour(lab[3]) for lab in labels] or ["black"]
        self._update_readout()

    def _update_readout(self) -> None:
        steps = self.controls["steps"].value
        minimum = self.surface.minimum
        rows, readout = [], {}
        for name in self.names:
            traj = self.trajectories[name]
            path = np.asarray(traj[: steps + 1], np.float64)
            at = int(traj.diverged_at)
            diverged = 0 <= at <= steps
            final = None if diverged else float(self.surface(*path[-1]))
            distance = reached = None
            if minimum is not None:
                gaps = np.linalg.norm(path - np.asarray(minimum, np.float64), axis=1)
                distance = None if diverged else float(gaps[-1])
                hits = np.flatnonzero(gaps < self.tolerance)
                reached = int(hits[0]) if len(hits) and (at < 0 or hits[0] < at) else None
            cut = _common.clip_path(path, self.view, at if diverged else -1)
            status = f"{cut.reason} at step {cut.cut_at}" if cut.reason else "in view"
            if diverged and cut.reason != "diverged":
                status += f"; diverged at step {at}"
            readout[name] = {
                "final value": final,
                "distance": distance,
                "steps to tolerance": reached,
                "status": status,
            }
            rows.append(
                [name, _fmt(final), _fmt(distance), "—" if reached is None else reached, status]
            )
        self.readout = readout
        self.table.value = _common.html_table(
            ["optimizer", "final f", "distance to min", f"steps to {self.tolerance:g}", "status"],
            rows,
        )

    # -- events -------------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.controls
        numbers = [k for k in c if k.startswith("lr.")] + [
            k for k in ("momentum", "beta_1", "beta_2", "rho") if k in c
        ]
        guard = self.errors.guard
        for k in numbers:
            c[k].observe(guard(self._on_numbers), names="value")
        if "schedule" in c:
            c["schedule"].observe(guard(self._on_schedule), names="value")
        c["surface"].observe(guard(self._on_surface), names="value")
        c["steps"].observe(guard(self._on_steps), names="value")
        c["frame"].observe(guard(self._on_frame, busy=False), names="value")  # animation
        ipywidgets.jslink((c["play"], "value"), (c["frame"], "value"))
        c["play"].observe(guard(self._on_play), names="value")
        self.start_mark.observe(guard(self._on_start_mark), names=["x", "y"])

    def _on_numbers(self, change: dict | None = None) -> None:
        if self._muted:
            return
        self._simulate()
        self._redraw()

    def _on_schedule(self, change: dict | None = None) -> None:
        self._rebuild_schemes()
        self._simulate()
        self._redraw()

    def _on_steps(self, change: dict | None = None) -> None:
        steps = self.controls["steps"].value
        frame, play = self.controls["frame"], self.controls["play"]
        frame.max = play.max = steps
        frame.value = play.value = steps
        self._redraw()

    def _on_frame(self, change: dict | None = None) -> None:
        self._redraw()

    def _on_play(self, change: dict | None = None) -> None:
        # jslink moves the frame slider in the browser; from Python, follow here.
        if self.controls["frame"].value != self.controls["play"].value:
            self.controls["frame"].value = self.controls["play"].value

    def _on_surface(self, change: dict | None = None) -> None:
        key = self.controls["surface"].value
        if key == "custom":
            self.surface = self._custom
        else:
            self.surface = _surface(key)[1]
            self.view = _common.View.make(_VIEWS[key])
            self.start = _STARTS[key]
            with self.clicks.hold_sync():
                self.clicks.x = [self.view.x_min, self.view.x_max]
                self.clicks.y = [self.view.y_min, self.view.y_max]
            for axis, scale in zip(("x", "y"), self.figure.axes, strict=True):
                lo, hi = (self.view.x_min, self.view.x_max) if axis == "x" else (
                    self.view.y_min, self.view.y_max
                )  # fmt: skip
                with scale.scale.hold_sync():
                    scale.scale.min, scale.scale.max = lo, hi
            self._muted = True  # the new surface's learning rates: one rerun, below
            try:
                for name in self.names:
                    self.controls[f"lr.{name}"].value = _RATES[key][name]
            finally:
                self._muted = False
        self._set_start_mark()
        self._draw_surface()
        self._simulate()
        self._redraw()

    def _on_start_mark(self, change: dict | None = None) -> None:
        xs, ys = np.asarray(self.start_mark.x), np.asarray(self.start_mark.y)
        if len(xs) != len(ys) or len(xs) == 0:
            return  # a click updates x and y one after the other; act on the second
        point = (float(xs[-1]), float(ys[-1]))
        if len(xs) == 1 and point == self.start:
            return
        self.set_start(point)

    # -- public -------------------------------------------------------------------------
    def set_start(self, point: Sequence[float]) -> None:
        """Move the start point (as a click on the plot does) and rerun the race.

        >>> import gankit as gk
        >>> race = gk.widgets.OptimizerRace("quadratic", ["SGD"])
        >>> race.set_start((1.0, -1.0))
        >>> race.trajectories["SGD"][0].tolist()
        [1.0, -1.0]
        """
        self.start = self._check_start(point)
        self._set_start_mark()
        self._simulate()
        self._redraw()

    def _set_start_mark(self) -> None:
        mark = self.start_mark
        if len(mark.x) == len(mark.y) == 1 and (float(mark.x[0]), float(mark.y[0])) == self.start:
            return
        with self.start_mark.hold_sync():
            self.start_mark.x, self.start_mark.y = [self.start[0]], [self.start[1]]

    def _own_state(self) -> dict:
        return {"start": list(self.start)}

    def _set_own_state(self, state: dict) -> None:
        if "start" in state:
            self.set_start(state["start"])

    def __repr__(self) -> str:
        return f"OptimizerRace(surface={self.surface!r}, optimizers={list(self.names)!r})"
