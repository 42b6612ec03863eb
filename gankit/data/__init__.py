"""Data for the lessons: 2-D toy sets, user-drawn points, MNIST, your own images, batches.

>>> from gankit import data
>>> x = data.toy("ring8", 512, seed=0)
>>> batch = next(data.batches(x, 128, seed=0))
>>> batch.shape
(128, 2)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from gankit.data.images import images
from gankit.data.mnist import (
    ENV_VAR,
    SPLITS,
    MNISTUnavailableError,
    fashion_mnist,
    mnist,
    scale_images,
)
from gankit.data.toy import MODE_DATASETS, TOY_DATASETS, modes, points, toy

__all__ = [
    "ENV_VAR",
    "MODE_DATASETS",
    "MNISTUnavailableError",
    "SPLITS",
    "TOY_DATASETS",
    "batches",
    "fashion_mnist",
    "images",
    "mnist",
    "modes",
    "points",
    "scale_images",
    "toy",
]


def batches(array: np.ndarray, batch_size: int, seed: int | None = 0) -> Iterator[np.ndarray]:
    """Endless shuffled batches of exactly ``batch_size`` rows of ``array``.

    Each epoch is a fresh permutation; the ragged remainder is dropped so every batch
    has the same shape and a jitted train step compiles once.

    >>> it = batches(np.arange(10), 4, seed=0)
    >>> [len(next(it)) for _ in range(5)]
    [4, 4, 4, 4, 4]
    """
    array = np.asarray(array)
    if array.ndim < 1 or len(array) < 1:
        raise ValueError(f"array must have at least one row, got shape {array.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"batch_size must be an integer in 1..{len(array)}, got {batch_size!r}")
    if not 1 <= batch_size <= len(array):
        raise ValueError(f"batch_size must be an integer in 1..{len(array)}, got {batch_size!r}")
    return _batches(array, int(batch_size), np.random.default_rng(seed))


def _batches(array: np.ndarray, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    full = len(array) - len(array) % size
    while True:
        order = rng.permutation(len(array))[:full]
        for start in range(0, full, size):
            yield array[order[start : start + size]]
