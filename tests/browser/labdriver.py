"""Drive JupyterLab in Debian's Chromium the way a student does: open, run all, drag.

Shared by the browser tests (through ``conftest.py``) and by
``benchmarks/bench_browser_slider.py``. Nothing here talks to any address but 127.0.0.1:
JupyterLab's news and update checks are off, and Chromium resolves no other host.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GANKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Belt and braces: no host but the loopback one resolves, so nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# JupyterLab plugins that would reach the internet or pop up over the notebook.
DISABLED_PLUGINS = [
    "@jupyterlab/apputils-extension:announcements",
    "@jupyterlab/extensionmanager-extension",
]
# Interactions that need to show on screen within this many seconds (the bar).
REACT_S = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A JupyterLab server this process started (stop it with :meth:`stop`)."""

    proc: subprocess.Popen
    port: int
    token: str
    home: Path
    log: Path
    root_dir: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def url(self, relpath: str, workspace: str) -> str:
        """Open ``relpath`` (relative to the server root) in a fresh, throwaway workspace."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{relpath}?reset&token={self.token}"

    def kernel_rss_mib(self, relpath: str) -> float | None:
        """Resident memory (MiB) of the kernel behind the notebook ``relpath``, read from
        /proc (the kernel is a child of this server); None if it cannot be found."""
        sessions = self.api("/api/sessions") or []
        ids = [s["kernel"]["id"] for s in sessions if s.get("path") == relpath and s.get("kernel")]
        if not ids:
            return None
        wanted = f"kernel-{ids[0]}.json".encode()
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if wanted not in cmdline.read_bytes():
                    continue
                status = (cmdline.parent / "status").read_text()
            except OSError:  # a process that ended meanwhile
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    def shutdown_kernels(self) -> None:
        for kernel in self.api("/api/kernels") or []:
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> None:
        """Shut the kernels down, then stop exactly the server process started here."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self.shutdown_kernels()
        except OSError:
            pass
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


def start_lab(root_dir: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 90) -> Lab:
    """Start JupyterLab on 127.0.0.1 with a throwaway token, config and runtime dirs.

    The kernel inherits ``env`` (so ``GANKIT_FAST=1`` reaches the lessons).
    """
    home = Path(tempfile.mkdtemp(prefix="gankit-lab-"))
    config, runtime, settings, workspaces = (
        home / n for n in ("config", "runtime", "settings", "workspaces")
    )
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {name: True for name in DISABLED_PLUGINS}})
    )
    (config / "jupyter_server_config.py").write_text(
        "c.LabApp.news_url = None\n"
        "c.LabApp.check_for_updates_class = 'jupyterlab.NeverCheckForUpdate'\n"
        "c.LabApp.extension_manager = 'readonly'\n"
    )
    # Draw every cell: JupyterLab 4 otherwise may skip laying out cells off screen, and a
    # figure that is never laid out cannot be checked.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # No news fetched, and no toast popping up over a panel the test is about to click.
    apputils = settings / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True)
    (apputils / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True})
    )
    # Never write back: running a lesson in the browser must not rewrite the repository's
    # stored notebook (JupyterLab's autosave would, with fast-mode outputs).
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    workspaces.mkdir()
    port = free_port()
    token = secrets.token_hex(16)
    full_env = dict(os.environ if env is None else env)
    full_env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(runtime),
        # Kernels and lab extensions still come from this environment's prefix.
        JUPYTER_DATA_DIR=str(home / "data"),
        PYTHONUNBUFFERED="1",
    )
    full_env.pop("JUPYTER_PATH", None)
    log = home / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--port-retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root_dir}",
                "--ServerApp.open_browser=False",
                "--LabApp.expose_app_in_browser=True",
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={workspaces}",
                # CI containers run as root; this server is local and lives for one test run.
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=root_dir,
        )
    lab = Lab(proc=proc, port=port, token=token, home=home, log=log, root_dir=root_dir)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            text = log.read_text(errors="replace")[-3000:]
            shutil.rmtree(home, ignore_errors=True)
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{text}")
        try:
            lab.api("/api/status")
            return lab
        except OSError:
            if time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-3000:]
                lab.stop()
                raise RuntimeError(f"JupyterLab did not answer in {timeout} s:\n{text}") from None
            time.sleep(0.3)


