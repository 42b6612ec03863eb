"""OptimizerRace: built once, driven from Python, drawn from the core, never recompiling."""

from __future__ import annotations

import keras  # noqa: E402
import numpy as np
import pytest

import gankit as gk  # selects the JAX backend before keras loads
from gankit.widgets import race as race_module


@pytest.fixture(scope="module")
def race():
    return gk.widgets.OptimizerRace("quadratic", max_steps=300)


def _xy(line):
    return np.stack([np.asarray(line.x), np.asarray(line.y)], axis=1)


def test_panel_layout_legend_and_colours(race, axes_placed):
    assert race.widget._dom_classes == ("gankit-panel", "gankit-race")
    assert race.errors.widget in race.widget.children
    labels = [line.labels[0] for line in race.paths.values()]
    assert labels == list(gk.widgets.OPTIMIZERS)
    assert not any(line.display_legend for line in race.paths.values())  # not on the data
    assert all(f">{name}<" in race.legend.value for name in labels)  # beside the plot
    colours = [line.colors[0] for line in race.paths.values()]
    assert len(set(colours)) == len(colours)
    assert axes_placed(race.widget) >= 1
    # the heatmap shows the surface, the minimum is marked
    assert np.asarray(race.heatmap.color).shape == (race.grid, race.grid)
    assert [list(race.minimum_mark.x), list(race.minimum_mark.y)] == [[0.0], [0.0]]


def test_paths_are_the_core_simulation(race):
    race.controls["steps"].value = 120
    opt = keras.optimizers.Adam(0.1)
    expected = gk.simulate(
        race.surface, opt, steps=120, start=race.start, learning_rate=race.controls["lr.Adam"].value,
        beta_1=race.controls["beta_1"].value, beta_2=race.controls["beta_2"].value,
    )  # fmt: skip
    np.testing.assert_allclose(_xy(race.paths["Adam"]), expected, atol=1e-5)


def test_learning_rate_slider_follows_the_stability_bound(race):
    # f = (x^2 + 10 y^2) / 2: plain gradient descent is stable iff lr < 2 / 10.
    race.controls["steps"].value = 200
    race.controls["lr.SGD"].value = 0.15
    stable = _xy(race.paths["SGD"]).copy()
    assert race.readout["SGD"]["distance"] < 1e-3
    assert race.readout["SGD"]["steps to tolerance"] is not None
    assert race.readout["SGD"]["status"] == "in view"
    race.controls["lr.SGD"].value = 0.25
    unstable = _xy(race.paths["SGD"])
    assert not np.array_equal(stable, unstable)
    status = race.readout["SGD"]["status"]
    assert status.startswith(("left the view", "diverged")), status
    # cut where it left the plot: nothing drawn outside the fixed view
    assert np.abs(unstable).max() <= 2.0 + 1e-9
    assert len(unstable) < 201
    labels = list(race.cut_labels.text)
    assert any(t.startswith("SGD: left the view at") for t in labels), labels
    race.controls["lr.SGD"].value = 0.15
    assert not any(t.startswith("SGD") for t in race.cut_labels.text)


def test_momentum_and_betas_change_their_paths(race):
    before = {n: _xy(race.paths[n]).copy() for n in ("Momentum", "Nesterov", "Adam", "RMSprop")}
    race.controls["momentum"].value = 0.5
    race.controls["beta_1"].value = 0.5
    race.controls["rho"].value = 0.5
    for name, path in before.items():
        assert not np.array_equal(path, _xy(race.paths[name])), name
    sgd = _xy(race.paths["SGD"]).copy()
    race.controls["beta_2"].value = 0.9
    np.testing.assert_array_equal(sgd, _xy(race.paths["SGD"]))  # only Adam reads beta_2


def test_dragging_sliders_never_recompiles(race):
    c = race.controls
    race.controls["lr.Adam"].value = 0.05  # first draw of every program already happened
    before = gk.compile_count("simulate")
    for value in (0.01, 0.02, 0.3):
        for name in gk.widgets.OPTIMIZERS:
            c[f"lr.{name}"].value = value
    for value in (0.1, 0.6, 0.95):
        c["momentum"].value = value
        c["beta_1"].value = value
        c["beta_2"].value = value
        c["rho"].value = value
    c["steps"].value = 50
    c["frame"].value = 10
    race.set_start((1.0, 1.0))
    assert gk.compile_count("simulate") == before
    assert race.errors.text == ""


def test_steps_frame_and_play_choose_what_is_drawn():
    r = gk.widgets.OptimizerRace("quadratic", ["SGD"], max_steps=100)
    full = r.trajectories["SGD"]
    r.controls["steps"].value = 40
    assert len(r.paths["SGD"].x) == 41
    assert (r.controls["frame"].max, r.controls["play"].max) == (40, 40)
    r.controls["frame"].value = 5
    np.testing.assert_allclose(_xy(r.paths["SGD"]), full[:6], atol=1e-6)
    np.testing.assert_allclose([r.heads.x[0], r.heads.y[0]], full[5], atol=1e-6)
    r.controls["play"].value = 12
    assert r.controls["frame"].value == 12 and len(r.paths["SGD"].x) == 13
    assert r.trajectories["SGD"] is full  # scrubbing reruns nothing


