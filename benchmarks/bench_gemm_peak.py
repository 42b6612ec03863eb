"""This CPU's matrix-product ceiling: GFLOP/s of one float32 product in XLA, numpy and PyTorch.

The training figures of the toy and MNIST GANs are bounded by how fast the machine
multiplies matrices; this prints that bound for the shapes those models use, so a
steps/s or images/s target can be set against what the hardware does (PyTorch is
optional: ``pip install torch``).

    python benchmarks/bench_gemm_peak.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import jax
import numpy as np

SHAPES = {  # (m, k, n): rows x inner x columns
    "toy GAN hidden layer, batch 256": (256, 64, 64),
    "MLP GAN 1024 -> 784, batch 128": (128, 1024, 784),
    "MLP GAN 784 -> 512, batch 128": (128, 784, 512),
    "DCGAN transposed conv 7->14 as GEMM": (6272, 256, 2048),
    "DCGAN transposed conv 14->28 as GEMM": (25088, 128, 1024),
    "large square-ish": (8192, 1024, 512),
}


def best_seconds(fn: Callable[[], object], repeats: int, inner: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def product_rates(a: np.ndarray, b: np.ndarray, repeats: int) -> list[float]:
    """FLOP/s of ``a @ b`` (float32) in XLA, numpy and, when installed, PyTorch."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    flop = 2 * a.shape[0] * a.shape[1] * b.shape[1]
    inner = max(1, int(2e8 // flop))  # about 0.2 GFLOP per timing
    xla = jax.jit(lambda a, b: a @ b)
    rates = [
        flop / best_seconds(lambda: xla(a, b).block_until_ready(), repeats, inner),
        flop / best_seconds(lambda: a @ b, repeats, inner),
    ]
    try:
        import torch
    except ImportError:
        return rates
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    return [*rates, flop / best_seconds(lambda: ta @ tb, repeats, inner)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"device: {jax.devices()[0].device_kind}; GFLOP/s, best of {args.repeats}")
    print(f"{'shape':54s} {'XLA':>7s} {'numpy':>7s} {'torch':>7s}")
    for name, (m, k, n) in SHAPES.items():
        rates = product_rates(rng.normal(size=(m, k)), rng.normal(size=(k, n)), args.repeats)
        cells = " ".join(f"{r / 1e9:7.1f}" for r in rates)
        print(f"{name + f' {m}x{k}x{n}':54s} {cells}")


if __name__ == "__main__":
    main()