# --- in the page -------------------------------------------------------------------------

JS_NOTEBOOK_READY = """
() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.context || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' &&
         panel.sessionContext.kernelDisplayStatus === 'idle';
}
"""

JS_RUN_ALL = """
async () => {
  const app = window.jupyterapp;
  const ok = await app.commands.execute('notebook:run-all-cells');
  const panel = app.shell.currentWidget;
  const model = panel.content.model;
  const cells = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    cells.push({index: i, count: cell.executionCount, source: cell.sharedModel.getSource(),
                outputs: cell.outputs.toJSON()});
  }
  return {ok, cells};
}
"""

# Top-level gankit panels (a panel inside another is driven by its parent), tagged so that
# Playwright can find each one again.
JS_TAG_PANELS = """
() => {
  const found = [];
  document.querySelectorAll('.gankit-panel').forEach((el) => {
    if (el.parentElement && el.parentElement.closest('.gankit-panel')) return;
    const i = found.length;
    el.setAttribute('data-gankit-test', String(i));
    const names = [...el.classList].filter(c => c.startsWith('gankit-') && c !== 'gankit-panel');
    found.push({index: i, names});
  });
  return found;
}
"""

# What a panel draws: every path's d, every mark element's transform or position, and
# every image. Axes (bqplot's g.axis) are left out: a moved tick is not a moved trajectory.
JS_DRAWN = """
(el) => {
  const out = {paths: [], moves: [], images: [], svgs: 0, sized: 0};
  el.querySelectorAll('svg').forEach((svg) => {
    out.svgs += 1;
    const box = svg.getBoundingClientRect();
    if (box.width > 0 && box.height > 0) out.sized += 1;
  });
  el.querySelectorAll('svg path, svg circle, svg g, svg image, svg rect, svg line')
    .forEach((node) => {
      if (node.closest('.axis')) return;
      if (node.tagName === 'path' && node.getAttribute('d')) out.paths.push(node.getAttribute('d'));
      const pos = ['transform', 'cx', 'cy', 'x', 'y', 'x1', 'y1', 'x2', 'y2']
        .map(a => node.getAttribute(a) || '').join(',');
      if (pos.replace(/,/g, '')) out.moves.push(node.tagName + ':' + pos);
      if (node.tagName === 'image') out.images.push(node.getAttribute('href') || '');
    });
  el.querySelectorAll('img').forEach((img) => out.images.push(img.getAttribute('src') || ''));
  return out;
}
"""


def drawn_changed(before: dict, after: dict) -> str:
    """Which part of the drawing changed ('' when nothing did)."""
    for key in ("paths", "moves", "images"):
        if before[key] != after[key]:
            return key
    return ""


def wait_drawn_change(locator, before: dict, timeout_s: float = REACT_S) -> tuple[str, float]:
    """Poll until the panel draws something else; return (what changed, seconds taken)."""
    t0 = time.perf_counter()
    while True:
        after = locator.evaluate(JS_DRAWN)
        what = drawn_changed(before, after)
        elapsed = time.perf_counter() - t0
        if what or elapsed > timeout_s:
            return what, elapsed
        time.sleep(0.01)


JS_KERNEL_IDLE = """
() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle'
"""


