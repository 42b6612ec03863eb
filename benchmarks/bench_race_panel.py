"""Slider change to marks updated, kernel side, for OptimizerRace (seven optimizers).

Prints the median and 90th percentile over slider moves and the number of recompiles
they caused (target: 0). Run: ``python benchmarks/bench_race_panel.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import gankit as gk


def main(moves: int = 40, max_steps: int = 500) -> None:
    race = gk.widgets.OptimizerRace("rosenbrock", max_steps=max_steps)
    slider = race.controls["lr.Adam"]
    values = np.geomspace(0.01, 0.2, moves)
    before = gk.compile_count("simulate")
    times = []
    for value in values:
        t0 = time.perf_counter()
        slider.value = float(value)  # observers run synchronously: simulate + redraw
        times.append(time.perf_counter() - t0)
    recompiles = gk.compile_count("simulate") - before
    ms = sorted(1000 * t for t in times)
    print(
        f"OptimizerRace, {len(race.names)} optimizers x {max_steps} steps: "
        f"median {statistics.median(ms):.1f} ms, p90 {ms[int(0.9 * len(ms))]:.1f} ms "
        f"per slider move; recompiles {recompiles}"
    )
    assert race.errors.text == "", race.errors.text


if __name__ == "__main__":
    main()
