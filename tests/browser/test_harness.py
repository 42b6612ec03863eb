"""The browser harness itself: it passes a working panel and catches broken notebooks.

These run on notebooks the harness writes into tests/browser/artifacts/ (git-ignored), so
the suite proves it can pass and fail before, and independently of, the lessons.
"""

from __future__ import annotations

import textwrap
import time

from .labdriver import DEMO_PANEL, DEMO_TOY2D, JS_DRAWN, ROOT, run_notebook, write_notebook

NOTEBOOKS = "tests/browser/artifacts/_notebooks"


def _run(pg, lab, artifacts, name: str, cells: list[str]):
    path = write_notebook(ROOT / NOTEBOOKS / f"{name}.ipynb", cells)
    assert path.is_relative_to(ROOT)
    return run_notebook(pg, lab, f"{NOTEBOOKS}/{name}.ipynb", artifacts / f"_{name}")


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


def _in_a_function(cell: str) -> str:
    """The cell's code as the body of a function whose result it displays."""
    *body, last = cell.rstrip().splitlines()
    inner = textwrap.indent("\n".join([*body, f"return {last}"]), "    ")
    return f"def _panel():\n{inner}\n\n\n_panel()"


def test_broken_notebook_is_caught_and_a_working_panel_passes(lab, page, artifacts) -> None:
    """One notebook, a working panel and three faults: each fault must be reported, the
    working panel must pass, and the cells before the faults ran."""
    pg, watch = page
    cells = [
        # A slider that changes nothing drawn.
        DEMO_PANEL.replace('lr.observe(redraw, names="value")', "").replace(
            "gankit-demo", "gankit-dead"
        ),
        # A callback that fails: its traceback shows in the panel's Output widget.
        DEMO_PANEL.replace("x, y = paths(change", "x, y = paths(1 / 0 + change"),
        # A working panel, in a function of its own: its callback keeps its own names.
        _in_a_function(DEMO_PANEL.replace("gankit-demo", "gankit-working")),
        "print('fine so far')",
        "raise ValueError('learning_rate must be positive')",
    ]
    report = _run(pg, lab, artifacts, "broken", cells)
    assert report.cells_run == 5
    working = next(p for p in report.panels if p["name"] == "gankit-working")
    assert working["how"] == "slider 'learning rate'" and working["changed"] == "paths"
    assert working["seconds"] < 2.0
    assert not any(e.startswith("gankit-working") for e in report.errors), report.errors
    expected = [
        "gankit-dead: slider 'learning rate' did not change what the panel draws",
        # The failing callback draws nothing new either, and says why in the panel.
        "gankit-demo: slider 'learning rate' did not change what the panel draws",
        "gankit-demo: callback error: ",
        "cell 4: ValueError: learning_rate must be positive",
    ]
    for text in expected:
        assert any(e.startswith(text) for e in report.errors), (text, report.errors)
    assert len(report.errors) == len(expected), report.errors


def test_console_errors_are_collected(lab, page) -> None:
    pg, watch = page
    pg.goto(f"{lab.base}/lab?token={lab.token}")
    pg.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    assert not watch.errors
    pg.evaluate("() => console.error('gankit-probe')")
    pg.evaluate("() => setTimeout(() => { throw new Error('gankit-uncaught'); })")
    pg.wait_for_timeout(200)
    assert any("gankit-probe" in e for e in watch.errors), watch.errors
    assert any("gankit-uncaught" in e for e in watch.errors), watch.errors
