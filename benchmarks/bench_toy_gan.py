"""Speed of the toy 2-D GAN (issue 4's figures).

Prints, for a GAN with two hidden layers of 64 units on ring8, batch 256, NS-GAN loss,
Adam(1e-3, beta_1=0.5) for each player, simultaneous updates:

* steps/s of ``gk.GAN.train_steps`` (one jitted ``lax.scan``) -- target >= 1,000;
  with the share of the cores it keeps busy (CPU seconds / wall seconds);
* steps/s of a hand-written pure-JAX loop of the same model and update -- gk.GAN must be
  within 10% of it;
* steps/s of ``fit()`` (Keras' loop: one dispatch per step, for reference);
* throughput of 16 vmapped runs (run-steps/s) and its ratio to one run -- target >= 8x;
* frames/s of ``Toy2DLab`` while playing, 20 steps per frame -- target >= 10.

gk.GAN and the reference are timed interleaved and quoted as medians, so that a shared,
noisy machine loads both alike (``BENCH_REPEATS`` sets the number of calls, default 9).

Run: python benchmarks/bench_toy_gan.py   (pin cores with e.g. ``taskset -c 0,1``)
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import os
import platform
import statistics
import time

import gankit as gk
import jax
import jax.numpy as jnp
import keras
import numpy as np

STEPS, BATCH, UNITS = 1000, 256, 64


def timed(fn) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call of ``fn``, waiting for its result."""
    t0, c0 = time.perf_counter(), time.process_time()
    jax.block_until_ready(fn())
    return time.perf_counter() - t0, time.process_time() - c0


def interleaved(fns: dict, count: int, repeats: int) -> dict:
    """Median rate (count / wall s) and cores used (CPU s / wall s) of each of ``fns``.

    The calls are interleaved (a, b, a, b, ...) after one warm-up call each, so that the
    load of a shared machine falls on all of them alike.
    """
    for fn in fns.values():
        jax.block_until_ready(fn())
    walls = {k: [] for k in fns}
    cpus = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            wall, cpu = timed(fn)
            walls[k].append(wall)
            cpus[k].append(cpu)
    return {
        k: (
            count / statistics.median(walls[k]),
            statistics.median(cpus[k]) / statistics.median(walls[k]),
        )
        for k in fns
    }


def make_gan() -> gk.GAN:
    keras.utils.set_random_seed(0)
    return gk.GAN(
        gk.models.mlp_generator(noise_dim=2, layers=2, units=UNITS),
        gk.models.mlp_discriminator(layers=2, units=UNITS),
        loss="nsgan",
    )


# -- the reference: the same model and update, written directly in JAX ---------------


def init_mlp(key, sizes):
    params = []
    for k, (m, n) in zip(
        jax.random.split(key, len(sizes) - 1), zip(sizes, sizes[1:], strict=False), strict=True
    ):
        limit = np.sqrt(6.0 / (m + n))
        params.append((jax.random.uniform(k, (m, n), jnp.float32, -limit, limit), jnp.zeros(n)))
    return params


def mlp(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def adam(params, grads, m, v, t, lr=1e-3, b1=0.5, b2=0.999, eps=1e-7):
    t = t + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    alpha = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    params = jax.tree.map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + eps), params, m, v)
    return params, m, v, t


