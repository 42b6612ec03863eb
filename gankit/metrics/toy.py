"""How well 2-D generator samples match a toy data set: modes found, and histogram distance.

Both are plain numpy on a few thousand points, cheap enough to run every few hundred
steps in a live panel.

>>> from gankit.data import toy
>>> from gankit.metrics import mode_coverage, grid_divergence
>>> mode_coverage(toy("ring8", 2500, seed=1), "ring8").modes
8
>>> round(grid_divergence(toy("ring8", 500), toy("ring8", 500)).js, 6)
0.0
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import numpy as np

from gankit import _checks
from gankit.data.toy import MODE_DATASETS
from gankit.data.toy import modes as _modes

UNITS: tuple[str, ...] = ("nats", "bits")


class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage`."""

    modes: int
    """Modes that are the nearest mode of at least one high-quality sample."""
    n_modes: int
    """Modes in the data set."""
    high_quality: float
    """Fraction of samples within ``threshold`` std of their nearest mode."""
    counts: np.ndarray
    """High-quality samples per mode, ``(n_modes,)`` int."""


class Divergence(NamedTuple):
    """Result of :func:`grid_divergence`, in ``unit`` (nats or bits)."""

    kl: float
    """KL(data || samples): large when the samples miss regions the data covers."""
    js: float
    """Jensen-Shannon divergence: symmetric, 0 for equal histograms, at most ln 2 (1 bit)."""
    unit: str


def _as_points(name: str, value: object) -> np.ndarray:
    array = _checks.float_array(name, value, "an (n, 2) array of points", np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or len(array) < 1:
        raise ValueError(f"{name} must have shape (n, 2) with n >= 1, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array


def _resolve_modes(dataset: object) -> tuple[np.ndarray, float]:
    if isinstance(dataset, str):
        centres, std = _modes(_checks.choice("dataset", dataset, MODE_DATASETS))
    elif isinstance(dataset, tuple) and len(dataset) == 2:
        centres, std = dataset
    else:
        raise _checks.ArgumentTypeError(
            "dataset must be a mode-based toy set name (ring8, grid25, gaussian) "
            f"or a (centres, std) pair, got {dataset!r}"
        )
    centres = _as_points("dataset centres", centres)
    if not (isinstance(std, Real) and math.isfinite(std) and std > 0):
        raise ValueError(f"dataset std must be a finite number > 0, got {std!r}")
    return centres, float(std)


def mode_coverage(samples: np.ndarray, dataset: object, *, threshold: float = 3.0) -> ModeCoverage:
    """Count the modes of a Gaussian-mixture toy set that ``samples`` reach (VEEGAN, PacGAN).

    A sample is *high quality* when it lies within ``threshold`` std of its nearest mode
    centre; a mode is *covered* when it is the nearest mode of at least one high-quality
    sample. ``dataset`` is a name (``"ring8"``, ``"grid25"``, ``"gaussian"``) or a
    ``(centres (k, 2), std)`` pair. A collapsed generator scores 1 mode however sharp.

    >>> import numpy as np
    >>> mode_coverage(np.array([[2.0, 0.0], [0.0, 2.0], [9.0, 9.0]]), "ring8")[:3]
    (2, 8, 0.6666666666666666)
    """
    centres, std = _resolve_modes(dataset)
    x = _as_points("samples", samples)
    threshold = _checks.positive("threshold", threshold)
    # Squared distances (n, k) from |x|^2 - 2 x.c + |c|^2: one matrix product, no (n, k, 2).
    d2 = (x * x).sum(1)[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(1)[None, :]
    nearest = d2.argmin(1)
    good = d2[np.arange(len(x)), nearest] <= (threshold * std) ** 2
    counts = np.bincount(nearest[good], minlength=len(centres))
    return ModeCoverage(
        modes=int((counts > 0).sum()),
        n_modes=len(centres),
        high_quality=float(good.mean()),
        counts=counts,
    )


def _histogram(x: np.ndarray, bins: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    # bins x bins cells plus one overflow cell for points outside the range, so mass that
    # wanders off the plot still counts against the generator.
    cell = np.clip(np.floor((x - lo) / (hi - lo) * bins), -1, bins).astype(np.int64)
    inside = np.all((cell >= 0) & (cell < bins), axis=1)
    flat = np.where(inside, cell[:, 0] * bins + cell[:, 1], bins * bins)
    return np.bincount(flat, minlength=bins * bins + 1).astype(np.float64)


def _check_range(value: object) -> tuple[np.ndarray, np.ndarray]:
    try:
        box = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        box = np.zeros(0)
    if box.shape != (2, 2) or not np.all(np.isfinite(box)) or np.any(box[:, 1] <= box[:, 0]):
        raise ValueError(
            f"range must be ((xmin, xmax), (ymin, ymax)) with finite min < max, got {value!r}"
        )
    return box[:, 0], box[:, 1]


def grid_divergence(
    samples: np.ndarray,
    data: np.ndarray,
    bins: int = 50,
    range: tuple[tuple[float, float], tuple[float, float]] | None = None,  # noqa: A002
    *,
    unit: str = "nats",
    eps: float = 1e-10,
) -> Divergence:
    """KL and JS divergence between 2-D histograms of ``samples`` and ``data``.

    Both sets are binned on the same ``bins`` x ``bins`` grid over ``range`` (default: the
    data's bounding box plus 10% on each side), with one extra cell for points outside it.
    Each cell gets ``eps`` of probability before renormalising, so KL stays finite when
    the generator leaves a cell empty. Units are nats (JS <= ln 2) or bits (JS <= 1).

    >>> import numpy as np
    >>> far = grid_divergence(np.zeros((100, 2)), np.ones((100, 2)) * 5, unit="bits")
    >>> round(far.js, 4), far.unit
    (1.0, 'bits')
    """
    x, y = _as_points("samples", samples), _as_points("data", data)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}; got {unit!r}")
    if not (isinstance(eps, Real) and math.isfinite(eps) and 0 < eps < 1e-2):
        raise ValueError(f"eps must be a number in (0, 0.01), got {eps!r}")
    if range is None:
        lo, hi = y.min(0), y.max(0)
        pad = 0.1 * (hi - lo) + 1e-3
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = _check_range(range)
    q = _histogram(x, int(bins), lo, hi)
    p = _histogram(y, int(bins), lo, hi)
    p = (p / p.sum() + eps) / (1.0 + eps * len(p))
    q = (q / q.sum() + eps) / (1.0 + eps * len(q))
    m = 0.5 * (p + q)
    kl = float(np.sum(p * np.log(p / q)))
    js = float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))
    scale = 1.0 / math.log(2.0) if unit == "bits" else 1.0
    return Divergence(kl=kl * scale, js=max(js, 0.0) * scale, unit=unit)
