"""Every panel in a real browser survives a student's hands: a slider dragged with the
mouse to both ends, and bad text typed into its boxes, with zero console errors.

A bad entry must show one sentence in the panel's error box (never a traceback), and the
next good entry must clear it.
"""

from __future__ import annotations

import time

from .labdriver import (
    ROOT,
    panel_callback_errors,
    run_notebook,
    slider_handle,
    wait_kernel_idle,
    write_notebook,
)

NOTEBOOK = "tests/browser/artifacts/_notebooks/fuzz.ipynb"

PANELS = """\
import gankit as gk
import numpy as np

g, d = gk.image_models.build_pair("mlp")
images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
panels = [
    gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"]),
    gk.widgets.GameTrajectories("dirac", schemes=["simultaneous", "extragradient"], steps=80),
    gk.widgets.MinimaxSurface("bilinear", resolution=8),
    gk.widgets.StabilityMap("bilinear", "consensus", resolution=6),
    gk.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2),
    gk.widgets.MNISTTrainer(gk.GAN(g, d), images, metric_every=0, grid=2),
]"""

SHOW = "panels[{}]"

JS_READOUT = "(h) => ((h.closest('.widget-slider').querySelector('.widget-readout') || {}).textContent || '').trim()"


def drag_to_both_ends(page, panel) -> list[str]:
    """Drag the panel's first usable slider with the mouse to its right end, then its
    left end; returns the readouts seen (before, right, left)."""
    handle = slider_handle(panel)
    if handle is None:
        return []
    handle.scroll_into_view_if_needed()  # a tall panel's top may lie under the toolbar
    seen = [handle.evaluate(JS_READOUT)]
    track = handle.locator("xpath=ancestor::*[contains(@class,'noUi-target')][1]")
    box = track.bounding_box()
    for x in (box["x"] + box["width"] + 30, box["x"] - 30):
        h = handle.bounding_box()
        page.mouse.move(h["x"] + h["width"] / 2, h["y"] + h["height"] / 2)
        page.mouse.down()
        page.mouse.move(x, h["y"] + h["height"] / 2, steps=8)
        page.mouse.up()
        wait_kernel_idle(page)
        seen.append(handle.evaluate(JS_READOUT))
    return seen


def error_text(panel, want: str = "", timeout_s: float = 10.0) -> str:
    """The panel's error sentence, once it holds ``want`` (a round trip to the kernel)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = panel.locator(".gankit-error")
        said = " ".join(found.nth(i).inner_text() for i in range(found.count())).strip()
        if (want in said if want else True) and (said or not want) or time.monotonic() > deadline:
            return said
        time.sleep(0.1)


def test_every_panel_takes_a_dragged_slider_and_bad_text(lab, page, artifacts) -> None:
    pg, watch = page
    write_notebook(ROOT / NOTEBOOK, [PANELS] + [SHOW.format(i) for i in range(6)])
    report = run_notebook(pg, lab, NOTEBOOK, artifacts / "_fuzz")
    assert not report.errors, report.errors
    dragged = []
    for index in range(6):
        panel = pg.locator(f"[data-gankit-test='{index}']")
        panel.scroll_into_view_if_needed()
        tab = panel.locator(".lm-TabBar-tab, .p-TabBar-tab").filter(has_text="optimizers")
        if tab.count():  # the toy lab keeps its learning-rate sliders on this tab
            tab.first.click()
        seen = drag_to_both_ends(pg, panel)
        if seen:
            dragged.append(index)
            assert seen[1] != seen[0] or seen[2] != seen[0], (index, seen)  # the mouse moved it
        assert not panel_callback_errors(panel), (index, panel_callback_errors(panel))
        boxes = panel.locator(".gankit-number input")
        for i in range(min(boxes.count(), 2)):
            box = boxes.nth(i)
            if not box.is_visible():
                continue
            good = box.input_value()
            for bad in ("1e9", "abc", ""):
                box.fill(bad)
                box.press("Enter")
                wait_kernel_idle(pg)
                said = error_text(panel, f"got {bad!r}")
                assert "must be" in said and f"got {bad!r}" in said, (index, bad, said)
                assert "Traceback" not in said
                deadline = time.monotonic() + 10
                while box.input_value() != good and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert box.input_value() == good  # back to the value the panel uses
            box.fill(good)
            box.press("Enter")
            wait_kernel_idle(pg)
        file_box = panel.locator(".widget-text input").filter(visible=True)
        load = panel.locator("button", has_text="Load")
        if load.count() and file_box.count():
            file_box.last.fill("nothere.weights.h5")
            file_box.last.press("Enter")
            load.first.click()
            wait_kernel_idle(pg)
            said = error_text(panel, "nothere.weights.h5")
            assert "nothere.weights.h5" in said and "Traceback" not in said, said
        panel.screenshot(path=str(artifacts / "_fuzz" / f"after-{index}.png"))
    assert dragged == [0, 1, 3, 4, 5], dragged  # every panel but the surface has a slider
    assert not watch.errors + watch.offsite, watch.errors + watch.offsite
