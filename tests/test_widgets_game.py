"""GameTrajectories, MinimaxSurface and StabilityMap, driven from Python without a browser."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gankit as gk
from gankit.analysis import measured_growth, spectral_radii
from gankit.schemes import GRADIENT_PLAY
from gankit.schemes import PRESETS as SCHEME_NAMES
from gankit.schemes import preset as build_scheme
from gankit.widgets import GameTrajectories, MinimaxSurface, StabilityMap
from gankit.widgets.game import make_game


def compiles() -> int:
    return gk.compile_count("simulate") + gk.compile_count("radii")


def click(mark, x: float, y: float) -> None:
    """What bqplot's Image mark sends when the plot is clicked at data point (x, y)."""
    mark._handle_custom_msgs(None, {"event": "element_click", "data": {"click_x": x, "click_y": y}})


def end_distance(panel: GameTrajectories, name: str) -> float:
    line = panel.lines[name]
    return float(np.hypot(line.x[-1], line.y[-1]))


@pytest.fixture(scope="module")
def bilinear() -> GameTrajectories:
    return GameTrajectories("bilinear", learning_rate=0.2)


# -- the batched spectral radius against the core ----------------------------------


@pytest.mark.parametrize(
    "game", [gk.games.Bilinear(), gk.games.DiracGAN("gan", reg=gk.reg.R1(0.7))], ids=repr
)
@pytest.mark.parametrize("name", SCHEME_NAMES)
def test_spectral_radii_match_core_analysis(game, name):
    momentum = -0.4 if name == "negative_momentum" else None
    scheme = build_scheme(name, 0.3, momentum=momentum, gamma=0.5, lam=0.8)
    # The core's one-point analysis runs eagerly (slow on the Dirac-GAN): few points there.
    lrs = np.array([0.05, 0.3, 0.9]) if isinstance(game, gk.games.Bilinear) else np.array([0.4])
    batched = spectral_radii(game, scheme, learning_rate=lrs)
    one_by_one = [
        gk.analysis.spectral_radius(game, scheme, game.equilibrium, learning_rate=lr) for lr in lrs
    ]
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5)


def test_spectral_radii_closed_forms_on_bilinear():
    eta = np.linspace(0.05, 1.0, 9)
    game = gk.games.Bilinear()
    sim = spectral_radii(game, build_scheme("simultaneous"), learning_rate=eta)
    eg = spectral_radii(game, build_scheme("extragradient"), learning_rate=eta)
    alt = spectral_radii(game, build_scheme("alternating"), learning_rate=eta * 1.9)
    np.testing.assert_allclose(sim, np.sqrt(1 + eta**2), rtol=1e-5)
    np.testing.assert_allclose(eg, np.sqrt(1 - eta**2 + eta**4), rtol=1e-5)
    np.testing.assert_allclose(alt, 1.0, atol=1e-5)  # alternating: rotation, |eta| < 2


def test_spectral_radii_grid_is_one_call_and_does_not_recompile():
    game, scheme = gk.games.Bilinear(), build_scheme("simultaneous", momentum=0.0)
    lrs, ms = np.linspace(0.1, 0.9, 6)[None, :], np.linspace(-0.5, 0.5, 5)[:, None]
    before = gk.compile_count("radii")
    grid = spectral_radii(game, scheme, learning_rate=lrs, momentum=ms)
    assert grid.shape == (5, 6)
    assert gk.compile_count("radii") - before <= 1
    traced = gk.compile_count("radii")
    spectral_radii(game, scheme, learning_rate=lrs * 0.5, momentum=ms * 0.9)
    assert gk.compile_count("radii") == traced
    np.testing.assert_allclose(grid[2], np.sqrt(1 + lrs[0] ** 2), rtol=1e-5)  # momentum 0


