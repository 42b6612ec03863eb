"""simulate(): shapes, batching, divergence, compile counting, surfaces, subgradients."""

import keras
import numpy as np

import gankit as gk

BILINEAR = gk.games.Bilinear()


def test_shape_and_first_row():
    traj = gk.simulate(BILINEAR, gk.schemes.simultaneous(0.1), steps=500, start=(1.0, 0.5))
    assert traj.shape == (501, 2)
    np.testing.assert_allclose(traj[0], [1.0, 0.5])
    assert traj.diverged_at == -1 and not traj.diverged


def test_batches_of_starts_and_numbers_match_single_runs():
    starts = np.array([[1.0, 0.5], [-0.3, 0.8], [0.2, -1.0]])
    lrs = np.array([0.05, 0.1, 0.2])
    scheme = gk.schemes.optimistic(0.1)
    batch = gk.simulate(BILINEAR, scheme, steps=100, start=starts, learning_rate=lrs)
    assert batch.shape == (3, 101, 2)
    for i in range(3):
        single = gk.simulate(BILINEAR, scheme, steps=100, start=starts[i], learning_rate=lrs[i])
        np.testing.assert_allclose(batch[i], single, rtol=1e-5, atol=1e-7)


def test_grid_of_numbers_broadcasts():
    lr, momentum = np.meshgrid(np.linspace(0.05, 0.5, 4), np.linspace(-0.6, 0.6, 3))
    scheme = gk.schemes.alternating(gk.optimizers.HeavyBall(0.1, 0.0))
    trajs = gk.simulate(BILINEAR, scheme, steps=50, learning_rate=lr, momentum=momentum)
    assert trajs.shape == (3, 4, 51, 2) and trajs.diverged_at.shape == (3, 4)
    one = gk.simulate(BILINEAR, scheme, steps=50, learning_rate=lr[2, 1], momentum=momentum[2, 1])
    np.testing.assert_allclose(trajs[2, 1], one, rtol=1e-5, atol=1e-7)


def test_divergence_is_marked_and_rows_stay_finite():
    eta = 2.0  # growth sqrt(5) per step: leaves [-1e8, 1e8] after ~25 steps
    traj = gk.simulate(BILINEAR, gk.schemes.simultaneous(eta), steps=200)
    assert traj.diverged and np.all(np.isfinite(traj))
    k = int(traj.diverged_at)
    exact = np.linalg.matrix_power(np.array([[1.0, -eta], [eta, 1.0]]), k) @ [1.0, 0.5]
    before = np.linalg.matrix_power(np.array([[1.0, -eta], [eta, 1.0]]), k - 1) @ [1.0, 0.5]
    assert np.abs(exact).max() > 1e8 >= np.abs(before).max()
    np.testing.assert_array_equal(traj[k:], np.broadcast_to(traj[k - 1], traj[k:].shape))


def test_overflow_to_nan_is_caught():
    game = gk.games.from_function(lambda x, y: x**4 * y - y**4)
    traj = gk.simulate(game, gk.schemes.simultaneous(0.5), steps=100, start=(5.0, 5.0), bound=1e30)
    assert traj.diverged and np.all(np.isfinite(traj))


def test_changing_numbers_does_not_recompile():
    game = gk.games.DiracGAN("nsgan", reg=gk.reg.R1(1.0))
    schemes = [
        gk.schemes.simultaneous(0.1),
        gk.schemes.alternating(gk.optimizers.HeavyBall(0.1, -0.5)),
        gk.schemes.extragradient(keras.optimizers.Adam(0.1)),
        gk.schemes.consensus(0.1, gamma=1.0),
        gk.schemes.sga(0.1, lam=1.0),
        gk.schemes.optimistic((0.1, 0.2)),
    ]
    for s in schemes:
        gk.simulate(game, s, steps=100)
    before = gk.compile_count("simulate")
    for lr in (0.05, 0.2, 0.3):
        for s in schemes:
            gk.simulate(game, s.replace(**{k: lr for k in s.hyper if "learning_rate" in k}), 100)
    gk.simulate(game, schemes[1], steps=100, momentum=0.4)
    gk.simulate(game, schemes[2], steps=100, beta_1=0.5)
    gk.simulate(game, gk.schemes.extragradient(keras.optimizers.Adam(0.3, beta_2=0.9)), 100)
    gk.simulate(game, schemes[3], steps=100, gamma=0.2)
    gk.simulate(gk.games.DiracGAN("nsgan", reg=gk.reg.R1(3.0)), schemes[0], steps=100)
    assert gk.compile_count("simulate") == before
    # Lengths share a program up to the next power of two (here 128 rows), so the race's
    # and the lessons' runs of a few more or fewer steps do not compile again.
    for steps in (101, 128, 65):
        gk.simulate(game, schemes[0], steps=steps)
    assert gk.compile_count("simulate") == before
    gk.simulate(game, schemes[0], steps=129)  # 256 rows: a new program
    assert gk.compile_count("simulate") == before + 1


