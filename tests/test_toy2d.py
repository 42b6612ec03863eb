"""Toy2DLab driven from Python: controls in, marks out, no browser."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import gankit as gk
import numpy as np
import pytest


@pytest.fixture(scope="module")
def lab():
    return gk.Toy2DLab(units=16, steps_per_frame=5, batch_size=64)


def test_panel_is_a_box_with_its_css_classes(lab):
    assert "gankit-panel" in lab.widget._dom_classes
    assert "gankit-toy2d" in lab.widget._dom_classes


def test_every_figure_has_its_y_axis_at_the_side(lab, axes_placed):
    assert axes_placed(lab.widget) >= 3


def test_a_frame_trains_and_moves_the_fake_samples(lab):
    before = np.array(lab.marks["fake"].x)
    step0 = lab.gan.step
    lab.controls["step"].click()
    assert lab.gan.step == step0 + 5
    assert not np.allclose(before, np.array(lab.marks["fake"].x))
    assert lab.marks["heatmap"].color.shape == (32, 32)
    assert np.all((lab.marks["heatmap"].color >= 0) & (lab.marks["heatmap"].color <= 1))
    assert np.array(lab.marks["field"].x).shape == (225, 2)
    assert np.array(lab.marks["manifold"].x).shape == (42, 21)
    assert len(lab.marks["losses"].x) >= 1 and "step" in lab.status.value
    assert lab.errors.text == ""


def test_play_ticks_train(lab):
    step0 = lab.gan.step
    lab.controls["play"].value += 1
    lab.controls["play"].value += 1
    assert lab.gan.step == step0 + 10


def test_slow_motion_and_single_player_steps(lab):
    lab.controls["slow"].value = True
    step0 = lab.gan.step
    lab.controls["step"].click()
    assert lab.gan.step == step0 + 1
    lab.controls["slow"].value = False
    g0 = [np.array(v.value) for v in lab.gan.generator.trainable_variables]
    lab.controls["step_d"].click()
    assert all(
        np.array_equal(a, np.array(v.value))
        for a, v in zip(g0, lab.gan.generator.trainable_variables, strict=True)
    )
    d0 = [np.array(v.value) for v in lab.gan.discriminator.trainable_variables]
    lab.controls["step_g"].click()
    assert all(
        np.array_equal(a, np.array(v.value))
        for a, v in zip(d0, lab.gan.discriminator.trainable_variables, strict=True)
    )


def test_numbers_apply_at_once_and_loss_change_keeps_the_run(lab):
    lab.controls["d_lr"].value = 2e-3
    assert lab.gan.hyper["d_learning_rate"] == pytest.approx(2e-3)
    step0 = lab.gan.step
    weights = [np.array(v.value) for v in lab.gan.generator.trainable_variables]
    lab.controls["loss"].value = "hinge"
    assert lab.gan.loss == "hinge" and lab.gan.step == step0
    assert all(
        np.array_equal(a, np.array(v.value))
        for a, v in zip(weights, lab.gan.generator.trainable_variables, strict=True)
    )
    lab.controls["reg"].value = "R1"
    assert "R1_gamma" in lab.gan.hyper
    lab.controls["reg_value"].value = 3.0
    assert lab.gan.hyper["R1_gamma"] == pytest.approx(3.0)
    lab.controls["step"].click()
    assert lab.gan.step == step0 + 5 and lab.errors.text == ""


def test_views_toggle(lab):
    lab.controls["show"]["heatmap"].value = False
    assert lab.marks["heatmap"].visible is False
    lab.controls["show"]["heatmap"].value = True
    assert lab.marks["heatmap"].visible is True
    lab.controls["show"]["losses"].value = False
    assert lab.loss_fig.layout.display == "none"
    lab.controls["show"]["losses"].value = True


def test_architecture_change_resets(lab):
    lab.controls["noise_dim"].value = 1
    assert lab.gan.step == 0 and lab.gan.noise_dim == 1
    lab.controls["step"].click()
    assert np.array(lab.marks["manifold"].x).size == 21  # one curve: noise space is a line


def test_many_runs_small_multiples_and_share(lab):
    summary = lab.run_many(3, 20)
    assert len(lab.many_box.children) == 3
    assert summary["samples"].shape == (3, 1000, 2)
    assert len(summary["modes"]) == 3 and 0.0 <= summary["share_all_modes"] <= 1.0
    assert "runs cover all 8 modes" in lab.many_label.value


def test_drawn_points_become_the_data(lab):
    lab.draw_points([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])
    assert lab.controls["dataset"].value == "drawn"
    assert lab.points.shape == (2048, 2)
    lab.controls["step"].click()
    assert lab.errors.text == ""
    with pytest.raises(ValueError, match="shape"):
        lab.draw_points([1.0, 2.0])


def test_non_finite_run_stops_and_says_so():
    lab = gk.Toy2DLab(
        units=8, steps_per_frame=5, batch_size=32, g_optimizer="SGD", d_optimizer="SGD"
    )
    lab.controls["d_lr"].value = 1.0
    lab.gan.set_numbers(**{"d_learning_rate": 1e36, "g_learning_rate": 1e36})
    lab.controls["play"].playing = True
    lab.controls["step"].click()
    lab.controls["step"].click()
    assert lab.gan.halted_at is not None
    assert lab.controls["play"].playing is False
    assert "non-finite" in lab.status.value
    assert all(np.all(np.isfinite(np.array(v.value))) for v in lab.gan.generator.variables)


def test_bad_arguments():
    with pytest.raises(ValueError, match="dataset must be one of"):
        gk.Toy2DLab("ring9")
    with pytest.raises(ValueError, match="loss must be one of"):
        gk.Toy2DLab(loss="vanilla")
    with pytest.raises(ValueError, match="reg must be one of"):
        gk.Toy2DLab(reg="dropout")


def test_callback_errors_land_in_the_panel():
    lab = gk.Toy2DLab(units=8, steps_per_frame=2, batch_size=32)
    lab.drawn = np.zeros((0, 2), np.float32)
    lab.controls["dataset"].value = "drawn"  # no points drawn: shown, not raised
    assert "needs points" in lab.errors.text


def test_queued_play_ticks_are_skipped_so_pause_stops_at_once():
    # While playing, ticks that queued up behind a slow frame arrive back to back: they
    # are skipped (the queue drains); a tick an interval later trains again.
    import time

    lab = gk.Toy2DLab(units=8, steps_per_frame=5, batch_size=32)
    play = lab.controls["play"]
    play.interval = 100
    play.playing = True
    step0 = lab.gan.step
    for _ in range(4):  # one frame, then three queued ticks
        play.value += 1
    assert lab.gan.step == step0 + 5
    time.sleep(0.1)
    play.value += 1
    assert lab.gan.step == step0 + 10
    play.playing = False
    play.value += 1  # stepping by hand (not playing) always trains
    play.value += 1
    assert lab.gan.step == step0 + 20
