"""The helpers every panel shares: container classes, error box, views, clipping."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest

import gankit as gk
from gankit.widgets import _common


def test_panel_carries_css_classes_and_children():
    label = ipywidgets.Label("x")
    box = _common.panel("stability-map", label)
    assert box._dom_classes == ("gankit-panel", "gankit-stability-map")
    assert box.children[:-1] == (label,)  # then the panels' shared style, unseen
    assert box.children[-1].value == _common.STYLE and box.children[-1].layout.display == "none"


@pytest.mark.parametrize("name", ["", "Race", "race panel", 3])
def test_panel_rejects_bad_names(name):
    with pytest.raises(ValueError, match="name"):
        _common.panel(name)


def test_error_box_shows_then_clears():
    box = _common.ErrorBox()
    calls = []

    @box.guard
    def callback(change=None):
        if change == "boom":
            raise RuntimeError("it broke")
        calls.append(change)
        return "ok"

    assert callback("boom") is None
    assert isinstance(box.last_error, RuntimeError)
    assert "it broke" in box.text and "Traceback" in box.text
    # one sentence, the traceback folded under "details" (not a stderr dump)
    assert box.widget.outputs[0]["output_type"] == "display_data"
    assert box.message == "it broke"
    assert callback("fine") == "ok"
    assert box.text == "" and box.last_error is None and calls == ["fine"]
    assert "gankit-errors" in box.widget._dom_classes


def test_palette_is_distinct_and_wraps():
    assert len(set(_common.PALETTE)) == len(_common.PALETTE)
    assert _common.colour(len(_common.PALETTE) + 2) == _common.colour(2)


@pytest.mark.parametrize("view", [(0, 0, 0, 1), (0, 1), (0, 1, 2, 1), ("a", 1, 0, 1), None])
def test_view_rejects_bad_windows(view):
    with pytest.raises(ValueError, match="view"):
        _common.View.make(view)


def test_scales_are_pinned():
    sx, sy = _common.scales((-3, 3, -1, 2))
    assert (sx.min, sx.max, sy.min, sy.max) == (-3.0, 3.0, -1.0, 2.0)
    assert sx.allow_padding is False and sy.allow_padding is False


def test_clip_keeps_a_path_inside_the_view():
    pts = np.array([[0.0, 0.0], [0.5, 0.5], [-0.5, 0.2]])
    cut = _common.clip_path(pts, (-1, 1, -1, 1))
    assert cut.cut_at == -1 and cut.reason == ""
    np.testing.assert_allclose(np.stack([cut.x, cut.y], 1), pts)


def test_clip_ends_on_the_border_where_the_path_leaves():
    pts = np.array([[0.0, 0.0], [0.5, 0.5], [1.5, 1.0], [0.0, 0.0]])
    cut = _common.clip_path(pts, (-1, 1, -1, 1))
    assert (cut.cut_at, cut.reason) == (2, "left the view")
    # the segment (0.5, 0.5) -> (1.5, 1.0) meets x = 1 at y = 0.75
    np.testing.assert_allclose([cut.x[-1], cut.y[-1]], [1.0, 0.75])
    assert len(cut.x) == 3  # the path does not come back after leaving


def test_clip_at_a_corner_uses_the_first_border_crossed():
    pts = np.array([[0.0, 0.0], [4.0, 2.0]])
    cut = _common.clip_path(pts, (-1, 1, -1, 1))
    np.testing.assert_allclose([cut.x[-1], cut.y[-1]], [1.0, 0.5])


def test_clip_cuts_a_diverged_simulation_and_never_draws_huge_numbers():
    game = gk.games.Bilinear()
    traj = gk.simulate(game, gk.schemes.simultaneous(1.5), steps=200, start=(0.5, 0.5), bound=1e3)
    assert traj.diverged_at > 0
    cut = _common.clip_path(traj, (-2, 2, -2, 2), int(traj.diverged_at))
    assert cut.reason == "left the view"  # it leaves the plot long before the bound
    assert 0 < cut.cut_at < traj.diverged_at
    assert np.abs(np.stack([cut.x, cut.y])).max() <= 2.0
    inside = _common.clip_path(traj, (-1e4, 1e4, -1e4, 1e4), int(traj.diverged_at))
    assert (inside.cut_at, inside.reason) == (int(traj.diverged_at), "diverged")
    assert len(inside.x) == traj.diverged_at


def test_clip_of_a_start_outside_is_empty_and_nan_rows_are_cut():
    cut = _common.clip_path([[5.0, 5.0], [0.0, 0.0]], (-1, 1, -1, 1))
    assert (len(cut.x), cut.cut_at) == (0, 0)
    cut = _common.clip_path([[0.0, 0.0], [np.nan, 0.0], [0.1, 0.1]], (-1, 1, -1, 1))
    assert (len(cut.x), cut.cut_at) == (1, 1)


def test_clip_rejects_bad_shapes():
    with pytest.raises(ValueError, match="points"):
        _common.clip_path(np.zeros((3, 3)), (-1, 1, -1, 1))


def test_value_grid_matches_the_surface():
    surface = gk.surfaces.Rosenbrock()
    xs, ys, values = gk.analysis.value_grid(surface, (-2, 2, -1, 3), n=9)
    assert values.shape == (9, 9)
    i, j = 4, 7
    assert values[i, j] == pytest.approx(float(surface(xs[j], ys[i])), rel=1e-5)
    with pytest.raises(ValueError, match="game"):
        gk.analysis.value_grid(gk.games.Bilinear([[1.0, 0.0], [0.0, 1.0]]), (-1, 1, -1, 1))


def test_html_table_escapes():
    table = _common.html_table(["name", "value"], [["<b>", 1.5]])
    assert "&lt;b&gt;" in table and "<td>1.5</td>" in table


@pytest.mark.parametrize("bounds", [(1, -1, 0, 1), (0, 1, float("nan"), 1), (0, 1, 2), "abcd"])
def test_value_grid_refuses_bad_bounds_by_name(bounds):
    with pytest.raises(ValueError, match="bounds must be four finite numbers"):
        gk.analysis.value_grid(gk.surfaces.Quadratic(), bounds)


def test_plots_keep_their_size_whatever_the_table_beside_them_holds():
    import gankit as gk

    race = gk.widgets.OptimizerRace("saddle", ["SGD", "Adam"], max_steps=20)
    game = gk.widgets.GameTrajectories(schemes=["simultaneous"], max_steps=20)
    stability = gk.widgets.StabilityMap(resolution=4)
    for panel in (race, game, stability):
        layout = panel.figure.layout
        assert layout.flex == "0 0 auto" and layout.min_width == layout.width, panel
    side = race.widget.children[0].children[1]
    assert side.layout.width == side.layout.min_width and side.layout.overflow == "auto"


def test_a_curve_never_measured_is_drawn_unseen_not_as_nan():
    from gankit.widgets._common import curve_figure, set_curves

    curves = curve_figure("w", ["a", "b"], ["#0072B2", "#D55E00"], smoothed=True)
    fig, lines = curves.figure, curves.lines
    nan = float("nan")
    set_curves(lines, [0, 1, 2], [[1.0, 2.0, nan], [nan, nan, nan]], raw=fig.marks[0])
    assert np.all(np.isfinite(lines.y[1])) and list(lines.opacities) == [1.0, 0.0]
    assert list(fig.marks[0].opacities) == [0.3, 0.0]
    assert np.isnan(lines.y[0][2])  # a gap inside a measured curve stays a gap
    set_curves(lines, [0, 1, 2], [[1.0, 2.0, 3.0], [nan, 4.0, 5.0]], raw=fig.marks[0])
    assert list(lines.opacities) == [1.0, 1.0]
