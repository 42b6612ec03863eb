"""Schemes on the bilinear game x*y against their closed forms (and each other)."""

import keras
import numpy as np
import pytest

import gankit as gk

BILINEAR = gk.games.Bilinear()
ETAS = [0.05, 0.2, 0.4]


def growth(traj: np.ndarray, skip: int = 50) -> float:
    """Measured per-step growth of the distance to 0, after a transient of ``skip`` steps."""
    norms = np.linalg.norm(np.asarray(traj, np.float64), axis=-1)
    return float((norms[-1] / norms[skip]) ** (1.0 / (len(norms) - 1 - skip)))


CLOSED_FORMS = {
    "simultaneous": (gk.schemes.simultaneous, lambda e: np.sqrt(1 + e**2)),
    "extragradient": (gk.schemes.extragradient, lambda e: np.sqrt(1 - e**2 + e**4)),
    "optimistic": (gk.schemes.optimistic, lambda e: np.sqrt((1 + np.sqrt(1 - 4 * e**2)) / 2)),
    "consensus": (
        lambda e: gk.schemes.consensus(e, gamma=0.7),
        lambda e: np.sqrt((1 - 0.7 * e) ** 2 + e**2),
    ),
}


@pytest.mark.parametrize("eta", ETAS)
@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_growth_matches_closed_form(name, eta):
    build, rate = CLOSED_FORMS[name]
    scheme = build(eta)
    expected = rate(eta)
    traj = gk.simulate(BILINEAR, scheme, steps=200, start=(1.0, 0.5))
    assert not traj.diverged
    assert growth(traj) == pytest.approx(expected, rel=2e-4)
    assert gk.analysis.spectral_radius(BILINEAR, scheme, [0.0, 0.0]) == pytest.approx(
        expected, rel=1e-5
    )


@pytest.mark.parametrize("eta", ETAS)
def test_simultaneous_grows_exactly_every_step(eta):
    traj = gk.simulate(BILINEAR, gk.schemes.simultaneous(eta), steps=20)
    norms = np.linalg.norm(traj, axis=1)
    np.testing.assert_allclose(norms[1:] / norms[:-1], np.sqrt(1 + eta**2), rtol=1e-5)


@pytest.mark.parametrize("eta", ETAS + [1.0])
def test_alternating_conserves_a_quadratic_form(eta):
    # The discriminator (y) moves first: y' = y + eta x, then x' = x - eta y'.
    # Then x^2 + eta x y + y^2 is conserved, so the iterates stay on an ellipse.
    traj = np.asarray(gk.simulate(BILINEAR, gk.schemes.alternating(eta), steps=2000), np.float64)
    x, y = traj[:, 0], traj[:, 1]
    q = x**2 + eta * x * y + y**2
    np.testing.assert_allclose(q, q[0], rtol=1e-3)
    assert np.linalg.norm(traj, axis=1).max() < 3 * np.linalg.norm(traj[0]) / np.sqrt(2 - eta)
    radius = gk.analysis.spectral_radius(BILINEAR, gk.schemes.alternating(eta), [0.0, 0.0])
    assert radius == pytest.approx(1.0, abs=1e-6)


def test_sga_equals_consensus_on_bilinear():
    # For x*y the Jacobian is antisymmetric, so A^T g = J^T g: SGA and consensus coincide.
    a = gk.simulate(BILINEAR, gk.schemes.sga(0.1, lam=0.5), steps=100)
    b = gk.simulate(BILINEAR, gk.schemes.consensus(0.1, gamma=0.5), steps=100)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_alternating_d_steps_take_several_discriminator_steps():
    traj = gk.simulate(BILINEAR, gk.schemes.alternating(0.1, d_steps=3, g_steps=2), steps=1)
    x, y = 1.0, 0.5
    for _ in range(3):
        y = y + 0.1 * x
    for _ in range(2):
        x = x - 0.1 * y
    np.testing.assert_allclose(traj[1], [x, y], rtol=1e-6)


@pytest.mark.parametrize("momentum", [-0.5, -0.2, 0.0, 0.3, 0.6])
def test_heavy_ball_simultaneous_diverges_for_every_momentum(momentum):
    lrs = np.linspace(0.02, 1.0, 50)
    radii = [
        gk.analysis.spectral_radius(
            BILINEAR, gk.schemes.simultaneous(gk.optimizers.HeavyBall(float(lr), momentum)), [0, 0]
        )
        for lr in lrs
    ]
    assert min(radii) > 1.0
    traj = gk.simulate(
        BILINEAR, gk.schemes.simultaneous(gk.optimizers.HeavyBall(0.3, momentum)), steps=3000
    )
    assert np.linalg.norm(traj[-1]) > 10 * np.linalg.norm(traj[0]) or traj.diverged


def test_heavy_ball_alternating_negative_momentum_converges_positive_diverges():
    negative = gk.schemes.alternating(gk.optimizers.HeavyBall(0.3, -0.5))
    positive = gk.schemes.alternating(gk.optimizers.HeavyBall(0.3, 0.5))
    assert gk.analysis.spectral_radius(BILINEAR, negative, [0, 0]) < 0.99
    assert gk.analysis.spectral_radius(BILINEAR, positive, [0, 0]) > 1.1
    assert np.linalg.norm(gk.simulate(BILINEAR, negative, steps=1000)[-1]) < 1e-4
    far = gk.simulate(BILINEAR, positive, steps=1000)
    assert far.diverged or np.linalg.norm(far[-1]) > 1e3


def test_heavy_ball_growth_matches_spectral_radius():
    scheme = gk.schemes.alternating(gk.optimizers.HeavyBall(0.3, -0.5))
    traj = gk.simulate(BILINEAR, scheme, steps=400)
    radius = gk.analysis.spectral_radius(BILINEAR, scheme, [0, 0])
    assert growth(traj, skip=100) == pytest.approx(radius, rel=1e-3)


def test_keras_adam_first_step():
    traj = gk.simulate(BILINEAR, keras.optimizers.Adam(learning_rate=0.1), steps=1)
    np.testing.assert_allclose(traj[1], [0.9, 0.6], atol=1e-5)


def test_keras_optimizer_matches_plain_step_for_sgd():
    a = gk.simulate(BILINEAR, gk.schemes.extragradient(keras.optimizers.SGD(0.2)), steps=50)
    b = gk.simulate(BILINEAR, gk.schemes.extragradient(0.2), steps=50)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_two_time_scales_use_each_players_rate():
    scheme = gk.schemes.simultaneous((0.1, 0.4))
    assert scheme.hyper == {"x_learning_rate": 0.1, "y_learning_rate": 0.4}
    traj = gk.simulate(BILINEAR, scheme, steps=1)
    np.testing.assert_allclose(traj[1], [1.0 - 0.1 * 0.5, 0.5 + 0.4 * 1.0], rtol=1e-6)
    mixed = gk.schemes.simultaneous((keras.optimizers.Adam(0.1), 0.4))
    np.testing.assert_allclose(gk.simulate(BILINEAR, mixed, steps=1)[1], [0.9, 0.9], atol=1e-5)


def test_make_builds_by_name():
    for name in gk.schemes.SCHEMES:
        assert gk.schemes.make(name, 0.1).kind == name
