"""Toy2DLab driven from Python: controls in, marks out, no browser."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import datetime

import gankit as gk
import numpy as np
import pytest
from gankit.widgets import toy2d


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
    assert lab.curves["losses"].widget.layout.display == "none"
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


def _column(lab, name):
    return lab._history[:, toy2d.COLUMNS.index(name)]


def test_quality_and_exact_w1_are_recorded_drawn_and_returned():
    lab = gk.Toy2DLab(units=8, steps_per_frame=2, batch_size=32)  # nsgan: no critic W1
    for _ in range(3):
        lab.step()
    h = lab._history
    assert h.shape == (3, len(toy2d.COLUMNS))
    names = ["precision", "recall", "density", "coverage", "W1"]
    q = np.stack([_column(lab, n) for n in names])
    assert np.all(np.isfinite(q))
    assert np.all((q[[0, 1, 3]] >= 0) & (q[[0, 1, 3]] <= 1)) and np.all(q[2] >= 0)
    assert np.all(q[4] > 0)  # an untrained generator is far from ring8
    assert np.all(np.isnan(_column(lab, "critic W1")))
    # the curves carry the recorded numbers (density clipped at 1.5 for display)
    lines = lab.marks["quality"]
    np.testing.assert_allclose(lines.x, h[:, 0])
    np.testing.assert_allclose(lines.y, np.minimum(q[:4], 1.5), rtol=1e-6)
    w1 = lab.marks["w1"]
    np.testing.assert_allclose(w1.y[0], q[4], rtol=1e-6)
    # no critic: an unseen line (an all-NaN row breaks the browser's SVG paths)
    assert list(w1.opacities) == [1.0, 0.0] and np.all(np.isfinite(w1.y))
    assert "wgan only" in w1.labels[1]
    assert "P/R" in lab.status.value and "W1" in lab.status.value
    assert "critic" not in lab.status.value
    # quality() takes the same samples: no step since, so the latest row's numbers
    now = lab.quality()
    assert now["critic_w1"] is None
    np.testing.assert_allclose(
        [now[k] for k in ("precision", "recall", "density", "coverage", "w1")],
        q[:, -1],
        rtol=1e-5,
    )


def test_the_critic_estimate_is_recorded_for_the_wgan_loss_only():
    lab = gk.Toy2DLab(loss="wgan", reg="WGAN-GP", units=8, steps_per_frame=2, batch_size=32)
    lab.step()
    lab.step()
    critic = _column(lab, "critic W1")
    assert np.all(np.isfinite(critic)) and len(critic) == 2
    # E D(real) - E D(fake) on the very batches the exact W1 is taken on
    real = lab.points[: toy2d.QUALITY_SAMPLES]
    fake = lab.gan.sample(1000, seed=lab.seed)[: toy2d.QUALITY_SAMPLES]
    by_hand = lab.gan.discriminate(real).mean() - lab.gan.discriminate(fake).mean()
    assert critic[-1] == pytest.approx(by_hand, rel=1e-4, abs=1e-6)
    assert lab.quality()["critic_w1"] == pytest.approx(critic[-1], rel=1e-4, abs=1e-6)
    w1 = lab.marks["w1"]
    np.testing.assert_allclose(w1.y[1], critic, rtol=1e-6)
    assert w1.labels[1] == "critic E D(real) - E D(fake)" and "critic" in lab.status.value
    lab.controls["reg"].value = "none"  # no Lipschitz penalty: the legend says it is not W1
    assert "not W1" in w1.labels[1]
    lab.controls["loss"].value = "nsgan"  # the run goes on: the critic curve stops
    lab.step()
    critic = _column(lab, "critic W1")
    assert np.all(np.isfinite(critic[:2])) and np.isnan(critic[2])
    assert lab.quality()["critic_w1"] is None and "wgan only" in w1.labels[1]


def test_quality_and_w1_views_toggle(lab):
    assert set(toy2d.VIEWS) >= {"samples", "heatmap", "field", "manifold", "losses", "metrics"}
    for view, mark in (("quality", "quality"), ("W1", "w1")):
        lab.controls["show"][view].value = False
        assert lab.curves[view].widget.layout.display == "none"
        drawn = len(lab.marks[mark].x)
        lab.controls["step"].click()
        lab.controls["step"].click()  # two: more rows than a fresh lab's one placeholder
        assert len(lab.marks[mark].x) == drawn  # hidden: not redrawn
        lab.controls["show"][view].value = True
        assert lab.curves[view].widget.layout.display is None
        assert len(lab.marks[mark].x) == len(lab._history) > drawn


def test_every_scheme_is_offered_and_the_new_ones_train(lab):
    assert tuple(lab.controls["scheme"].options) == gk.schemes.SCHEMES
    for name in ("lookahead", "lead"):
        lab.controls["scheme"].value = name
        lab.step()
        assert lab.gan.scheme.kind == name and lab.gan.halted_at is None
        assert np.all(np.isfinite(lab._history[-1, 1:3]))
        if name == "lead":  # a scheme of several evaluations says so where it runs
            assert "lead: 2 gradient evaluations a step" in lab.status.value
    lab.controls["scheme"].value = "simultaneous"


def test_loss_curves_are_drawn_raw_and_smoothed(lab):
    for _ in range(3):
        lab.step()
    raw, smooth = lab.loss_fig.marks
    h = lab._history
    np.testing.assert_allclose(raw.y, h[:, 1:3].T, rtol=1e-6)
    assert ">D loss<" in lab.curves["losses"].legend.value  # one legend, beside
    lab.controls["smoothing"].value = 0.0  # no smoothing: the two coincide
    np.testing.assert_allclose(smooth.y, raw.y, rtol=1e-6)
    lab.controls["smoothing"].value = 0.9
    expected = gk.widgets._common.ema(h[:, 1:3].T, 0.9)
    np.testing.assert_allclose(smooth.y, expected, rtol=1e-6)
    assert np.ptp(smooth.y[0]) <= np.ptp(raw.y[0])  # an average swings less than its data


def _upload(name: str, content: bytes) -> tuple:
    """What the browser's file chooser puts in a FileUpload's value."""
    return (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc),
        },
    )


def test_an_uploaded_csv_becomes_the_drawn_data_set():
    lab = gk.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2)
    lab.controls["upload"].value = _upload("smile.csv", b"x,y\n-1,1\n1,1\n0,-1\n0.5,-0.8\n")
    assert lab.controls["dataset"].value == "drawn" and lab.errors.message == ""
    np.testing.assert_allclose(lab.drawn, [[-1, 1], [1, 1], [0, -1], [0.5, -0.8]])
    assert list(lab.marks["drawn"].x) == [-1.0, 1.0, 0.0, 0.5]
    assert lab.controls["upload"].value == ()  # ready for the next file
    assert "upload" not in lab.get_state() and lab.get_state()["drawn"] == lab.drawn.tolist()

    before = lab.drawn.copy()
    lab.controls["upload"].value = _upload("notes.csv", b"hello,world\nnot,numbers\n")
    assert lab.errors.message.startswith("notes.csv: data: cannot read the file as CSV")
    np.testing.assert_array_equal(lab.drawn, before)  # a bad file changes nothing
