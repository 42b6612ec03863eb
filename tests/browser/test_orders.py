"""A student's hands on menus and buttons, in a real browser.

A menu choice that computes (a new game compiles its programs the first time) shows the
panel busy at once, then the new result, never the old one under the new name. The toy
lab's Play / Pause / Step / Reset and the image trainer's Start / Pause / Resume / Stop /
Rewind, pressed in the orders a student presses them, never leave a dead end: each press
does what its label says, no error appears, and the console stays clean.
"""

from __future__ import annotations

import re
import time

from .labdriver import (
    JS_DRAWN,
    ROOT,
    drawn_changed,
    panel_callback_errors,
    run_notebook,
    wait_kernel_idle,
    write_notebook,
)

NOTEBOOKS = "tests/browser/artifacts/_notebooks"

GAME = """\
import gankit as gk
game = gk.widgets.GameTrajectories("bilinear", schemes=["simultaneous", "extragradient"], steps=80)
game"""

TOY = """\
import gankit as gk
lab = gk.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2)
lab"""

TRAINER = """\
import gankit as gk
import numpy as np
g, d = gk.image_models.build_pair("mlp")
images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
trainer = gk.widgets.MNISTTrainer(
    gk.GAN(g, d), images, total_steps=400, chunk_steps=20, metric_every=0, grid=2
)
trainer"""

# Record when the panel first turns busy after a change, and when it stops being busy.
JS_WATCH_BUSY = """
(el) => {
  const w = {on: null, off: null, t0: performance.now()};
  window.gankitBusy = w;
  new MutationObserver(() => {
    const busy = el.classList.contains('gankit-busy');
    const t = (performance.now() - w.t0) / 1000;
    if (busy && w.on === null) w.on = t;
    if (!busy && w.on !== null && w.off === null) w.off = t;
  }).observe(el, {attributes: true, attributeFilter: ['class']});
}
"""


def _open(pg, lab, artifacts, name: str, cell: str):
    write_notebook(ROOT / NOTEBOOKS / f"{name}.ipynb", [cell])
    report = run_notebook(pg, lab, f"{NOTEBOOKS}/{name}.ipynb", artifacts / f"_{name}")
    assert not report.errors, report.errors
    wait_kernel_idle(pg)
    return pg.locator("[data-gankit-test='0']")


def _button(panel, label: str):
    return panel.locator("button.widget-button").filter(
        has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
    )


def _status(panel) -> str:
    return " ".join(panel.locator(".widget-html").filter(visible=True).all_inner_texts())


def test_a_menu_choice_shows_busy_at_once_then_the_new_result(lab, page, artifacts) -> None:
    pg, watch = page
    panel = _open(pg, lab, artifacts, "busy_menu", GAME)
    before = panel.evaluate(JS_DRAWN)
    panel.evaluate(JS_WATCH_BUSY)
    menu = panel.locator(".widget-dropdown").filter(has_text="game").locator("select")
    menu.select_option("dirac")
    deadline = time.monotonic() + 120
    while pg.evaluate("() => window.gankitBusy.off") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    busy = pg.evaluate("() => window.gankitBusy")
    assert busy["on"] is not None and busy["on"] < 0.5, busy  # greyed at once
    assert busy["off"] is not None, busy  # and back when the new result is drawn
    wait_kernel_idle(pg)
    assert drawn_changed(before, panel.evaluate(JS_DRAWN)), "the old drawing stayed"
    assert "gankit-busy" not in (panel.get_attribute("class") or "")
    assert not panel_callback_errors(panel) and not watch.errors


def _press(pg, panel, label: str) -> None:
    """Click a button, and wait until the kernel has handled it (the click's message
    takes a moment to arrive: an idle kernel right after the click may not have seen it)."""
    _button(panel, label).first.click()
    time.sleep(0.3)
    wait_kernel_idle(pg)


def _step_of(panel) -> int:
    found = re.search(r"step (\d+)", _status(panel))
    assert found, _status(panel)
    return int(found.group(1))


def _settled_step(pg, panel) -> int:
    """The step once the panel stops moving (messages still queued have been handled)."""
    last = -1
    for _ in range(40):
        wait_kernel_idle(pg)
        now = _step_of(panel)
        if now == last:
            return now
        last = now
        time.sleep(0.3)
    raise AssertionError(f"the toy lab never came to rest (step {last})")


def test_toy_lab_buttons_in_any_order_never_dead_end(lab, page, artifacts) -> None:
    pg, watch = page
    panel = _open(pg, lab, artifacts, "toy_orders", TOY)
    play = panel.locator(".widget-play button").first  # play / pause toggle
    start = _settled_step(pg, panel)  # the suite's own Play may have run some frames
    _press(pg, panel, "Step")
    assert _settled_step(pg, panel) == start + 2  # steps_per_frame 2
    _press(pg, panel, "Reset")
    assert _settled_step(pg, panel) == 0
    _press(pg, panel, "Reset")  # Reset twice: still at 0, no error
    assert _settled_step(pg, panel) == 0
    play.click()  # Play ...
    time.sleep(1.0)
    play.click()  # ... Pause: it stops, and stays stopped
    paused = _settled_step(pg, panel)
    assert paused > 0
    _press(pg, panel, "Step")  # Step after Pause goes on from there
    assert _settled_step(pg, panel) == paused + 2
    play.click()  # Play, then Reset while playing: the run starts again from 0 ...
    time.sleep(0.5)
    _press(pg, panel, "Reset")
    play.click()  # ... until the toggle stops it
    _settled_step(pg, panel)
    _press(pg, panel, "Reset")
    assert _settled_step(pg, panel) == 0
    _press(pg, panel, "Step D")
    _press(pg, panel, "Step G")
    assert _settled_step(pg, panel) == 2  # one update of each player
    assert not panel_callback_errors(panel) and not watch.errors


JS_ENABLED = """
(el) => [...el.querySelectorAll('button.widget-button')]
  .filter(b => !b.disabled).map(b => b.textContent.trim())
"""


def test_trainer_buttons_in_any_order_never_dead_end(lab, page, artifacts) -> None:
    pg, watch = page
    panel = _open(pg, lab, artifacts, "trainer_orders", TRAINER)

    def state(want: str, timeout: float = 120) -> list[str]:
        """Wait for the trainer's state; the buttons live then (never none to go on)."""
        deadline = time.monotonic() + timeout
        while want not in _status(panel) and time.monotonic() < deadline:
            time.sleep(0.1)
        wait_kernel_idle(pg)
        assert want in _status(panel), f"not {want}: {_status(panel)!r}"
        live = panel.evaluate(JS_ENABLED)
        assert {"Start", "Train more", "Resume", "Pause"} & set(live), live  # a way on
        return live

    assert "Start" in state("idle")
    _press(pg, panel, "Start")
    _press(pg, panel, "Pause")
    live = state("paused")
    assert "Resume" in live and "Pause" not in live and "Start" not in live
    _press(pg, panel, "Resume")
    assert "Pause" in state("running")
    _press(pg, panel, "Stop")
    live = state("stopped")
    assert "Start" in live and "Resume" not in live and "Stop" not in live
    _press(pg, panel, "Rewind")
    assert "Start" in state("idle")
    _press(pg, panel, "Start")
    live = state("finished")
    assert "Train more" in live and "Pause" not in live  # after a finish: train more
    _press(pg, panel, "Train more")
    assert "Train more" in state("finished")
    assert not panel_callback_errors(panel) and not watch.errors
