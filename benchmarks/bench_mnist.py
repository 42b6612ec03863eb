"""MNIST GAN speed and quality figures: prints images/s, ratios, FID and coverage.

    python benchmarks/bench_mnist.py mlp              # gk.GAN vs a hand-written JAX step
    python benchmarks/bench_mnist.py conv             # DCGAN and upsample+conv on this machine
    python benchmarks/bench_mnist.py quality          # MLP GAN, 5 minutes on the 10k digits
    python benchmarks/bench_mnist.py gpu              # one 60k-image epoch of the DCGAN, FLOP/s
    python benchmarks/bench_mnist_torch.py            # the same DCGAN in PyTorch (CPU)

Every figure is the best of ``--repeats`` timed runs after a warm-up (compilation
excluded); the contenders run interleaved so a busy machine slows them alike.
Data: the 10,000 test digits in ``--mnist`` (default ``../shared/data/mnist`` from the
repository root); ``gpu`` uses the 60,000 training digits when they can be loaded
(``GANKIT_MNIST_DIR`` or the Keras download) and the test digits tiled to 60,000 if not.
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import argparse
import os
import time
from collections.abc import Callable

import gankit as gk
import jax
import jax.numpy as jnp
import keras
import numpy as np

LATENT = 100
BN_MOMENTUM, BN_EPS = 0.8, 1e-3  # Keras BatchNormalization(momentum=0.8), default epsilon

# fp32 peak FLOP/s of common accelerators (dense, no sparsity; TF32 tensor cores where
# XLA uses them for float32 matmuls and convolutions).
PEAK_FLOPS = {
    "H100": 494e12,  # SXM, TF32 tensor cores
    "H200": 494e12,
    "A100": 156e12,
    "L4": 60e12,
    "T4": 8.1e12,
    "V100": 15.7e12,
}


def load_digits(path: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = gk.data.mnist("test", path)
    return gk.data.scale_images(images)[..., None], labels


def adam_gan(arch: str, lr: float = 2e-4, **kwargs) -> gk.GAN:
    g, d = gk.image_models.build_pair(arch, **kwargs)
    return gk.GAN(
        g,
        d,
        loss="nsgan",
        g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
    )


def best_rate(fns: dict[str, Callable[[], int]], repeats: int) -> dict[str, float]:
    """Images/s of each contender: best of ``repeats`` interleaved runs (after a warm-up)."""
    for fn in fns.values():
        fn()
    rates = {name: 0.0 for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            images = fn()
            rates[name] = max(rates[name], images / (time.perf_counter() - start))
    return rates


# ---------------------------------------------------------------------------------
# The hand-written JAX MLP GAN: the same model as gk.image_models "mlp" and the same step
# as gk.GAN's default (simultaneous, non-saturating): both players' gradients at the same
# point on one shared batch of fakes, then Adam(2e-4, beta_1=0.5) for each.
# ---------------------------------------------------------------------------------


def _dense(key, n_in: int, n_out: int) -> dict:
    limit = np.sqrt(6.0 / (n_in + n_out))  # glorot_uniform, Keras' default
    return {"w": jax.random.uniform(key, (n_in, n_out), minval=-limit, maxval=limit)}


def init_mlp(seed: int = 0) -> dict:
    keys = jax.random.split(jax.random.PRNGKey(seed), 7)
    g = {}
    for i, (a, b) in enumerate(((LATENT, 256), (256, 512), (512, 1024), (1024, 784))):
        g[f"w{i}"] = _dense(keys[i], a, b)["w"]
        g[f"b{i}"] = jnp.zeros(b)
    for i, u in enumerate((256, 512, 1024)):
        g[f"gamma{i}"], g[f"beta{i}"] = jnp.ones(u), jnp.zeros(u)
    stats = {f"mean{i}": jnp.zeros(u) for i, u in enumerate((256, 512, 1024))}
    stats |= {f"var{i}": jnp.ones(u) for i, u in enumerate((256, 512, 1024))}
    d = {}
    for i, (a, b) in enumerate(((784, 512), (512, 256), (256, 1))):
        d[f"w{i}"] = _dense(keys[4 + i], a, b)["w"]
        d[f"b{i}"] = jnp.zeros(b)
    return {"g": g, "stats": stats, "d": d}


def _leaky(x):
    return jnp.where(x > 0, x, 0.2 * x)


def generator(g: dict, stats: dict, z):
    x, new = z, {}
    for i in range(3):
        x = _leaky(x @ g[f"w{i}"] + g[f"b{i}"])
        mean, var = x.mean(0), x.var(0)
        new[f"mean{i}"] = BN_MOMENTUM * stats[f"mean{i}"] + (1 - BN_MOMENTUM) * mean
        new[f"var{i}"] = BN_MOMENTUM * stats[f"var{i}"] + (1 - BN_MOMENTUM) * var
        x = (x - mean) * jax.lax.rsqrt(var + BN_EPS) * g[f"gamma{i}"] + g[f"beta{i}"]
    return jnp.tanh(x @ g["w3"] + g["b3"]).reshape(-1, 28, 28, 1), new


def discriminator(d: dict, x):
    x = x.reshape(x.shape[0], -1)
    x = _leaky(x @ d["w0"] + d["b0"])
    x = _leaky(x @ d["w1"] + d["b1"])
    return x @ d["w2"] + d["b2"]


def adam_init(params):
    zeros = jax.tree.map(jnp.zeros_like, params)
    return {"m": zeros, "v": zeros, "t": jnp.zeros((), jnp.int32)}


def adam(params, grads, state, lr=2e-4, b1=0.5, b2=0.999, eps=1e-7):
    t = state["t"] + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], grads)
    step = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
    params = jax.tree.map(lambda p, m, v: p - step * m / (jnp.sqrt(v) + eps), params, m, v)
    return params, {"m": m, "v": v, "t": t}


def jax_step(state: dict, real, key):
    """One simultaneous non-saturating GAN step, both players at the same point."""
    p = state["params"]
    z = jax.random.normal(key, (real.shape[0], LATENT))

    def d_loss(d):
        fake, _ = generator(p["g"], p["stats"], z)
        fake = jax.lax.stop_gradient(fake)
        return jnp.mean(jax.nn.softplus(-discriminator(d, real))) + jnp.mean(
            jax.nn.softplus(discriminator(d, fake))
        )

    def g_loss(g):
        fake, stats = generator(g, p["stats"], z)
        return jnp.mean(jax.nn.softplus(-discriminator(p["d"], fake))), stats

    ld, gd = jax.value_and_grad(d_loss)(p["d"])
    (lg, stats), gg = jax.value_and_grad(g_loss, has_aux=True)(p["g"])
    g, g_opt = adam(p["g"], gg, state["g_opt"])
    d, d_opt = adam(p["d"], gd, state["d_opt"])
    new = {"params": {"g": g, "stats": stats, "d": d}, "g_opt": g_opt, "d_opt": d_opt}
    return new, jnp.stack([ld, lg])


def jax_state(seed: int = 0) -> dict:
    p = init_mlp(seed)
    return {"params": p, "g_opt": adam_init(p["g"]), "d_opt": adam_init(p["d"])}


@jax.jit
def jax_one_step(state, real, key):
    return jax_step(state, real, key)


def jax_many_steps(state, data, key, steps: int, batch_size: int):
    def body(carry, _):
        state, key = carry
        key, k_idx, k_z = jax.random.split(key, 3)
        idx = jax.random.randint(k_idx, (batch_size,), 0, data.shape[0])
        state, losses = jax_step(state, data[idx], k_z)
        return (state, key), losses

    (state, key), losses = jax.lax.scan(body, (state, key), None, length=steps)
    return state, key, losses


jax_many_steps_jit = jax.jit(jax_many_steps, static_argnames=("steps", "batch_size"))


def bench_mlp(args) -> None:
    x, _ = load_digits(args.mnist)
    b, steps = args.batch, args.steps
    per_epoch = len(x) // b
    print(f"device: {gk.distribute.describe_devices()}; MLP GAN, batch {b}")

    gan_fit = adam_gan("mlp")
    gan_fit.compile(steps_per_execution=args.steps_per_execution)
    gan_scan = adam_gan("mlp")
    data = jnp.asarray(x)
    state = {"s": jax_state(), "key": jax.random.PRNGKey(1)}
    rng = np.random.default_rng(0)

    def run_fit() -> int:
        gan_fit.fit(x, batch_size=b, epochs=1, steps_per_epoch=per_epoch, verbose=0)
        return per_epoch * b

    def run_gan_scan() -> int:
        gan_scan.train_steps(x, steps=steps, batch_size=b)
        return steps * b

    def run_jax_loop() -> int:
        s, key = state["s"], state["key"]
        order = rng.permutation(len(x))
        for i in range(per_epoch):
            key, sub = jax.random.split(key)
            s, losses = jax_one_step(s, x[order[i * b : (i + 1) * b]], sub)
        jax.block_until_ready(losses)
        state["s"], state["key"] = s, key
        return per_epoch * b

    def run_jax_scan() -> int:
        s, key, losses = jax_many_steps_jit(
            state["s"], data, state["key"], steps=steps, batch_size=b
        )
        jax.block_until_ready(losses)
        state["s"], state["key"] = s, key
        return steps * b

    rates = best_rate(
        {
            "gk.GAN.fit": run_fit,
            "pure JAX, jitted step per batch": run_jax_loop,
            "gk.GAN.train_steps (lax.scan)": run_gan_scan,
            "pure JAX, lax.scan": run_jax_scan,
        },
        args.repeats,
    )
    for name, rate in rates.items():
        print(f"  {name:34s} {rate:8.0f} images/s")
    print(
        f"  fit / pure-JAX step: {rates['gk.GAN.fit'] / rates['pure JAX, jitted step per batch']:.2f}"
        f"; train_steps / pure-JAX scan: "
        f"{rates['gk.GAN.train_steps (lax.scan)'] / rates['pure JAX, lax.scan']:.2f}"
    )
    lowered = jax_one_step.lower(state["s"], x[:b], jax.random.PRNGKey(0)).compile()
    flops = (lowered.cost_analysis() or {}).get("flops", float("nan"))
    best = max(rates.values())
    print(f"  {flops / b / 1e6:.1f} MFLOP per image: {best * flops / b / 1e9:.1f} GFLOP/s")


def bench_conv(args) -> None:
    x, _ = load_digits(args.mnist)
    b = args.batch
    print(f"device: {gk.distribute.describe_devices()}; batch {b}; simultaneous nsgan")
    gans = {
        "dcgan (transposed conv, width 64)": adam_gan("dcgan", width=64),
        f"upsample+conv (width {args.width})": adam_gan("upsample", width=args.width),
    }
    steps = max(4, args.steps // 10)

    def fit(gan):
        def run() -> int:
            gan.fit(x, batch_size=b, epochs=1, steps_per_epoch=steps, verbose=0)
            return steps * b

        return run

    def loop(gan):  # one compiled loop of steps, as the training panel runs
        def run() -> int:
            gan.train_steps(x, steps=steps, batch_size=b)
            return steps * b

        return run

    runners = {f"{k}, {how.__name__}": how(g) for k, g in gans.items() for how in (fit, loop)}
    rates = best_rate(runners, args.repeats)
    for name, rate in rates.items():
        print(f"  {name:40s} {rate:8.0f} images/s")


def bench_quality(args) -> None:
    images, _ = gk.data.mnist("test", args.mnist)
    x = gk.data.scale_images(images)[..., None]
    print(f"device: {gk.distribute.describe_devices()}; MLP GAN on {len(x)} digits")
    gan = quality_gan()
    start, last = time.perf_counter(), 0.0
    while time.perf_counter() - start < args.seconds:
        gan.train_steps(x, steps=100, batch_size=64)
        now = time.perf_counter() - start
        if now - last > 60 or now >= args.seconds:
            last = now
            fake = gan.sample(5000, seed=1)
            cov = gk.metrics.class_coverage(fake)
            fid = gk.metrics.classifier_fid(fake, images[:5000])
            print(
                f"  {now:5.0f} s  step {gan.step:6d}  classifier-FID {fid:7.2f}  "
                f"classes {cov.classes}  entropy {cov.entropy:.2f}",
                flush=True,
            )
    print(f"  real vs real: {gk.metrics.classifier_fid(images[:5000], images[5000:]):.2f}")


def quality_gan() -> gk.GAN:
    """The CPU configuration of lesson 07: MLP GAN, Adam(1e-3, beta_1=0.5) for both players."""
    g, d = gk.image_models.build_pair("mlp")
    return gk.GAN(
        g,
        d,
        loss="nsgan",
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        seed=0,
    )


def bench_gpu(args) -> None:
    try:
        images, _ = gk.data.mnist("train", os.environ.get("GANKIT_MNIST_DIR"))
        source = "train split"
    except Exception:  # offline: the test digits, tiled to the size of the train split
        images, _ = gk.data.mnist("test", args.mnist)
        images = np.concatenate([images] * 6)
        source = "test split tiled x6"
    x = gk.data.scale_images(images[: args.images])[..., None]
    print(f"device: {gk.distribute.describe_devices()}; DCGAN, {len(x)} images ({source})")
    for b in args.gpu_batches:
        _time_epoch(x, b, args.repeats)
    if args.fit_epochs:
        _lesson_run(x, args)
    if args.other_convt:  # the transposed convolutions in the form not chosen here
        fast = jax.default_backend() in gk.layers.Conv2DTranspose.fast_platforms
        gk.layers.Conv2DTranspose.fast_platforms = () if fast else (jax.default_backend(),)
        print("transposed convolutions " + ("as Keras'" if fast else "phase by phase"))
        for b in args.gpu_batches:
            _time_epoch(x, b, args.repeats)


_STEP_FLOPS: dict[int, float] = {}


def _useful_step_flops(gan: gk.GAN, data, b: int) -> float:
    """XLA's FLOP count of one training step, compiled for the CPU, with every transposed
    convolution phase by phase (no products by the zeros between pixels). A GPU's compiled program hides its
    FLOPs in library calls (cuDNN, cuBLAS), and a loop's body is counted once whatever
    its trip count, so one step is priced, on the CPU."""
    cpu = jax.sharding.SingleDeviceSharding(jax.devices("cpu")[0])
    shapes = jax.tree.map(
        lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=cpu), (gan.get_state(), data)
    )
    layer, saved = gk.layers.Conv2DTranspose, gk.layers.Conv2DTranspose.fast_platforms
    layer.fast_platforms = (jax.default_backend(),)
    try:  # a fresh function: nothing traced here is reused by the timed program
        one = jax.jit(
            lambda state, data: gk.gan.step.train_steps(gan.spec, state, data, 1, b, "both")
        )
        compiled = one.lower(*shapes).compile()
    finally:
        layer.fast_platforms = saved
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    return float((cost or {}).get("flops", float("nan")))


def _time_epoch(x: np.ndarray, b: int, repeats: int) -> None:
    """One epoch's worth of steps in one compiled scan; FLOP/s from XLA's cost analysis."""
    steps = len(x) // b
    gan = adam_gan("dcgan", width=64)
    data = jnp.asarray(x)
    fn = gan.programs.get("train")
    if b not in _STEP_FLOPS:
        _STEP_FLOPS[b] = _useful_step_flops(gan, data, b)
    step_flops = _STEP_FLOPS[b]
    gan.train_steps(x, steps=steps, batch_size=b)  # warm-up (compilation)
    best = float("inf")
    for _ in range(repeats):
        state = gan.get_state()
        start = time.perf_counter()
        state, _, losses = fn(state, data, steps=steps, batch_size=b, mode="both")
        jax.block_until_ready(losses)
        best = min(best, time.perf_counter() - start)
    if not np.isfinite(np.asarray(losses)).all():
        raise SystemExit("non-finite losses in the timed epoch: the figure would be void")
    kind = jax.devices()[0].device_kind
    peak = next((v for k, v in PEAK_FLOPS.items() if k in kind), None)
    achieved = step_flops * steps / best
    share = f" = {100 * achieved / peak:.1f}% of {peak / 1e12:.0f} TFLOP/s" if peak else ""
    print(
        f"  batch {b}: one epoch ({steps} steps) {best:.3f} s, {steps * b / best:,.0f} images/s;"
        f" {step_flops / 1e9:.1f} GFLOP/step, {achieved / 1e12:.1f} TFLOP/s{share}",
        flush=True,
    )


def _lesson_run(x: np.ndarray, args) -> None:
    """Lesson 07's accelerator configuration through ``fit``: DCGAN, batch 256, Adam 2e-4."""
    real, _ = gk.data.mnist("test", args.mnist)
    with gk.distribute.data_parallel_scope():
        gan = gk.GAN(
            *gk.image_models.build_pair("dcgan"),
            g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        )
        for spe in (1, args.fit_spe):
            gan.compile(steps_per_execution=spe)
            start = time.perf_counter()
            gan.fit(x, batch_size=256, epochs=1, verbose=0)
            first = time.perf_counter() - start
            start = time.perf_counter()
            gan.fit(x, batch_size=256, epochs=args.fit_epochs // 2, verbose=0)
            per_epoch = (time.perf_counter() - start) / (args.fit_epochs // 2)
            print(
                f"fit, batch 256, steps_per_execution {spe}: first epoch (compiling) {first:.1f} s,"
                f" then {per_epoch:.2f} s per epoch"
            )
    epochs = 2 + 2 * (args.fit_epochs // 2)
    fake = gan.sample(5000, seed=1)
    cov = gk.metrics.class_coverage(fake)
    print(
        f"  after {epochs} epochs: classifier-FID "
        f"{gk.metrics.classifier_fid(fake, real[:5000]):.2f}, classes {cov.classes}, "
        f"entropy {cov.entropy:.2f} (real vs real: "
        f"{gk.metrics.classifier_fid(real[:5000], real[5000:]):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("mlp", "conv", "quality", "gpu"))
    parser.add_argument("--mnist", default="../shared/data/mnist")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=78, help="steps per timed scan")
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument("--width", type=int, default=32, help="upsample+conv width")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=300.0, help="quality: training time")
    parser.add_argument("--images", type=int, default=60_000, help="gpu: images in the epoch")
    parser.add_argument(
        "--gpu-batches", type=lambda s: [int(v) for v in s.split(",")], default=[128, 256]
    )
    parser.add_argument(
        "--other-convt", action="store_true", help="gpu: also the other transposed-conv form"
    )
    parser.add_argument("--fit-epochs", type=int, default=0, help="gpu: lesson 07's fit run")
    parser.add_argument("--fit-spe", type=int, default=26, help="gpu: fit's steps_per_execution")
    args = parser.parse_args()
    {"mlp": bench_mlp, "conv": bench_conv, "quality": bench_quality, "gpu": bench_gpu}[args.what](
        args
    )


if __name__ == "__main__":
    main()