def test_surfaces_are_minimised():
    quad = gk.simulate(gk.surfaces.Quadratic(condition=10.0), 0.15, steps=300, start=(1.0, 1.0))
    assert np.abs(quad[-1]).max() < 1e-5
    rosen = gk.surfaces.Rosenbrock()
    traj = gk.simulate(rosen, keras.optimizers.Adam(0.02), steps=3000, start=(-1.0, 1.5))
    assert np.linalg.norm(traj[-1] - rosen.minimum) < 0.05
    saddle = gk.simulate(gk.surfaces.Saddle(), 0.1, steps=100, start=(1.0, 0.01))
    assert abs(saddle[-1, 0]) < 1e-3 and abs(saddle[-1, 1]) > 100 * 0.01


def test_quadratic_step_size_threshold():
    # Gradient descent on z^T A z / 2 converges iff lr < 2 / lambda_max.
    quad = gk.surfaces.Quadratic(condition=10.0)
    below = gk.simulate(quad, 0.19, steps=400, start=(1.0, 1.0))
    above = gk.simulate(quad, 0.21, steps=400, start=(1.0, 1.0))
    assert np.abs(below[-1]).max() < 1e-3 and np.abs(above[-1]).max() > 1e3


def test_subgradient_constant_step_cycles_near_the_kink():
    lr = 0.1
    opt = gk.optimizers.Subgradient(lr, schedule="constant")
    traj = np.asarray(gk.simulate(gk.surfaces.Abs(), opt, steps=200, start=(1.03, -0.57)))
    tail = traj[-20:]
    assert np.abs(tail).max() <= lr + 1e-6  # within one step of 0
    np.testing.assert_allclose(tail[2:], tail[:-2], atol=1e-6)  # a 2-cycle
    assert not np.allclose(tail[1:], tail[:-1])  # that never settles


def test_subgradient_inv_sqrt_best_value_decays():
    opt = gk.optimizers.Subgradient(0.5, schedule="inv_sqrt")
    traj = gk.simulate(gk.surfaces.Abs(), opt, steps=1000, start=(1.03, -0.57))
    best = np.minimum.accumulate(np.abs(traj).sum(axis=1))
    assert best[10] > best[100] > best[1000]
    assert best[1000] < 0.5 * 1.0 / np.sqrt(1000) * 10
    constant = gk.simulate(gk.surfaces.Abs(), gk.optimizers.Subgradient(0.5), 1000, (1.03, -0.57))
    assert best[1000] < np.abs(constant[-100:]).sum(axis=1).min()


def test_subgradient_callable_schedule():
    opt = gk.optimizers.Subgradient(1.0, schedule=lambda k: 0.5**k)
    traj = gk.simulate(gk.surfaces.Abs(), opt, steps=3, start=(10.0, 10.0))
    np.testing.assert_allclose(traj[:, 0], [10.0, 9.0, 8.5, 8.25])


def test_from_function_game():
    game = gk.games.from_function(lambda x, y: x * y + 0.5 * x**2 - 0.5 * y**2, equilibrium=(0, 0))
    np.testing.assert_allclose(gk.analysis.jacobian(game, [0, 0]), [[-1, -1], [1, -1]])
    traj = gk.simulate(game, 0.1, steps=500)
    assert np.abs(traj[-1]).max() < 1e-6
