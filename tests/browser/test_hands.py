"""A real mouse on the plots: a click lands where the panel says to click.

The heatmaps of the optimizer race and the toy 2-D lab cover their plots; a click must
still reach the panel (the race moves its start there, the toy lab adds a drawn point),
with every view of the toy lab shown.
"""

from __future__ import annotations

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


def test_a_click_on_the_toy_lab_adds_a_point_with_every_view_shown(lab, page, artifacts) -> None:
    pg, watch = page
    result = _clicked(pg, lab, artifacts, "toy_click", [TOY])
    assert result["changed"], result
    assert not watch.errors + watch.offsite