def test_measured_growth_matches_the_radius_on_bilinear():
    eta = np.array([0.1, 0.4, 0.7])
    g = measured_growth(gk.games.Bilinear(), build_scheme("simultaneous"), 200, learning_rate=eta)
    np.testing.assert_allclose(g, np.sqrt(1 + eta**2), rtol=1e-4)


def test_build_scheme_and_spectral_radii_reject_bad_input():
    with pytest.raises(ValueError, match="scheme"):
        build_scheme("adam")
    with pytest.raises(ValueError, match="learning_rate"):
        build_scheme("simultaneous", -0.1)
    with pytest.raises(ValueError, match="momentum"):
        build_scheme("alternating", 0.1, momentum=1.5)
    with pytest.raises(ValueError, match="unknown number"):
        spectral_radii(gk.games.Bilinear(), build_scheme("simultaneous"), gamma=1.0)
    with pytest.raises(ValueError, match="point"):
        spectral_radii(gk.games.from_function(lambda x, y: x * y), build_scheme("simultaneous"))


# -- GameTrajectories ------------------------------------------------------------------


def test_game_panel_has_css_classes_and_all_marks(bilinear, axes_placed):
    assert bilinear.widget._dom_classes == ("gankit-panel", "gankit-game")
    assert set(bilinear.lines) == set(GRADIENT_PLAY)
    assert list(bilinear.equilibrium.x) == [0.0] and list(bilinear.equilibrium.y) == [0.0]
    assert len(bilinear.field.x) == 15 * 15 and bilinear.field.marker == "arrow"
    assert axes_placed(bilinear.widget) >= 1


def test_arrows_point_along_the_gradient_flow(bilinear):
    # Flow of x*y is (-y, x): at (1, 0) it points straight up (rotation 0 degrees),
    # at (0, 1) straight left (270 degrees, clockwise from up).
    panel = GameTrajectories("bilinear", view=(-1, 1, -1, 1), arrows=3, schemes=["simultaneous"])
    points = np.stack([panel.field.x, panel.field.y], axis=1)
    right = np.argmin(np.hypot(points[:, 0] - 0.5, points[:, 1]))
    top = np.argmin(np.hypot(points[:, 0], points[:, 1] - 0.5))
    assert panel.field.rotation[right] == pytest.approx(0.0, abs=1e-4)
    assert panel.field.rotation[top] == pytest.approx(270.0, abs=1e-4)


def test_simultaneous_diverges_and_the_fixes_converge_on_bilinear(bilinear):
    v = bilinear.verdicts
    assert v["simultaneous"].startswith("diverges")
    assert v["alternating"] == "cycles"
    for name in ("extragradient", "optimistic", "negative_momentum", "consensus", "sga"):
        assert v[name] == "converges", (name, v[name])
    assert "diverges" in bilinear.readout.value
    assert end_distance(bilinear, "extragradient") < end_distance(bilinear, "simultaneous")
    assert bilinear.radii["simultaneous"] == pytest.approx(math.sqrt(1 + 0.2**2), rel=1e-5)
    assert bilinear.radii["extragradient"] == pytest.approx(
        math.sqrt(1 - 0.2**2 + 0.2**4), rel=1e-5
    )


def test_a_diverged_run_is_cut_at_the_border_and_labelled():
    panel = GameTrajectories("bilinear", learning_rate=0.9, schemes=["simultaneous", "optimistic"])
    line = panel.lines["simultaneous"]
    assert np.all(np.abs(line.x) <= 2.0 + 1e-9) and np.all(np.abs(line.y) <= 2.0 + 1e-9)
    assert max(np.abs(line.x[-1]), np.abs(line.y[-1])) == pytest.approx(2.0)
    step = int(panel.verdicts["simultaneous"].split("step ")[1].rstrip(")"))
    assert len(line.x) == step + 1  # the rows inside the view, then the exit point
    assert f"\u2715 {step}" in list(panel.ends.text)
    assert len(panel.ends.text) == sum(v.startswith("diverges") for v in panel.verdicts.values())
    assert (panel._sx.min, panel._sx.max, panel._sy.min, panel._sy.max) == (-2, 2, -2, 2)


