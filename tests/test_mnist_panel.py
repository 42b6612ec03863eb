"""MNISTTrainer driven from Python: buttons, pausing a background run, sliders, checkpoints."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import time
from pathlib import Path

import gankit as gk
import keras
import numpy as np
import pytest
from gankit import image_models as im
from gankit.widgets.mnist import MNISTTrainer


@pytest.fixture(scope="module")
def digits(mnist_dir: Path):
    images, labels = gk.data.mnist("test", mnist_dir)
    return gk.data.scale_images(images[:512])[..., None], labels[:512]


def small_gan(seed: int = 0, lr: float = 1e-3) -> gk.GAN:
    g, d = im.build_pair("mlp")
    return gk.GAN(
        g,
        d,
        g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        seed=seed,
    )


def _until(predicate, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_panel_layout_and_first_draw(digits, axes_placed):
    trainer = MNISTTrainer(small_gan(), digits[0], grid=4, metric_every=0)
    assert {"gankit-panel", "gankit-mnist"} <= set(trainer.widget._dom_classes)
    assert trainer.grid_mark.color.shape == (4 * 28, 4 * 28)
    assert np.ptp(trainer.grid_mark.color) > 0  # an untrained generator still draws noise
    assert "x" in trainer.device.value and trainer.progress.max == trainer.total_steps
    assert trainer.state == "idle" and trainer.errors.text == ""
    assert axes_placed(trainer.widget) >= 4  # digits, losses, FID, precision / recall


def test_pause_resume_stop_from_buttons(digits):
    trainer = MNISTTrainer(
        small_gan(),
        digits[0],
        total_steps=400,
        chunk_steps=4,
        batch_size=32,
        preview_every=8,
        metric_every=0,
    )
    before = trainer.grid_mark.color.copy()
    trainer.start_button.click()
    _until(lambda: trainer.step >= 4)
    trainer.pause_button.click()  # answered at once: the kernel is not blocked
    assert trainer.state == "paused"
    assert trainer.wait_paused(timeout=300)  # the chunk in flight is done, nothing after it
    held = trainer.step
    time.sleep(1.0)
    assert trainer.step == held and trainer.running  # paused, thread still alive
    trainer.resume_button.click()
    _until(lambda: trainer.step >= held + 8)
    trainer.stop_button.click()
    assert not trainer.running and trainer.state == "stopped"
    kept = trainer.step
    assert held + 8 <= kept < 400  # stopped early, and every finished chunk is kept
    assert trainer.history["step"] == list(range(1, kept + 1))
    assert np.all(np.isfinite(trainer.history["d_loss"]))
    assert trainer.progress.value == kept
    assert not np.array_equal(trainer.grid_mark.color, before)  # the grid was redrawn
    assert len(trainer.loss_lines.y[0]) == kept
    assert trainer.images_per_second > 0 and "stopped" in trainer.status.value
    assert trainer.errors.text == ""
    # the losses drawn raw (faint, behind) and as their moving average (the legend's)
    raw = trainer.loss_figure.marks[0]
    np.testing.assert_allclose(raw.y[0], trainer.history["d_loss"], rtol=1e-6)
    trainer.smoothing.value = 0.9
    smoothed = gk.widgets._common.ema([trainer.history["d_loss"]], 0.9)[0]
    np.testing.assert_allclose(trainer.loss_lines.y[0], smoothed, rtol=1e-6)


def test_metrics_recorded_and_plotted(digits):
    trainer = MNISTTrainer(
        small_gan(),
        digits[0],
        total_steps=20,
        chunk_steps=10,
        batch_size=32,
        metric_every=10,
        metric_samples=200,
    )
    trainer.train(wait=True)
    assert trainer.state == "finished" and trainer.step == 20
    assert trainer.metrics["step"] == [10, 20]
    assert all(f > 0 for f in trainer.metrics["fid"])
    assert all(1 <= c <= 10 for c in trainer.metrics["classes"])
    assert list(trainer.fid_line.x) == [10.0, 20.0]
    assert np.allclose(trainer.fid_line.y, trainer.metrics["fid"])
    # precision / recall and density / coverage on the same features, drawn and shown
    quality = np.array([trainer.metrics[key] for key in ("precision", "recall", "coverage")])
    density = np.array(trainer.metrics["density"])
    assert quality.shape == (3, 2) and density.shape == (2,)
    assert np.all(np.isfinite(quality)) and np.all((quality >= 0) & (quality <= 1))
    assert np.all(np.isfinite(density)) and np.all(density >= 0)  # density may pass 1
    assert list(trainer.quality_lines.x) == [10.0, 20.0]
    assert np.allclose(trainer.quality_lines.y[3], trainer.metrics["coverage"])
    assert trainer.quality_lines.scales["y"].max >= max(1.0, density.max())
    m = trainer.metrics
    status = trainer.status.value
    assert "precision / recall" in status and "density / coverage" in status
    assert f"{m['precision'][-1]:.2f}/{m['recall'][-1]:.2f}" in status
    assert f"{m['density'][-1]:.2f}/{m['coverage'][-1]:.2f}" in status
    # more steps than planned extend the run (and the progress bar)
    trainer.train(5, wait=True)
    assert trainer.step == 25 and trainer.progress.max == 25


def test_interpolation_slider_moves_the_image(digits):
    trainer = MNISTTrainer(small_gan(), digits[0], metric_every=0)
    a = trainer.explore_mark.color.copy()
    trainer.interpolate.value = 1.0
    b = trainer.explore_mark.color.copy()
    assert a.shape == b.shape == (28, 28) and not np.allclose(a, b)
    trainer.interpolate.value = 0.0
    assert np.allclose(trainer.explore_mark.color, a)
    assert trainer.digit.disabled  # unconditional GAN: no class to pick


def test_save_and_load_checkpoint(digits, tmp_path):
    path = str(tmp_path / "run.weights.h5")
    trainer = MNISTTrainer(small_gan(), digits[0], chunk_steps=5, batch_size=32, metric_every=0)
    trainer.path.value = path
    trainer.train(5, wait=True)
    trainer.save_button.click()
    saved = [np.asarray(w) for w in trainer.gan.generator.weights]
    trainer.train(5, wait=True)
    assert trainer.step == 10
    trainer.load_button.click()
    assert trainer.errors.text == ""
    assert trainer.step == 5
    for w, s in zip(trainer.gan.generator.weights, saved, strict=True):
        np.testing.assert_array_equal(np.asarray(w), s)
    trainer.path.value = str(tmp_path / "missing.weights.h5")
    trainer.load_button.click()  # the error lands in the panel, not in the void
    assert trainer.errors.last_error is not None


def test_conditional_digit_slider(digits):
    g, d = im.packed_conditional_pair("mlp")
    gan = gk.GAN(
        g,
        d,
        g_optimizer=keras.optimizers.Adam(1e-3, 0.5),
        d_optimizer=keras.optimizers.Adam(1e-3, 0.5),
    )
    packed = im.pack_labels(*digits)
    trainer = MNISTTrainer(gan, packed, grid=10, metric_every=0)
    assert not trainer.digit.disabled
    labels = im.unpack_labels(gan.transform(trainer.fixed_noise))[1]
    assert labels.reshape(10, 10)[0].tolist() == list(range(10))  # one column per digit
    a = trainer.explore_mark.color.copy()
    trainer.digit.value = 7
    assert not np.allclose(trainer.explore_mark.color, a)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"total_steps": 0}, "total_steps must be an integer >= 1"),
        ({"gan": "mlp"}, "gan must be a gankit.GAN or None"),
        ({"batch_size": 10_000}, "data must have shape"),
        ({"metric_every": -1}, "metric_every must be an integer >= 0"),
    ],
)
def test_bad_arguments(digits, kwargs, match):
    kwargs.setdefault("gan", None)
    if kwargs["gan"] is None:
        kwargs["gan"] = small_gan()
    with pytest.raises(ValueError, match=match):
        MNISTTrainer(data=digits[0], **kwargs)


def test_load_while_running_is_refused(digits, tmp_path):
    trainer = MNISTTrainer(
        small_gan(), digits[0], total_steps=10_000, chunk_steps=2, batch_size=32, metric_every=0
    )
    trainer.start()
    try:
        trainer.load_button.click()
        assert "pause or stop training" in trainer.errors.text
        with pytest.raises(RuntimeError, match="already running"):
            trainer.start()
    finally:
        trainer.stop()
    assert trainer.state == "stopped" and trainer.step < 10_000
