"""The Dirac-GAN against Mescheder, Geiger & Nowozin (2018)."""

import jax
import numpy as np
import pytest

import gankit as gk

R = gk.reg


@pytest.mark.parametrize("loss", ["gan", "nsgan"])
def test_unregularised_eigenvalues_are_plus_minus_i_over_2(loss):
    values = gk.analysis.eigenvalues(gk.games.DiracGAN(loss), [0.0, 0.0])
    np.testing.assert_allclose(values, [-0.5j, 0.5j], atol=1e-7)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("reg", [R.R1, R.R2])
def test_r1_eigenvalues(reg, gamma):
    values = gk.analysis.eigenvalues(gk.games.DiracGAN("gan", reg=reg(gamma)), [0.0, 0.0])
    root = np.sqrt(complex(gamma**2 / 4 - 0.25))
    expected = sorted([-gamma / 2 + root, -gamma / 2 - root], key=lambda v: (v.imag, v.real))
    np.testing.assert_allclose(values, expected, atol=1e-6)


def test_wgan_eigenvalues_are_imaginary():
    values = gk.analysis.eigenvalues(gk.games.DiracGAN("wgan"), [0.0, 0.0])
    np.testing.assert_allclose(values, [-1j, 1j], atol=1e-7)


# Mescheder et al. 2018, Dirac-GAN: which training methods converge to (0, 0).
TABLE = {
    "unregularised gan": (gk.games.DiracGAN("gan"), None, False),
    "unregularised nsgan": (gk.games.DiracGAN("nsgan"), None, False),
    "wgan": (gk.games.DiracGAN("wgan"), None, False),
    "wgan-gp": (gk.games.DiracGAN("wgan", reg=R.GradientPenalty(1.0)), None, False),
    "r1": (gk.games.DiracGAN("nsgan", reg=R.R1(1.0)), None, True),
    "r2": (gk.games.DiracGAN("gan", reg=R.R2(1.0)), None, True),
    "instance noise": (gk.games.DiracGAN("nsgan", reg=R.InstanceNoise(1.0)), None, True),
    "consensus": (gk.games.DiracGAN("nsgan"), lambda lr: gk.schemes.consensus(lr, gamma=1.0), True),
}


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
@pytest.mark.parametrize("case", sorted(TABLE))
def test_convergence_table(case, update):
    game, build, converges = TABLE[case]
    scheme = build(0.1) if build else gk.schemes.make(update, 0.1)
    traj = gk.simulate(game, scheme, steps=3000, start=(1.0, 1.0))
    distance = float(np.linalg.norm(traj[-1]))
    assert (distance < 1e-3) == converges, f"{case}: final distance {distance}"


def test_instance_noise_is_exact_gaussian_expectation():
    # With a linear discriminator the WGAN losses are linear in the noise: unchanged.
    plain = gk.games.DiracGAN("wgan")
    noisy = gk.games.DiracGAN("wgan", reg=R.InstanceNoise(0.7))
    x, y = plain.split([0.3, -0.4])
    assert float(noisy.loss_y(x, y)) == pytest.approx(float(plain.loss_y(x, y)), abs=1e-6)
    # For the GAN loss, E softplus(psi * eps) matches a Monte-Carlo estimate.
    game = gk.games.DiracGAN("gan", reg=R.InstanceNoise(0.7))
    eps = np.random.default_rng(0).normal(size=400_000) * 0.7
    psi, theta = -0.4, 0.3
    mc = np.mean(np.logaddexp(0, -psi * eps)) + np.mean(np.logaddexp(0, psi * (theta + eps)))
    assert float(game.loss_y(x, y)) == pytest.approx(mc, rel=2e-3)


def test_losses_at_equilibrium():
    x, y = gk.games.DiracGAN().split([0.0, 0.0])
    assert float(gk.games.DiracGAN("gan").loss_y(x, y)) == pytest.approx(2 * np.log(2))
    assert float(gk.games.DiracGAN("nsgan").loss_x(x, y)) == pytest.approx(np.log(2))
    assert float(gk.games.DiracGAN("hinge").loss_y(x, y)) == pytest.approx(2.0)
    smoothed = gk.games.DiracGAN("gan", reg=R.LabelSmoothing(0.9))
    assert float(smoothed.loss_y(x, y)) == pytest.approx(2 * np.log(2), rel=1e-6)


@pytest.mark.parametrize("loss", gk.losses.LOSSES)
def test_switchable_dirac_gan_is_the_dirac_gan_with_one_structure(loss):
    cases = [
        ({}, None),
        ({"R1": 0.7}, gk.reg.R1(0.7)),
        ({"R2": 0.7}, gk.reg.R2(0.7)),
        ({"GradientPenalty": 0.4}, gk.reg.GradientPenalty(0.4, 1.0)),
        ({"InstanceNoise": 0.3}, gk.reg.InstanceNoise(0.3)),
    ]
    scheme = gk.schemes.extragradient(0.2)
    structures = set()
    for weights, reg in cases:
        plain, switchable = (
            gk.games.DiracGAN(loss, reg=reg),
            gk.games.DiracGAN.switchable(loss, **weights),
        )
        np.testing.assert_allclose(
            gk.simulate(switchable, scheme, steps=40, start=(0.7, -0.3)),
            gk.simulate(plain, scheme, steps=40, start=(0.7, -0.3)),
            atol=2e-6,
        )
        assert repr(switchable) == repr(plain)
        structures.add(jax.tree.structure(switchable))
    assert len(structures) == 1  # every loss and regulariser: one compiled program
    with pytest.raises(ValueError, match="LabelSmoothing"):
        gk.games.DiracGAN.switchable(loss, LabelSmoothing=0.9)
