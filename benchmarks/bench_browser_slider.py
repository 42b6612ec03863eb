"""In the browser: slider keypress to changed SVG path, for the game-trajectories panel.

Starts JupyterLab on 127.0.0.1 and Debian's Chromium (as the browser tests do), shows a
``GameTrajectories`` panel (six schemes x 500 steps on the bilinear game, as in lesson 05),
focuses its learning-rate slider and presses an arrow key ``--presses`` times. Each press
is timed inside the page, from the trusted ``keydown`` on the slider handle to the first
mutation of a trajectory ``path``'s ``d`` attribute (axes and legends excluded), so Playwright's own
round trips do not count. The kernel is let go idle between presses, as between a
student's key presses. Prints the median (target: under 300 ms), the 90th percentile and
the machine. Needs /usr/bin/chromium (``apt-get install -y chromium``).

    python benchmarks/bench_browser_slider.py [--presses 20] [--panel game|demo]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import labdriver as lab_driver  # noqa: E402

GAME_PANEL = """\
import gankit as gk
SIX = ("simultaneous", "alternating", "extragradient", "optimistic", "negative_momentum",
       "consensus")
panel = gk.widgets.GameTrajectories("bilinear", schemes=SIX, max_steps=500)
panel
"""

JS_INSTRUMENT = """
([panel, label]) => {
  const sliders = [...panel.querySelectorAll('.widget-slider')];
  const slider = sliders.find(s => (s.querySelector('.widget-label') || {}).textContent === label)
                 || sliders[0];
  const handle = slider.querySelector('.noUi-handle');
  window.__gk = {t0: null, t1: null, label: slider.querySelector('.widget-label').textContent};
  handle.addEventListener('keydown', () => { window.__gk.t0 = performance.now();
                                             window.__gk.t1 = null; }, true);
  new MutationObserver((records) => {
    const g = window.__gk;
    if (g.t0 === null || g.t1 !== null) return;
    // A trajectory's path: not an axis, and not bqplot's legend (which redraws its own
    // little paths on every data change, sooner than the trajectories themselves).
    if (records.some(r => r.target.tagName === 'path' && !r.target.closest('.axis, .legend, .g_legend')))
      g.t1 = performance.now();
  }).observe(panel, {attributes: true, attributeFilter: ['d'], subtree: true});
  handle.setAttribute('data-gankit-bench', '1');
  return window.__gk.label;
}
"""


def _wait(page, js: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(js):
            return True
        time.sleep(0.01)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="timed key presses")
    parser.add_argument(
        "--panel",
        choices=("game", "demo"),
        default="game",
        help="gankit's GameTrajectories panel, or the browser harness's small demo panel",
    )
    args = parser.parse_args()
    if args.presses < 2:
        raise ValueError(f"--presses must be at least 2, got {args.presses}")
    if not os.path.exists(lab_driver.CHROMIUM):
        raise SystemExit(f"no Chromium at {lab_driver.CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    cell = GAME_PANEL if args.panel == "game" else lab_driver.DEMO_PANEL
    rel = "tests/browser/artifacts/_notebooks/bench_browser_slider.ipynb"
    lab_driver.write_notebook(ROOT / rel, [cell])
    lab = lab_driver.start_lab(env=dict(os.environ, GANKIT_FAST="1"))
    try:
        with sync_playwright() as p:
            browser = lab_driver.launch_browser(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            lab_driver.open_notebook(page, lab, rel, "bench")
            page.evaluate(lab_driver.JS_RUN_ALL)
            page.evaluate(lab_driver.JS_TAG_PANELS)
            panel = page.locator("[data-gankit-test='0']")
            panel.wait_for()
            _wait(page, "() => document.querySelectorAll('.gankit-panel svg path').length", 30)
            label = page.evaluate(JS_INSTRUMENT, [panel.element_handle(), "learning rate"])
            handle = page.locator("[data-gankit-bench='1']")
            handle.scroll_into_view_if_needed()
            handle.focus()
            times, missed = [], 0
            warmup = 2
            for i in range(args.presses + warmup):
                # Up, then back down: the slider stays inside its range.
                key = "ArrowRight" if (i // 5) % 2 == 0 else "ArrowLeft"
                page.keyboard.press(key)
                done = _wait(page, "() => window.__gk.t1 !== null", 5.0)
                lab_driver.wait_kernel_idle(page, 10.0)
                time.sleep(0.1)
                if i < warmup:
                    continue
                if not done:
                    missed += 1
                    continue
                times.append(page.evaluate("() => window.__gk.t1 - window.__gk.t0"))
            browser.close()
    finally:
        lab.stop()

    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))] if times else float("nan")
    print(
        f"panel: {args.panel} ({'GameTrajectories, 6 schemes x 500 steps' if args.panel == 'game' else 'harness demo'}), slider: {label!r}"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU, {platform.python_version()}, Chromium headless"
    )
    print(f"presses timed: {len(times)} (missed, no path change within 5 s: {missed})")
    if times:
        print(
            f"keypress -> SVG path changed: median {statistics.median(times):.0f} ms, "
            f"p90 {p90:.0f} ms, min {times[0]:.0f} ms, max {times[-1]:.0f} ms (target < 300 ms)"
        )


if __name__ == "__main__":
    main()
