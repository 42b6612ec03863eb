"""The browser harness itself: it passes a working panel and catches broken notebooks.

These run on notebooks the harness writes into tests/browser/artifacts/ (git-ignored), so
the suite proves it can pass and fail before, and independently of, the lessons.
"""

from __future__ import annotations

import time

import pytest
from labdriver import DEMO_PANEL, DEMO_TOY2D, JS_DRAWN, ROOT, run_notebook, write_notebook

NOTEBOOKS = "tests/browser/artifacts/_notebooks"


def _run(pg, lab, artifacts, name: str, cells: list[str]):
    path = write_notebook(ROOT / NOTEBOOKS / f"{name}.ipynb", cells)
    assert path.is_relative_to(ROOT)
    return run_notebook(pg, lab, f"{NOTEBOOKS}/{name}.ipynb", artifacts / f"_{name}")


def test_working_panel_passes(lab, page, artifacts) -> None:
    pg, watch = page
    report = _run(pg, lab, artifacts, "demo", [DEMO_PANEL])
    assert not report.errors + watch.errors + watch.offsite
    assert report.cells_run == 1
    (panel,) = report.panels
    assert panel["name"] == "gankit-demo" and panel["how"] == "slider"
    assert panel["changed"] == "paths" and panel["seconds"] < 2.0


def test_toy2d_panel_is_played(lab, page, artifacts) -> None:
    pg, watch = page
    report = _run(pg, lab, artifacts, "toy2d", [DEMO_TOY2D])
    assert not report.errors + watch.errors + watch.offsite
    (panel,) = report.panels
    assert panel["how"] == "play" and panel["changed"] == "moves"
    # Play was pressed again to stop: the samples stay where they are.
    locator = pg.locator("[data-gankit-test='0']")
    before = locator.evaluate(JS_DRAWN)
    time.sleep(0.5)
    assert locator.evaluate(JS_DRAWN) == before


@pytest.mark.parametrize(
    "cells, expected",
    [
        (["raise ValueError('learning_rate must be positive')"], "ValueError"),
        # A slider that changes nothing drawn is caught.
        (
            [DEMO_PANEL.replace('lr.observe(redraw, names="value")', "")],
            "did not change what the panel draws",
        ),
        # A callback that fails shows its traceback in the panel's Output widget.
        (
            [DEMO_PANEL.replace("x, y = paths(change", "x, y = paths(1 / 0 + change")],
            "callback error",
        ),
        (["print('a')", "import console_js; console_js"], "ModuleNotFoundError"),
    ],
    ids=["error-cell", "dead-slider", "callback-error", "later-error"],
)
def test_broken_notebooks_are_caught(lab, page, artifacts, cells, expected) -> None:
    pg, watch = page
    name = "broken-" + str(abs(hash(expected)) % 10_000)
    report = _run(pg, lab, artifacts, name, cells)
    assert any(expected in e for e in report.errors), report.errors


def test_console_errors_are_collected(lab, page, artifacts) -> None:
    pg, watch = page
    cell = "from IPython.display import Javascript\nJavascript(\"console.error('gankit-probe')\")"
    _run(pg, lab, artifacts, "console", [cell])
    # Javascript output runs only in a trusted notebook; fall back to the page itself.
    pg.evaluate("() => console.error('gankit-probe')")
    assert any("gankit-probe" in e for e in watch.errors), watch.errors