def wait_kernel_idle(page, timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(JS_KERNEL_IDLE):
            return True
        time.sleep(0.05)
    return False


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_notebook(page, lab: Lab, relpath: str, workspace: str, timeout_s: float = 120) -> None:
    """Open a notebook in a fresh workspace and wait until its kernel is idle."""
    page.goto(lab.url(relpath, workspace), wait_until="domcontentloaded")
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(JS_NOTEBOOK_READY):
        # A notebook saved with an unknown kernel asks which one to use: take the default.
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{relpath}: kernel not idle after {timeout_s} s")
        time.sleep(0.25)


def slider_handle(panel):
    """The first slider's keyboard handle inside a panel (ipywidgets 8 uses noUiSlider)."""
    # Skip sliders that are disabled (a control the current game does not use) or hidden.
    handles = panel.locator(".widget-slider .noUi-target:not([disabled]) .noUi-handle").filter(
        visible=True
    )
    return handles.first if handles.count() else None


# --- one notebook, end to end ------------------------------------------------------------

BUTTONS = "button.widget-button, button.widget-toggle-button"


def _play_button(panel):
    """The button that sets a panel going: an ipywidgets Play's play/pause toggle first,
    then a button labelled Play, then one that trains, steps or samples once."""
    play = panel.locator(".widget-play button").filter(visible=True)
    if play.count():
        return play.first
    buttons = panel.locator(BUTTONS).filter(visible=True)
    labels = [
        " ".join([buttons.nth(i).inner_text(), buttons.nth(i).get_attribute("title") or ""])
        for i in range(buttons.count())
    ]
    for pattern in (r"^\s*(play|▶)", r"train|step|run|sample|generate"):
        for i, label in enumerate(labels):
            if re.search(pattern, label, re.I):
                return buttons.nth(i)
    return None


JS_SLIDER_STATE = """
(handle) => {
  const slider = handle.closest('.widget-slider');
  const text = (sel) => ((slider.querySelector(sel) || {}).textContent || '').trim();
  return [text('.widget-label'), text('.widget-readout')];
}
"""


def step_slider(page, panel) -> dict | None:
    """Keyboard-step the panel's first usable slider (None when it has none)."""
    handle = slider_handle(panel)
    if handle is None:
        return None
    before = panel.evaluate(JS_DRAWN)
    label, readout = handle.evaluate(JS_SLIDER_STATE)
    handle.focus()
    page.keyboard.press("ArrowRight")
    what, elapsed = wait_drawn_change(panel, before, REACT_S)
    if not what and handle.evaluate(JS_SLIDER_STATE)[1] == readout:  # already at its maximum
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        what, elapsed = wait_drawn_change(panel, before, REACT_S)
    return {"how": f"slider {label!r}", "changed": what, "seconds": elapsed}


# The first frame after Play may compile the training step (XLA on a busy 2-core CPU took
# about 20 s for Toy2DLab); it is reported, and the 2 s bar applies to the next frame.
FIRST_FRAME_S = 120.0


def press_play(page, panel) -> dict | None:
    """Press the panel's Play (or train/step) button, time the first frame and the one after,
    then stop it again."""
    button = _play_button(panel)
    if button is None:
        return None
    before = panel.evaluate(JS_DRAWN)
    button.click()
    what, first = wait_drawn_change(panel, before, FIRST_FRAME_S)
    result = {"how": "play", "changed": what, "seconds": first, "first_frame_s": round(first, 2)}
    # Stop an animation so that it does not keep the kernel busy: the Play widget's first
    # button and a toggle button both switch back off when clicked again.
    toggles = button.evaluate("b => !!b.closest('.widget-play')") or "mod-active" in (
        button.get_attribute("class") or ""
    )
    if what and toggles:  # it keeps playing: the next frame must come within REACT_S
        result["changed"], result["seconds"] = wait_drawn_change(
            panel, panel.evaluate(JS_DRAWN), REACT_S
        )
    if toggles:
        button.click()
    return result


def click_plot(page, panel) -> dict | None:
    """Click inside the panel's first figure, off centre (a start point moves there)."""
    figures = panel.locator("svg")
    if not figures.count():
        return None
    box = figures.first.bounding_box()
    if not box:
        return None
    before = panel.evaluate(JS_DRAWN)
    page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.4)
    what, elapsed = wait_drawn_change(panel, before, REACT_S)
    return {"how": "click", "changed": what, "seconds": elapsed}


