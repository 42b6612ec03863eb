"""Speed of the game-dynamics core (issue 2's figures).

Prints:
* the median time to recompute six schemes x 500 steps on the bilinear game for a new
  learning rate (what a slider drag costs), and the compiles it caused (target: 0);
* the time of one vmapped call over a 64 x 64 grid of (learning rate, momentum).

Run: python benchmarks/bench_dynamics.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

import gankit as gk


def main() -> None:
    game = gk.games.Bilinear()
    schemes = [
        gk.schemes.simultaneous(0.1),
        gk.schemes.alternating(0.1),
        gk.schemes.extragradient(0.1),
        gk.schemes.optimistic(0.1),
        gk.schemes.consensus(0.1, gamma=0.5),
        gk.schemes.alternating(gk.optimizers.HeavyBall(0.1, -0.5)),
    ]
    for s in schemes:  # first call compiles
        gk.simulate(game, s, steps=500)
    before = gk.compile_count("simulate")
    times = []
    for lr in np.linspace(0.02, 0.4, 101):
        t0 = time.perf_counter()
        for s in schemes:
            gk.simulate(game, s, steps=500, learning_rate=float(lr))
        times.append(time.perf_counter() - t0)
    compiles = gk.compile_count("simulate") - before
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(
        f"six schemes x 500 steps, new learning rate: median {statistics.median(times) * 1e3:.2f} ms"
        f" (min {min(times) * 1e3:.2f}, max {max(times) * 1e3:.2f}) over {len(times)} rates;"
        f" compiles after the first call: {compiles}"
    )

    lr, momentum = np.meshgrid(np.linspace(0.01, 1.0, 64), np.linspace(-0.9, 0.9, 64))
    scheme = gk.schemes.alternating(gk.optimizers.HeavyBall(0.1, 0.0))
    gk.simulate(game, scheme, steps=500, learning_rate=lr, momentum=momentum)
    grid = []
    for _ in range(5):
        t0 = time.perf_counter()
        gk.simulate(game, scheme, steps=500, learning_rate=lr, momentum=momentum)
        grid.append(time.perf_counter() - t0)
    print(
        f"64 x 64 grid of (learning rate, momentum), 500 steps, one vmapped call:"
        f" median {statistics.median(grid):.3f} s"
    )


if __name__ == "__main__":
    main()