def test_blown_up_run_is_reported_at_its_step():
    game = gk.games.from_function(lambda x, y: x * y + 2.0 * x**4 - 2.0 * y**4, equilibrium=(0, 0))
    panel = GameTrajectories(game, learning_rate=1.0, start=(1.9, -1.9), schemes=["simultaneous"])
    traj = panel.trajectories["simultaneous"]
    assert int(traj.diverged_at) > 0
    assert panel.verdicts["simultaneous"].startswith("diverges (")
    assert np.all(np.isfinite(panel.lines["simultaneous"].x))


def test_sliders_move_the_marks_as_the_math_says_without_recompiling():
    panel = GameTrajectories("bilinear", learning_rate=0.1)
    before = compiles()
    old = {n: np.array(line.x) for n, line in panel.lines.items()}

    panel.learning_rate.value = 0.3
    for name, line in panel.lines.items():
        assert not np.array_equal(line.x, old[name]), name
    assert panel.radii["simultaneous"] == pytest.approx(math.sqrt(1.09), rel=1e-5)

    # The momentum slider drives negative momentum only: momentum 0 is plain alternating.
    untouched = np.array(panel.lines["extragradient"].x)
    panel.momentum.value = 0.0
    assert panel.verdicts["negative_momentum"] == "cycles"
    panel.momentum.value = -0.5
    assert panel.verdicts["negative_momentum"] == "converges"
    np.testing.assert_array_equal(panel.lines["extragradient"].x, untouched)

    r = panel.radii["consensus"]
    panel.gamma.value = 2.0
    assert panel.radii["consensus"] != r
    panel.lam.value = 0.0  # SGA without adjustment is simultaneous
    assert panel.radii["sga"] == pytest.approx(panel.radii["simultaneous"], rel=1e-6)

    panel.steps.value = 40
    assert len(panel.lines["extragradient"].x) == 41
    assert "after 40 steps" in panel.readout.value
    assert compiles() == before
    assert not panel.errors.text


def test_dirac_gan_losses_and_regulariser_weight():
    panel = GameTrajectories("dirac", learning_rate=0.3, schemes=["simultaneous", "extragradient"])
    panel.loss.value = "wgan"
    assert panel.verdicts["simultaneous"].startswith("diverges")  # rotation only
    panel.reg.value = "R1"
    assert repr(panel.game) == "DiracGAN(loss='wgan', reg=R1(gamma=1.0))"
    assert panel.verdicts["simultaneous"] == "converges"
    before = compiles()
    panel.reg_weight.value = 0.5  # a number of the game: no recompile
    assert repr(panel.game) == "DiracGAN(loss='wgan', reg=R1(gamma=0.5))"
    assert compiles() == before
    assert not panel.loss.disabled
    panel.game_name.value = "bilinear"
    assert panel.loss.disabled and repr(panel.game) == "Bilinear(A=[[1.0]])"


def test_click_and_drag_move_the_start():
    panel = GameTrajectories(schemes=["extragradient"])
    click(panel.clicks, -1.25, 0.75)
    assert panel.start == (-1.25, 0.75)
    line = panel.lines["extragradient"]
    assert (line.x[0], line.y[0]) == pytest.approx((-1.25, 0.75))
    with panel.start_mark.hold_trait_notifications():
        panel.start_mark.x, panel.start_mark.y = [0.5], [-0.5]
    assert panel.start == (0.5, -0.5)
    assert (line.x[0], line.y[0]) == pytest.approx((0.5, -0.5))


