"""GAN losses and regularisers against closed forms, and against the core's Dirac-GAN."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gankit as gk
from gankit import losses

KEY = jax.random.PRNGKey(0)


def test_gan_discriminator_loss_at_zero_is_two_ln_two():
    z = jnp.zeros(8)
    assert float(losses.discriminator_loss("gan", z, z)) == pytest.approx(2 * math.log(2), 1e-6)
    assert float(losses.discriminator_loss("nsgan", z, z)) == pytest.approx(2 * math.log(2), 1e-6)


@pytest.mark.parametrize(
    "loss, real, fake, d_expected, g_expected",
    [
        ("wgan", 2.0, -1.0, -1.0 - 2.0, 1.0),
        ("hinge", 0.5, 0.0, 0.5 + 1.0, 0.0),
        ("hinge", 3.0, -3.0, 0.0, 3.0),
        ("lsgan", 1.0, 0.0, 0.0, 0.5),
        ("lsgan", 0.0, 1.0, 1.0, 0.0),
        ("nsgan", 0.0, 0.0, 2 * math.log(2), math.log(2)),
        ("gan", 0.0, 0.0, 2 * math.log(2), -math.log(2)),
    ],
)
def test_losses_closed_forms(loss, real, fake, d_expected, g_expected):
    r, f = jnp.full((4, 1), real), jnp.full((4, 1), fake)
    assert float(losses.discriminator_loss(loss, r, f)) == pytest.approx(d_expected, abs=1e-6)
    assert float(losses.generator_loss(loss, f)) == pytest.approx(g_expected, abs=1e-6)


def test_label_smoothing_changes_only_the_real_term():
    r, f = jnp.full(3, 2.0), jnp.full(3, -1.0)
    s = 0.9
    expected = s * np.log1p(np.exp(-2.0)) + (1 - s) * np.log1p(np.exp(2.0)) + np.log1p(np.exp(-1.0))
    assert float(losses.discriminator_loss("nsgan", r, f, s)) == pytest.approx(expected, 1e-6)


def test_losses_match_the_dirac_gan_game():
    # D(t) = psi * t, data at 0, generator at theta: the network formulas must agree with
    # the core's closed form for every shared loss name.
    theta, psi = 0.7, -1.3
    for name in gk.games.LOSSES:
        game = gk.games.DiracGAN(name)
        x, y = jnp.array([theta]), jnp.array([psi])
        d_real, d_fake = jnp.zeros(1), jnp.array([psi * theta])
        assert float(losses.discriminator_loss(name, d_real, d_fake)) == pytest.approx(
            float(game.loss_y(x, y)), 1e-6
        )
        assert float(losses.generator_loss(name, d_fake)) == pytest.approx(
            float(game.loss_x(x, y)), 1e-6
        )


def test_r1_of_a_linear_discriminator_is_half_gamma_norm_squared():
    w = jnp.array([1.5, -2.0])
    x = jax.random.normal(KEY, (16, 2))
    got = losses.r1_penalty(lambda v: v @ w + 3.0, x, 4.0)
    assert float(got) == pytest.approx(0.5 * 4.0 * float(w @ w), 1e-6)


def test_r1_of_a_quadratic_discriminator():
    # D(x) = |x|^2 / 2 -> grad = x, so R1 = gamma/2 * mean |x|^2.
    x = jax.random.normal(KEY, (32, 2))
    got = losses.r1_penalty(lambda v: 0.5 * jnp.sum(v**2, axis=1), x, 2.0)
    assert float(got) == pytest.approx(float(jnp.mean(jnp.sum(x**2, axis=1))), 1e-5)


def test_gradient_penalty_closed_form():
    w = jnp.array([3.0, 4.0])  # |grad| = 5 everywhere
    real, fake = jnp.ones((8, 2)), jnp.zeros((8, 2))
    got = losses.gradient_penalty(lambda v: v @ w, real, fake, KEY, gamma=10.0, target=1.0)
    assert float(got) == pytest.approx(10.0 * 16.0, 1e-4)


def test_penalty_sums_the_records_and_ignores_others():
    w = jnp.array([1.0, 2.0])
    regs = (gk.reg.R1(2.0), gk.reg.R2(4.0), gk.reg.InstanceNoise(0.1))
    got = losses.penalty(regs, lambda v: v @ w, jnp.ones((4, 2)), jnp.zeros((4, 2)), KEY)
    assert float(got) == pytest.approx(0.5 * 2 * 5 + 0.5 * 4 * 5, 1e-5)
    assert float(losses.penalty((), lambda v: v @ w, jnp.ones((4, 2)), jnp.ones((4, 2)), KEY)) == 0


def test_instance_noise_has_the_asked_std():
    x = jnp.zeros((20000, 2))
    noisy = losses.instance_noise(x, KEY, 0.3)
    assert float(jnp.std(noisy)) == pytest.approx(0.3, rel=0.02)
    real, fake = losses.noise_inputs((gk.reg.InstanceNoise(0.0),), x[:4], x[:4], KEY)
    assert float(jnp.abs(real).max()) == 0.0


def test_bad_names_and_regularisers():
    with pytest.raises(ValueError, match="loss must be one of"):
        losses.discriminator_loss("vanilla", jnp.zeros(2), jnp.zeros(2))
    with pytest.raises(ValueError, match="loss must be one of"):
        losses.generator_loss("bce", jnp.zeros(2))
    with pytest.raises(ValueError, match="LabelSmoothing"):
        losses.check_reg(gk.reg.LabelSmoothing(0.9), "wgan")
    with pytest.raises(ValueError, match="reg must be"):
        losses.check_reg("R1", "gan")
    with pytest.raises(ValueError, match="at most once"):
        losses.check_reg([gk.reg.R1(1.0), gk.reg.R1(2.0)], "gan")
    assert losses.check_reg(gk.reg.LabelSmoothing(0.9), "lsgan")