# Which interaction a panel must pass: the first one it offers, special panels' own first.
INTERACTIONS = {
    # Toy2DLab trains a GAN as it plays: after Play the samples must move.
    "gankit-toy2d": press_play,
    # The MNIST panel: its latent-walk slider if it has one, else its train/sample button.
    "gankit-mnist": step_slider,
}
GENERIC = [step_slider, click_plot, press_play]


def interact(page, panel, names: list[str]) -> dict:
    """One real interaction with a panel: {"how", "changed" ('' if nothing), "seconds", ...}."""
    for action in [INTERACTIONS[n] for n in names if n in INTERACTIONS] + GENERIC:
        result = action(page, panel)
        if result is not None:
            result["seconds"] = round(result["seconds"], 3)
            return result
    return {"how": "none (no slider, plot or play button)", "changed": "", "seconds": 0.0}


JS_WIDGET_ERRORS = """
() => [...document.querySelectorAll('.jp-OutputArea-output, .jupyter-widgets')]
  .filter(el => /Error displaying widget|Error rendering|model not found/i.test(el.textContent || ''))
  .map(el => (el.textContent || '').slice(0, 300))
"""


# What a reader sees wrong in a panel's drawing: text that spills out of its figure or is
# cut short in a control's label, tick labels on top of each other, a legend on the data.
JS_LAYOUT_FAULTS = """
(el) => {
  const faults = [];
  const box = (n) => n.getBoundingClientRect();
  const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
                            Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const shown = (n) => { const r = box(n); return r.width > 0 && r.height > 0; };
  el.querySelectorAll('.bqplot.figure').forEach((fig) => {
    if (!shown(fig)) return;
    const title = (fig.querySelector('.mainheading') || {}).textContent || 'untitled';
    const frame = box(fig);
    fig.querySelectorAll('svg text').forEach((t) => {
      if (!shown(t) || !(t.textContent || '').trim()) return;
      const r = box(t);
      if (r.left < frame.left - 2 || r.right > frame.right + 2 ||
          r.top < frame.top - 2 || r.bottom > frame.bottom + 2) {
        faults.push(`figure '${title}': text '${t.textContent.slice(0, 40)}' spills out`);
      }
    });
    fig.querySelectorAll('g.axis').forEach((axis) => {
      const texts = [...axis.querySelectorAll('.tick text')].filter(shown);
      const ticks = texts.map(box);
      for (let i = 1; i < ticks.length; i++) {
        if (overlap(ticks[i - 1], ticks[i]) > 1) {
          const pair = `'${texts[i - 1].textContent}' and '${texts[i].textContent}'`;
          faults.push(`figure '${title}': tick labels ${pair} overlap`);
          break;
        }
      }
    });
    const area = fig.querySelector('.plotarea_background, rect.plotarea_background');
    fig.querySelectorAll('g.legend').forEach((legend) => {
      if (shown(legend) && legend.childElementCount && area && overlap(box(legend), box(area)) > 1) {
        faults.push(`figure '${title}': a legend lies on the plotting area`);
      }
    });
  });
  const texts = '.widget-label, .widget-label-basic, .widget-readout, button.widget-button';
  el.querySelectorAll(texts).forEach((label) => {
    if (shown(label) && label.scrollWidth > label.clientWidth + 1) {
      const what = (label.textContent || '').trim().slice(0, 40);
      faults.push(`text cut short: '${what}' (${label.clientWidth} of ${label.scrollWidth} px)`);
    }
  });
  return [...new Set(faults)];
}
"""

THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme (``light`` or ``dark``) and wait for it to apply."""
    page.evaluate(
        "async (t) => await window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})",
        THEMES[theme],
    )
    want = "true" if theme == "light" else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{want}'")
    time.sleep(0.3)  # the figures repaint with the theme's colours


def panel_callback_errors(panel) -> list[str]:
    """Errors a panel's own Output widget shows (where panels put callback errors): a
    gankit panel's one-sentence error box, or a traceback printed to stderr."""
    found = panel.locator(
        ".gankit-error, .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    return [found.nth(i).inner_text()[:1000] for i in range(found.count())]


def _drew(drawn: dict) -> bool:
    return bool(drawn["sized"] and (drawn["paths"] or drawn["images"]))


@dataclass
class NotebookReport:
    cells_run: int = 0
    errors: list[str] = field(default_factory=list)
    panels: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    # The kernel's resident memory (MiB) after Run All, and after its panels were used.
    memory_mib: dict[str, float | None] = field(default_factory=dict)
    # Each code cell's outputs as the page holds them, by the cell's index in the notebook.
    outputs: dict[int, list] = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        """What ran and what was found, without the outputs themselves."""
        return {k: v for k, v in self.__dict__.items() if k != "outputs"}


def run_notebook(
    page, lab: Lab, relpath: str, shots: Path, timeout_s: float = 300
) -> NotebookReport:
    """Open ``relpath``, run all cells, then check and drive every gankit panel it shows."""
    report = NotebookReport()
    shots.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    workspace = "t" + secrets.token_hex(4)
    open_notebook(page, lab, relpath, workspace)
    page.set_default_timeout(timeout_s * 1000)
    result = page.evaluate(JS_RUN_ALL)
    for cell in result["cells"]:
        report.outputs[cell["index"]] = cell["outputs"]
        if cell["count"] is not None:
            report.cells_run += 1
        for out in cell["outputs"]:
            if out.get("output_type") == "error":
                report.errors.append(
                    f"cell {cell['index']}: {out.get('ename')}: {out.get('evalue')}"
                )
    unrun = [c["index"] for c in result["cells"] if c["count"] is None and c["source"].strip()]
    if unrun:
        report.errors.append(f"cells never ran: {unrun}")
    page.set_default_timeout(30_000)
    report.memory_mib["after Run All"] = lab.kernel_rss_mib(relpath)
    # Widgets render after their outputs arrive: give every panel time to draw its SVG.
    panels = page.evaluate(JS_TAG_PANELS)
    deadline = time.monotonic() + 30
    for info in panels:
        panel = page.locator(f"[data-gankit-test='{info['index']}']")
        panel.scroll_into_view_if_needed()
        drawn = panel.evaluate(JS_DRAWN)
        # Drawn: an SVG on screen with marks in it (paths, or images such as heatmaps).
        while not _drew(drawn) and time.monotonic() < deadline:
            time.sleep(0.2)
            drawn = panel.evaluate(JS_DRAWN)
        name = "-".join(info["names"]) or f"panel{info['index']}"
        entry = {"name": name, "svgs": drawn["svgs"], "paths": len(drawn["paths"])}
        if not _drew(drawn):
            report.errors.append(
                f"{name}: no SVG drawn ({drawn['svgs']} svg, {drawn['sized']} on screen, "
                f"{len(drawn['paths'])} paths, {len(drawn['images'])} images)"
            )
        else:
            # Let the kernel finish drawing every panel first: a busy kernel is not slow.
            wait_kernel_idle(page)
            done = interact(page, panel, info["names"])
            entry.update(done)
            if not done["changed"]:
                report.errors.append(
                    f"{name}: {done['how']} did not change what the panel draws within {REACT_S} s"
                )
        report.errors += [f"{name}: callback error: {e}" for e in panel_callback_errors(panel)]
        report.errors += [f"{name}: {f}" for f in panel.evaluate(JS_LAYOUT_FAULTS)]
        panel.screenshot(path=str(shots / f"panel{info['index']}-{name}.png"))
        report.panels.append(entry)
    if panels:  # every panel again in the dark theme: what it draws must still read there
        set_theme(page, "dark")
        for info in panels:
            panel = page.locator(f"[data-gankit-test='{info['index']}']")
            name = "-".join(info["names"]) or f"panel{info['index']}"
            panel.scroll_into_view_if_needed()
            report.errors += [f"{name} (dark): {f}" for f in panel.evaluate(JS_LAYOUT_FAULTS)]
            panel.screenshot(path=str(shots / f"panel{info['index']}-{name}-dark.png"))
        set_theme(page, "light")
    report.errors += [f"widget failed to render: {t}" for t in page.evaluate(JS_WIDGET_ERRORS)]
    wait_kernel_idle(page)
    report.memory_mib["after its panels were used"] = lab.kernel_rss_mib(relpath)
    page.screenshot(path=str(shots / "page.png"))
    report.errors = list(dict.fromkeys(report.errors))  # one line per distinct fault
    report.seconds = time.perf_counter() - t0
    return report


# --- notebooks the harness makes for itself ----------------------------------------------

DEMO_PANEL = """\
import gankit as gk
import bqplot as bq
import ipywidgets as W
import numpy as np

game = gk.games.Bilinear()
names = list(gk.schemes.SCHEMES)[:6]
schemes = [gk.schemes.make(n, 0.1) for n in names]


def paths(lr):
    runs = [gk.simulate(game, s, steps=500, learning_rate=lr) for s in schemes]
    return np.stack([r[:, 0] for r in runs]), np.stack([r[:, 1] for r in runs])


sx, sy = bq.LinearScale(min=-3, max=3), bq.LinearScale(min=-3, max=3)
x, y = paths(0.1)
lines = bq.Lines(x=x, y=y, scales={"x": sx, "y": sy}, labels=names, display_legend=True)
fig = bq.Figure(marks=[lines], axes=[bq.Axis(scale=sx), bq.Axis(scale=sy, side="left")],
                animation_duration=0, layout=W.Layout(width="480px", height="420px"))
lr = W.FloatSlider(value=0.1, min=0.01, max=0.5, step=0.01, description="learning rate",
                 style={"description_width": "initial"})
errors = W.Output()


def redraw(change):
    with errors:
        x, y = paths(change["new"])
        with lines.hold_sync():
            lines.x, lines.y = x, y


lr.observe(redraw, names="value")
panel = W.VBox([lr, fig, errors]).add_class("gankit-panel").add_class("gankit-demo")
panel
"""


# Stands in for the toy 2-D GAN lab: Play moves the samples (a scatter), and a slider that
# the toy2d hook must not pick instead of Play.


DEMO_TOY2D = """\
import bqplot as bq
import ipywidgets as W
import numpy as np

rng = np.random.default_rng(0)
pts = rng.normal(size=(2, 64))
sx, sy = bq.LinearScale(min=-3, max=3), bq.LinearScale(min=-3, max=3)
dots = bq.Scatter(x=pts[0], y=pts[1], scales={"x": sx, "y": sy})
ring = bq.Lines(x=2 * np.cos(np.linspace(0, 6.3, 50)), y=2 * np.sin(np.linspace(0, 6.3, 50)),
                scales={"x": sx, "y": sy})
fig = bq.Figure(marks=[ring, dots], animation_duration=0,
                layout=W.Layout(width="360px", height="360px"))
play = W.Play(value=0, min=0, max=1000, interval=100)
noise = W.FloatSlider(value=0.0, min=0.0, max=1.0, description="unused")


def step(change):
    r = np.hypot(*pts)
    pts[:] = pts * (1 + 0.2 * (2 - r) / np.maximum(r, 1e-3))
    with dots.hold_sync():
        dots.x, dots.y = pts[0].copy(), pts[1].copy()


play.observe(step, names="value")
W.VBox([W.HBox([play, noise]), fig]).add_class("gankit-panel").add_class("gankit-toy2d")
"""


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a code-only notebook with the python3 kernel."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