def test_user_game_without_equilibrium():
    game = gk.games.from_function(lambda x, y: (x - 0.5) * (y + 0.25))
    panel = GameTrajectories(game, schemes=["extragradient", "simultaneous"], learning_rate=0.3)
    assert panel.game_name.value == "custom"
    assert list(panel.equilibrium.x) == []
    assert math.isnan(panel.radii["extragradient"]) and "n/a" in panel.readout.value
    assert panel.verdicts["extragradient"] == "converges"
    assert (panel.lines["extragradient"].x[-1], panel.lines["extragradient"].y[-1]) == (
        pytest.approx(0.5, abs=1e-3),
        pytest.approx(-0.25, abs=1e-3),
    )


def test_callback_errors_land_in_the_output_widget():
    panel = GameTrajectories(schemes=["simultaneous"])
    panel.start = (math.nan, 0.0)
    assert "start must be two finite numbers" in panel.errors.text
    assert isinstance(panel.errors.last_error, ValueError)
    panel.start = (0.5, 0.5)
    assert panel.errors.text == ""


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"game": "rosenbrock"}, "game"),
        ({"game": gk.games.Bilinear(np.eye(2))}, "game"),
        ({"schemes": ["simultaneous", "adam"]}, "schemes"),
        ({"schemes": []}, "schemes"),
        ({"schemes": ["sga", "sga"]}, "schemes"),
        ({"view": (1, -1, 0, 1)}, "view"),
        ({"start": (1.0,)}, "start"),
        ({"steps": 600}, "steps"),
        ({"max_steps": 0}, "max_steps"),
        ({"learning_rate": 5.0}, "learning_rate"),
        ({"loss": "lsgan"}, "loss"),
        ({"arrows": 1}, "arrows"),
    ],
)
def test_game_panel_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GameTrajectories(**kwargs)


def test_make_game():
    assert repr(make_game("dirac", "hinge", "instance noise", 0.5)) == (
        "DiracGAN(loss='hinge', reg=InstanceNoise(sigma=0.5))"
    )
    with pytest.raises(ValueError, match="reg"):
        make_game("dirac", "gan", "dropout")


# -- MinimaxSurface ---------------------------------------------------------------------


def test_surface_heatmap_saddle_and_slices(axes_placed):
    s = MinimaxSurface("bilinear", point=(0.5, -1.0), resolution=21)
    assert s.widget._dom_classes == ("gankit-panel", "gankit-surface")
    assert axes_placed(s.widget) == 3
    xs = np.linspace(-2, 2, 21)
    np.testing.assert_allclose(s.heat.color, np.outer(xs, xs), atol=1e-6)  # rows are y
    assert (list(s.saddle.x), list(s.saddle.y)) == ([0.0], [0.0])
    np.testing.assert_allclose(s.row.y, xs * -1.0, atol=1e-6)  # f(x, y0 = -1)
    np.testing.assert_allclose(s.col.y, 0.5 * xs, atol=1e-6)  # f(x0 = 0.5, y)
    assert list(s.cross_row.y) == [-1.0, -1.0] and list(s.cross_col.x) == [0.5, 0.5]
    # x minimises its row (best x = 2 when y0 = -1); y maximises its column (best y = 2)
    assert "<td>2.00</td><td>2.00</td>" in s.readout.value


def test_surface_links_to_the_game_panel_both_ways():
    panel = GameTrajectories(schemes=["extragradient"])
    s = MinimaxSurface(resolution=11).link(panel)
    panel.start = (1.5, 0.25)
    assert s.point == (1.5, 0.25)
    assert s.row.y[-1] == pytest.approx(2.0 * 0.25)
    click(s.clicks, -0.5, 1.0)
    assert panel.start == (-0.5, 1.0)
    assert panel.lines["extragradient"].x[0] == pytest.approx(-0.5)
    panel.game_name.value = "dirac"
    assert s.game is panel.game
    expected = np.asarray(panel.game.value(*panel.game.split(np.array([-0.5, 1.0]))))
    assert s.row_point.y[0] == pytest.approx(float(expected), abs=1e-5)
    with pytest.raises(ValueError, match="panel"):
        s.link(object())