def reference_loop(data: jax.Array):
    def step(state, _):
        g, d, gm, gv, dm, dv, t, key = state
        key, k_idx, k_z = jax.random.split(key, 3)
        real = data[jax.random.randint(k_idx, (BATCH,), 0, data.shape[0])]
        z = jax.random.normal(k_z, (BATCH, 2))

        def d_loss(d, g):
            fake = jax.lax.stop_gradient(mlp(g, z))
            return jnp.mean(jax.nn.softplus(-mlp(d, real))) + jnp.mean(
                jax.nn.softplus(mlp(d, fake))
            )

        def g_loss(g, d):
            return jnp.mean(jax.nn.softplus(-mlp(d, mlp(g, z))))

        gd = jax.grad(d_loss)(d, g)
        gg = jax.grad(g_loss)(g, d)
        d2, dm, dv, _ = adam(d, gd, dm, dv, t)
        g2, gm, gv, t = adam(g, gg, gm, gv, t)
        return (g2, d2, gm, gv, dm, dv, t, key), None

    @jax.jit
    def run(state):
        return jax.lax.scan(step, state, None, length=STEPS)[0]

    kg, kd = jax.random.split(jax.random.PRNGKey(0))
    g = init_mlp(kg, [2, UNITS, UNITS, 2])
    d = init_mlp(kd, [2, UNITS, UNITS, 1])
    zeros = lambda p: jax.tree.map(jnp.zeros_like, p)  # noqa: E731
    state = (g, d, zeros(g), zeros(g), zeros(d), zeros(d), 0, jax.random.PRNGKey(1))
    return lambda: run(state)


def main() -> None:
    repeats = int(os.environ.get("BENCH_REPEATS", "9"))
    data = gk.data.toy("ring8", 4096, seed=0)
    gan = make_gan()
    rates = interleaved(
        {
            "gan": lambda: gan.train_steps(data, STEPS, BATCH),
            "ref": reference_loop(jnp.asarray(data)),
        },
        STEPS,
        repeats,
    )
    (one, one_cores), (ref, ref_cores) = rates["gan"], rates["ref"]

    fit_gan = make_gan()
    big = gk.data.toy("ring8", BATCH * 200, seed=1)
    fit_gan.fit(big[: BATCH * 4], batch_size=BATCH, epochs=1, verbose=0)  # compile
    t0 = time.perf_counter()
    fit_gan.fit(big, batch_size=BATCH, epochs=1, verbose=0)
    fit_rate = 200 / (time.perf_counter() - t0)

    runs = make_gan().runs(range(16))
    many_rates = interleaved(
        {
            "many": lambda: runs.train(data, STEPS, BATCH),
            "one": lambda: gan.train_steps(data, STEPS, BATCH),
        },
        STEPS,
        max(3, repeats // 3),
    )
    many, many_cores = 16 * many_rates["many"][0], many_rates["many"][1]
    one_again = many_rates["one"][0]

    lab = gk.Toy2DLab(steps_per_frame=20)
    lab.step()
    frames = []
    for _ in range(30):
        t0 = time.perf_counter()
        lab.controls["play"].value += 1  # what a Play tick does
        frames.append(time.perf_counter() - t0)

    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} usable cores, load average "
        f"{os.getloadavg()[0]:.1f}, jax {jax.__version__}, device {jax.devices()[0].platform}"
    )
    print(f"medians of {repeats} interleaved calls of {STEPS} steps, batch {BATCH}, 2x{UNITS} MLPs")
    print(
        f"one run (gk.GAN.train_steps): {one:8.0f} steps/s   (target >= 1000)  "
        f"cores busy {one_cores:.2f}"
    )
    print(
        f"hand-written pure JAX loop:   {ref:8.0f} steps/s   "
        f"gk.GAN / reference = {one / ref:.2f}   (target >= 0.90)  cores busy {ref_cores:.2f}"
    )
    print(f"fit() (one dispatch a step):  {fit_rate:8.0f} steps/s")
    print(
        f"16 vmapped runs:              {many:8.0f} run-steps/s = {many / one_again:.1f}x one run "
        f"interleaved with it ({one_again:.0f} steps/s)   (target >= 8x)  "
        f"cores busy {many_cores:.2f}"
    )
    fps = 1.0 / statistics.median(frames)
    print(
        f"Toy2DLab playing, 20 steps/frame: {fps:.1f} frames/s median "
        f"({1.0 / max(frames):.1f} worst)   (target >= 10)"
    )


if __name__ == "__main__":
    main()
