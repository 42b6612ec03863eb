"""Every lesson, in a real browser: run all cells, no errors, every panel drawn and alive.

For each ``lessons/*.ipynb`` that displays widgets (the others are prints and asserts,
which nbval checks in full): open it in JupyterLab (Debian Chromium, Playwright), run all
cells and wait for them; then assert no error output, every output nbval would compare
equal to the stored one (``nbcompare``: this run is the lesson's nbval run too), every
gankit panel drew its SVG, one real interaction per panel (keyboard-step its first slider,
press Play on the toy 2-D lab, or click the plot) changed what it draws within 2 s, no
panel shows a callback error, the browser console logged no error, and the kernel stayed
under 1 GiB after Run All and after its panels were used. Screenshots land in
tests/browser/artifacts/<lesson>/; on failure the page's HTML is saved beside them.
"""

from __future__ import annotations

import json
import time

import pytest

from .labdriver import ROOT, open_notebook, run_notebook
from .nbcompare import differences

ALL_LESSONS = sorted(p.name for p in (ROOT / "lessons").glob("*.ipynb"))
STORED = {name: (ROOT / "lessons" / name).read_bytes() for name in ALL_LESSONS}
WIDGET = "application/vnd.jupyter.widget-view+json"
MEMORY_MIB = 1024  # Binder and many JupyterHubs give a kernel 1-2 GB


def _is_picture(output: dict) -> bool:
    """A stored picture standing in for a live widget (scripts/store_pictures.py)."""
    return bool(output.get("metadata", {}).get("gankit", {}).get("picture"))


def _pictures(name: str) -> int:
    cells = json.loads(STORED[name])["cells"]
    return sum(_is_picture(o) for c in cells for o in c.get("outputs", []))


def _shows_widgets(name: str) -> bool:
    """Whether a lesson displays widgets (panels, figures): what only a browser can check.
    A lesson of text, prints and asserts alone is checked in full by nbval. The stored
    lesson holds a picture of each widget, or (not yet pictured) the widget view."""
    cells = json.loads(STORED[name])["cells"]
    return any(
        WIDGET in o.get("data", {}) or _is_picture(o) for c in cells for o in c.get("outputs", [])
    )


LESSONS = [name for name in ALL_LESSONS if _shows_widgets(name)]


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_in_browser(lesson: str, lab, page, artifacts) -> None:
    pg, watch = page
    shots = artifacts / lesson.removesuffix(".ipynb")
    try:
        report = run_notebook(pg, lab, f"lessons/{lesson}", shots)
        (shots / "report.json").write_text(json.dumps(report.summary(), indent=1))
        console = [f"{watch.errors.count(e)}x {e}" for e in dict.fromkeys(watch.errors)]
        offsite = [f"off-machine request: {u}" for u in dict.fromkeys(watch.offsite)]
        stored = differences(ROOT / "lessons" / lesson, report.outputs)
        memory = [
            f"kernel memory {when}: {mib:.0f} MiB, over the {MEMORY_MIB} MiB a Binder gives"
            for when, mib in report.memory_mib.items()
            if mib is not None and mib > MEMORY_MIB
        ]
        problems = report.errors + stored + console + offsite + memory
        assert report.cells_run, f"{lesson}: no cell ran"
        assert not problems, f"{lesson}:\n" + "\n".join(problems)
    except BaseException:
        shots.mkdir(parents=True, exist_ok=True)
        (shots / "failure.html").write_text(pg.content())
        pg.screenshot(path=str(shots / "failure.png"))
        raise


JS_OPENED = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const node = panel.content.node;
  return {
    pictures: node.querySelectorAll('.jp-OutputArea-output img').length,
    loaded: [...node.querySelectorAll('.jp-OutputArea-output img')]
      .filter(img => img.complete && img.naturalWidth > 0).length,
    dead: [...node.querySelectorAll('.jp-OutputArea-output')]
      .filter(el => /Error displaying widget|model not found|Loading widget/i.test(el.textContent))
      .map(el => el.textContent.slice(0, 200)),
  };
}
"""


JS_OPEN = """
async (path) => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await widget.context.ready;
  return true;
}
"""


def test_stored_lessons_open_showing_pictures_without_errors(lab, page) -> None:
    """A student opening a lesson before running it sees a picture of every panel and
    figure, and the browser logs no error (no "widget model not found"). All lessons open
    in one JupyterLab page, one after another, as a student's tabs."""
    pg, watch = page
    problems = []
    open_notebook(pg, lab, f"lessons/{ALL_LESSONS[0]}", "opened")
    for name in ALL_LESSONS:
        pg.evaluate(JS_OPEN, f"lessons/{name}")
        want, seen = _pictures(name), {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            seen = pg.evaluate(JS_OPENED)
            if seen["loaded"] >= want and seen["pictures"] >= want:
                break
            time.sleep(0.2)
        if seen["loaded"] < want:
            problems.append(f"{name}: {seen['loaded']} of {want} pictures shown")
        problems += [f"{name}: {text!r}" for text in seen["dead"]]
    problems += [f"console: {e}" for e in dict.fromkeys(watch.errors)]
    assert not problems, "\n".join(problems)


def test_every_lesson_shows_what_it_teaches_in_figures_or_panels() -> None:
    """Every lesson draws (so every one runs here, in the browser); none is left to
    prints and asserts alone."""
    assert sorted(set(ALL_LESSONS) - set(LESSONS)) == []


def test_running_lessons_leaves_them_unchanged(lab) -> None:
    """Autosave is off: the browser runs above did not rewrite any stored lesson."""
    changed = [n for n, data in STORED.items() if (ROOT / "lessons" / n).read_bytes() != data]
    assert not changed, f"lessons rewritten by the browser run: {changed}"
