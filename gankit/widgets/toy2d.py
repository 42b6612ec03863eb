"""``Toy2DLab``: train a GAN on 2-D points and watch every part of it move.

A thin view over :class:`gankit.GAN`: the controls become a GAN configuration and its
numbers; each frame runs ``steps_per_frame`` updates in one jitted call
(:meth:`gankit.GAN.train_steps`) and assigns the new arrays to bqplot marks built once.

Views (each can be hidden): real and generated samples, the discriminator's output as a
heatmap, the gradient field of the generator's loss over the plane and on the generated
samples, the generator's manifold (a warped grid of noise space), loss curves and metric
curves (modes covered, % high quality, JS divergence), quality apart from diversity
(precision, recall, density, coverage: one JS number cannot tell a sharp but collapsed
generator from a diverse but blurry one), and the exact Wasserstein-1 distance beside a
WGAN critic's own estimate of it. "Many runs" trains N seeds at
once with ``vmap`` and shows them as small multiples with the share that covers every
mode.

Changing a number (a learning rate, a penalty weight) applies at the next step; changing
the loss, regulariser, scheme or optimizer switches to a GAN of that configuration that
shares the same networks (weights kept); changing the architecture or the data resets.

>>> import gankit as gk
>>> lab = gk.Toy2DLab(units=16, steps_per_frame=5)
>>> lab.step(); lab.gan.step
5
>>> "gankit-toy2d" in lab.widget._dom_classes
True
>>> q = lab.quality()  # loss "nsgan": no critic estimate of W1
>>> q["critic_w1"] is None, 0.0 <= q["precision"] <= 1.0, q["w1"] > 0.0
(True, True, True)
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import bqplot
import ipywidgets
import keras
import numpy as np

import gankit as gk
from gankit import _checks, data, metrics
from gankit.widgets import _common
from gankit.widgets._numberbox import NumberBox
from gankit.widgets._panel import Panel

REGULARIZERS = tuple(gk.catalogue.REGULARIZERS)
"""Regulariser choices (:data:`gankit.catalogue.REGULARIZERS`); the box beside them sets
their number."""

OPTIMIZERS = ("Adam", "SGD", "RMSprop")
#: The largest seed the seed box takes (every random generator takes [0, 2**32)).
SEED_MAX = 2**32 - 1
"""Optimizer choices for each player (names of :data:`gankit.catalogue.OPTIMIZERS`; Adam
with ``beta_1 = 0.5``, the usual GAN setting)."""

DATASETS = data.TOY_DATASETS + ("drawn",)
"""Data choices: the toy sets, or the points drawn on the plot."""

VIEWS = ("samples", "heatmap", "field", "manifold", "losses", "metrics", "quality", "W1")
"""Views that can be shown or hidden."""

_HISTORY = 600  # points kept per curve

COLUMNS = (
    "step",
    "D loss",
    "G loss",
    "modes",
    "high quality",
    "JS",
    "precision",
    "recall",
    "density",
    "coverage",
    "W1",
    "critic W1",
)
"""The columns of the lab's history, one row a frame ("critic W1" is NaN unless the loss
is "wgan"; "modes" and "high quality" are NaN off the mode data sets)."""

_QUALITY = slice(COLUMNS.index("precision"), COLUMNS.index("coverage") + 1)
_W1 = slice(COLUMNS.index("W1"), COLUMNS.index("critic W1") + 1)

QUALITY_SAMPLES = 256
"""Data points and samples behind precision/recall, density/coverage and W1, each.

Fewer than the 1,000 samples of the other metrics because these cost O(n^2) (k-NN) and
more (exact optimal transport) on every Play frame: at 256 against 256 they add about
10 ms a frame (W1 alone 7 ms), where 1,000 against 2,048 would add half a second. The
price is a floor: two 256-point batches of ring8 itself lie about 0.2 apart in W1, and
score about 0.92 on the k-NN metrics."""

_DENSITY_TOP = 1.5  # density can exceed 1 (fakes bunched on dense reals): drawn clipped here


def _reg_default(name: str) -> float:
    number = gk.catalogue.REGULARIZERS[name].number
    return 1.0 if number is None else number.default


def _reg_range(name: str) -> dict:
    """The regulariser number box's range (of the catalogue; a dummy one for "none")."""
    number = gk.catalogue.REGULARIZERS[name].number
    return (
        {"minimum": 0.0, "maximum": 1.0}
        if number is None
        else {
            "minimum": number.low,
            "maximum": number.high,
        }
    )


def _optimizer(name: str, lr: float) -> keras.optimizers.Optimizer:
    return gk.catalogue.optimizer(name, lr, **({"beta_1": 0.5} if name == "Adam" else {}))


def _finite(x: np.ndarray, big: float = 1e6) -> np.ndarray:
    """``x`` with NaN and infinities replaced (a run near divergence can emit them)."""
    return np.nan_to_num(np.clip(x, -big, big), nan=big, posinf=big, neginf=-big)