def test_surface_rejects_bad_arguments():
    with pytest.raises(ValueError, match="point"):
        MinimaxSurface(point=(0.0, math.inf))
    with pytest.raises(ValueError, match="resolution"):
        MinimaxSurface(resolution=1)
    with pytest.raises(ValueError, match="game"):
        MinimaxSurface(gk.surfaces.Rosenbrock())  # one player: the race panel's job


# -- StabilityMap -------------------------------------------------------------------------


def test_stability_map_values_and_marker(axes_placed):
    m = StabilityMap("bilinear", "simultaneous", resolution=9)
    assert m.widget._dom_classes == ("gankit-panel", "gankit-stability")
    assert axes_placed(m.widget) == 1
    lrs = np.linspace(0.01, 1.0, 9)
    row = np.argmin(np.abs(np.linspace(-0.9, 0.9, 9)))  # momentum 0
    np.testing.assert_allclose(m.values[row], np.sqrt(1 + lrs**2), rtol=1e-5)
    np.testing.assert_allclose(m.heat.color, np.clip(m.values, 0.5, 1.5))
    before = compiles()
    m.learning_rate.value = 0.5
    m.second.value = -0.3
    assert (list(m.marker.x), list(m.marker.y)) == ([0.5], [-0.3])
    expected = spectral_radii(
        gk.games.Bilinear(),
        build_scheme("simultaneous", momentum=0.0),
        learning_rate=0.5,
        momentum=-0.3,
    )
    assert m.current == pytest.approx(float(expected))
    assert compiles() == before
    assert "0.500" in m.readout.value


def test_stability_map_switches_scheme_axis_and_metric():
    m = StabilityMap("bilinear", "consensus", resolution=6)
    assert m.axis.value == "gamma" and m.second.description == "gamma"
    assert m.values.min() < 1  # consensus converges somewhere
    m.axis.value = "momentum"
    assert m.second.description == "momentum"
    m.scheme.value = "sga"
    assert m.axis.value == "lam" and m.second.description == "lam"
    m.scheme.value = "simultaneous"
    assert m.axis.value == "momentum" and m.axis.options == ("momentum",)
    m.metric.value = "growth"
    lrs = np.linspace(0.01, 1.0, 6)
    row = int(np.argmin(np.abs(m.heat.y)))
    momentum = float(m.heat.y[row])
    growth = measured_growth(
        gk.games.Bilinear(),
        build_scheme("simultaneous", momentum=0.0),
        200,
        learning_rate=lrs,
        momentum=momentum,
    )
    np.testing.assert_allclose(m.values[row], growth, rtol=1e-6)
    assert not m.errors.text


def test_stability_map_links_to_the_game_panel():
    panel = GameTrajectories(schemes=["negative_momentum"])
    m = StabilityMap("bilinear", "negative_momentum", resolution=5).link(panel)
    panel.learning_rate.value = 0.4
    panel.momentum.value = -0.25
    assert (m.learning_rate.value, m.second.value) == (0.4, -0.25)
    assert m.current == pytest.approx(panel.radii["negative_momentum"], rel=1e-5)
    m.scheme.value = "consensus"  # the second slider now follows the panel's gamma
    panel.gamma.value = 1.5
    panel.momentum.value = -0.75
    assert m.second.value == 1.5
    panel.game_name.value = "dirac"  # last: the Dirac-GAN's programs compile once
    assert m.game is panel.game


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"scheme": "adam"}, "scheme"),
        ({"scheme": "simultaneous", "axis": "gamma"}, "axis"),
        ({"metric": "loss"}, "metric"),
        ({"learning_rates": (0.5, 0.1)}, "learning_rates"),
        ({"learning_rates": (0.0, 0.1)}, "learning_rates"),
        ({"resolution": 1}, "resolution"),
        ({"game": "rosenbrock"}, "game"),
        ({"game": gk.games.from_function(lambda x, y: x * y)}, "game"),
    ],
)
def test_stability_map_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        StabilityMap(**kwargs)