def test_click_on_the_plot_moves_the_start():
    r = gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"])
    # bqplot's click-to-add appends the clicked point to the start mark (x, then y)
    r.start_mark.x = [*r.start_mark.x, 0.5]
    r.start_mark.y = [*r.start_mark.y, -1.5]
    assert r.start == (0.5, -1.5)
    assert [list(r.start_mark.x), list(r.start_mark.y)] == [[0.5], [-1.5]]
    for name in ("SGD", "Adam"):
        assert r.paths[name].x[0] == 0.5 and r.paths[name].y[0] == -1.5
    # dragging the marker (one point, moved) does the same
    r.start_mark.x, r.start_mark.y = [1.0], [1.0]
    np.testing.assert_allclose(r.trajectories["SGD"][0], [1.0, 1.0])
    with pytest.raises(ValueError, match="start"):
        r.set_start((5.0, 0.0))


def test_subgradient_schedule_on_abs():
    r = gk.widgets.OptimizerRace("abs", ["Subgradient"], max_steps=400)
    r.controls["steps"].value = 400
    r.controls["lr.Subgradient"].value = 0.3
    r.controls["schedule"].value = "constant"
    constant = r.readout["Subgradient"]["distance"]
    r.controls["schedule"].value = "inv_sqrt"
    shrinking = r.readout["Subgradient"]["distance"]
    # a constant step ends in a cycle about the kink; 1/sqrt(k) steps close in on it
    assert constant > 0.05 and shrinking < constant / 3


def test_nesterov_entry_is_keras_nesterov_with_traced_momentum():
    game = gk.surfaces.Quadratic()
    ours = gk.simulate(game, gk.optimizers.Nesterov(0.05, momentum=0.7), steps=60, start=(1.0, 1.0))
    keras_sgd = keras.optimizers.SGD(0.05, momentum=0.7, nesterov=True)
    theirs = gk.simulate(game, keras_sgd, steps=60, start=(1.0, 1.0))
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_surface_dropdown_and_user_function():
    f = gk.surfaces.from_function(lambda x, y: (x - 1) ** 2 + 3 * (y + 0.5) ** 2, minimum=(1, -0.5))
    r = gk.widgets.OptimizerRace(f, ["SGD", "Adam"], start=(-1.0, 1.0))
    assert r.controls["surface"].value == "custom"
    assert [list(r.minimum_mark.x), list(r.minimum_mark.y)] == [[1.0], [-0.5]]
    r.controls["steps"].value = 200
    assert r.readout["SGD"]["distance"] < 1e-2
    r.controls["surface"].value = "rosenbrock"
    assert r.surface.minimum.tolist() == [1.0, 1.0]
    assert (r.figure.axes[1].scale.min, r.figure.axes[1].scale.max) == (-1.0, 3.0)
    assert r.paths["SGD"].x[0] == pytest.approx(-1.2)
    assert r.controls["lr.SGD"].value == pytest.approx(1e-3, rel=0.05)
    r.controls["surface"].value = "custom"
    assert r.surface is f
    assert r.errors.text == ""


def test_saddle_escapes_and_is_labelled():
    r = gk.widgets.OptimizerRace("saddle", ["SGD"], max_steps=300)
    r.controls["steps"].value = 300
    assert r.readout["SGD"]["distance"] is None  # no minimum: unbounded below
    assert r.readout["SGD"]["status"].startswith("left the view")
    assert np.abs(_xy(r.paths["SGD"])).max() <= 2.0 + 1e-9


def test_callback_errors_land_in_the_panel(monkeypatch):
    r = gk.widgets.OptimizerRace("quadratic", ["SGD"])

    def broken(*args, **kwargs):
        raise RuntimeError("simulation broke")

    monkeypatch.setattr(race_module.gk, "simulate", broken)
    r.controls["lr.SGD"].value = 0.1  # must not raise into the widget machinery
    assert isinstance(r.errors.last_error, RuntimeError)
    assert "simulation broke" in r.errors.text
    monkeypatch.undo()
    r.controls["lr.SGD"].value = 0.12
    assert r.errors.text == ""


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"surface": "sphere"}, "surface"),
        ({"optimizers": ["SGD", "Lion"]}, "optimizers"),
        ({"optimizers": []}, "optimizers"),
        ({"optimizers": ["SGD", "SGD"]}, "optimizers"),
        ({"start": (9.0, 0.0)}, "start"),
        ({"start": (1.0,)}, "start"),
        ({"view": (1, 0, 0, 1)}, "view"),
        ({"max_steps": 0}, "max_steps"),
        ({"tolerance": -1}, "tolerance"),
        ({"grid": 1}, "grid"),
    ],
)
def test_bad_arguments_raise(kwargs, word):
    with pytest.raises(ValueError, match=word):
        gk.widgets.OptimizerRace(**{"surface": "quadratic", "optimizers": ["SGD"], **kwargs})
