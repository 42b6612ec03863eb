"""Slider change to marks updated, kernel side, for the game panel.

Builds a GameTrajectories panel with six schemes x 500 steps on the bilinear game,
draws it once (that compiles), then moves sliders from Python the way a browser does
(set ``slider.value``; the panel's observer simulates, takes spectral radii and
assigns the marks' data) and times each change. Prints the median and the 90th
percentile in milliseconds, and how many times the simulation and radius kernels
were traced while dragging (target: 0). Then each scheme beyond gradient play (proximal,
competitive, look-ahead, LEAD) alone in a panel against extragradient alone: the median
recompute after a learning-rate change, as a multiple of extragradient's (target <= 2).

    python benchmarks/bench_game_panel.py [--changes 60]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import gankit as gk

SIX = gk.schemes.PRESETS[:6]  # the panel's own list: all but SGA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60, help="slider changes to time")
    args = parser.parse_args()

    panel = gk.widgets.GameTrajectories("bilinear", schemes=SIX, max_steps=500)
    rng = np.random.default_rng(0)
    sliders = {
        "learning_rate": (panel.learning_rate, 0.02, 0.6),
        "momentum": (panel.momentum, -0.8, 0.0),
        "gamma": (panel.gamma, 0.1, 2.5),
    }
    # One warm-up change per slider, then count compiles from here on.
    for slider, lo, hi in sliders.values():
        slider.value = round(float(rng.uniform(lo, hi)), 2)
    sims, radii = gk.compile_count("simulate"), gk.compile_count("radii")

    times = {name: [] for name in sliders}
    names = list(sliders)
    for i in range(args.changes):
        name = names[i % len(names)]
        slider, lo, hi = sliders[name]
        value = round(float(rng.uniform(lo, hi)), 2)
        if value == slider.value:
            value = round(value + 0.01, 2)
        before = panel.lines["extragradient"].x
        t0 = time.perf_counter()
        slider.value = value
        times[name].append(time.perf_counter() - t0)
        assert panel.lines["extragradient"].x is not before, "marks were not updated"
    assert not panel.errors.text, panel.errors.text

    click = []
    for _ in range(max(args.changes // 3, 5)):
        x, y = (round(float(v), 2) for v in rng.uniform(-1.5, 1.5, 2))
        t0 = time.perf_counter()
        panel.start = (x, y)
        click.append(time.perf_counter() - t0)

    recompiles = (gk.compile_count("simulate") - sims) + (gk.compile_count("radii") - radii)
    all_ms = 1000 * np.array([t for ts in times.values() for t in ts])
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, jax on CPU")
    print(f"game panel: {len(SIX)} schemes x {panel.max_steps} steps, {len(all_ms)} slider changes")
    for name, ts in times.items():
        print(f"  {name:14s} median {1000 * np.median(ts):6.1f} ms")
    print(
        f"slider change -> marks updated: median {np.median(all_ms):.1f} ms, "
        f"p90 {np.percentile(all_ms, 90):.1f} ms (target < 30 ms)"
    )
    print(f"start moved (click/drag) -> marks updated: median {1000 * np.median(click):.1f} ms")
    print(f"recompiles while dragging: {recompiles} (target 0)")

    # A student's first choice of each loss and regulariser on a fresh Dirac-GAN panel:
    # each used to compile new programs (4-8 s with the old label showing meanwhile).
    dirac = gk.widgets.GameTrajectories("dirac", schemes=SIX, max_steps=500)
    before = gk.compile_count()
    first = {}
    for control, values in (
        (dirac.loss, ("nsgan", "wgan", "hinge", "gan")),
        (dirac.reg, ("R1", "R2", "WGAN-GP", "instance noise", "none")),
    ):
        for value in values:
            t0 = time.perf_counter()
            control.value = value
            first[value] = time.perf_counter() - t0
    assert not dirac.errors.text, dirac.errors.text
    worst = max(first, key=first.get)
    print(
        f"first switch of loss / regulariser: worst {1000 * first[worst]:.0f} ms ({worst}), "
        f"median {1000 * np.median(list(first.values())):.0f} ms (target < 500 ms); "
        f"compiles: {gk.compile_count() - before} (target 0)"
    )

    beyond_vs_extragradient(args.changes)


def median_recompute_ms(scheme: str, changes: int) -> float:
    """Median ms from a learning-rate change to marks updated, one scheme in the panel."""
    panel = gk.widgets.GameTrajectories("bilinear", schemes=[scheme], max_steps=500)
    values = np.round(np.linspace(0.05, 0.9, changes), 3)
    panel.learning_rate.value = 0.37  # warm-up (compiles nothing new after this)
    times = []
    for value in values:
        t0 = time.perf_counter()
        panel.learning_rate.value = float(value)
        times.append(time.perf_counter() - t0)
    assert not panel.errors.text, panel.errors.text
    return 1000 * float(np.median(times))


def beyond_vs_extragradient(changes: int) -> None:
    names = ("extragradient", "proximal", "competitive", "lookahead", "lead")
    rounds = {name: [] for name in names}
    for _ in range(3):  # interleaved rounds: a noisy machine loads every scheme alike
        for name in names:
            rounds[name].append(median_recompute_ms(name, max(changes // 3, 10)))
    eg = np.median(rounds["extragradient"])
    print("one scheme x 500 steps, learning-rate change -> marks (median of 3 rounds):")
    for name in names:
        ms = np.median(rounds[name])
        print(f"  {name:14s} {ms:6.1f} ms = {ms / eg:4.2f}x extragradient (target <= 2)")


if __name__ == "__main__":
    main()
