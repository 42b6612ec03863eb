"""Kernel memory per lesson: after Run All, and after a student has used its panels.

Each lesson runs in a fresh kernel (nbclient, as JupyterLab's Run All does); the kernel's
resident memory is read from /proc after the last cell, then again after every panel
the lesson shows was used: each dropdown set to each of its choices in turn, each
slider moved to both ends and back, Step pressed 20 times where the panel has it. Binder and many JupyterHubs give a kernel 1-2 GB; the bar is 1 GiB.

    python benchmarks/bench_kernel_memory.py [--lessons 05 06] [--full]

``--full`` runs the lessons at full size (default: fast mode, ``GANKIT_FAST=1``).
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BAR_MIB = 1024

RSS = """
def _rss_mib():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
print('RSS', _rss_mib())
"""

# Every panel the lesson shows, used as a student would: every choice, both ends, Play.
USE = """
import ipywidgets as _W
import gankit as _gk

def _use(panel):
    for name, control in list(panel.controls.items()):
        if isinstance(control, _W.Dropdown):
            first = control.value
            for option in control.options:
                control.value = option[1] if isinstance(option, tuple) else option
            control.value = first
        elif isinstance(control, (_W.FloatSlider, _W.IntSlider, _W.FloatLogSlider)):
            first = control.value
            control.value = control.max
            control.value = control.min
            control.value = first
    step = panel.controls.get("step")
    if isinstance(step, _W.Button):
        for _ in range(20):
            step.click()

_seen = list(globals().values()) + list(globals().get("Out", {}).values())
_panels = list({id(v): v for v in _seen if isinstance(v, _gk.widgets.Panel)}.values())
for _p in _panels:
    _use(_p)
print('PANELS', len(_panels))
"""


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def measure(path: Path, env: dict) -> tuple[float, float, int]:
    nb = nbformat.read(path, as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(RSS), nbformat.v4.new_code_cell(USE + RSS)]
    old = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(
            nb, timeout=1800, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    after_run = float(_printed(nb.cells[-2]).split()[-1])
    used = _printed(nb.cells[-1]).split()
    return after_run, float(used[-1]), int(used[used.index("PANELS") + 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=None, help="lesson numbers, e.g. 05 06")
    parser.add_argument("--full", action="store_true", help="full size, not fast mode")
    args = parser.parse_args()
    env = {"GANKIT_FAST": "0" if args.full else "1"}
    lessons = sorted((ROOT / "lessons").glob("[0-9]*.ipynb"))
    if args.lessons:
        lessons = [p for p in lessons if p.name[:2] in args.lessons]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; {'full' if args.full else 'fast'} mode"
    )
    print(f"{'lesson':<40} {'after Run All MiB':>18} {'after use MiB':>14} {'panels':>7}")
    worst = 0.0
    for path in lessons:
        run_all, used, panels = measure(path, env)
        worst = max(worst, run_all, used)
        print(f"{path.stem:<40} {run_all:>18.0f} {used:>14.0f} {panels:>7}")
    print(f"largest {worst:.0f} MiB; bar {BAR_MIB} MiB: {'met' if worst < BAR_MIB else 'NOT met'}")


if __name__ == "__main__":
    main()
