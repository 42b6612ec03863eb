"""Implicit, competitive, look-ahead and LEAD schemes: rates checked three ways (closed
form, linearised map, simulated runs), and CGD and LEAD against the papers' updates
written out."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gankit as gk

B = gk.games.Bilinear()
ETAS = [0.1, 0.5, 0.9]


def per_step(traj: np.ndarray, steps: int) -> float:
    """The measured shrink factor per step of a run from (1, 0.5)."""
    return float((np.linalg.norm(traj[steps]) / np.linalg.norm(traj[0])) ** (1 / steps))


@pytest.mark.parametrize("eta", ETAS + [2.0, 5.0])
def test_proximal_point_rate_on_xy_is_one_over_sqrt_one_plus_eta_squared(eta):
    closed = 1 / np.sqrt(1 + eta**2)
    exact = gk.schemes.proximal(eta, exact=True)
    assert gk.analysis.spectral_radius(B, exact, [0, 0]) == pytest.approx(closed, rel=1e-6)
    steps = int(np.log(1e-10) / np.log(closed))  # while float32 still resolves the distance
    assert per_step(gk.simulate(B, exact, steps=steps), steps) == pytest.approx(closed, rel=1e-4)
    if eta < 1:  # the fixed-point iteration contracts: enough of it reaches the same map
        inner = gk.schemes.proximal(eta, inner_steps=60)
        assert gk.analysis.spectral_radius(B, inner, [0, 0]) == pytest.approx(closed, rel=1e-5)


def test_proximal_inner_steps_are_a_traced_number():
    scheme = gk.schemes.proximal(0.5, inner_steps=2)
    before = gk.compile_count("simulate")
    a = gk.simulate(B, scheme, steps=30, inner_steps=np.array([1.0, 3.0, 40.0]))
    compiled = gk.compile_count("simulate")
    gk.simulate(B, scheme, steps=30, inner_steps=np.array([2.0, 5.0, 9.0]))
    assert gk.compile_count("simulate") == compiled and compiled - before <= 1
    # one inner step is the explicit (simultaneous) step; many reach the implicit one
    np.testing.assert_allclose(a[0], gk.simulate(B, gk.schemes.simultaneous(0.5), steps=30))
    np.testing.assert_allclose(
        a[2], gk.simulate(B, gk.schemes.proximal(0.5, exact=True), steps=30), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("eta", ETAS + [3.0])
def test_competitive_gradient_descent_is_the_proximal_map_on_xy(eta):
    cgd = gk.simulate(B, gk.schemes.competitive(eta), steps=25)
    prox = gk.simulate(B, gk.schemes.proximal(eta, exact=True), steps=25)
    np.testing.assert_allclose(cgd, prox, rtol=1e-5, atol=1e-6)
    closed = 1 / np.sqrt(1 + eta**2)
    assert gk.analysis.spectral_radius(B, gk.schemes.competitive(eta), [0, 0]) == pytest.approx(
        closed, rel=1e-6
    )


def f_nonlinear(x, y):
    return x * y + 0.3 * x**2 * y - 0.2 * y**2 + 0.1 * x**2 + 0.5 * x * y**2


def cgd_as_in_the_paper(f, x, y, eta):
    """Schäfer & Anandkumar (2019), eq. (4) with g = -f: dense derivatives, a dense solve."""
    gx, gy = jax.grad(f, argnums=(0, 1))(x, y)
    dxy = jax.jacfwd(jax.grad(f, argnums=0), argnums=1)(x, y)  # d/dy of grad_x f
    dyx = dxy.T
    eye_x, eye_y = np.eye(len(x)), np.eye(len(y))
    dx = -eta * np.linalg.solve(eye_x + eta**2 * dxy @ dyx, gx + eta * dxy @ gy)
    dy = eta * np.linalg.solve(eye_y + eta**2 * dyx @ dxy, gy - eta * dyx @ gx)
    return np.asarray(x) + dx, np.asarray(y) + dy


def test_competitive_gradient_descent_on_a_nonlinear_game_follows_the_paper():
    game = gk.games.from_function(f_nonlinear)
    scheme = gk.schemes.competitive(0.4)
    rng = np.random.default_rng(0)
    for start in rng.uniform(-1, 1, size=(4, 2)):
        traj = gk.simulate(game, scheme, steps=1, start=start)
        x, y = cgd_as_in_the_paper(
            lambda a, b: f_nonlinear(a[0], b[0]),
            jnp.asarray(start[:1]),
            jnp.asarray(start[1:]),
            0.4,
        )
        np.testing.assert_allclose(traj[1], np.concatenate([x, y]), rtol=1e-5, atol=1e-6)
    # and it is not the proximal map there (the two agree only on bilinear games)
    prox = gk.simulate(game, gk.schemes.proximal(0.4, exact=True), steps=1, start=start)
    assert not np.allclose(prox[1], traj[1], atol=1e-4)


def lookahead_closed_form(base: str, eta: float, k: int, alpha: float) -> float:
    """Per-step rate of look-ahead on x y: the cycle ``(1-a) I + a M^k`` of the base map M."""
    if base == "simultaneous":
        m = np.array([[1.0, -eta], [eta, 1.0]])
    else:  # alternating, the maximiser first: y' = y + eta x, then x' = x - eta y'
        m = np.array([[1.0 - eta**2, -eta], [eta, 1.0]])
    cycle = (1 - alpha) * np.eye(2) + alpha * np.linalg.matrix_power(m, k)
    return float(np.abs(np.linalg.eigvals(cycle)).max() ** (1 / k))


@pytest.mark.parametrize("base", ["simultaneous", "alternating"])
@pytest.mark.parametrize(
    "eta, k, alpha", [(0.5, 5, 0.5), (0.2, 10, 0.3), (1.0, 3, 0.8), (0.3, 1, 1.0)]
)
def test_lookahead_rate_as_a_function_of_eta_k_alpha(base, eta, k, alpha):
    scheme = gk.schemes.lookahead(gk.schemes.make(base, eta), k=k, alpha=alpha)
    closed = lookahead_closed_form(base, eta, k, alpha)
    assert gk.analysis.spectral_radius(B, scheme, [0, 0]) == pytest.approx(closed, rel=1e-5)
    cycles = 12
    traj = gk.simulate(B, scheme, steps=k * cycles)
    # after whole cycles the distance shrinks (or grows) at the closed-form rate, to within
    # the transient of a non-normal map
    assert per_step(traj, k * cycles) == pytest.approx(closed, rel=0.05)


def test_lookahead_over_plain_gradient_play_converges_where_the_base_diverges():
    base = gk.schemes.simultaneous(0.5)
    assert gk.analysis.spectral_radius(B, base, [0, 0]) > 1
    assert gk.analysis.spectral_radius(B, gk.schemes.lookahead(base, k=5, alpha=0.5), [0, 0]) < 1


def test_lookahead_k_and_alpha_are_traced_numbers():
    scheme = gk.schemes.lookahead(gk.schemes.simultaneous(0.5))
    gk.simulate(B, scheme, steps=20, k=np.array([2.0, 5.0]), alpha=np.array([0.3, 0.7]))
    compiled = gk.compile_count("simulate")
    gk.simulate(B, scheme, steps=20, k=np.array([3.0, 4.0]), alpha=np.array([0.5, 0.9]))
    assert gk.compile_count("simulate") == compiled
    radii = gk.analysis.spectral_radii(B, scheme, k=np.array([2.0, 5.0]), alpha=0.5)
    expected = [lookahead_closed_form("simultaneous", 0.5, k, 0.5) for k in (2, 5)]
    np.testing.assert_allclose(radii, expected, rtol=1e-5)


def lead_closed_form(eta: float, beta: float, c: float) -> float:
    """LEAD on x y in w = x + i y: ``w+ = (1 + beta + i eta (1 + c)) w - (beta + i eta c) w-``,
    so its rate is the larger root of the characteristic polynomial."""
    return float(np.abs(np.roots([1, -(1 + beta + 1j * eta * (1 + c)), beta + 1j * eta * c])).max())


def lead_as_in_the_paper(f, start, eta, beta, alpha, steps):
    """Hemmat et al. (2023), algorithm 1, on scalars: momentum beta, coupling alpha through
    the mixed second derivative f_xy (x descends f, y ascends it)."""
    fx, fy = jax.grad(f, 0), jax.grad(f, 1)
    fxy = jax.grad(fx, 1)
    x, y = float(start[0]), float(start[1])
    px, py = x, y
    rows = [(x, y)]
    for _ in range(steps):
        gx, gy, m = float(fx(x, y)), float(fy(x, y)), float(fxy(x, y))
        nx = x + beta * (x - px) - eta * gx - alpha * m * (y - py)
        ny = y + beta * (y - py) + eta * gy + alpha * m * (x - px)
        (px, py), (x, y) = (x, y), (nx, ny)
        rows.append((x, y))
    return np.asarray(rows)


@pytest.mark.parametrize(
    "eta, beta, c", [(0.5, 0.0, 0.8), (0.3, -0.3, 0.5), (0.1, 0.3, 2.0), (0.3, 0.0, 0.0)]
)
def test_lead_rate_on_xy_is_the_root_of_its_characteristic_polynomial(eta, beta, c):
    scheme = gk.schemes.lead(gk.optimizers.HeavyBall(eta, beta), coupling=c)
    closed = lead_closed_form(eta, beta, c)
    assert gk.analysis.spectral_radius(B, scheme, [0, 0]) == pytest.approx(closed, rel=1e-5)
    steps = min(200, int(np.log(1e10) / abs(np.log(closed))))  # float32 still resolves it
    assert per_step(gk.simulate(B, scheme, steps=steps), steps) == pytest.approx(closed, rel=0.02)


def test_lead_converges_on_xy_where_plain_gradient_play_spirals_out():
    assert gk.analysis.spectral_radius(B, gk.schemes.simultaneous(0.5), [0, 0]) > 1
    assert gk.analysis.spectral_radius(B, gk.schemes.lead(0.5, coupling=1.0), [0, 0]) < 0.75
    assert gk.analysis.spectral_radius(B, gk.schemes.lead(0.5, coupling=0.0), [0, 0]) > 1


def test_lead_on_a_nonlinear_game_follows_the_paper():
    game = gk.games.from_function(f_nonlinear)
    eta, beta, c = 0.2, 0.3, 0.8
    scheme = gk.schemes.lead(gk.optimizers.HeavyBall(eta, beta), coupling=c)
    for start in np.random.default_rng(1).uniform(-1, 1, size=(3, 2)):
        ours = gk.simulate(game, scheme, steps=6, start=start)
        paper = lead_as_in_the_paper(f_nonlinear, start, eta, beta, eta * c, 6)
        np.testing.assert_allclose(ours, paper, rtol=1e-5, atol=1e-6)


def test_the_new_schemes_by_name_and_their_costs():
    assert gk.schemes.make("proximal", 0.1, inner_steps=7).evaluations == 7
    cgd = gk.schemes.make("competitive", 0.1)
    assert cgd.evaluations_for(2) == 3 and cgd.evaluations == 1 + gk.schemes.SOLVER_STEPS + 2
    assert gk.schemes.proximal(0.1, exact=True).evaluations_for(2) == 3
    la = gk.schemes.make("lookahead", 0.1, base="extragradient", k=4, alpha=0.5)
    assert la.evaluations == 2 and la.hyper["k"] == 4
    assert gk.schemes.make("lead", 0.1, coupling=0.5).evaluations == 2
    assert {"proximal", "competitive", "lookahead", "lead"} <= set(gk.schemes.SCHEMES)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gk.schemes.lookahead(0.1), "base_scheme must be a gankit scheme"),
        (lambda: gk.schemes.lookahead(gk.schemes.simultaneous(0.1), alpha=1.5), "alpha must be in"),
        (lambda: gk.schemes.lookahead(gk.schemes.simultaneous(0.1), k=0), "k must be"),
        (lambda: gk.schemes.lookahead(gk.schemes.simultaneous(0.1), k=2.5), "k must be a whole"),
        (lambda: gk.schemes.proximal(0.1, inner_steps=1000), "inner_steps must be"),
        (lambda: gk.schemes.proximal(0.1, exact="yes"), "exact must be"),
        (lambda: gk.schemes.make("lookahead", 0.1, base="lookahead"), "base must be"),
        (lambda: gk.schemes.lead(0.1, coupling=float("nan")), "coupling must be"),
    ],
)
def test_bad_options_are_named(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_a_half_step_of_lead_is_a_move_the_next_coupling_sees():
    scheme = gk.schemes.lead(0.3, coupling=1.0)
    x, y = jnp.array([1.0]), jnp.array([0.5])
    state = scheme.init(B, x, y)
    x1, y1, state, _ = scheme.player_step(B, x, y, state, 1)  # Step D: y moves
    assert float(y1[0]) != 0.5
    np.testing.assert_allclose(np.concatenate(state.memory), [1.0, 0.5])  # the point before
