"""Quality apart from diversity: k-nearest-neighbour manifolds, and the exact W1 distance.

A generator can be sharp but collapsed (every sample on a real mode, most modes missed)
or diverse but blurry (samples everywhere, many between the modes). One number cannot
tell them apart; two can:

* :func:`precision_recall` (Kynkäänniemi et al. 2019): the real manifold is the union of
  balls around each real sample reaching its k-th nearest real neighbour. Precision is
  the share of fakes inside it (quality); recall the share of reals inside the fakes'
  manifold (diversity).
* :func:`density_coverage` (Naeem et al. 2020): density counts how many real balls hold
  each fake (robust to real outliers; about 1 when the sets match), coverage the share
  of real balls that hold at least one fake.
* :func:`wasserstein`: the exact earth mover's distance between two point sets, by an
  optimal-transport solver (POT's network simplex), to set beside a WGAN critic's own
  estimate.

They work on raw points (the toy sets) or on features (the MNIST classifier's).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> real = rng.normal(size=(500, 2))
>>> precision_recall(real, real)
(1.0, 1.0)
>>> round(wasserstein(real, real + [3.0, 4.0]), 6)
5.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gankit import _checks

_ROWS = 1024  # distances are taken this many rows at a time (memory stays ~8 MB a block)


def _points(name: str, value: Any, width: int | None = None, least: int = 2) -> np.ndarray:
    array = _checks.float_array(name, value, "an (n, d) array of numbers", np.float64)
    if array.ndim != 2 or len(array) < least or (width is not None and array.shape[1] != width):
        want = "(n, d)" if width is None else f"(n, {width})"
        raise ValueError(
            f"{name} must have shape {want} with n >= {least}, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array


def _pair(real: Any, fake: Any) -> tuple[np.ndarray, np.ndarray]:
    a = _points("real", real)
    return a, _points("fake", fake, a.shape[1])


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``(len(a), len(b))``, one block of rows at a time."""
    _checks.size_limit("the distance matrix", (len(a), len(b)), 8, "use fewer samples")
    out = np.empty((len(a), len(b)))
    bb = (b * b).sum(1)
    for i in range(0, len(a), _ROWS):
        block = a[i : i + _ROWS]
        squared = (block * block).sum(1)[:, None] - 2.0 * block @ b.T + bb[None, :]
        out[i : i + _ROWS] = np.sqrt(np.maximum(squared, 0.0))
    return out


def _radii(points: np.ndarray, k: int) -> np.ndarray:
    """Each point's distance to its k-th nearest neighbour in its own set (not itself)."""
    if k >= len(points):
        raise ValueError(f"k must be below the number of samples ({len(points)}), got {k}")
    d = _distances(points, points)
    np.fill_diagonal(d, -1.0)  # itself first, whatever the ties
    return np.partition(d, k, axis=1)[:, k]


def precision_recall(real: Any, fake: Any, k: int = 3) -> tuple[float, float]:
    """``(precision, recall)`` of ``fake`` against ``real`` with ``k``-NN manifolds.

    >>> import numpy as np
    >>> real = np.random.default_rng(1).normal(size=(400, 2))
    >>> precision, recall = precision_recall(real, real[:, :1] * [1.0, 0.0])
    >>> recall < 0.5  # a collapsed line covers little of the cloud
    True
    """
    a, b = _pair(real, fake)
    k = _checks.count("k", k)
    ra, rb = _radii(a, k), _radii(b, k)
    d = _distances(b, a)  # fakes x reals
    precision = np.mean(np.any(d <= ra[None, :], axis=1))
    recall = np.mean(np.any(d.T <= rb[None, :], axis=1))
    return float(precision), float(recall)


def density_coverage(real: Any, fake: Any, k: int = 5) -> tuple[float, float]:
    """``(density, coverage)`` of ``fake`` against ``real`` (balls around reals only).

    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> density, coverage = density_coverage(rng.normal(size=(500, 2)), rng.normal(size=(500, 2)))
    >>> 0.8 < density < 1.2 and coverage > 0.9
    True
    """
    a, b = _pair(real, fake)
    k = _checks.count("k", k)
    inside = _distances(b, a) <= _radii(a, k)[None, :]  # fake j in real i's ball
    density = inside.sum() / (k * len(b))
    coverage = np.mean(inside.any(axis=0))
    return float(density), float(coverage)


def wasserstein(a: Any, b: Any) -> float:
    """The exact Wasserstein-1 (earth mover's) distance between two point sets, each
    point weighing the same, with Euclidean ground distance.

    Solved exactly by POT's network simplex (``ot.emd2``), not estimated: the number a
    WGAN critic's value approximates.

    >>> import numpy as np
    >>> wasserstein([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]])
    1.0
    """
    import ot  # POT: imported when used (a second's import for a number few panels show)

    x = _points("a", a, least=1)
    y = _points("b", b, x.shape[1], least=1)
    cost = _distances(x, y)
    weights_x = np.full(len(x), 1.0 / len(x))
    weights_y = np.full(len(y), 1.0 / len(y))
    return float(ot.emd2(weights_x, weights_y, cost, numItermax=10_000_000))
