"""One engine: a gk.GAN of two one-number networks IS the Dirac-GAN of the core.

The generator is one trainable number theta (a Dense layer whose kernel is frozen at 0,
so it also checks that frozen layers are accepted), the discriminator ``D(x) = psi * x``,
the data all at 0. Under every scheme, loss and penalty the network trainer must then
follow ``gk.simulate(gk.games.DiracGAN(loss, reg), scheme)`` step for step.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import gankit as gk

START = (0.8, -0.4)
LR = 0.17
STEPS = 12
DATA = np.zeros((16, 1), np.float32)

SCHEMES = {
    "simultaneous": {},
    "alternating": {},
    "alternating d2": {"d_steps": 2},
    "alternating g2": {"g_steps": 2},
    "extragradient": {},
    "optimistic": {},
    "consensus": {"gamma": 0.7},
    "sga": {"lam": 0.7},
    "proximal": {"inner_steps": 4},
    "competitive": {},
    "lookahead": {"base": "alternating", "k": 3, "alpha": 0.6},
    "lead": {"coupling": 0.7},
}
OWN_KEYWORDS = ("d_steps", "g_steps", "gamma", "lam")  # gk.GAN's keywords; others go in
# scheme_options
REGS = {"none": None, "R1": gk.reg.R1(0.5), "R2": gk.reg.R2(0.5)}


def one_number_pair(theta: float, psi: float) -> tuple[keras.Model, keras.Model]:
    g = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(theta)
            ),
        ]
    )
    g.layers[0].kernel.trainable = False  # a frozen weight: state-free, must be accepted
    d = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                1, use_bias=False, kernel_initializer=keras.initializers.Constant(psi)
            ),
        ]
    )
    return g, d


def point(gan: gk.GAN) -> list[float]:
    theta = float(np.asarray(gan.generator.layers[0].bias.value)[0])
    psi = float(np.asarray(gan.discriminator.layers[0].kernel.value)[0, 0])
    return [theta, psi]


def gan_options(name: str) -> dict:
    """The scheme's options as gk.GAN takes them: its keywords, or scheme_options."""
    options = SCHEMES[name]
    if all(k in OWN_KEYWORDS for k in options):
        return dict(options)
    return {"scheme_options": dict(options)}


def core_scheme(name: str, opt):
    kind = name.split()[0]
    return gk.schemes.make(kind, opt, **SCHEMES[name])


def losses_for(scheme: str, reg: str) -> list[str]:
    """The losses each (scheme, regulariser) pair is followed under, in turn: two without a
    regulariser, one under R1 and one under R2, so every scheme meets all four losses and
    every regulariser meets every loss across the schemes, while CI builds a quarter of
    the (scheme, regulariser, loss) GANs."""
    i, losses = list(SCHEMES).index(scheme), gk.games.LOSSES
    if reg == "none":
        return [losses[i % 4], losses[(i + 1) % 4]]
    return [losses[(i + 1 + list(REGS).index(reg)) % 4]]


def test_the_loss_rotation_covers_every_pair():
    pairs = {(s, loss) for s, r in PAIRS for loss in losses_for(s, r)}
    full = [s for s in SCHEMES if s != "competitive"]  # competitive: without a regulariser
    assert pairs >= {(s, loss) for s in full for loss in gk.games.LOSSES}
    pairs = {(r, loss) for s, r in PAIRS for loss in losses_for(s, r)}
    assert pairs == {(r, loss) for r in REGS for loss in gk.games.LOSSES}


# Competitive gradient descent under R1/R2 differentiates the penalty three times: 20-30 s
# of compiling each on a CI core; it is followed without a regulariser (both losses).
PAIRS = [(s, r) for s in SCHEMES for r in REGS if not (s == "competitive" and r != "none")]


@pytest.mark.parametrize("scheme, reg", PAIRS)
def test_gan_of_one_number_networks_follows_the_dirac_gan(scheme, reg):
    for i, loss in enumerate(losses_for(scheme, reg)):
        game = gk.games.DiracGAN(loss, reg=REGS[reg])
        plain = gk.simulate(game, core_scheme(scheme, LR), steps=STEPS, start=START)
        keras_sgd = gk.simulate(
            game, core_scheme(scheme, keras.optimizers.SGD(LR)), steps=STEPS, start=START
        )
        np.testing.assert_allclose(keras_sgd, plain, atol=1e-6)
        g, d = one_number_pair(*START)
        gan = gk.GAN(
            g,
            d,
            loss=loss,
            reg=REGS[reg],
            scheme=scheme.split()[0],
            # every other loss with a float step (the GAN makes it SGD), else Keras SGD
            g_optimizer=LR if i % 2 else keras.optimizers.SGD(LR),
            d_optimizer=LR if i % 2 else keras.optimizers.SGD(LR),
            **gan_options(scheme),
        )
        rows = [point(gan)]
        for _ in range(STEPS):
            gan.train_steps(DATA, steps=1, batch_size=len(DATA))
            rows.append(point(gan))
        np.testing.assert_allclose(
            np.asarray(rows), plain, rtol=2e-5, atol=2e-6, err_msg=f"{loss} {scheme} {reg}"
        )


def test_step_d_and_step_g_are_the_halves_of_an_alternating_step():
    for loss in gk.games.LOSSES:
        game = gk.games.DiracGAN(loss, reg=gk.reg.R1(0.3))
        core = gk.simulate(game, gk.schemes.alternating(LR), steps=3, start=START)
        gan = gk.GAN(
            *one_number_pair(*START), loss=loss, reg=gk.reg.R1(0.3), g_optimizer=LR, d_optimizer=LR
        )
        rows = [point(gan)]
        for _ in range(3):
            gan.train_steps(DATA, steps=1, batch_size=len(DATA), mode="d")
            after_d = point(gan)
            np.testing.assert_allclose(after_d[0], rows[-1][0])  # Step D leaves G alone
            gan.train_steps(DATA, steps=1, batch_size=len(DATA), mode="g")
            np.testing.assert_allclose(point(gan)[1], after_d[1])  # Step G leaves D alone
            rows.append(point(gan))
        np.testing.assert_allclose(np.asarray(rows), core, rtol=2e-5, atol=2e-6)


def test_step_d_is_the_schemes_player_step():
    game = gk.games.DiracGAN("nsgan")
    scheme = gk.schemes.simultaneous(keras.optimizers.Adam(0.1))
    x, y = game.split(START)
    scheme.prepare(x, y)
    state = scheme.init(game, x, y)
    x1, y1, state1, _ = scheme.player_step(game, x, y, state, 1)
    assert float(x1[0]) == np.float32(START[0])
    expected = gk.simulate(
        game, gk.schemes.alternating(keras.optimizers.Adam(0.1)), steps=1, start=START
    )
    np.testing.assert_allclose(float(y1[0]), expected[1, 1], rtol=1e-5)


def test_consensus_trains_networks_with_batchnorm():
    # BatchNorm statistics change in a forward pass: consensus threads them (no refusal).
    g = gk.models.mlp_generator(batch_norm=True)
    gan = gk.GAN(g, gk.models.mlp_discriminator(), scheme="consensus", gamma=0.5)
    before = [np.asarray(v.value).copy() for v in g.non_trainable_variables]
    losses = gan.train_steps(gk.data.toy("ring8", 256), steps=3, batch_size=64)
    assert np.all(np.isfinite(losses))
    after = [np.asarray(v.value) for v in g.non_trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(after, before, strict=True))
