"""Store a picture of every panel and figure in the lessons, for a lesson not yet run.

A lesson stored with live widget views shows nothing useful before it runs: JupyterLab
reports "model not found" for each (the models lived in the kernel that made them),
GitHub and nbviewer print the widget's text form. This runs each lesson in JupyterLab
in Chromium (as the browser tests do), takes a screenshot of every widget output once
Run All has drawn it, and writes it into the stored lesson in place of the widget view:
the output keeps its ``text/plain`` (which nbval compares) and gains the ``image/png``
(which nbval does not), marked ``metadata.gankit.picture``. The notebook's saved widget
state goes too: nothing refers to it any more. A student who runs the cell gets the live
panel in place of its picture.

Run from the repository root after a lesson's outputs change (needs Debian's Chromium,
``apt-get install -y chromium``, and the test extra)::

    python scripts/store_pictures.py                       # every lesson with widgets
    python scripts/store_pictures.py lessons/05_game_dynamics.ipynb

Lessons run in fast mode (``GANKIT_FAST=1``, what CI checks), unless ``--full``.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import labdriver as lab_driver  # noqa: E402

WIDGET = "application/vnd.jupyter.widget-view+json"
#: The output metadata that marks a stored picture of a live widget.
PICTURE = "picture"
ABOUT = "a picture of the live widget this cell shows when it runs"

# Tag every widget output of the notebook with its cell index and its rank among the
# cell's widget outputs; return the tags. Cells are the notebook model's, in order.
JS_TAG_OUTPUTS = """
(widget) => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const tags = [];
  notebook.widgets.forEach((cell, i) => {
    if (!cell.outputArea) return;
    let k = 0;
    cell.outputArea.widgets.forEach((child, j) => {
      const out = child.node.querySelector('.jp-OutputArea-output');
      const data = cell.outputArea.model.get(j).data;
      if (!out || !(widget in data)) return;
      const tag = i + ':' + k;
      out.setAttribute('data-gankit-shot', tag);
      tags.push(tag);
      k += 1;
    });
  });
  return tags;
}
"""

# Drawn: every SVG in the output has a size and at least one mark (a path or an image).
JS_OUTPUT_DRAWN = """
(el) => {
  const svgs = [...el.querySelectorAll('svg')];
  if (!svgs.length) return !!el.querySelector('.jupyter-widgets');
  return svgs.every(s => s.getBoundingClientRect().width > 0) &&
         !!el.querySelector('svg path[d], svg image, img');
}
"""


def is_picture(output: dict) -> bool:
    """Whether a stored output is a picture standing in for a live widget."""
    return bool(output.get("metadata", {}).get("gankit", {}).get(PICTURE))


def shows_widget(output: dict) -> bool:
    """Whether a stored output is (or stands in for) a live widget."""
    return WIDGET in output.get("data", {}) or is_picture(output)


def shoot(lab: lab_driver.Lab, page, relpath: str) -> dict[tuple[int, int], bytes]:
    """Run ``relpath`` in the page; a PNG of each widget output by (cell, rank in cell)."""
    lab_driver.open_notebook(page, lab, relpath, "s" + secrets.token_hex(4))
    page.set_default_timeout(600_000)
    result = page.evaluate(lab_driver.JS_RUN_ALL)
    page.set_default_timeout(30_000)
    errors = [o for c in result["cells"] for o in c["outputs"] if o["output_type"] == "error"]
    if errors:
        raise RuntimeError(f"{relpath}: a cell failed: {errors[0].get('evalue')}")
    tags = page.evaluate(JS_TAG_OUTPUTS, WIDGET)
    lab_driver.wait_kernel_idle(page)
    shots = {}
    for tag in tags:
        out = page.locator(f"[data-gankit-shot='{tag}']")
        out.scroll_into_view_if_needed()
        deadline = time.monotonic() + 60
        while not out.evaluate(JS_OUTPUT_DRAWN) and time.monotonic() < deadline:
            time.sleep(0.2)
        lab_driver.wait_kernel_idle(page)
        time.sleep(0.5)  # the last frame's marks settle (no animation: duration 0)
        cell, rank = (int(n) for n in tag.split(":"))
        shots[cell, rank] = out.screenshot()
    return shots


def store(lesson: Path, shots: dict[tuple[int, int], bytes]) -> int:
    """Write the pictures into ``lesson`` in place of its widget views; returns how many."""
    nb = nbformat.read(lesson, as_version=4)
    stored = 0
    for index, cell in enumerate(nb.cells):
        widgets = [o for o in cell.get("outputs", []) if shows_widget(o)]
        for rank, output in enumerate(widgets):
            if (index, rank) not in shots:
                raise RuntimeError(f"{lesson.name}: cell {index} showed no widget {rank} when run")
            text = output["data"].get("text/plain", "")
            output["data"] = {
                "image/png": base64.b64encode(shots[index, rank]).decode(),
                "text/plain": text,
            }
            output["metadata"] = {"gankit": {PICTURE: ABOUT}}
            stored += 1
    if stored != len(shots):
        raise RuntimeError(f"{lesson.name}: {len(shots)} widgets when run, {stored} stored")
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, lesson)
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lessons", nargs="*", type=Path, help="default: every lesson")
    parser.add_argument("--full", action="store_true", help="run the lessons in full mode")
    args = parser.parse_args()
    lessons = [p.resolve() for p in args.lessons] or sorted((ROOT / "lessons").glob("*.ipynb"))
    with_widgets = [
        p
        for p in lessons
        if any(shows_widget(o) for c in nbformat.read(p, 4).cells for o in c.get("outputs", []))
    ]
    env = dict(os.environ, GANKIT_FAST="" if args.full else "1")
    from playwright.sync_api import sync_playwright

    lab = lab_driver.start_lab(env=env)
    try:
        with sync_playwright() as p:
            browser = lab_driver.launch_browser(p)
            for lesson in with_widgets:
                t0 = time.perf_counter()
                # The width a student has; tall, so a panel's picture is never cut by
                # JupyterLab's menus and status bar.
                context = browser.new_context(viewport={"width": 1400, "height": 2400})
                page = context.new_page()
                shots = shoot(lab, page, str(lesson.relative_to(ROOT)))
                context.close()
                lab.shutdown_kernels()
                n = store(lesson, shots)
                size = sum(len(s) for s in shots.values()) / 1024
                took = time.perf_counter() - t0
                print(f"{lesson.name}: {n} pictures, {size:.0f} KiB, {took:.0f} s", flush=True)
            browser.close()
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
