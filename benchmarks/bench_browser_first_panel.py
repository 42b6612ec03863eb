"""In the browser: from a panel's cell starting to the panel drawn, in a fresh kernel.

Lessons 02 and 05 open with a panel a cell after their imports. For each, this starts
JupyterLab on 127.0.0.1 and Debian's Chromium (as the browser tests do), with a fresh
compilation cache folder; runs the two cells once (which fills the cache), then
``--repeat`` times: restarts the kernel, runs the import cell, and times the panel's
cell inside the page, from the moment it is sent to the kernel to the first mark of the
panel's plot in the page (a ``path`` with data or an ``image``, axes left out). That is
what a student sees from the second time a lesson is opened (Binder's build warms the
cache, so there it is the first time too). Prints each lesson's median and the machine.
Needs /usr/bin/chromium (``apt-get install -y chromium``).

    python benchmarks/bench_browser_first_panel.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import labdriver as lab_driver  # noqa: E402

IMPORTS = "import numpy as np\n\nimport gankit as gk\n"
CASES = {
    "lesson 02: optimizer race": 'race = gk.widgets.OptimizerRace("quadratic", ["SGD"])\nrace',
    "lesson 05: minimax surface": (
        'surface = gk.widgets.MinimaxSurface("bilinear", point=(1.0, 0.5))\nsurface'
    ),
}

# Run cell ``index``; resolve with the milliseconds from sending it to the first mark drawn.
JS_TIME_CELL = """
async (index) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  const host = notebook.widgets[index].node;
  let t0 = null, t1 = null;
  const drawn = () => [...host.querySelectorAll('.gankit-panel svg path, .gankit-panel svg image')]
    .some(n => !n.closest('.axis') && (n.tagName === 'image' || n.getAttribute('d')));
  const seen = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (t0 !== null && t1 === null && drawn()) {
        t1 = performance.now(); observer.disconnect(); resolve();
      }
    });
    observer.observe(host, {childList: true, subtree: true, attributes: true});
  });
  notebook.activeCellIndex = index;
  t0 = performance.now();
  const ran = app.commands.execute('notebook:run-cell');
  await Promise.race([seen, new Promise(r => setTimeout(r, 60000))]);
  await ran;
  return t1 === null ? null : t1 - t0;
}
"""

JS_RUN_CELL = """
async (index) => {
  const app = window.jupyterapp;
  app.shell.currentWidget.content.activeCellIndex = index;
  await app.commands.execute('notebook:run-cell');
}
"""


JS_RESTART = """
async () => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  await kernel.restart();
}
"""


def _restart(page) -> None:
    """A fresh kernel process for the open notebook, idle and connected."""
    page.evaluate(JS_RESTART)
    deadline = time.monotonic() + 60
    while not page.evaluate(lab_driver.JS_NOTEBOOK_READY):
        if time.monotonic() > deadline:
            raise TimeoutError("the kernel did not come back after its restart")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed fresh kernels per lesson")
    args = parser.parse_args()
    if args.repeat < 1:
        raise ValueError(f"--repeat must be at least 1, got {args.repeat}")
    if not os.path.exists(lab_driver.CHROMIUM):
        raise SystemExit(f"no Chromium at {lab_driver.CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, GANKIT_FAST="1", GANKIT_CACHE_DIR=cache)
        lab = lab_driver.start_lab(env=env)
        try:
            with sync_playwright() as p:
                browser = lab_driver.launch_browser(p)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for n, (name, cell) in enumerate(CASES.items()):
                    rel = f"tests/browser/artifacts/_notebooks/bench_first_panel_{n}.ipynb"
                    lab_driver.write_notebook(ROOT / rel, [IMPORTS, cell])
                    lab_driver.open_notebook(page, lab, rel, f"bench{n}")
                    page.evaluate(lab_driver.JS_RUN_ALL)  # fills the cache
                    times = []
                    for _ in range(args.repeat):
                        _restart(page)
                        page.evaluate(JS_RUN_CELL, 0)
                        times.append(page.evaluate(JS_TIME_CELL, 1))
                    results[name] = times
                browser.close()
        finally:
            lab.stop()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU, {platform.python_version()}, "
        "Chromium headless; fresh kernel, warm cache, imports already run"
    )
    for name, times in results.items():
        done = [t for t in times if t is not None]
        shown = ", ".join("not drawn" if t is None else f"{t / 1000:.2f}" for t in times)
        median = f"{statistics.median(done) / 1000:.2f} s" if done else "never drawn"
        print(f"{name}: cell start -> panel drawn, median {median} (runs: {shown} s; target 1.5 s)")


if __name__ == "__main__":
    main()
