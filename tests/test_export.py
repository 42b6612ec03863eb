"""Runs to take away and rewind: gk.GAN code from a GAN, exported run folders whose
script really goes on, seeds that give the same start twice."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import runpy

import gankit as gk
import keras
import numpy as np
import pytest
from gankit.gan.export import CONFIG_FILE, SCRIPT_FILE, WEIGHTS_FILE, gan_code


def _nets():
    return gk.models.mlp_generator(layers=1, units=8), gk.models.mlp_discriminator(
        layers=1, units=8
    )


def _weights(gan: gk.GAN) -> list[np.ndarray]:
    return [np.asarray(w).copy() for w in gan.get_state()["g"]]


def _close(a: list, b: list) -> bool:
    return all(np.allclose(x, y) for x, y in zip(a, b, strict=True))


def _same_build(a: gk.GAN, b: gk.GAN) -> None:
    ca, cb = a.get_config(), b.get_config()
    for key in ("loss", "reg", "scheme", "scheme_options", "noise", "ema", "weight_clip", "seed"):
        assert ca[key] == cb[key], key
    for key in ("g_optimizer", "d_optimizer"):  # the same kind, at the same numbers
        assert ca[key]["class_name"] == cb[key]["class_name"], key
    assert a.hyper == pytest.approx(b.hyper)


@pytest.mark.parametrize(
    "build",
    [
        dict(loss="hinge", reg=gk.reg.R1(2.0), seed=3),
        dict(loss="wgan", reg=gk.reg.GradientPenalty(10.0), weight_clip=0.05),
        dict(scheme="alternating", d_steps=2, g_steps=1, ema=0.99, noise="uniform"),
        dict(scheme="consensus", gamma=0.3, g_optimizer=keras.optimizers.SGD(0.01, momentum=0.5)),
        dict(
            scheme="lookahead",
            scheme_options={"k": 3, "alpha": 0.25},
            d_optimizer=gk.optimizers.HeavyBall(0.05, momentum=-0.5),
        ),
        dict(loss="lsgan", reg=[gk.reg.R2(1.5), gk.reg.InstanceNoise(0.1)]),
    ],
    ids=[
        "hinge-R1",
        "wgan-gp-clip",
        "alternating-ema",
        "consensus-sgd",
        "lookahead-heavyball",
        "lsgan-2regs",
    ],
)
def test_gan_code_builds_the_same_gan(build):
    g, d = _nets()
    gan = gk.GAN(g, d, **build)
    if gan.regs:
        name = next(k for k in gan.hyper if k not in ("g_learning_rate", "d_learning_rate"))
        gan.set_numbers(**{name: 0.75})  # a number moved by a slider travels too
    code = gan_code(gan, "G", "D")
    g2, d2 = _nets()
    scope = {"gk": gk, "keras": keras, "G": g2, "D": d2}
    exec(code, scope)  # noqa: S102 - the code under test
    _same_build(gan, scope["gan"])


def test_a_toy_lab_run_exports_and_its_script_goes_on(tmp_path, monkeypatch):
    lab = gk.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=5, seed=4)
    lab.controls["d_lr"].value = 3e-3
    for _ in range(3):
        lab.step()
    folder = lab.export(tmp_path / "run")
    assert {p.name for p in folder.iterdir()} == {CONFIG_FILE, WEIGHTS_FILE, SCRIPT_FILE}
    script = (folder / SCRIPT_FILE).read_text()
    assert "gk.GAN(" in script and "seed=4" in script and "learning_rate=0.003" in script

    # The script's claim: the same networks, data and GAN trained from scratch for the
    # run's steps give the run's weights.
    head = script.split('gan.load_checkpoint("')[0]
    scope: dict = {}
    exec(head, scope)  # noqa: S102 - the exported code
    scope["gan"].train_steps(scope["x"], steps=lab.gan.step, batch_size=lab.batch_size)
    for a, b in zip(scope["gan"].get_state()["g"], lab.gan.get_state()["g"], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)

    # And the script itself runs where it was written: it loads the run and trains on.
    monkeypatch.chdir(folder)
    out = runpy.run_path(str(folder / SCRIPT_FILE))
    assert out["gan"].step == lab.gan.step + 100


def test_the_toy_labs_seed_box_rewinds_to_that_seeds_start():
    lab = gk.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=5)
    first = _weights(lab.gan)
    lab.step()
    lab.controls["seed"].value = 7
    assert lab.gan.step == 0 and not _close(first, _weights(lab.gan))
    lab.controls["seed"].value = 0
    assert _close(first, _weights(lab.gan))
    assert lab.get_state()["seed"] == 0


def test_the_image_trainer_rewinds_to_the_same_start_and_exports(tmp_path):
    data = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype(np.float32)
    trainer = gk.ImageTrainer(data=data, batch_size=16, chunk_steps=5, metric_every=0, seed=2)
    trainer.rewind()
    start = _weights(trainer.gan)
    trainer.train(10, wait=True)
    after = _weights(trainer.gan)
    trainer.rewind()
    assert trainer.step == 0 and trainer.history["step"] == [] and trainer.state == "idle"
    assert all(np.array_equal(a, b) for a, b in zip(start, _weights(trainer.gan), strict=True))
    trainer.train(10, wait=True)  # the same start, the same run
    assert _close(after, _weights(trainer.gan))
    trainer.rewind(5)
    assert trainer.seed == 5 and trainer.controls["seed"].value == 5
    assert not _close(start, _weights(trainer.gan))

    folder = trainer.export(tmp_path / "images")
    script = (folder / SCRIPT_FILE).read_text()
    assert "image_shape=(8, 8, 1)" in script and "x = ...  # your real images" in script
    assert (folder / WEIGHTS_FILE).stat().st_size > 0