class Toy2DLab(Panel):
    """The 2-D GAN lab: controls, Play/Pause, Step D / Step G, slow motion, many runs.

    Drive it from Python as from the browser: set a control's ``value`` (``lab.controls``),
    call :meth:`step` for a frame, read marks in ``lab.marks``.
    """

    def __init__(
        self,
        dataset: str = "ring8",
        *,
        loss: str = "nsgan",
        reg: str = "none",
        reg_value: float | None = None,
        scheme: str = "simultaneous",
        g_optimizer: str = "Adam",
        d_optimizer: str = "Adam",
        g_lr: float = 1e-3,
        d_lr: float = 1e-3,
        d_steps: int = 1,
        g_steps: int = 1,
        layers: int = 2,
        units: int = 64,
        noise_dim: int = 2,
        noise: str = "gaussian",
        batch_size: int = 256,
        steps_per_frame: int = 20,
        n_runs: int = 8,
        seed: int = 0,
        view: Any = (-3.0, 3.0, -3.0, 3.0),
        points: Any = None,
    ) -> None:
        _checks.choice("dataset", dataset, DATASETS)
        _checks.choice("loss", loss, gk.losses.LOSSES)
        _checks.choice("reg", reg, REGULARIZERS)
        _checks.choice("scheme", scheme, gk.schemes.SCHEMES)
        _checks.choice("g_optimizer", g_optimizer, OPTIMIZERS)
        _checks.choice("d_optimizer", d_optimizer, OPTIMIZERS)
        _checks.choice("noise", noise, gk.models.NOISES)
        self.view = _common.View.make(view)
        self.batch_size = _checks.count("batch_size", batch_size)
        self.seed = _checks.seed("seed", seed)
        self.errors = _common.ErrorBox()
        super().__init__()
        self.drawn = np.zeros((0, 2), np.float32) if points is None else data.points(points)
        self.controls = self._build_controls(
            dataset,
            loss,
            reg,
            reg_value,
            scheme,
            g_optimizer,
            d_optimizer,
            g_lr,
            d_lr,
            d_steps,
            g_steps,
            layers,
            units,
            noise_dim,
            noise,
            steps_per_frame,
            n_runs,
        )
        self.marks: dict[str, Any] = {}
        self._frame_end = 0.0  # when the last Play frame ended (perf_counter)
        self._gans: dict = {}
        self.gan: gk.GAN | None = None
        self.runs: gk.gan.Runs | None = None
        self.status = ipywidgets.HTML()
        self.status.add_class("gankit-status")
        self._build_figures()
        self.widget = self._layout()
        self._reset()
        self._wire()

    # -- controls ------------------------------------------------------------------
    def _build_controls(
        self,
        dataset,
        loss,
        reg,
        reg_value,
        scheme,
        g_opt,
        d_opt,
        g_lr,
        d_lr,
        d_steps,
        g_steps,
        layers,
        units,
        noise_dim,
        noise,
        spf,
        n_runs,
    ) -> dict:
        lw = {"description_width": "110px"}

        def whole(name: str, value: int, low: int, high: int, label: str) -> NumberBox:
            return NumberBox(
                name,
                value,
                minimum=low,
                maximum=high,
                integer=True,
                errors=self.errors,
                description=label,
                style=lw,
            )

        log = {
            "min": -5,
            "max": 0,
            "step": 0.1,
            "readout_format": ".1e",
            "style": lw,
            "continuous_update": False,
        }
        c = {
            "dataset": ipywidgets.Dropdown(
                options=DATASETS, value=dataset, description="data", style=lw
            ),
            # your own points: a CSV of x,y rows becomes the "drawn" data set
            "upload": ipywidgets.FileUpload(
                accept=".csv,.txt,text/csv", multiple=False, description="points (CSV)"
            ),
            "loss": ipywidgets.Dropdown(
                options=gk.losses.LOSSES, value=loss, description="loss", style=lw
            ),
            "reg": ipywidgets.Dropdown(
                options=REGULARIZERS, value=reg, description="regulariser", style=lw
            ),
            "reg_value": NumberBox(
                "reg_value",
                _reg_default(reg) if reg_value is None else _checks.finite("reg_value", reg_value),
                **_reg_range(reg),
                errors=self.errors,
                description="reg. number",
                style=lw,
            ),
            "scheme": ipywidgets.Dropdown(
                options=gk.schemes.SCHEMES, value=scheme, description="scheme", style=lw
            ),
            "d_steps": whole("d_steps", d_steps, 1, 20, "d_steps"),
            "g_steps": whole("g_steps", g_steps, 1, 20, "g_steps"),
            "g_optimizer": ipywidgets.Dropdown(
                options=OPTIMIZERS, value=g_opt, description="G optimizer", style=lw
            ),
            "d_optimizer": ipywidgets.Dropdown(
                options=OPTIMIZERS, value=d_opt, description="D optimizer", style=lw
            ),
            "g_lr": ipywidgets.FloatLogSlider(value=g_lr, description="G learning rate", **log),
            "d_lr": ipywidgets.FloatLogSlider(value=d_lr, description="D learning rate", **log),
            "layers": whole("layers", layers, 0, 6, "hidden layers"),
            "units": ipywidgets.Dropdown(
                options=[8, 16, 32, 64, 128], value=units, description="units", style=lw
            ),
            "noise_dim": whole("noise_dim", noise_dim, 1, 8, "noise dim"),
            "noise": ipywidgets.Dropdown(
                options=gk.models.NOISES, value=noise, description="noise", style=lw
            ),
            "steps_per_frame": whole("steps_per_frame", spf, 1, 500, "steps / frame"),
            "slow": ipywidgets.Checkbox(
                value=False, description="slow motion (one update)", indent=False
            ),
            "play": ipywidgets.Play(
                value=0, min=0, max=10**9, step=1, interval=50, description="play"
            ),
            "step": ipywidgets.Button(description="Step"),
            "step_d": ipywidgets.Button(description="Step D"),
            "step_g": ipywidgets.Button(description="Step G"),
            "reset": ipywidgets.Button(description="Reset"),
            # the run's seed: initial weights, noise and data; Reset rewinds to it
            "seed": whole("seed", self.seed, 0, SEED_MAX, "seed"),
            "views": ipywidgets.ToggleButtons(options=VIEWS),
            "n_runs": whole("n_runs", n_runs, 2, 64, "runs"),
            "run_steps": whole("run_steps", 2000, 1, 100000, "steps each"),
            "many": ipywidgets.Button(description="Train many runs"),
            # the loss curves' exponential moving average, as TensorBoard smooths them
            "smoothing": ipywidgets.FloatSlider(
                value=0.6, min=0.0, max=0.99, step=0.01, description="smoothing"
            ),
        }
        c["show"] = {v: ipywidgets.Checkbox(value=True, description=v, indent=False) for v in VIEWS}
        return c

    # -- figures ---------------------------------------------------------------------
    def _build_figures(self) -> None:
        sx, sy = _common.scales(self.view)
        # D(x) from 0 (fake, red) to 1 (real, blue), pale so the samples stay readable
        sc = bqplot.ColorScale(colors=["#f4b59c", "#f7f7f7", "#a9cce3"], min=0.0, max=1.0)
        n = 32
        gx = np.linspace(self.view.x_min, self.view.x_max, n)
        gy = np.linspace(self.view.y_min, self.view.y_max, n)
        self._grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2).astype(np.float32)
        m = {}
        m["heatmap"] = bqplot.HeatMap(
            x=gx,
            y=gy,
            color=np.full((n, n), 0.5),
            scales={"x": sx, "y": sy, "color": sc},
        )
        fx = np.linspace(self.view.x_min, self.view.x_max, 15)
        fy = np.linspace(self.view.y_min, self.view.y_max, 15)
        self._field_points = np.stack(np.meshgrid(fx, fy), -1).reshape(-1, 2).astype(np.float32)
        empty = np.zeros((1, 2))
        m["field"] = bqplot.Lines(
            x=empty, y=empty, scales={"x": sx, "y": sy}, colors=[_common.INK], stroke_width=1
        )
        m["fake_field"] = bqplot.Lines(
            x=empty, y=empty, scales={"x": sx, "y": sy}, colors=[_common.colour(6)], stroke_width=1
        )
        m["manifold"] = bqplot.Lines(
            x=empty, y=empty, scales={"x": sx, "y": sy}, colors=[_common.INK], stroke_width=0.7
        )
        m["real"] = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": sx, "y": sy},
            default_size=8,
            colors=[_common.colour(2)],
            opacity=[0.5],
        )
        m["fake"] = bqplot.Scatter(
            x=[],
            y=[],
            scales={"x": sx, "y": sy},
            default_size=8,
            colors=[_common.colour(1)],
            opacity=[0.6],
        )
        m["drawn"] = bqplot.Scatter(
            x=self.drawn[:, 0],
            y=self.drawn[:, 1],
            scales={"x": sx, "y": sy},
            default_size=30,
            colors=[_common.INK],
        )
        # Clicks add drawn points: the layer lies above the heatmap, arrows and manifold
        # (which would take the click) and below nothing that needs one.
        m["clicks"] = _common.click_layer(
            self.view, sx, sy, self.errors.guard(lambda x, y: self.add_point((x, y)))
        )
        ax = [
            bqplot.Axis(scale=sx, label="x1"),
            bqplot.Axis(scale=sy, side="left", label="x2"),
        ]
        self.plane = bqplot.Figure(
            marks=[
                m["heatmap"],
                m["manifold"],
                m["field"],
                m["real"],
                m["fake"],
                m["fake_field"],
                m["clicks"],
                m["drawn"],
            ],
            axes=ax,
            title="samples",
            min_aspect_ratio=1,
            max_aspect_ratio=1,
            layout=ipywidgets.Layout(width="420px", height="420px"),
            fig_margin={"top": 30, "bottom": 40, "left": 45, "right": 10},
        )
        self.plane_legend = _common.legend(
            [
                ("real", _common.colour(2)),
                ("fake", _common.colour(1)),
                ("manifold, field", _common.INK),
                ("fakes' pull", _common.colour(6)),
            ]
        )
        self.curves = {
            "losses": _common.curve_figure(
                "losses", ["D loss", "G loss"], [_common.colour(0), _common.colour(1)],
                smoothed=True, y_label="loss",
            ),
            "metrics": _common.curve_figure(
                "metrics", ["modes (share)", "high quality", "JS (bits)"],
                [_common.colour(0), _common.colour(2), _common.colour(4)], y_range=(0.0, 1.0),
                y_label="share / bits",
            ),
            "quality": _common.curve_figure(
                "quality & diversity",
                ["precision (sharp)", "recall (all modes)", "density (sharp)",
                 "coverage (all modes)"],
                [_common.colour(1), _common.colour(0), _common.colour(4), _common.colour(5)],
                y_range=(0.0, _DENSITY_TOP), y_label="score",
            ),
            "W1": _common.curve_figure(
                "W1: exact vs critic",
                [f"exact W1 ({QUALITY_SAMPLES} v {QUALITY_SAMPLES})", self._critic_label()],
                [_common.colour(0), _common.colour(1)], y_label="W1",
            ),
        }  # fmt: skip
        for view, mark in (("losses", "losses"), ("metrics", "metrics"), ("quality", "quality"),
                           ("W1", "w1")):  # fmt: skip
            m[mark] = self.curves[view].lines
        self.loss_fig, self.metric_fig, self.quality_fig, self.w1_fig = (
            self.curves[v].figure for v in ("losses", "metrics", "quality", "W1")
        )
        self.marks = m
        self.many_box = ipywidgets.GridBox(
            layout=ipywidgets.Layout(grid_template_columns="repeat(4, 160px)")
        )
        self.many_label = ipywidgets.HTML()
        self.many_label.add_class("gankit-many-runs")

    def _layout(self) -> ipywidgets.VBox:
        c = self.controls
        buttons = ipywidgets.HBox(
            [c["play"], c["step"], c["step_d"], c["step_g"], c["reset"], c["seed"], c["slow"]]
        )
        game = ipywidgets.VBox(
            [
                ipywidgets.HBox([c["dataset"], c["upload"]]),
                c["loss"],
                c["reg"],
                c["reg_value"],
                c["scheme"],
                c["d_steps"],
                c["g_steps"],
            ]
        )
        opts = ipywidgets.VBox(
            [c["g_optimizer"], c["g_lr"], c["d_optimizer"], c["d_lr"], c["steps_per_frame"]]
        )
        arch = ipywidgets.VBox([c["layers"], c["units"], c["noise_dim"], c["noise"]])
        c["smoothing"].layout = ipywidgets.Layout(width="300px", flex="0 0 auto")
        shows = ipywidgets.HBox(  # wraps rather than squeezing the slider to nothing
            [*c["show"].values(), c["smoothing"]], layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        plots = ipywidgets.VBox(
            [
                ipywidgets.HBox(
                    [
                        ipywidgets.VBox([self.plane, self.plane_legend]),
                        ipywidgets.VBox(
                            [self.curves["losses"].widget, self.curves["metrics"].widget]
                        ),
                    ]
                ),
                ipywidgets.HBox([self.curves["quality"].widget, self.curves["W1"].widget]),
            ]
        )
        many = ipywidgets.VBox(
            [
                ipywidgets.HBox([c["n_runs"], c["run_steps"], c["many"]]),
                self.many_label,
                self.many_box,
            ]
        )
        tabs = ipywidgets.Tab(children=[game, opts, arch, many])
        for i, title in enumerate(["game", "optimizers", "architecture", "many runs"]):
            tabs.set_title(i, title)
        return _common.panel("toy2d", buttons, self.status, shows, plots, tabs, self.errors.widget)

    # -- configuration -> GAN ------------------------------------------------------
    def _config(self) -> tuple:
        c = self.controls
        return (
            c["loss"].value,
            c["reg"].value,
            c["scheme"].value,
            c["g_optimizer"].value,
            c["d_optimizer"].value,
            c["d_steps"].value,
            c["g_steps"].value,
        )

    def _make_gan(self, config: tuple) -> gk.GAN:
        loss, reg, scheme, g_opt, d_opt, d_steps, g_steps = config
        c = self.controls
        record = gk.catalogue.regularizer(reg, c["reg_value"].value if reg != "none" else None)
        options = {"d_steps": d_steps, "g_steps": g_steps} if scheme == "alternating" else {}
        return gk.GAN(
            self.generator,
            self.discriminator,
            loss=loss,
            reg=record,
            scheme=scheme,
            g_optimizer=_optimizer(g_opt, c["g_lr"].value),
            d_optimizer=_optimizer(d_opt, c["d_lr"].value),
            noise=c["noise"].value,
            seed=self.seed,
            **options,
        )

    def _switch(self) -> None:
        """Use the GAN of the current configuration, carrying the run's state over."""
        config = self._config()
        old = self.gan
        if config not in self._gans:
            self._gans[config] = self._make_gan(config)
        new = self._gans[config]
        if old is not None and new is not old:
            state, carried = new.get_state(), old.get_state()
            for key in ("rng", "step", "halted"):
                state[key] = carried[key]
            for key in ("go", "do"):  # optimizer state carries over when its layout matches
                if [a.shape for a in state[key]] == [a.shape for a in carried[key]] and type(
                    new.g_optimizer if key == "go" else new.d_optimizer
                ) is type(old.g_optimizer if key == "go" else old.d_optimizer):
                    state[key] = carried[key]
            new.set_state(state)
        self.gan = new
        self._apply_numbers()

    def _apply_numbers(self) -> None:
        c = self.controls
        numbers = {"g_learning_rate": c["g_lr"].value, "d_learning_rate": c["d_lr"].value}
        name = gk.catalogue.reg_number_name(c["reg"].value)
        if name is not None:
            gk.catalogue.regularizer(c["reg"].value, c["reg_value"].value)  # its range
            numbers[name] = c["reg_value"].value
        self.gan.set_numbers(**numbers)

    def _data(self) -> np.ndarray:
        name = self.controls["dataset"].value
        n = 2048
        if name == "drawn":
            if len(self.drawn) == 0:
                raise ValueError("dataset 'drawn' needs points: click on the plot to add some")
            return data.toy(self.drawn, n, seed=self.seed, std=0.05)
        return data.toy(name, n, seed=self.seed)

    def _reset(self) -> None:
        """New networks and optimizers: after an architecture or data change, or Reset."""
        c = self.controls
        points = self._data()  # first: bad data leaves the current run untouched
        keras.utils.set_random_seed(self.seed)
        self.generator = gk.models.mlp_generator(
            noise_dim=c["noise_dim"].value, layers=c["layers"].value, units=c["units"].value
        )
        self.discriminator = gk.models.mlp_discriminator(
            layers=c["layers"].value, units=c["units"].value
        )
        self._gans, self.gan = {}, None
        self.points = points
        self._history = np.zeros((0, len(COLUMNS)), np.float32)
        self._switch()
        self._z_grid = self._noise_grid()
        self._redraw()

    def _noise_grid(self) -> np.ndarray:
        dim = self.gan.noise_dim
        lim = 2.0 if self.gan.noise == "gaussian" else 1.0
        t = np.linspace(-lim, lim, 21, dtype=np.float32)
        if dim == 1:
            return t[:, None]
        a, b = np.meshgrid(t, t)
        z = np.zeros((a.size, dim), np.float32)
        z[:, 0], z[:, 1] = a.ravel(), b.ravel()
        return z

    # -- a frame -----------------------------------------------------------------------
    def _on_tick(self, change: dict | None = None) -> None:
        """A Play tick: one frame, unless it is a stale one.

        The browser sends a tick every ``interval`` ms whatever the kernel does; when a
        frame takes longer, ticks queue up, and a Pause pressed meanwhile would be read
        only after all of them (about 1,250 extra steps once a slow frame had been
        playing for a while). A tick that arrives, while playing, sooner than a third of
        an interval after the last frame ended is such a queued one: it is skipped, so
        the queue drains at once and Pause stops within one frame.
        """
        play = self.controls["play"]
        waited = time.perf_counter() - self._frame_end
        if play.playing and waited < play.interval / 3000:
            return
        self.step()
        self._frame_end = time.perf_counter()

    def step(self, mode: str = "both") -> None:
        """One frame: ``steps_per_frame`` updates (one in slow motion, or for "d"/"g")."""
        if self.gan.halted_at is not None:
            self.controls["play"].playing = False
            self._redraw()
            return
        slow = self.controls["slow"].value
        k = 1 if (slow or mode != "both") else self.controls["steps_per_frame"].value
        losses = self.gan.train_steps(self.points, k, self.batch_size, mode=mode)
        self._record(losses)
        if self.gan.halted_at is not None:
            self.controls["play"].playing = False
        self._redraw()

    def _record(self, losses: np.ndarray) -> None:
        ok = np.all(np.isfinite(losses), axis=1)
        if not ok.any():
            return
        d, g = losses[ok][-1]
        row = [self.gan.step, d, g, *self._metric_row()]
        self._history = np.vstack([self._history, np.asarray(row, np.float32)])[-_HISTORY:]

    def _fakes(self) -> np.ndarray:
        """The 1,000 samples every metric is taken on (the same noise each frame)."""
        return _finite(self.gan.sample(1000, seed=self.seed))

    def _metric_row(self) -> list[float]:
        fake = self._fakes()
        js = metrics.grid_divergence(fake, self.points, bins=40, unit="bits").js
        name = self.controls["dataset"].value
        if name in data.MODE_DATASETS:
            cov = metrics.mode_coverage(fake, name)
            row = [cov.modes / cov.n_modes, cov.high_quality, js]
        else:
            row = [np.nan, np.nan, js]
        return row + self._quality_row(fake)

    def _quality_row(self, fake: np.ndarray) -> list[float]:
        """Precision, recall, density, coverage, exact W1, critic's W1 (NaN unless "wgan").

        On the first :data:`QUALITY_SAMPLES` data points and samples, both W1 numbers on
        the very same batches, so the critic's estimate can be set beside the exact one.
        """
        real, fake = self.points[:QUALITY_SAMPLES], fake[:QUALITY_SAMPLES]
        precision, recall = metrics.precision_recall(real, fake)
        density, coverage = metrics.density_coverage(real, fake)
        critic = np.nan
        if self.gan.loss == "wgan":
            critic = float(
                np.mean(self.gan.discriminate(real)) - np.mean(self.gan.discriminate(fake))
            )
        return [precision, recall, density, coverage, metrics.wasserstein(real, fake), critic]

    def quality(self) -> dict[str, float | None]:
        """Quality apart from diversity now, and W1 exact beside the critic's estimate.

        ``precision`` and ``density`` say how sharp the samples are (density about 1 when
        they match the data, above 1 when they bunch on its dense parts), ``recall`` and
        ``coverage`` how much of the data they reach (all the modes); ``w1`` is the exact
        Wasserstein-1 distance, ``critic_w1`` the critic's E D(real) - E D(fake) on the
        same batches: None unless the loss is "wgan", and W1 itself only when the critic
        is kept 1-Lipschitz (reg "WGAN-GP"). The numbers of the history's latest row when
        no step came since; :data:`QUALITY_SAMPLES` points of each side.
        """
        row = self._quality_row(self._fakes())
        names = ("precision", "recall", "density", "coverage", "w1", "critic_w1")
        out: dict[str, float | None] = {k: float(v) for k, v in zip(names, row, strict=True)}
        if self.gan.loss != "wgan":
            out["critic_w1"] = None
        return out

    def _critic_label(self) -> str:
        """The critic curve's legend: when its number is W1, and when it is not."""
        c = self.controls
        if c["loss"].value != "wgan":
            return "critic (loss wgan only)"
        if c["reg"].value != "WGAN-GP":
            return "critic, no Lipschitz penalty: not W1"
        return "critic E D(real) - E D(fake)"

    def coverage(self) -> Any:
        """Mode coverage of 2,500 samples now (mode data sets only), else None."""
        name = self.controls["dataset"].value
        if name not in data.MODE_DATASETS:
            return None
        return metrics.mode_coverage(self.gan.sample(2500, seed=self.seed), name)

    def _redraw(self) -> None:
        gan, m, show = self.gan, self.marks, {k: w.value for k, w in self.controls["show"].items()}
        fake = _finite(self.gan.sample(500, seed=self.seed))
        real = self.points[:500]
        with m["real"].hold_sync():
            m["real"].x, m["real"].y = real[:, 0], real[:, 1]
            m["real"].visible = show["samples"]
        with m["fake"].hold_sync():
            m["fake"].x, m["fake"].y = fake[:, 0], fake[:, 1]
            m["fake"].visible = show["samples"]
        if show["heatmap"]:
            prob = 1.0 / (1.0 + np.exp(-np.clip(gan.discriminate(self._grid), -30, 30)))
            n = int(np.sqrt(len(self._grid)))
            with m["heatmap"].hold_sync():
                m["heatmap"].color = prob.reshape(n, n)
        m["heatmap"].visible = show["heatmap"]
        if show["field"]:
            self._draw_arrows(m["field"], self._field_points, 0.35)
            self._draw_arrows(m["fake_field"], fake[:100], 0.25)
        m["field"].visible = m["fake_field"].visible = show["field"]
        if show["manifold"]:
            self._draw_manifold()
        m["manifold"].visible = show["manifold"]
        m["drawn"].visible = self.controls["dataset"].value == "drawn"
        h = self._history  # empty after a Reset: the curves are cleared, not kept
        if show["losses"]:
            _common.set_curves(
                m["losses"],
                h[:, 0],
                h[:, 1:3].T,
                raw=self.loss_fig.marks[0],
                smoothing=self.controls["smoothing"].value,
            )
        self.curves["losses"].widget.layout.display = None if show["losses"] else "none"
        if show["metrics"]:
            _common.set_curves(m["metrics"], h[:, 0], np.nan_to_num(h[:, 3:6].T), fit_y=False)
        self.curves["metrics"].widget.layout.display = None if show["metrics"] else "none"
        if show["quality"]:
            shown = np.minimum(h[:, _QUALITY].T, _DENSITY_TOP)
            _common.set_curves(m["quality"], h[:, 0], shown, fit_y=False)
        self.curves["quality"].widget.layout.display = None if show["quality"] else "none"
        if show["W1"]:
            self.curves["W1"].relabel([m["w1"].labels[0], self._critic_label()])
            _common.set_curves(m["w1"], h[:, 0], h[:, _W1].T)  # no critic: an unseen line
        self.curves["W1"].widget.layout.display = None if show["W1"] else "none"
        self._update_status()

    def _draw_arrows(self, mark: bqplot.Lines, points: np.ndarray, length: float) -> None:
        grad = np.nan_to_num(-self.gan.loss_gradient(points), nan=0.0, posinf=0.0, neginf=0.0)
        norm = np.linalg.norm(grad, axis=1, keepdims=True)
        scale = length / max(float(norm.max()), 1e-12)
        ends = points + grad * scale
        with mark.hold_sync():
            mark.x = np.stack([points[:, 0], ends[:, 0]], 1)
            mark.y = np.stack([points[:, 1], ends[:, 1]], 1)

    def _draw_manifold(self) -> None:
        z = self._z_grid
        pts = np.clip(self.gan.transform(z), -1e3, 1e3)
        if self.gan.noise_dim == 1:
            xs, ys = pts[None, :, 0], pts[None, :, 1]
        else:
            g = pts.reshape(21, 21, 2)
            xs = np.concatenate([g[:, :, 0], g[:, :, 0].T])
            ys = np.concatenate([g[:, :, 1], g[:, :, 1].T])
        with self.marks["manifold"].hold_sync():
            self.marks["manifold"].x, self.marks["manifold"].y = xs, ys

    def _update_status(self) -> None:
        gan = self.gan
        parts = [f"step {gan.step}"]
        cost = gan.scheme.evaluations  # networks: a scheme's cost says why Play slows down
        if cost != 1:
            parts.append(f"{gan.scheme.kind}: {cost:g} gradient evaluations a step")
        h = self._history
        if len(h):
            parts.append(f"D loss {h[-1, 1]:.3f}, G loss {h[-1, 2]:.3f}")
            if np.isfinite(h[-1, 3]):
                name = self.controls["dataset"].value
                n_modes = len(data.modes(name)[0])
                parts.append(
                    f"modes {round(h[-1, 3] * n_modes)}/{n_modes}, "
                    f"high quality {100 * h[-1, 4]:.0f}%"
                )
            parts.append(f"JS {h[-1, 5]:.3f} bits")
            p, r, d, c, w1, critic = h[-1, _QUALITY.start : _W1.stop]
            parts.append(
                "<span title='precision/recall, density/coverage'>"
                f"P/R {p:.2f}/{r:.2f}, D/C {d:.2f}/{c:.2f}</span>"
            )
            parts.append(
                f"W1 {w1:.3f}" + (f" (critic {critic:.3f})" if np.isfinite(critic) else "")
            )
        text = " · ".join(parts)
        if gan.halted_at is not None:
            text += f"<br><b style='color:#b00'>{gan.halt_message}</b>"
        self.status.value = text

    # -- many runs ---------------------------------------------------------------------
    def run_many(self, n: int | None = None, steps: int | None = None) -> dict:
        """Train ``n`` seeds of the current configuration at once; draw small multiples.

        Returns a summary: per-run modes covered and high-quality share, and the share of
        runs that cover every mode (mode data sets; else only samples are drawn).
        """
        c = self.controls
        n = c["n_runs"].value if n is None else _checks.count("n", n, minimum=1)
        steps = c["run_steps"].value if steps is None else _checks.count("steps", steps)
        self.runs = self.gan.runs(range(self.seed, self.seed + n))
        done = 0
        while done < steps:
            chunk = min(500, steps - done)
            self.runs.train(self.points, chunk, self.batch_size)
            done += chunk
        samples = _finite(self.runs.sample(1000, seed=self.seed))
        name = c["dataset"].value
        covs = (
            [metrics.mode_coverage(s, name) for s in samples] if name in data.MODE_DATASETS else []
        )
        figures = []
        for i, s in enumerate(samples):
            sx, sy = _common.scales(self.view)
            label = f"run {i}" + (f": {covs[i].modes}/{covs[i].n_modes}" if covs else "")
            if self.runs.halted_at[i] >= 0:
                label += " (non-finite)"
            fig = bqplot.Figure(
                marks=[
                    bqplot.Scatter(
                        x=self.points[:300, 0],
                        y=self.points[:300, 1],
                        scales={"x": sx, "y": sy},
                        default_size=4,
                        colors=[_common.colour(2)],
                        opacity=[0.4],
                    ),
                    bqplot.Scatter(
                        x=s[:300, 0],
                        y=s[:300, 1],
                        scales={"x": sx, "y": sy},
                        default_size=4,
                        colors=[_common.colour(1)],
                    ),
                ],
                title=label,
                layout=ipywidgets.Layout(width="160px", height="160px"),
                fig_margin={"top": 25, "bottom": 5, "left": 5, "right": 5},
            )
            figures.append(fig)
        self.many_box.children = figures
        summary: dict = {"samples": samples, "halted_at": self.runs.halted_at}
        if covs:
            full = [cv.modes == cv.n_modes for cv in covs]
            summary.update(
                modes=[cv.modes for cv in covs],
                high_quality=[cv.high_quality for cv in covs],
                share_all_modes=float(np.mean(full)),
            )
            self.many_label.value = (
                f"<b>{sum(full)} of {n}</b> runs cover all {covs[0].n_modes} modes "
                f"after {steps} steps ({100 * np.mean(full):.0f}%)"
            )
        else:
            self.many_label.value = f"{n} runs after {steps} steps"
        return summary

    # -- events ------------------------------------------------------------------------
    def _wire(self) -> None:
        c, guard = self.controls, self.errors.guard
        c["play"].observe(guard(self._on_tick, busy=False), names="value")  # frames: no flicker
        c["step"].on_click(guard(lambda b: self.step()))
        c["step_d"].on_click(guard(lambda b: self.step("d")))
        c["step_g"].on_click(guard(lambda b: self.step("g")))
        c["reset"].on_click(guard(lambda b: self._reset()))
        c["many"].on_click(guard(lambda b: self.run_many()))
        for key in ("loss", "reg", "scheme", "g_optimizer", "d_optimizer", "d_steps", "g_steps"):
            c[key].observe(guard(self._on_config), names="value")
        for key in ("g_lr", "d_lr", "reg_value"):
            c[key].observe(guard(self._on_number), names="value")
        for key in ("layers", "units", "noise_dim", "noise", "dataset"):
            c[key].observe(guard(lambda ch: self._reset()), names="value")
        c["seed"].observe(guard(self._on_seed), names="value")
        c["upload"].observe(guard(self._on_upload), names="value")
        for box in (*c["show"].values(), c["smoothing"]):
            box.observe(guard(lambda ch: self._redraw()), names="value")
        self.marks["drawn"].observe(guard(self._on_drawn), names=["x", "y"])

    def _on_config(self, change: dict | None = None) -> None:
        if change is not None and change["owner"] is self.controls["reg"]:
            self.controls["reg_value"].set_range(
                **_reg_range(change["new"]), value=_reg_default(change["new"])
            )
        self._switch()
        self.gan.clear_halt()
        self._redraw()

    def _on_upload(self, change: dict) -> None:
        """An uploaded CSV of x,y rows: its points become the drawn data set."""
        files = change["new"]
        if not files:
            return
        upload = files[0]
        try:
            points = data.points(upload["content"])
        except ValueError as error:
            raise ValueError(f"{upload['name']}: {error}") from None
        finally:
            self.controls["upload"].value = ()  # the same file can be chosen again
        self.draw_points(points)

    def _on_seed(self, change: dict) -> None:
        """A new seed starts the run again from that seed's weights, noise and data."""
        self.seed = int(change["new"])
        self._reset()

    def _on_number(self, change: dict | None = None) -> None:
        self._apply_numbers()
        self.gan.clear_halt()
        self._update_status()

    def _on_drawn(self, change: dict | None = None) -> None:
        m = self.marks["drawn"]
        if len(m.x) != len(m.y):
            return
        self.drawn = np.stack([np.asarray(m.x, np.float32), np.asarray(m.y, np.float32)], 1)
        if self.controls["dataset"].value == "drawn" and len(self.drawn):
            self.points = self._data()

    def export(self, folder: str | os.PathLike = "toy2d_run") -> Path:
        """Write the run to ``folder``: its config, its weights, and ``reproduce.py`` with
        the few lines of ``gk.GAN`` code that build it, load it and go on
        (:func:`gankit.gan.export.export_run`). Returns the folder."""
        c = self.controls
        networks = (
            f"keras.utils.set_random_seed({self.seed})  # the lab's initial weights\n"
            f"generator = gk.models.mlp_generator(noise_dim={c['noise_dim'].value}, "
            f"layers={c['layers'].value}, units={c['units'].value})\n"
            f"discriminator = gk.models.mlp_discriminator(layers={c['layers'].value}, "
            f"units={c['units'].value})"
        )
        name = c["dataset"].value
        if name == "drawn":
            points = [[round(float(a), 6), round(float(b), 6)] for a, b in self.drawn]
            source = f"gk.data.points({points}), 2048, seed={self.seed}, std=0.05"
        else:
            source = f"{name!r}, 2048, seed={self.seed}"
        return gk.gan.export.export_run(
            self.gan,
            folder,
            networks=networks,
            data=f"x = gk.data.toy({source})",
            batch_size=self.batch_size,
            note=f"the toy 2-D lab on {name}",
        )

    def _own_state(self) -> dict:
        return {"drawn": self.drawn.tolist()}

    def _set_own_state(self, state: dict) -> None:
        if "drawn" not in state:
            return
        pts = data.points(state["drawn"]) if state["drawn"] else np.zeros((0, 2), np.float32)
        if np.array_equal(pts, self.drawn):
            return
        with self.marks["drawn"].hold_sync():  # the dataset stays what the setting says
            self.marks["drawn"].x, self.marks["drawn"].y = pts[:, 0], pts[:, 1]
        self.drawn = pts
        if self.controls["dataset"].value == "drawn" and len(pts):
            self._reset()

    def __repr__(self) -> str:
        return f"Toy2DLab(dataset={self.controls['dataset'].value!r}, step={self.gan.step})"

    def add_point(self, point: Any) -> None:
        """Add one drawn point (what a click on the plot does); the data become "drawn"."""
        pts = data.points(np.vstack([self.drawn.reshape(-1, 2), np.asarray(point, np.float32)]))
        if self.controls["dataset"].value == "drawn":
            with self.marks["drawn"].hold_sync():
                self.marks["drawn"].x, self.marks["drawn"].y = pts[:, 0], pts[:, 1]
        else:
            self.draw_points(pts)

    def draw_points(self, points: Any) -> None:
        """Replace the drawn points (what clicking on the plot adds) and train on them."""
        pts = data.points(points)
        with self.marks["drawn"].hold_sync():
            self.marks["drawn"].x, self.marks["drawn"].y = pts[:, 0], pts[:, 1]
        self.drawn = pts
        if self.controls["dataset"].value == "drawn":
            self._reset()
        else:
            self.controls["dataset"].value = "drawn"
