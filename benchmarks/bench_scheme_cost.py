"""What a step of each scheme costs on the toy lab's networks, as a multiple of a
simultaneous step.

The toy lab's GAN: two hidden layers of 64 units for each player on ring8, batch 256,
NS-GAN loss, Adam(1e-3, beta_1=0.5) for both. Each scheme's ``gk.GAN.train_steps`` of
``--steps`` steps is compiled once, then timed interleaved with the others (medians of
``--repeats`` calls), so a noisy machine loads all alike. Prints steps/s, the multiple of
the simultaneous step's time, and the gradient evaluations the scheme says it costs.

    python benchmarks/bench_scheme_cost.py [--steps 200] [--repeats 5]
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import argparse
import os
import platform
import statistics
import time

import gankit as gk
import jax
import keras

UNITS, BATCH = 64, 256


def make_gan(scheme: str) -> gk.GAN:
    keras.utils.set_random_seed(0)
    return gk.GAN(
        gk.models.mlp_generator(noise_dim=2, layers=2, units=UNITS),
        gk.models.mlp_discriminator(layers=2, units=UNITS),
        loss="nsgan",
        scheme=scheme,
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps a timed call")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls a scheme")
    parser.add_argument("--schemes", nargs="*", default=list(gk.schemes.SCHEMES))
    args = parser.parse_args()
    names = ["simultaneous"] + [s for s in args.schemes if s != "simultaneous"]

    data = gk.data.toy("ring8", 4096, seed=0)
    gans = {name: make_gan(name) for name in names}
    for gan in gans.values():  # compile
        jax.block_until_ready(gan.train_steps(data, args.steps, BATCH))
    times = {name: [] for name in names}
    for _ in range(args.repeats):
        for name, gan in gans.items():
            t0 = time.perf_counter()
            jax.block_until_ready(gan.train_steps(data, args.steps, BATCH))
            times[name].append(time.perf_counter() - t0)

    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} usable cores, jax {jax.__version__}, "
        f"device {jax.devices()[0].platform}"
    )
    print(
        f"toy lab GAN: 2x{UNITS} MLPs, ring8, batch {BATCH}, NS-GAN, Adam; medians of "
        f"{args.repeats} interleaved calls of {args.steps} steps"
    )
    base = statistics.median(times["simultaneous"])
    print(f"{'scheme':14s} {'steps/s':>9s} {'x simultaneous':>15s} {'gradient evals':>15s}")
    for name in names:
        t = statistics.median(times[name])
        evals = gans[name].scheme.evaluations
        print(f"{name:14s} {args.steps / t:9.0f} {t / base:15.2f} {evals:15g}")


if __name__ == "__main__":
    main()
