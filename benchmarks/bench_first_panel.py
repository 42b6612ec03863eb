"""From a fresh kernel to a panel ready to draw: import time and each lesson's first panels.

Each measurement runs in a new Python process (as a restarted kernel is), so nothing is
traced or compiled yet in memory. ``--cache off`` compiles everything (JAX's persistent
cache off); ``--cache warm`` first fills a fresh cache folder with one run, then times a
second process that reads it, which is what a student sees from the second time a lesson
is opened. Kernel side only: the browser adds its drawing time on top.

    python benchmarks/bench_first_panel.py [--cache off|warm] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

PANELS = {
    "lesson 02 race (quadratic, SGD)": 'gk.widgets.OptimizerRace("quadratic", ["SGD"])',
    "lesson 05 game panel (bilinear, 7 schemes)": (
        'gk.widgets.GameTrajectories("bilinear", learning_rate=0.2, max_steps=500)'
    ),
    "lesson 05 Dirac-GAN panel (3 schemes)": (
        'gk.widgets.GameTrajectories("dirac", schemes=["simultaneous", "alternating", '
        '"extragradient"], learning_rate=0.3)'
    ),
}

PROGRAM = """
import json, sys, time
t0 = time.perf_counter()
import gankit as gk
t1 = time.perf_counter()
panel = {build}
t2 = time.perf_counter()
assert not panel.errors.text, panel.errors.text
print(json.dumps({{"import": t1 - t0, "panel": t2 - t1}}))
"""


def one(build: str, env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(build=build)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", choices=("off", "warm"), default="off")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; cache {args.cache}")
    print(f"{'panel':<46} {'import s':>9} {'panel s (median of ' + str(args.repeat) + ')':>24}")
    for name, build in PANELS.items():
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as cache:
                env = dict(os.environ, GANKIT_CACHE_DIR="0" if args.cache == "off" else cache)
                if args.cache == "warm":
                    one(build, env)  # fills the fresh cache folder
                times.append(one(build, env))
        times.sort(key=lambda t: t["panel"])
        mid = times[len(times) // 2]
        print(f"{name:<46} {mid['import']:>9.2f} {mid['panel']:>24.2f}")


if __name__ == "__main__":
    main()
