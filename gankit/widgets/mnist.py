"""``MNISTTrainer`` (also ``ImageTrainer``): train a GAN on MNIST, or on your own images,
in the notebook and watch it learn.

Training runs on a background thread in chunks of ``chunk_steps`` updates (one jitted
``gk.GAN.train_steps`` call each), so the kernel stays free to answer the Pause and
Stop buttons; every chunk's progress is kept in the GAN, so stopping loses nothing. The
views are bqplot marks built once and updated in place: a grid of digits drawn from
fixed noise (so the same cell shows the same "seed" improving), both losses, the
classifier-FID and class coverage, precision / recall and density / coverage on the same
classifier features (:mod:`gankit.metrics`), a progress bar with images/s and ETA, and
the device. Two sliders explore a trained generator: one walks a straight line between
two noise vectors, one (conditional GANs from
:func:`gankit.image_models.packed_conditional_pair`) picks the digit.

Any other images (:func:`gankit.data.images`: grey or colour, any size the image models
take) train the same way. The digit classifier only reads 28x28 grey digits, so for
other images the panel measures precision / recall and density / coverage on the pixels
themselves and says why classifier-FID and classes are off.

>>> import gankit as gk
>>> import numpy as np
>>> real = np.random.default_rng(0).uniform(-1, 1, (256, 28, 28, 1)).astype(np.float32)
>>> trainer = gk.MNISTTrainer(data=real, total_steps=20, chunk_steps=10, batch_size=32,
...                           metric_every=0)
>>> trainer.train(wait=True).step
20
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import bqplot
import ipywidgets
import keras
import numpy as np

from gankit import _checks, distribute, image_models
from gankit.gan import export as gk_export
from gankit.widgets import _common
from gankit.widgets._common import ErrorBox, html_table, panel
from gankit.widgets._numberbox import NumberBox
from gankit.widgets._panel import Panel

NAME = "mnist"
STATES = ("idle", "running", "paused", "stopped", "finished")
#: k of the k-NN balls: 3 for precision / recall, 5 for density / coverage (the papers').
PR_K, DC_K = 3, 5
#: The sample-quality scores recorded beside the FID, in the order they are drawn.
QUALITY = ("precision", "recall", "density", "coverage")
#: Said under the status table when the images are not 28x28 grey digits.
OFF_NOTE = (
    "<div class='gankit-note'>classifier-FID and classes are off: the shipped digit "
    "classifier reads only 28×28 grey digits. Precision / recall and density / coverage "
    "are measured on the pixels.</div>"
)


def _tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Images ``(n, H, W, C)`` in [-1, 1] -> one canvas, row 0 on top.

    Grey images give ``(rows*H, columns*W)`` (drawn by a heat map, whose y axis grows
    upwards, so the rows are flipped); colour ones ``(rows*H, columns*W, 3)``, top row first
    (drawn as a picture).
    """
    n, h, w, c = images.shape
    rows = -(-n // columns)
    canvas = np.full((rows * h, columns * w, c), -1.0, np.float32)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        canvas[r * h : (r + 1) * h, col * w : (col + 1) * w] = image
    return canvas[::-1, :, 0] if c == 1 else canvas


def _png(canvas: np.ndarray) -> bytes:
    """An RGB canvas in [-1, 1] as PNG bytes (Pillow encodes)."""
    import io

    from PIL import Image

    pixels = np.round((np.clip(canvas, -1, 1) + 1) * 127.5).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return out.getvalue()


class ImageGrid:
    """A figure showing a grid of images, updated in place: ``show(images)``.

    Grey images go to a bqplot heat map (``mark.color``), colour ones to a bqplot image
    mark holding a PNG; ``canvas`` is the array drawn either way.
    """

    def __init__(
        self, rows: int, columns: int, title: str, size: int, image_shape: tuple = (28, 28, 1)
    ) -> None:
        ih, iw, self.channels = image_shape
        h, w = rows * ih, columns * iw
        self.columns = columns
        scales = {"x": bqplot.LinearScale(min=0, max=w), "y": bqplot.LinearScale(min=0, max=h)}
        if self.channels == 1:
            scales["color"] = bqplot.ColorScale(min=-1, max=1, colors=["black", "white"])
            self.canvas = np.full((h, w), -1.0, np.float32)
            self.mark = bqplot.HeatMap(
                x=np.arange(w) + 0.5, y=np.arange(h) + 0.5, color=self.canvas, scales=scales
            )
        else:
            self.canvas = np.full((h, w, 3), -1.0, np.float32)
            picture = ipywidgets.Image(value=_png(self.canvas), format="png")
            self.mark = bqplot.Image(image=picture, x=[0, w], y=[0, h], scales=scales)
        self.figure = bqplot.Figure(
            marks=[self.mark],
            title=title,
            fig_margin={"top": 30, "bottom": 5, "left": 5, "right": 5},
            layout=ipywidgets.Layout(width=f"{size}px", height=f"{size * h // w + 35}px"),
        )

    def show(self, images: np.ndarray) -> None:
        self.canvas = _tile(np.clip(images, -1, 1), self.columns)
        if self.channels == 1:
            with self.mark.hold_sync():
                self.mark.color = self.canvas
        else:
            self.mark.image.value = _png(self.canvas)


def digit_grid(images: Any, columns: int = 8, title: str = "", size: int = 400) -> bqplot.Figure:
    """A bqplot figure showing images ``(n, H, W[, C])`` in [-1, 1] as a grid (C 1 or 3).

    >>> import numpy as np
    >>> fig = digit_grid(np.zeros((6, 28, 28, 1)), columns=3)
    >>> fig.marks[0].color.shape
    (56, 84)
    """
    array = np.asarray(images, np.float32)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or len(array) < 1:
        raise ValueError(
            f"images must have shape (n, H, W) or (n, H, W, C) with C 1 or 3, got {array.shape}"
        )
    columns = min(_checks.count("columns", columns), len(array))
    grid = ImageGrid(-(-len(array) // columns), columns, title, size, array.shape[1:])
    grid.show(array)
    return grid.figure


class MNISTTrainer(Panel):
    """A training panel for an image GAN, MNIST by default (see the module docstring).

    ``data`` are real images ``(N, H, W, C)`` in [-1, 1] (:func:`gankit.data.images`
    makes them from an array, a folder or an ``.npz``; packed ``(N, 28, 28, 2)`` for a
    conditional GAN); by default the MNIST test digits from :func:`gankit.data.mnist`.
    ``gan`` is a :class:`gankit.GAN` whose samples have the data's shape; by default an
    MLP GAN of that shape with Adam(1e-3, beta_1=0.5), the CPU configuration of lesson 07.
    ``metric_every`` steps (0: never) the panel scores ``metric_samples`` generated images
    against real ones: on 28x28 grey digits classifier-FID, classes covered and precision /
    recall (k = 3), density / coverage (k = 5) on the classifier's features; on other
    images precision / recall and density / coverage on the pixels (k is cut to the
    samples - 1 for tiny sets). ``preview_every`` steps it redraws the grid.

    >>> import numpy as np
    >>> small = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype(np.float32)
    >>> ImageTrainer(data=small, batch_size=16, metric_every=0).features
    'pixels'
    """

    def __init__(
        self,
        gan: Any = None,
        data: Any = None,
        *,
        total_steps: int = 3000,
        batch_size: int = 64,
        chunk_steps: int = 50,
        preview_every: int = 200,
        metric_every: int = 500,
        metric_samples: int = 1000,
        grid: int = 6,
        checkpoint_path: str = "mnist_gan.weights.h5",
        seed: int = 0,
    ) -> None:
        import gankit as gk

        super().__init__()
        self.total_steps = _checks.count("total_steps", total_steps)
        self.run_length = self.total_steps  # what Start trains again once a run finished
        self.batch_size = _checks.count("batch_size", batch_size)
        self.chunk_steps = _checks.count("chunk_steps", chunk_steps)
        self.preview_every = _checks.count("preview_every", preview_every)
        self.metric_every = _checks.count("metric_every", metric_every, 0)
        self.metric_samples = _checks.count("metric_samples", metric_samples, 2)
        self.grid = _checks.count("grid", grid)
        if gan is not None and not isinstance(gan, gk.GAN):
            raise ValueError(f"gan must be a gankit.GAN or None, got {gan!r}")
        conditional = gan is not None and gan.sample_shape == (28, 28, 2)
        self._built_networks, self._default_data = gan is None, data is None
        if data is None:
            images, labels = gk.data.mnist("test")
            data = gk.data.scale_images(images)[..., None]
            if conditional:
                data = image_models.pack_labels(data, labels)
        data = np.asarray(data, np.float32)
        if data.ndim != 4 or data.shape[-1] not in (1, 2, 3) or len(data) < self.batch_size:
            raise ValueError(
                "data must have shape (N, H, W, C), images with C 1 or 3 (2: packed digits "
                f"and labels), and N >= batch_size = {self.batch_size}, got shape {data.shape}"
            )
        if gan is None:
            shape = data.shape[1:]
            if shape[-1] == 2:
                raise ValueError(
                    "data of shape (N, 28, 28, 2) are packed conditional digits: pass the "
                    "conditional gan too (gk.image_models.packed_conditional_pair)"
                )
            g, d = image_models.build_pair("mlp", image_shape=shape)
            gan = gk.GAN(
                g,
                d,
                loss="nsgan",
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                seed=seed,
            )
        if gan.sample_shape != data.shape[1:]:
            raise ValueError(
                f"data must have the gan's sample shape: the gan makes {gan.sample_shape}, "
                f"the data are {data.shape[1:]}"
            )
        self.gan = gan
        self.conditional = gan.sample_shape == (28, 28, 2)
        self.data = data
        self.image_shape = data.shape[1:3] + (1 if self.conditional else data.shape[-1],)
        #: What the scores are taken on: the digit classifier's features, or raw pixels.
        self.features = "classifier" if self.image_shape == (28, 28, 1) else "pixels"
        real_images = data[..., :1] if self.conditional else data
        self._real_for_metrics = real_images[: max(self.metric_samples, 2)]
        self._real_features: dict[int, np.ndarray] = {}  # n -> features of the first n
        self.checkpoint_path = checkpoint_path

        self.seed = _checks.seed("seed", seed)
        self._draw_noise()

        # -- state and history --
        self.state = "idle"
        self.history: dict[str, list] = {"step": [], "d_loss": [], "g_loss": []}
        self.metrics: dict[str, list] = {
            "step": [],
            "fid": [],
            "classes": [],
            "entropy": [],
            **{key: [] for key in QUALITY},
        }
        self.images_per_second = 0.0
        self._thread: threading.Thread | None = None
        self._run = threading.Event()  # set: may train; cleared: paused
        self._stop = threading.Event()
        self._idle = threading.Event()  # set by the worker while paused between chunks
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()  # state changes: the worker's and the buttons'
        self._target = gan.step

        self._build()
        self.refresh()

    # -- layout ---------------------------------------------------------------------
    def _build(self) -> None:
        self.errors = ErrorBox()
        self.grid_view = ImageGrid(self.grid, self.grid, "fixed noise", 300, self.image_shape)
        self.explore_view = ImageGrid(1, 1, "explore", 150, self.image_shape)
        self.grid_figure, self.grid_mark = self.grid_view.figure, self.grid_view.mark
        self.explore_figure, self.explore_mark = self.explore_view.figure, self.explore_view.mark

        self.loss_curves = _common.curve_figure(
            "losses",
            ["D loss", "G loss"],
            [_common.colour(0), _common.colour(1)],
            width="340px",
            height="250px",
            smoothed=True,
            y_label="loss",
        )
        self.loss_figure, self.loss_lines = self.loss_curves.figure, self.loss_curves.lines
        x_m, y_fid, y_cov = (
            bqplot.LinearScale(min=0.0, max=10.0),
            bqplot.LinearScale(min=0.0, max=1.0),
            bqplot.LinearScale(min=0.0, max=10.0),
        )
        self.fid_line = bqplot.Lines(
            x=np.zeros(1),
            y=np.zeros(1),
            scales={"x": x_m, "y": y_fid},
            colors=[_common.colour(2)],
            marker="circle",
        )
        self.coverage_line = bqplot.Lines(
            x=np.zeros(1),
            y=np.zeros(1),
            scales={"x": x_m, "y": y_cov},
            colors=[_common.colour(1)],
            marker="square",
        )
        self.metric_figure = bqplot.Figure(
            marks=[self.fid_line, self.coverage_line],
            axes=[
                _common.follow_ticks(
                    bqplot.Axis(scale=x_m, label="step", tick_format=_common.STEP_TICKS), 240
                ),
                bqplot.Axis(scale=y_fid, side="left", label="classifier-FID"),
                bqplot.Axis(scale=y_cov, side="right", label="classes"),
            ],
            title="digit metrics" if self.features == "classifier" else "digit metrics: off",
            layout=ipywidgets.Layout(width="340px", height="250px"),
            title_style={"display": "none"},  # it leads the legend line above the plot
            fig_margin={"top": 10, "bottom": 40, "left": 60, "right": 60},
        )
        self.metric_legend = _common.legend(
            [("classifier-FID (left)", _common.colour(2)), ("classes (right)", _common.colour(1))]
            if self.features == "classifier"
            else [("off: these need 28x28 grey digits", _common.INK)],
            title=self.metric_figure.title,
        )
        # Good samples (precision, density) apart from all the digits (recall, coverage).
        self.quality_curves = _common.curve_figure(
            "quality & diversity" + (" (pixels)" if self.features == "pixels" else ""),
            list(QUALITY),
            [_common.colour(i) for i in (0, 1, 4, 5)],
            y_range=(0.0, 1.05),
            width="340px",
            height="250px",
            y_label="score",
        )
        self.quality_figure = self.quality_curves.figure
        self.quality_lines = self.quality_curves.lines

        self.progress = ipywidgets.IntProgress(
            value=0, min=0, max=self.total_steps, description="steps"
        )
        self.status = ipywidgets.HTML()
        self.device = ipywidgets.HTML(f"device: <b>{distribute.describe_devices()}</b>")
        self.start_button = ipywidgets.Button(description="Start", icon="play")
        self.pause_button = ipywidgets.Button(description="Pause", icon="pause")
        self.resume_button = ipywidgets.Button(description="Resume", icon="play")
        self.stop_button = ipywidgets.Button(description="Stop", icon="stop")
        self.save_button = ipywidgets.Button(description="Save checkpoint", icon="save")
        self.load_button = ipywidgets.Button(description="Load checkpoint", icon="upload")
        self.rewind_button = ipywidgets.Button(
            description="Rewind", icon="undo", tooltip="a new run from the seed's initial weights"
        )
        self.seed_box = NumberBox(
            "seed", self.seed, minimum=0, maximum=2**32 - 1, integer=True, errors=self.errors
        )
        self.path = ipywidgets.Text(value=self.checkpoint_path, description="file")
        self.start_button.on_click(self.errors.guard(lambda _: self.start()))
        self.pause_button.on_click(self.errors.guard(lambda _: self.pause()))
        self.resume_button.on_click(self.errors.guard(lambda _: self.resume()))
        self.stop_button.on_click(self.errors.guard(lambda _: self.stop()))
        self.save_button.on_click(self.errors.guard(lambda _: self.save_checkpoint()))
        self.load_button.on_click(self.errors.guard(lambda _: self.load_checkpoint()))
        self.rewind_button.on_click(self.errors.guard(lambda _: self.rewind()))

        self.interpolate = ipywidgets.FloatSlider(
            value=0.0, min=0.0, max=1.0, step=0.05, description="z: a → b"
        )
        self.digit = ipywidgets.IntSlider(
            value=0, min=0, max=9, description="digit", disabled=not self.conditional
        )
        # the loss curves' exponential moving average, as TensorBoard smooths them
        self.smoothing = ipywidgets.FloatSlider(
            value=0.6, min=0.0, max=0.99, step=0.01, description="smoothing"
        )
        self.smoothing.observe(self.errors.guard(lambda _: self._draw_losses()), names="value")
        self.interpolate.observe(self.errors.guard(lambda _: self._explore()), names="value")
        self.digit.observe(self.errors.guard(lambda _: self._explore()), names="value")

        controls = ipywidgets.HBox(
            [
                self.start_button,
                self.pause_button,
                self.resume_button,
                self.stop_button,
                self.rewind_button,
                self.seed_box,
                self.save_button,
                self.load_button,
                self.path,
            ]
        )
        explore = ipywidgets.VBox([self.explore_figure, self.interpolate, self.digit])
        self.controls = {
            "path": self.path,
            "seed": self.seed_box,
            "interpolate": self.interpolate,
            "digit": self.digit,
            "smoothing": self.smoothing,
        }
        self.widget = panel(
            NAME,
            self.device,
            controls,
            ipywidgets.HBox([self.progress, self.status]),
            ipywidgets.HBox([self.grid_figure, explore, self.quality_curves.widget]),
            ipywidgets.HBox(
                [
                    ipywidgets.VBox([self.loss_curves.widget, self.smoothing]),
                    ipywidgets.VBox([self.metric_legend, self.metric_figure]),
                ]
            ),
            self.errors.widget,
        )

    def __repr__(self) -> str:
        return f"MNISTTrainer(step={self.gan.step}, total_steps={self.total_steps})"

    def _draw_noise(self) -> None:
        """The grid's fixed noise and the two ends of the explore line, from the seed."""
        rng = np.random.default_rng(self.seed)
        latent = self.gan.noise_dim - (1 if self.conditional else 0)
        cells = self.grid * self.grid
        z = rng.normal(size=(cells, latent)).astype(np.float32)
        if self.conditional:  # one column per digit (cycling): the grid shows every class
            z = image_models.class_noise(z, np.arange(cells) % self.grid % 10)
        self.fixed_noise = z
        self.ends = rng.normal(size=(2, latent)).astype(np.float32)

    def rewind(self, seed: int | None = None) -> None:
        """Start again from ``seed``'s initial weights (default: the seed box's).

        A new run: weights re-drawn from the layers' initializers, fresh optimizers, step
        0, the grid's noise from the seed. The same seed always gives the same start, so
        two settings can be compared from the same initial weights and noise. A running
        or paused run is stopped first (save a checkpoint to keep it).
        """
        if seed is not None:
            self.seed_box.value = _checks.seed("seed", seed)
        if self.running:
            self.stop()
        self.seed = int(self.seed_box.value)
        with self._lock:
            self.gan.set_state(self.gan.fresh_state(self.seed))
        self._draw_noise()
        self.history = {key: [] for key in self.history}
        self.metrics = {key: [] for key in self.metrics}
        self.images_per_second = 0.0
        self.total_steps = self.progress.max = self.run_length
        self._target = 0
        self.state = "idle"
        self.refresh()

    # -- views ----------------------------------------------------------------------
    def _images(self, z: np.ndarray) -> np.ndarray:
        images = self.gan.transform(z)
        return images[..., :1] if self.conditional else images

    def _explore(self) -> None:
        t = float(self.interpolate.value)
        z = ((1 - t) * self.ends[0] + t * self.ends[1])[None]
        if self.conditional:
            z = image_models.class_noise(z, [int(self.digit.value)])
        self.explore_view.show(self._images(z))

    def refresh(self) -> None:
        """Redraw every view from the GAN as it is now."""
        self.grid_view.show(self._images(self.fixed_noise))
        self._explore()
        self._draw_losses()
        m = self.metrics
        if m["step"]:
            steps = np.asarray(m["step"], np.float64)
            fid = np.asarray(m["fid"], np.float64)
            _common.fit_scale(self.fid_line.scales["x"], steps)
            _common.fit_scale(self.fid_line.scales["y"], fid)
            with self.fid_line.hold_sync():
                self.fid_line.x, self.fid_line.y = steps, fid
            with self.coverage_line.hold_sync():
                self.coverage_line.x = steps
                self.coverage_line.y = np.asarray(m["classes"], np.float64)
            quality = np.asarray([m[key] for key in QUALITY], np.float64)
            _common.set_curves(self.quality_lines, steps, quality, fit_y=False)
            top = np.nanmax(quality, initial=1.0)  # density may pass 1: the scale grows
            _common.set_range(self.quality_lines.scales["y"], 0.0, 1.05 * float(top))
        self._show_status()

    def _draw_losses(self) -> None:
        h = self.history
        if h["step"]:
            _common.set_curves(
                self.loss_lines,
                h["step"],
                [h["d_loss"], h["g_loss"]],
                raw=self.loss_figure.marks[0],
                smoothing=self.smoothing.value,
            )

    def _show_status(self) -> None:
        step = self.gan.step
        self.progress.value = min(step, self.total_steps)
        left = max(self.total_steps - step, 0)
        rate = self.images_per_second
        eta = f"{left * self.batch_size / rate:.0f} s" if rate > 0 and left else "-"
        rows = [[self.state, step, f"{rate:.0f}", eta]]
        m = self.metrics
        if self.features == "pixels":
            fid_cell = classes_cell = "off"
        elif m["step"]:
            fid_cell, classes_cell = f"{m['fid'][-1]:.1f}", m["classes"][-1]
        else:
            fid_cell = classes_cell = "-"
        if m["step"]:
            rows[0] += [
                fid_cell,
                classes_cell,
                f"{m['precision'][-1]:.2f}/{m['recall'][-1]:.2f}",
                f"{m['density'][-1]:.2f}/{m['coverage'][-1]:.2f}",
            ]
        else:
            rows[0] += [fid_cell, classes_cell, "-", "-"]
        headers = [
            "state",
            "step",
            "images/s",
            "ETA",
            "classifier-FID",
            "classes",
            "precision / recall",
            "density / coverage",
        ]
        self.status.value = html_table(headers, rows) + (
            OFF_NOTE if self.features == "pixels" else ""
        )
        self._enable_buttons()

    def _enable_buttons(self) -> None:
        """Only the buttons that do something now are live: no press is a dead end."""
        running, paused = self.state == "running", self.state == "paused"
        self.start_button.disabled = running or paused
        self.start_button.description = "Train more" if self.step >= self.total_steps else "Start"
        self.pause_button.disabled = not running
        self.resume_button.disabled = not paused
        self.stop_button.disabled = not (running or paused)
        self.load_button.disabled = running
        self.rewind_button.disabled = running

    # -- measuring ------------------------------------------------------------------
    def _features(self, images: np.ndarray) -> np.ndarray:
        """What the scores compare: the digit classifier's features, or the pixels."""
        import gankit as gk

        if self.features == "pixels":
            return np.asarray(images, np.float32).reshape(len(images), -1)
        return gk.metrics.mnist_classifier().features(images)

    def _features_of_real(self, n: int) -> np.ndarray:
        """The features of the first ``n`` real images (kept: they never change)."""
        if n > len(self._real_for_metrics):
            return self._features(self.data[:n, ..., :1] if self.conditional else self.data[:n])
        if n not in self._real_features:
            self._real_features[n] = self._features(self._real_for_metrics[:n])
        return self._real_features[n]

    def measure(self, n: int | None = None) -> dict:
        """Score ``n`` generated images (default ``metric_samples``) and record the result.

        Digits: each set goes through the classifier once (the real set's features are
        kept), and FID, precision / recall and density / coverage are all taken on those
        features: the numbers :func:`gankit.metrics.classifier_fid`,
        :func:`gankit.metrics.classifier_precision_recall` and
        :func:`gankit.metrics.classifier_density_coverage` give, without their passes.
        Other images: precision / recall and density / coverage on the pixels; FID and
        classes are NaN (the classifier knows only digits).
        """
        import gankit as gk

        n = self.metric_samples if n is None else _checks.count("n", n, 2)
        fake = self.gan.sample(n, seed=1)
        fake = fake[..., :1] if self.conditional else fake
        fake_features = self._features(fake)
        real_features = self._features_of_real(n)
        smaller = min(len(fake_features), len(real_features))
        precision, recall = gk.metrics.precision_recall(
            real_features, fake_features, k=min(PR_K, smaller - 1)
        )
        density, coverage_share = gk.metrics.density_coverage(
            real_features, fake_features, k=min(DC_K, len(real_features) - 1)
        )
        if self.features == "classifier":
            coverage = gk.metrics.class_coverage(fake)
            fid, classes, entropy = (
                gk.metrics.frechet_distance(fake_features, real_features),
                coverage.classes,
                coverage.entropy,
            )
        else:
            fid = classes = entropy = float("nan")
        result = {
            "step": self.gan.step,
            "fid": fid,
            "classes": classes,
            "entropy": entropy,
            "precision": precision,
            "recall": recall,
            "density": density,
            "coverage": coverage_share,
        }
        for key, value in result.items():
            self.metrics[key].append(value)
        return result

    # -- training -------------------------------------------------------------------
    def _loop(self) -> None:
        gan = self.gan
        try:
            next_preview = gan.step + self.preview_every
            next_metric = gan.step + self.metric_every if self.metric_every else None
            while not self._stop.is_set() and gan.step < self._target:
                if not self._run.is_set():
                    self._idle.set()  # paused, and no chunk in flight
                    self._run.wait(0.05)
                    continue
                self._idle.clear()
                steps = min(self.chunk_steps, self._target - gan.step)
                start = time.perf_counter()
                with self._lock:
                    losses = gan.train_steps(self.data, steps=steps, batch_size=self.batch_size)
                elapsed = time.perf_counter() - start
                self.images_per_second = steps * self.batch_size / elapsed
                first = gan.step - steps + 1
                self.history["step"].extend(range(first, gan.step + 1))
                self.history["d_loss"].extend(losses[:, 0].tolist())
                self.history["g_loss"].extend(losses[:, 1].tolist())
                if gan.halted_at is not None:
                    raise FloatingPointError(gan.halt_message)
                if next_metric is not None and gan.step >= next_metric:
                    self.measure()
                    next_metric += self.metric_every
                if gan.step >= next_preview or gan.step >= self._target:
                    self.refresh()
                    next_preview += self.preview_every
                else:
                    self._show_status()
            with self._state_lock:
                self.state = "stopped" if self._stop.is_set() else "finished"
        except Exception as error:  # noqa: BLE001 - shown in the panel
            with self._state_lock:
                self.state = "stopped"
            self.errors.show(error)
        finally:
            self.refresh()

    def start(self, steps: int | None = None) -> MNISTTrainer:
        """Train (in the background) until ``total_steps`` (or ``steps`` more updates).

        A finished run (its ``total_steps`` reached) trains as many steps again: Start
        always starts something.
        """
        if self.running:
            raise RuntimeError("training is already running; pause or stop it first")
        more = None if steps is None else _checks.count("steps", steps)
        if more is None and self.gan.step >= self.total_steps:
            more = self.run_length
        self._target = self.total_steps if more is None else self.gan.step + more
        if more is not None and self._target > self.total_steps:
            self.total_steps = self._target
            self.progress.max = self.total_steps
        self._stop.clear()
        self._run.set()
        self.state = "running"
        self._thread = threading.Thread(target=self._loop, name="gankit-mnist", daemon=True)
        self._thread.start()
        self._show_status()
        return self

    def train(self, steps: int | None = None, *, wait: bool = False) -> MNISTTrainer:
        """:meth:`start`, and with ``wait=True`` block until done (for scripts and tests)."""
        self.start(steps)
        if wait:
            self.wait()
        return self

    def pause(self) -> None:
        """Finish the current chunk, then hold (progress kept); :meth:`resume` goes on."""
        with self._state_lock:
            if self.state != "running":  # a run that just finished is not paused
                return
            self._idle.clear()
            self._run.clear()
            self.state = "paused"
        self._show_status()

    def wait_paused(self, timeout: float | None = None) -> bool:
        """After :meth:`pause`, block until the chunk in flight is done; True once idle."""
        return self._idle.wait(timeout)

    def resume(self) -> None:
        """Continue a paused run; with none paused, start one (as Start does)."""
        with self._state_lock:
            paused = self.state == "paused" and self.running
            if paused:
                self.state = "running"
                self._run.set()
        if not paused:
            self.wait()  # a run ending this moment: let it end, then start anew
            self.start()
            return
        self._show_status()

    def stop(self, wait: bool = True) -> None:
        """End the run after the current chunk; everything trained so far is kept."""
        self._stop.set()
        self._run.set()
        if wait and self._thread is not None:
            self._thread.join()
        if not self.running:
            with self._state_lock:
                if self.state in ("running", "paused"):
                    self.state = "stopped"
            self._show_status()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the training thread ends (or ``timeout`` s pass); True if it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    @property
    def running(self) -> bool:
        """True while the training thread is alive (running or paused)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def step(self) -> int:
        """Updates the GAN has taken."""
        return self.gan.step

    # -- taking a run away -------------------------------------------------------------
    def export(self, folder: str | os.PathLike = "image_gan_run") -> Path:
        """Write the run to ``folder``: config, weights, and ``reproduce.py`` with the
        ``gk.GAN`` code that builds it, loads it and goes on (safe while training).

        The script's networks are the panel's default ones (an MLP pair for the data's
        shape) and its data the MNIST test digits; a GAN or images of your own are named
        in the script for you to fill in.
        """
        shape = self.image_shape
        if self._built_networks:
            networks = (
                f'generator, discriminator = gk.image_models.build_pair("mlp", image_shape={shape})'
            )
        else:
            networks = (
                "# this run's GAN was built by you: build its generator and discriminator\n"
                f"generator, discriminator = ...  # output / input shape {self.gan.sample_shape}"
            )
        if self._default_data:
            data = 'x = gk.data.scale_images(gk.data.mnist("test")[0])[..., None]'
        else:
            shape_text = ", ".join(map(str, self.data.shape[1:]))
            data = f"x = ...  # your real images, shape (N, {shape_text}) in [-1, 1]"
        with self._lock:  # between chunks, never mid-update
            return gk_export.export_run(
                self.gan,
                folder,
                networks=networks,
                data=data,
                batch_size=self.batch_size,
                note="the image trainer",
            )

    # -- checkpoints ----------------------------------------------------------------
    def save_checkpoint(self, path: str | None = None) -> str:
        """Save the whole run (see :meth:`gankit.GAN.save_checkpoint`); safe while training."""
        path = self.path.value if path is None else path
        with self._lock:  # between chunks, never mid-update
            self.gan.save_checkpoint(path)
        return path

    def load_checkpoint(self, path: str | None = None) -> str:
        """Load a run saved by :meth:`save_checkpoint` into this panel's GAN (not while training)."""
        if self.state == "running":
            raise RuntimeError("pause or stop training before loading a checkpoint")
        path = self.path.value if path is None else path
        with self._lock:
            self.gan.load_checkpoint(path)
        self.refresh()
        return path


#: The same panel, under the name that says what it trains once the images are your own.
ImageTrainer = MNISTTrainer
