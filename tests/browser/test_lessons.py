"""Every lesson, in a real browser: run all cells, no errors, every panel drawn and alive.

For each ``lessons/*.ipynb``: open it in JupyterLab (Debian Chromium, Playwright), run all
cells and wait for them; then assert no error output, every gankit panel drew its SVG, one
real interaction per panel (keyboard-step its first slider, press Play on the toy 2-D lab,
or click the plot) changed what it draws within 2 s, no panel shows a callback error, and
the browser console logged no error. Screenshots land in tests/browser/artifacts/<lesson>/;
on failure the page's HTML is saved beside them.
"""

from __future__ import annotations

import json

import pytest

from .labdriver import ROOT, run_notebook

LESSONS = sorted(p.name for p in (ROOT / "lessons").glob("*.ipynb"))
STORED = {name: (ROOT / "lessons" / name).read_bytes() for name in LESSONS}


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_in_browser(lesson: str, lab, page, artifacts) -> None:
    pg, watch = page
    shots = artifacts / lesson.removesuffix(".ipynb")
    try:
        report = run_notebook(pg, lab, f"lessons/{lesson}", shots)
        (shots / "report.json").write_text(json.dumps(report.__dict__, indent=1))
        console = [f"{watch.errors.count(e)}x {e}" for e in dict.fromkeys(watch.errors)]
        offsite = [f"off-machine request: {u}" for u in dict.fromkeys(watch.offsite)]
        problems = report.errors + console + offsite
        assert report.cells_run, f"{lesson}: no cell ran"
        assert not problems, f"{lesson}:\n" + "\n".join(problems)
    except BaseException:
        shots.mkdir(parents=True, exist_ok=True)
        (shots / "failure.html").write_text(pg.content())
        pg.screenshot(path=str(shots / "failure.png"))
        raise


def test_running_lessons_leaves_them_unchanged(lab) -> None:
    """Autosave is off: the browser runs above did not rewrite any stored lesson."""
    changed = [n for n, data in STORED.items() if (ROOT / "lessons" / n).read_bytes() != data]
    assert not changed, f"lessons rewritten by the browser run: {changed}"
