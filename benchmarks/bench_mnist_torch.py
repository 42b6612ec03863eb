"""gankit.image_models' DCGAN (width 64) or MLP GAN trained in PyTorch on the CPU: images/s.

The yardstick for ``python benchmarks/bench_mnist.py conv`` (and ``mlp``): same layers,
shapes and step (simultaneous non-saturating update, Adam(2e-4, beta_1=0.5) for each player, both
gradients on one batch of fakes). PyTorch is only needed for this script; it is not a
gankit dependency (``pip install torch`` to run it).

    python benchmarks/bench_mnist_torch.py [--model dcgan|mlp] [--batch 128] [--steps 8]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

LATENT = 100


def generator(width: int = 64) -> nn.Module:
    w = width
    return nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 4 * w, bias=False),
        nn.BatchNorm1d(7 * 7 * 4 * w, eps=1e-3, momentum=0.1),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (4 * w, 7, 7)),
        nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(2 * w, eps=1e-3, momentum=0.1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(w, eps=1e-3, momentum=0.1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(w, 1, 3, padding=1),
        nn.Tanh(),
    )


def discriminator(width: int = 64) -> nn.Module:
    w = width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(2 * w * 7 * 7, 1),
    )


def mlp_generator() -> nn.Module:
    """Dense 256-512-1024 with LeakyReLU(0.2), then BatchNorm (Keras momentum 0.8), tanh."""
    layers: list[nn.Module] = []
    width = LATENT
    for units in (256, 512, 1024):
        layers += [nn.Linear(width, units), nn.LeakyReLU(0.2), nn.BatchNorm1d(units, 1e-3, 0.2)]
        width = units
    return nn.Sequential(
        *layers, nn.Linear(width, 28 * 28), nn.Tanh(), nn.Unflatten(1, (1, 28, 28))
    )


def mlp_discriminator() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 512),
        nn.LeakyReLU(0.2),
        nn.Linear(512, 256),
        nn.LeakyReLU(0.2),
        nn.Linear(256, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("dcgan", "mlp"), default="dcgan")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.model == "mlp":
        g, d = mlp_generator(), mlp_discriminator()
    else:
        g, d = generator(args.width), discriminator(args.width)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    softplus = nn.functional.softplus
    real = torch.from_numpy(
        np.random.default_rng(0).uniform(-1, 1, (args.batch, 1, 28, 28)).astype(np.float32)
    )

    def step() -> None:
        z = torch.randn(args.batch, LATENT)
        fake = g(z)
        d_loss = softplus(-d(real)).mean() + softplus(d(fake.detach())).mean()
        g_loss = softplus(-d(fake)).mean()
        opt_d.zero_grad(set_to_none=True)
        opt_g.zero_grad(set_to_none=True)
        d_grads = torch.autograd.grad(d_loss, list(d.parameters()))
        g_grads = torch.autograd.grad(g_loss, list(g.parameters()))
        for p, gr in zip(d.parameters(), d_grads, strict=True):
            p.grad = gr
        for p, gr in zip(g.parameters(), g_grads, strict=True):
            p.grad = gr
        opt_d.step()
        opt_g.step()

    step()  # warm-up
    best = 0.0
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        best = max(best, args.steps * args.batch / (time.perf_counter() - start))
    print(
        f"PyTorch {torch.__version__} CPU ({torch.get_num_threads()} threads), "
        + ("MLP GAN" if args.model == "mlp" else f"DCGAN width {args.width}")
        + f", batch {args.batch}: {best:.0f} images/s"
    )


if __name__ == "__main__":
    main()
