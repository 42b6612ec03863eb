"""What a student's hands do, driven from Python: clicks, dead ends, errors, verdicts.

(The browser suite clicks the same plots with a real mouse: tests/browser/test_hands.py.)
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

from html import escape

import numpy as np
import pytest

import gankit as gk
from gankit.widgets import _common


def click(mark, x: float, y: float) -> None:
    """What bqplot's Image mark sends when the plot is clicked at data point (x, y)."""
    mark._handle_custom_msgs(None, {"event": "element_click", "data": {"click_x": x, "click_y": y}})


def test_race_click_lands_above_the_heatmap_and_moves_the_start():
    race = gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"])
    marks = race.figure.marks
    # The heatmap covers the plot: a click layer under it never hears a click.
    assert marks.index(race.heatmap) < marks.index(race.clicks) < marks.index(race.start_mark)
    click(race.clicks, 0.5, -1.5)
    assert race.start == (0.5, -1.5) and race.errors.text == ""
    for name in ("SGD", "Adam"):
        assert (race.paths[name].x[0], race.paths[name].y[0]) == (0.5, -1.5)
    click(race.clicks, 9.0, 0.0)  # outside the view: refused in the panel, start kept
    assert race.start == (0.5, -1.5) and "start" in race.errors.message
    race.controls["surface"].value = "rosenbrock"  # a new view: the layer follows it
    assert list(race.clicks.x) == [race.view.x_min, race.view.x_max]


@pytest.fixture
def lab():
    return gk.widgets.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2)


def test_toy_lab_clicks_add_points_whatever_views_are_shown(lab):
    m, marks = lab.marks, lab.plane.marks
    for cover in ("heatmap", "manifold", "field", "fake_field", "real", "fake"):
        assert marks.index(m[cover]) < marks.index(m["clicks"]), cover
    assert marks.index(m["clicks"]) < marks.index(m["drawn"])
    click(m["clicks"], 1.0, 0.5)  # on ring8: the data become the drawn points
    assert lab.controls["dataset"].value == "drawn"
    click(m["clicks"], -1.0, 0.5)
    assert lab.drawn.tolist() == [[1.0, 0.5], [-1.0, 0.5]] and lab.errors.text == ""
    assert m["drawn"].visible
    lab.controls["dataset"].value = "moons"  # switching away hides the drawn points
    assert not m["drawn"].visible


def test_toy_lab_reset_clears_the_curves(lab):
    for _ in range(3):
        lab.step()
    assert len(lab.marks["losses"].x) == 3
    lab.controls["reset"].click()
    assert lab.gan.step == 0
    # no old curve is left: only the one placeholder point a fresh panel starts with
    assert len(lab.marks["losses"].x) == 1 and len(lab.marks["metrics"].x) == 1


def test_mnist_trainer_has_no_dead_end():
    g, d = gk.image_models.build_pair("mlp")
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
    trainer = gk.widgets.MNISTTrainer(
        gk.GAN(g, d), images, total_steps=4, chunk_steps=2, batch_size=16, metric_every=0
    )
    assert not trainer.start_button.disabled and trainer.resume_button.disabled
    trainer.train(wait=True)
    assert trainer.state == "finished" and trainer.step == 4
    assert trainer.start_button.description == "Train more"
    assert not trainer.start_button.disabled and trainer.pause_button.disabled
    trainer.start_button.click()  # a finished run trains as much again
    trainer.wait()
    assert trainer.step == 8 and trainer.errors.text == ""
    trainer.resume_button.click()  # nothing paused: Resume starts, no traceback
    trainer.wait()
    assert trainer.step == 12 and trainer.errors.text == ""


def test_errors_are_one_sentence_with_the_details_folded():
    box = _common.ErrorBox()
    box.guard(lambda: gk.reg.R1(-1.0))()
    assert box.message == "gamma must be a finite number >= 0, got -1.0"
    (out,) = box.widget.outputs
    html = out["data"]["text/html"]
    assert html.index(escape(box.message)) < html.index("<details")  # the sentence comes first
    assert "Traceback" in html.split("<details", 1)[1]  # the traceback is behind a click
    assert "site-packages" not in html.split("<details", 1)[0]


def test_a_verdict_never_contradicts_the_radius_beside_it():
    panel = gk.widgets.GameTrajectories(
        "dirac", loss="nsgan", schemes=["simultaneous", "alternating"], learning_rate=1.0
    )
    radius, verdict = panel.radii["simultaneous"], panel.verdicts["simultaneous"]
    assert radius > 1
    assert not verdict == "cycles" and not verdict.startswith("converges"), verdict
    # On x*y alternating steps conserve a quadratic form: radius 1, and they cycle.
    bilinear = gk.widgets.GameTrajectories("bilinear", schemes=["alternating"])
    assert abs(bilinear.radii["alternating"] - 1) < 1e-4
    assert bilinear.verdicts["alternating"] == "cycles"


def test_first_loss_and_regulariser_switch_recompiles_nothing():
    panel = gk.widgets.GameTrajectories("dirac", schemes=["simultaneous", "optimistic"])
    before = gk.compile_count()
    for loss in ("nsgan", "wgan", "hinge"):
        panel.loss.value = loss
        assert panel.verdicts and panel.game.loss == loss  # the numbers are the new loss's
    for reg in ("R1", "R2", "WGAN-GP", "instance noise", "none"):
        panel.reg.value = reg
    assert gk.compile_count() == before and panel.errors.text == ""
    # and the result is the plain Dirac-GAN's
    panel.reg.value, panel.reg_weight.value = "R1", 0.5
    expected = gk.simulate(
        gk.games.DiracGAN("hinge", reg=gk.reg.R1(0.5)),
        gk.schemes.simultaneous(panel.learning_rate.value),
        steps=panel.max_steps,
        start=panel.start,
    )
    np.testing.assert_allclose(panel.trajectories["simultaneous"], expected, atol=2e-6)
