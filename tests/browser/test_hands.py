"""A real mouse on the plots: a click lands where each panel says to click.

The heatmaps of the optimizer race and the toy 2-D lab, and the game panel's field of
arrows, cover their plots; a click must still reach the panel (the race and the game
panel move their start there, the toy lab adds a drawn point, with every view shown, the
minimax surface moves its point).
"""

from __future__ import annotations

import time

import pytest

from .labdriver import JS_DRAWN, ROOT, click_plot, run_notebook, wait_kernel_idle, write_notebook

NOTEBOOKS = "tests/browser/artifacts/_notebooks"

RACE = """\
import gankit as gk
race = gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"])
race"""

TOY = """\
import gankit as gk
lab = gk.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2)
lab"""


def _clicked(pg, lab, artifacts, name: str, cells: list[str]) -> dict:
    write_notebook(ROOT / NOTEBOOKS / f"{name}.ipynb", cells)
    report = run_notebook(pg, lab, f"{NOTEBOOKS}/{name}.ipynb", artifacts / f"_{name}")
    assert not report.errors, report.errors
    panel = pg.locator("[data-gankit-test='0']")
    wait_kernel_idle(pg)
    before = panel.evaluate(JS_DRAWN)
    result = click_plot(pg, panel)
    assert result is not None
    wait_kernel_idle(pg)
    result["after"] = panel.evaluate(JS_DRAWN)
    result["before"] = before
    return result


def test_a_click_on_the_race_heatmap_moves_the_start(lab, page, artifacts) -> None:
    pg, watch = page
    result = _clicked(pg, lab, artifacts, "race_click", [RACE])
    # Nothing moves in the browser by itself: a change is the kernel re-running the race
    # from the clicked point (new paths, the start dot moved).
    assert result["changed"], result
    assert result["after"]["paths"] != result["before"]["paths"]
    assert not watch.errors + watch.offsite


GAME = """\
import gankit as gk
game = gk.widgets.GameTrajectories("bilinear", schemes=["simultaneous", "extragradient"], steps=80)
game"""

SURFACE = """\
import gankit as gk
surface = gk.widgets.MinimaxSurface("bilinear", point=(1.0, 0.5))
surface"""


def test_a_click_on_a_field_arrow_of_the_game_plot_moves_the_start(lab, page, artifacts) -> None:
    """The game panel's field arrows cover its plane; a click on one still moves the start."""
    pg, watch = page
    write_notebook(ROOT / NOTEBOOKS / "game_click.ipynb", [GAME])
    report = run_notebook(pg, lab, f"{NOTEBOOKS}/game_click.ipynb", artifacts / "_game_click")
    assert not report.errors, report.errors
    panel = pg.locator("[data-gankit-test='0']")
    wait_kernel_idle(pg)
    arrows = panel.locator("svg .dot")  # the field's arrows: the figure's first scatter
    box = arrows.nth(arrows.count() // 3).bounding_box()
    before = panel.evaluate(JS_DRAWN)
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    time.sleep(0.3)  # the click's message on its way to the kernel
    wait_kernel_idle(pg)
    after = panel.evaluate(JS_DRAWN)
    assert after["paths"] != before["paths"], "the click on an arrow did not move the start"
    assert not watch.errors + watch.offsite


@pytest.mark.parametrize(
    "name, cell",
    [("toy_click", TOY), ("surface_click", SURFACE)],
    ids=["the toy lab adds a point, every view shown", "the minimax surface moves its point"],
)
def test_a_click_on_the_plot_changes_what_it_draws(name, cell, lab, page, artifacts) -> None:
    pg, watch = page
    result = _clicked(pg, lab, artifacts, name, [cell])
    assert result["changed"], result
    assert not watch.errors + watch.offsite