# -- the schemes beyond gradient play in the panels ------------------------------------

BEYOND = ["extragradient", "proximal", "competitive", "lookahead", "lead"]


def lookahead_rate(eta: float, k: int, alpha: float) -> float:
    return abs(1 - alpha + alpha * (1 + 1j * eta) ** k) ** (1 / k)


def lead_rate(eta: float, c: float) -> float:
    return float(np.abs(np.roots([1, -(1 + 1j * eta * (1 + c)), 1j * eta * c])).max())


def test_the_game_panel_draws_the_schemes_beyond_gradient_play():
    panel = GameTrajectories("bilinear", schemes=BEYOND, learning_rate=0.5, max_steps=200)
    assert all(v == "converges" for v in panel.verdicts.values()), panel.verdicts
    prox = 1 / math.sqrt(1 + 0.5**2)
    assert panel.radii["proximal"] == pytest.approx(prox, rel=1e-5)
    assert panel.radii["competitive"] == pytest.approx(prox, rel=1e-5)
    assert panel.radii["lookahead"] == pytest.approx(lookahead_rate(0.5, 5, 0.5), rel=1e-5)
    assert panel.radii["lead"] == pytest.approx(lead_rate(0.5, 1.0), rel=1e-5)
    # each scheme's own numbers get a slider, shown because a drawn scheme has them
    for name in ("inner_steps", "k", "alpha", "coupling"):
        assert panel.controls[name].layout.display != "none", name
    # the cost of a step is in the readout: ten inner steps, then four
    assert "<td>proximal</td>" in panel.readout.value and "<td>10</td>" in panel.readout.value
    before = gk.compile_count()
    panel.k.value, panel.alpha.value = 3, 0.8
    panel.inner_steps.value = 4
    panel.coupling.value = 0.5
    assert gk.compile_count() == before  # traced numbers: no slider recompiles
    assert panel.radii["lookahead"] == pytest.approx(lookahead_rate(0.5, 3, 0.8), rel=1e-5)
    assert panel.radii["lead"] == pytest.approx(lead_rate(0.5, 0.5), rel=1e-5)
    assert "<td>4</td>" in panel.readout.value and "<td>10</td>" not in panel.readout.value


def test_sliders_of_schemes_not_drawn_are_hidden(bilinear):
    for name in ("inner_steps", "k", "alpha", "coupling"):
        assert bilinear.controls[name].layout.display == "none", name
    for name in ("momentum", "gamma", "lam"):
        assert bilinear.controls[name].layout.display != "none", name
    with pytest.raises(ValueError, match="k must be a whole number"):
        GameTrajectories(schemes=["lookahead"], k=2.5)
    with pytest.raises(ValueError, match=r"alpha must be in \[0.05, 1.0\]"):
        GameTrajectories(schemes=["lookahead"], alpha=0.0)
    assert (
        GameTrajectories(schemes=["proximal"], inner_steps=10.0, max_steps=20).inner_steps.value
        == 10
    )


@pytest.mark.parametrize(
    "scheme, axis", [("proximal", "inner_steps"), ("lookahead", "alpha"), ("lead", "coupling")]
)
def test_the_stability_map_sweeps_the_new_schemes_numbers(scheme, axis):
    m = StabilityMap("bilinear", scheme, resolution=6)
    assert m.axis.value == axis and np.all(np.isfinite(m.values))
    panel = GameTrajectories(schemes=[scheme], learning_rate=0.5)
    m.link(panel)
    slider = panel.controls[axis]
    slider.value = slider.max if axis != "alpha" else 0.3
    assert m.second.value == slider.value
    assert m.current == pytest.approx(panel.radii[scheme], rel=1e-5)
