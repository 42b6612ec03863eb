"""Training MNIST GANs through gk.GAN.fit(): every loss and regulariser (every scheme: in
test_gan, through fit on small networks, and test_engine, exactly); TTUR,
clipping, EMA; exact resume; non-finite stop; the packed conditional GAN; and quality:
a short CPU run of the MLP GAN draws all ten digits within a stated classifier-FID."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import warnings
from pathlib import Path

import gankit as gk
import keras
import numpy as np
import pytest
from gankit import image_models as im


# Quality run (test_short_cpu_run_covers_all_digits): MLP GAN, Adam(1e-3, beta_1=0.5) for
# both players, batch 64. The bound is what this configuration must reach; a seeded run
# measured well below it (see the report / benchmarks/bench_mnist.py quality).
QUALITY_STEPS = 1500
QUALITY_FID_BOUND = 85.0  # measured: 70.8 at step 1500 (seed 0), 10 classes from step 750


@pytest.fixture(scope="module")
def digits(mnist_dir: Path):
    images, labels = gk.data.mnist("test", mnist_dir)
    return images, labels, gk.data.scale_images(images)[..., None]


def tiny_pair(batch_norm: bool = False):
    """The classic MLP pair: dense layers compile and run fast on a CPU."""
    return im.build_pair("mlp", batch_norm=batch_norm)


def make(loss="nsgan", reg=None, scheme="simultaneous", *, g_opt=None, d_opt=None, bn=False, **kw):
    keras.utils.set_random_seed(0)
    g, d = tiny_pair(bn)
    return gk.GAN(
        g,
        d,
        loss=loss,
        reg=reg,
        scheme=scheme,
        g_optimizer=g_opt or keras.optimizers.Adam(2e-4, beta_1=0.5),
        d_optimizer=d_opt or keras.optimizers.Adam(2e-4, beta_1=0.5),
        seed=1,
        **kw,
    )


def fit_steps(gan: gk.GAN, x: np.ndarray, steps: int, batch: int = 32):
    return gan.fit(x, batch_size=batch, epochs=1, steps_per_epoch=steps, verbose=0)


CONFIGS = [
    *[dict(loss=loss) for loss in gk.losses.LOSSES],
    dict(loss="nsgan", reg=gk.reg.R1(1.0)),
    dict(loss="nsgan", reg=gk.reg.R2(1.0)),
    dict(loss="wgan", reg=gk.reg.GradientPenalty(10.0)),
    dict(loss="nsgan", reg=gk.reg.InstanceNoise(0.1)),
    dict(loss="nsgan", reg=gk.reg.LabelSmoothing(0.9)),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_every_loss_and_regulariser_trains_on_mnist(digits, config):
    x = digits[2][:512]
    gan = make(**config)
    before = [np.asarray(w) for w in gan.discriminator.weights]
    history = fit_steps(gan, x, 3)
    assert np.all(np.isfinite(history.history["d_loss"] + history.history["g_loss"]))
    assert gan.step == 3 and gan.halted_at is None
    # both optimizers carried their state through fit (keras issue 19358)
    assert int(gan.d_optimizer.iterations) >= 3 and int(gan.g_optimizer.iterations) >= 3
    after = [np.asarray(w) for w in gan.discriminator.weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert gan.sample(4).shape == (4, 28, 28, 1)


def test_ttur_separate_learning_rates(digits):
    gan = make(
        g_opt=keras.optimizers.Adam(1e-4, beta_1=0.5), d_opt=keras.optimizers.Adam(4e-4, beta_1=0.5)
    )
    g0, d0 = _flat(gan.generator.trainable_weights), _flat(gan.discriminator.trainable_weights)
    fit_steps(gan, digits[2][:256], 1)
    assert gan.hyper["g_learning_rate"] == pytest.approx(1e-4)
    assert gan.hyper["d_learning_rate"] == pytest.approx(4e-4)
    # Adam's first step moves each weight by about lr (sign of its gradient): D's by 4x G's.
    dg = np.abs(_flat(gan.generator.trainable_weights) - g0)
    dd = np.abs(_flat(gan.discriminator.trainable_weights) - d0)
    assert np.median(dg[dg > 0]) == pytest.approx(1e-4, rel=0.1)
    assert np.median(dd[dd > 0]) == pytest.approx(4e-4, rel=0.1)


def _flat(weights) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(w)) for w in weights])


@pytest.mark.parametrize("clip", ["global_clipnorm", "clipnorm", "clipvalue"])
def test_gradient_clipping_bounds_each_step(digits, clip):
    lr, c = 0.1, 1e-3
    gan = make(
        loss="wgan",
        g_opt=keras.optimizers.SGD(lr, **{clip: c}),
        d_opt=keras.optimizers.SGD(lr, **{clip: c}),
    )
    before = [np.asarray(w) for w in gan.discriminator.trainable_weights]
    fit_steps(gan, digits[2][:256], 1)
    after = [np.asarray(w) for w in gan.discriminator.trainable_weights]
    deltas = [a - b for a, b in zip(after, before, strict=True)]
    if clip == "global_clipnorm":
        assert np.linalg.norm(_flat(deltas)) <= lr * c * (1 + 1e-4)
    elif clip == "clipnorm":
        assert max(np.linalg.norm(d) for d in deltas) <= lr * c * (1 + 1e-4)
    else:
        assert max(np.abs(d).max() for d in deltas) <= lr * c * (1 + 1e-4)
    assert np.linalg.norm(_flat(deltas)) > 0


def test_generator_ema_follows_the_weights(digits):
    gan = make(ema=0.9)
    w0 = [np.asarray(w) for w in gan.generator.trainable_weights]
    fit_steps(gan, digits[2][:256], 1)
    w1 = [np.asarray(w) for w in gan.generator.trainable_weights]
    for e, a, b in zip(gan.generator_weights(ema=True), w0, w1, strict=True):
        np.testing.assert_allclose(np.asarray(e), 0.9 * a + 0.1 * b, rtol=1e-5, atol=1e-7)
    assert not np.allclose(gan.sample(8, seed=0, ema=True), gan.sample(8, seed=0, ema=False))


def test_resume_from_checkpoint_is_bitwise_exact(digits, tmp_path):
    x = digits[2][:512]
    kw = dict(scheme="alternating", d_steps=2, bn=True, ema=0.99)  # BatchNorm state too
    straight = make(**kw)
    fit_steps(straight, x, 5)
    fit_steps(straight, x, 4)

    first = make(**kw)
    fit_steps(first, x, 5)
    path = str(tmp_path / "mnist.weights.h5")
    first.save_checkpoint(path)
    resumed = make(**kw)
    resumed.load_checkpoint(path)
    fit_steps(resumed, x, 4)

    assert resumed.step == straight.step == 9
    for a, b in zip(straight.weights, resumed.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(resumed.d_optimizer.iterations) == int(straight.d_optimizer.iterations) == 18


def test_non_finite_loss_stops_at_the_last_finite_state(digits):
    gan = make(loss="wgan", g_opt=keras.optimizers.SGD(1e30), d_opt=keras.optimizers.SGD(1e30))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_steps(gan, digits[2][:512], 10)
    messages = [
        str(w.message) for w in caught if issubclass(w.category, gk.gan.NonFiniteLossWarning)
    ]
    assert gan.halted_at is not None and gan.halted_at <= 10
    assert gan.step == gan.halted_at - 1  # the failing step was not applied
    assert messages and f"step {gan.halted_at}" in messages[0]
    for w in gan.weights:
        value = np.asarray(w)
        if np.issubdtype(value.dtype, np.floating):
            assert np.all(np.isfinite(value))


def test_packed_conditional_gan_trains_and_obeys_labels(digits):
    images, labels, x = digits
    g, d = im.packed_conditional_pair("mlp", batch_norm=False)
    gan = gk.GAN(
        g,
        d,
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    packed = im.pack_labels(x[:512], labels[:512])
    history = fit_steps(gan, packed, 3)
    assert np.all(np.isfinite(history.history["d_loss"]))
    z = im.class_noise(np.random.default_rng(0).normal(size=(20, 100)), np.arange(20) % 10)
    drawn, got = im.unpack_labels(gan.transform(z))
    assert got.tolist() == (np.arange(20) % 10).tolist()
    assert drawn.shape == (20, 28, 28, 1) and np.abs(drawn).max() <= 1
    _, free = im.unpack_labels(gan.sample(2000, seed=0))
    counts = np.bincount(free, minlength=10)
    assert counts.min() > 140 and counts.max() < 260  # uniform over the ten classes


def test_short_cpu_run_covers_all_digits(digits):
    """The lesson-07 CPU configuration: all ten digits and a classifier-FID bound.

    Full size: 1500 steps of batch 64 (about 10 epochs of the 10k digits). Fast mode
    runs the same steps (the bound is the claim), so it is not shortened.
    """
    images, _, x = digits
    keras.utils.set_random_seed(0)
    g, d = im.build_pair("mlp")
    gan = gk.GAN(
        g,
        d,
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        seed=0,
    )
    start_fid = gk.metrics.classifier_fid(gan.sample(2000, seed=1), images[:2000])
    for _ in range(QUALITY_STEPS // 250):
        gan.train_steps(x, steps=250, batch_size=64)
    fake = gan.sample(5000, seed=1)
    fid = gk.metrics.classifier_fid(fake, images[:5000])
    coverage = gk.metrics.class_coverage(fake)
    assert coverage.classes == 10, coverage.counts
    assert fid < QUALITY_FID_BOUND < start_fid, (fid, start_fid)
