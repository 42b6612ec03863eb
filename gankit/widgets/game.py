"""Game trajectories: several update schemes racing on one two-player game.

The plane is the game's point ``(x, y)``: x (the generator, the minimiser) across, y
(the discriminator, the maximiser) up. Grey arrows are the gradient flow ``-g(z)``;
the star is the equilibrium; each scheme's path starts at the black dot (drag it, or
click the plot). Everything drawn comes from the core: :func:`gankit.simulate` for the
paths, :func:`gankit.analysis.spectral_radii` (the batched form of
:func:`gankit.analysis.spectral_radius`) for the readout, :func:`gankit.analysis.flow`
for the arrows and :func:`gankit.analysis.verdict` for the verdicts.

Each path is simulated for ``max_steps`` once per change of a number; the ``steps``
slider only chooses how much of it is drawn and judged, so no slider recompiles.

>>> import gankit as gk
>>> panel = gk.widgets.GameTrajectories("bilinear", learning_rate=0.2)
>>> panel.verdicts["simultaneous"].startswith("diverges")
True
>>> panel.verdicts["extragradient"]
'converges'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np
import traitlets

from gankit import _checks, analysis, catalogue, dynamics, games
from gankit.schemes import GRADIENT_PLAY, PRESETS, numbers_for, preset
from gankit.widgets import _common
from gankit.widgets._panel import Panel

SCHEME_NAMES = PRESETS
RANGES = {name: (n.low, n.high) for name, n in catalogue.NUMBERS.items()}
SCHEME_NUMBERS = ("momentum", "gamma", "lam", "inner_steps", "k", "alpha", "coupling")
"""The numbers of the schemes, one slider each (learning rate and steps aside)."""
ALWAYS_SHOWN = ("momentum", "gamma", "lam")
"""Sliders shown whatever is drawn; the others only when a drawn scheme has the number."""
REG_WEIGHT = (0.0, 3.0)  # the one slider for every regulariser's number
GAMES = ("bilinear", "dirac")
REGULARIZERS = tuple(n for n in catalogue.REGULARIZERS if n != "label smoothing")
"""The regularisers the panel offers (:data:`gankit.catalogue.REGULARIZERS` less label
smoothing, which two of its four losses refuse)."""


def make_game(name: str, loss: str = "gan", reg: str = "none", weight: float = 1.0) -> games.Game:
    """The panel's game by name: ``"bilinear"`` (``x * y``) or ``"dirac"`` (Dirac-GAN).

    ``loss`` and ``reg`` (one of :data:`REGULARIZERS`, with strength ``weight``: gamma,
    or sigma for instance noise) apply to the Dirac-GAN.

    >>> from gankit.widgets.game import make_game
    >>> make_game("dirac", "wgan", "R1", 0.5)
    DiracGAN(loss='wgan', reg=R1(gamma=0.5))
    """
    name = _checks.choice("game", name, GAMES)
    _checks.choice("loss", loss, games.LOSSES)
    _checks.choice("reg", reg, REGULARIZERS)
    weight = _checks.non_negative("weight", weight)
    if name == "bilinear":
        return games.Bilinear()
    record = catalogue.regularizer(reg, weight)  # checks the weight against its range
    # Loss and regulariser as traced numbers: switching them reruns, never recompiles.
    weights = {} if record is None else {type(record).__name__: weight}
    return games.DiracGAN.switchable(loss, **weights)


def as_game(game: Any) -> tuple[str, games.Game]:
    """``(dropdown name, game)`` for a name or a 1+1-number game (a user's one is "custom")."""
    if isinstance(game, str):
        return _checks.choice("game", game, GAMES), make_game(game)
    if not isinstance(game, games.Game) or (game.n_x, game.n_y) != (1, 1):
        raise ValueError(
            f"game must be one of {GAMES} or a two-player gankit game with one number per "
            f"player (e.g. gk.games.from_function(f); one-player surfaces go to "
            f"OptimizerRace), got {game!r}"
        )
    return "custom", game


def _number_slider(name: str, value: float) -> ipywidgets.FloatSlider | ipywidgets.IntSlider:
    """A slider over the catalogue's range of the scheme number ``name`` (whole steps for
    numbers that count steps)."""
    lo, hi = RANGES[name]
    if name in catalogue.WHOLE_NUMBERS:
        return ipywidgets.IntSlider(value=value, min=lo, max=hi, description=name)
    return ipywidgets.FloatSlider(value=value, min=lo, max=hi, step=0.05, description=name)


class GameTrajectories(Panel):
    """Several update schemes on one two-player game, drawn live in the plane.

    ``game`` is ``"bilinear"``, ``"dirac"`` (choose its loss and regulariser in the
    panel) or any 2-D gankit game (``gk.games.from_function(f, equilibrium=...)``).
    ``schemes`` picks from :data:`gankit.schemes.PRESETS` (by default the seven of
    :data:`~gankit.schemes.GRADIENT_PLAY`). Sliders: learning rate (all schemes),
    momentum (negative momentum), gamma (consensus), lam (SGA), and when such a scheme is
    drawn inner steps (proximal), k and alpha (look-ahead), coupling (LEAD); steps (how
    much of each ``max_steps`` path is drawn). The readout gives each scheme's spectral
    radius at the equilibrium, its verdict and its gradient evaluations a step.

    >>> import gankit as gk
    >>> panel = gk.widgets.GameTrajectories(schemes=["simultaneous", "extragradient"])
    >>> panel.start = (0.5, 0.5)
    >>> [round(float(v), 2) for v in (panel.lines["extragradient"].x[0],
    ...                              panel.lines["extragradient"].y[0])]
    [0.5, 0.5]
    """

    game = traitlets.Instance(games.Game)
    start = traitlets.Tuple(traitlets.Float(), traitlets.Float())

    def __init__(
        self,
        game: Any = "bilinear",
        *,
        schemes: Sequence[str] = GRADIENT_PLAY,
        loss: str = "gan",
        reg: str = "none",
        reg_weight: float = 1.0,
        learning_rate: float = 0.1,
        momentum: float = -0.5,
        gamma: float = 1.0,
        lam: float = 1.0,
        inner_steps: int = 10,
        k: int = 5,
        alpha: float = 0.5,
        coupling: float = 1.0,
        steps: int | None = None,
        max_steps: int = 500,
        start: Any = (1.0, 0.5),
        view: Any = (-2.0, 2.0, -2.0, 2.0),
        arrows: int = 15,
    ) -> None:
        super().__init__()
        name, first_game = as_game(game)
        if isinstance(schemes, str) or not schemes:
            raise ValueError(f"schemes must be a non-empty list from {SCHEME_NAMES}")
        self.names = tuple(_checks.choice("schemes", s, SCHEME_NAMES) for s in schemes)
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"schemes must not repeat a name, got {list(schemes)!r}")
        self.max_steps = _checks.count("max_steps", max_steps, minimum=8)
        steps = self.max_steps if steps is None else _checks.count("steps", steps)
        if steps > self.max_steps:
            raise ValueError(f"steps must be <= max_steps ({self.max_steps}), got {steps}")
        self.view = _common.View.make(view)
        arrows = _checks.count("arrows", arrows, minimum=2)
        point = np.asarray(start, np.float64)
        if point.shape != (2,) or not np.all(np.isfinite(point)):
            raise ValueError(f"start must be two finite numbers (x, y), got {start!r}")
        self._custom = first_game if name == "custom" else None

        _checks.choice("loss", loss, games.LOSSES)
        _checks.choice("reg", reg, REGULARIZERS)
        given = {
            "learning_rate": learning_rate,
            "momentum": momentum,
            "gamma": gamma,
            "lam": lam,
            "inner_steps": inner_steps,
            "k": k,
            "alpha": alpha,
            "coupling": coupling,
        }
        for label, number, (lo, hi) in (
            *((n, v, RANGES[n]) for n, v in given.items()),
            ("reg_weight", reg_weight, REG_WEIGHT),
        ):
            if not lo <= _checks.finite(label, number) <= hi:
                raise ValueError(f"{label} must be in [{lo}, {hi}] (its slider), got {number!r}")
            if label in catalogue.WHOLE_NUMBERS:
                if not float(number).is_integer():
                    raise ValueError(f"{label} must be a whole number, got {number!r}")
                given[label] = int(number)  # 10.0 is ten steps

        self.errors = _common.ErrorBox()
        self.game_name = ipywidgets.Dropdown(
            options=(("custom",) if self._custom is not None else ()) + GAMES,
            value=name,
            description="game",
        )
        self.loss = ipywidgets.Dropdown(options=games.LOSSES, value=loss, description="loss")
        self.reg = ipywidgets.Dropdown(options=REGULARIZERS, value=reg, description="regulariser")
        self.reg_weight = ipywidgets.FloatSlider(
            value=reg_weight,
            min=REG_WEIGHT[0],
            max=REG_WEIGHT[1],
            step=0.05,
            description="reg weight",
        )
        lo, hi = RANGES["learning_rate"]
        self.learning_rate = ipywidgets.FloatSlider(
            value=learning_rate, min=lo, max=hi, step=0.01, description="learning rate"
        )
        self.numbers = {n: _number_slider(n, given[n]) for n in SCHEME_NUMBERS}
        self.momentum, self.gamma, self.lam = (self.numbers[n] for n in ALWAYS_SHOWN)
        self.inner_steps, self.k, self.alpha, self.coupling = (
            self.numbers[n] for n in ("inner_steps", "k", "alpha", "coupling")
        )
        self.steps = ipywidgets.IntSlider(
            value=steps, min=1, max=self.max_steps, description="steps"
        )

        sx, sy = _common.scales(self.view)
        self._sx, self._sy = sx, sy
        gx, gy = np.meshgrid(
            np.linspace(self.view.x_min, self.view.x_max, arrows + 2)[1:-1],
            np.linspace(self.view.y_min, self.view.y_max, arrows + 2)[1:-1],
        )
        self._grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
        self.field = bqplot.Scatter(
            x=self._grid[:, 0],
            y=self._grid[:, 1],
            marker="arrow",
            rotation=np.zeros(len(self._grid)),
            size=np.ones(len(self._grid)),
            scales={
                "x": sx,
                "y": sy,
                "rotation": bqplot.LinearScale(min=0, max=180),
                "size": bqplot.LinearScale(min=0, max=1),
            },
            default_size=90,
            colors=[_common.INK],
            opacities=[0.8],
        )
        self.clicks = _common.click_layer(self.view, sx, sy, self._on_click)
        self.equilibrium = bqplot.Scatter(
            x=[],
            y=[],
            marker="diamond",
            default_size=140,
            colors=[_common.INK],
            scales={"x": sx, "y": sy},
            labels=["equilibrium"],
        )
        self.lines: dict[str, bqplot.Lines] = {}
        for i, scheme in enumerate(self.names):
            self.lines[scheme] = bqplot.Lines(
                x=[],
                y=[],
                scales={"x": sx, "y": sy},
                colors=[_common.colour(i)],
                stroke_width=2,
                labels=[scheme.replace("_", " ")],
            )
        self.ends = bqplot.Label(
            x=[],
            y=[],
            text=[],
            scales={"x": sx, "y": sy},
            colors=[_common.INK],
            default_size=13,
            font_weight="bold",
            x_offset=4,
            y_offset=-4,
        )
        self.start_mark = bqplot.Scatter(
            x=[point[0]],
            y=[point[1]],
            marker="circle",
            default_size=90,
            colors=[_common.INK],
            scales={"x": sx, "y": sy},
            enable_move=True,
            update_on_move=True,
        )
        self.figure = bqplot.Figure(
            # The click layer lies above the field's arrows (which would take a click) and
            # below the start's dot, which stays draggable.
            marks=[
                self.field,
                self.equilibrium,
                *self.lines.values(),
                self.ends,
                self.clicks,
                self.start_mark,
            ],
            axes=[
                bqplot.Axis(scale=sx, label="x (minimiser, generator)"),
                bqplot.Axis(scale=sy, side="left", label="y (maximiser, discriminator)"),
            ],
            fig_margin={"top": 20, "bottom": 50, "left": 60, "right": 20},
            layout=_common.plot_layout("520px", "500px"),
            animation_duration=0,
        )
        # Beside the plot, never on it: the start, the equilibrium, then each scheme.
        self.legend = _common.legend(
            [(line.labels[0], line.colors[0]) for line in self.lines.values()]
            + [("equilibrium (diamond), start (dot)", _common.INK)]
        )
        self.readout = ipywidgets.HTML()
        controls = ipywidgets.VBox(
            [
                self.game_name,
                self.loss,
                self.reg,
                self.reg_weight,
                self.learning_rate,
                *self.numbers.values(),
                self.steps,
            ]
        )
        self.widget = _common.panel(
            "game",
            ipywidgets.HBox([ipywidgets.VBox([self.figure, self.legend]), controls]),
            self.readout,
            self.errors.widget,
        )
        self.controls = {
            "game": self.game_name,
            "loss": self.loss,
            "reg": self.reg,
            "reg_weight": self.reg_weight,
            "learning_rate": self.learning_rate,
            **self.numbers,
            "steps": self.steps,
        }

        self._schemes = {
            n: preset(
                n,
                learning_rate,
                **{k: v for k, v in given.items() if k not in ("learning_rate", "momentum")},
                momentum=momentum if n == "negative_momentum" else None,
            )
            for n in self.names
        }
        for name, slider in self.numbers.items():
            used = any(name in scheme.hyper for scheme in self._schemes.values())
            if name not in ALWAYS_SHOWN and not used:
                slider.layout.display = "none"  # no drawn scheme has this number
        self.trajectories: dict[str, dynamics.Trajectory] = {}
        self._keys: dict[str, tuple] = {}
        self._version = 0
        self.radii: dict[str, float] = {}
        self.verdicts: dict[str, str] = {}
        self._enable_dirac_controls(name)
        self.game = first_game
        self.start = (float(point[0]), float(point[1]))
        self._recompute()

        guard = self.errors.guard
        for control in (self.game_name, self.loss, self.reg):
            control.observe(guard(self._on_game_choice), names="value")
        self.reg_weight.observe(guard(self._on_game_choice), names="value")
        for slider in (self.learning_rate, *self.numbers.values()):
            slider.observe(guard(self._on_numbers), names="value")
        self.steps.observe(guard(self._on_steps), names="value")
        self.observe(guard(self._on_game), names="game")
        self.observe(guard(self._on_start), names="start")
        self.start_mark.observe(guard(self._on_drag), names=["x", "y"])

    # -- callbacks ------------------------------------------------------------------
    def _enable_dirac_controls(self, name: str) -> None:
        for control in (self.loss, self.reg):
            control.disabled = name != "dirac"
        # a weight with no regulariser to weigh does nothing: greyed out, not a dead slider
        self.reg_weight.disabled = name != "dirac" or self.reg.value == "none"

    def _on_game_choice(self, change: Any = None) -> None:
        name = self.game_name.value
        self._enable_dirac_controls(name)
        if name == "custom":
            self.game = self._custom
        else:
            self.game = make_game(name, self.loss.value, self.reg.value, self.reg_weight.value)

    def _on_game(self, change: Any = None) -> None:
        self._recompute()

    def _on_numbers(self, change: Any = None) -> None:
        self._simulate()
        self._draw()

    def _on_steps(self, change: Any = None) -> None:
        self._draw()

    def _on_start(self, change: Any = None) -> None:
        x, y = self.start
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"start must be two finite numbers, got {self.start!r}")
        if list(self.start_mark.x) != [x] or list(self.start_mark.y) != [y]:
            # both coordinates first, then one notification: no half-moved point
            with self.start_mark.hold_trait_notifications(), self.start_mark.hold_sync():
                self.start_mark.x, self.start_mark.y = [x], [y]
        self._simulate(radii=False)  # the radii are taken at the equilibrium, not the start
        self._draw()

    def _on_drag(self, change: Any = None) -> None:
        if len(self.start_mark.x) and len(self.start_mark.y):
            self.start = (float(self.start_mark.x[0]), float(self.start_mark.y[0]))

    def _on_click(self, x: float, y: float) -> None:
        self.errors.guard(lambda: setattr(self, "start", (x, y)))()

    # -- computing and drawing --------------------------------------------------------
    def _numbers(self) -> dict[str, float]:
        numbers = {name: slider.value for name, slider in self.numbers.items()}
        return {"learning_rate": self.learning_rate.value, **numbers}

    def _recompute(self) -> None:
        """A new game: redraw the arrows and the equilibrium, then the paths."""
        self._version += 1
        flow = analysis.flow(self.game, self._grid)
        u, v = flow[:, 0], flow[:, 1]
        magnitude = np.hypot(u, v)
        top = magnitude.max() if magnitude.size and magnitude.max() > 0 else 1.0
        with self.field.hold_sync():
            self.field.rotation = np.degrees(np.arctan2(u, v)) % 360.0
            self.field.size = np.sqrt(magnitude / top)
        eq = self.game.equilibrium
        with self.equilibrium.hold_sync():
            self.equilibrium.x = [] if eq is None else [float(eq[0])]
            self.equilibrium.y = [] if eq is None else [float(eq[1])]
        self._simulate()
        self._draw()

    def _simulate(self, radii: bool = True) -> None:
        """Simulate the schemes for ``max_steps``; with ``radii``, take spectral radii too.

        The schemes were built once; their numbers go in as keywords, so this is data for
        programs already compiled. A scheme whose own numbers, start and game did not
        change keeps its run (the momentum slider moves only negative momentum's path).
        """
        numbers = self._numbers()
        eq = self.game.equilibrium
        for name, scheme in self._schemes.items():
            mine = numbers_for(scheme, **numbers)
            key = (self._version, self.start, tuple(sorted(mine.items())))
            if self._keys.get(name) == key:
                continue
            self.trajectories[name] = dynamics.simulate(
                self.game, scheme, steps=self.max_steps, start=self.start, **mine
            )
            if radii or name not in self.radii:
                self.radii[name] = (
                    math.nan
                    if eq is None
                    else float(analysis.spectral_radii(self.game, scheme, eq, **mine))
                )
            self._keys[name] = key

    def _draw(self) -> None:
        steps = self.steps.value
        eq = self.game.equilibrium
        labels_x, labels_y, labels_text, label_colours = [], [], [], []
        rows = []
        for i, name in enumerate(self.names):
            traj = self.trajectories[name]
            at = int(traj.diverged_at)
            cut = _common.clip_path(traj[: steps + 1], self.view, at if at <= steps else -1)
            self.verdicts[name] = analysis.verdict(
                traj,
                steps,
                at,
                eq,
                cut_at=cut.cut_at,
                left_view=cut.reason == "left the view",
                radius=self.radii.get(name),
            )
            line = self.lines[name]
            with line.hold_sync():
                line.x, line.y = cut.x, cut.y
            if cut.cut_at >= 0 and len(cut.x):
                labels_x.append(float(cut.x[-1]))
                labels_y.append(float(cut.y[-1]))
                labels_text.append(f"\u2715 {cut.cut_at}")
                label_colours.append(_common.colour(i))
            end = np.asarray(traj[min(steps, len(traj) - 1)], np.float64)
            distance = "n/a" if eq is None else f"{np.linalg.norm(end - eq):.3g}"
            radius = "n/a" if math.isnan(self.radii[name]) else f"{self.radii[name]:.4f}"
            scheme = self._schemes[name]
            now = scheme.replace(**numbers_for(scheme, **self._numbers()))
            cost = f"{now.evaluations_for(self.game.dim):g}"
            rows.append([name.replace("_", " "), radius, self.verdicts[name], distance, cost])
        with self.ends.hold_sync():
            self.ends.x, self.ends.y, self.ends.text = labels_x, labels_y, labels_text
            self.ends.colors = label_colours or [_common.INK]
        where = "at the equilibrium" if eq is not None else "(no known equilibrium)"
        self.readout.value = _common.html_table(
            [
                "scheme",
                f"spectral radius {where}",
                f"verdict after {steps} steps",
                "distance to equilibrium",
                "gradient evaluations a step",
            ],
            rows,
        )

    def _own_state(self) -> dict:
        return {"start": list(self.start)}

    def _set_own_state(self, state: dict) -> None:
        if "start" in state:
            self.start = _common.finite_point("start", state["start"])

    def __repr__(self) -> str:
        return f"GameTrajectories(game={self.game!r}, schemes={list(self.names)!r})"
