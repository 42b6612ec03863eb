"""Small 2-D data sets for watching a GAN learn (or collapse) in a scatter plot.

Mode-based sets (``ring8``, ``grid25``, ``gaussian``) publish their mode centres and
noise through :func:`modes`, so :func:`gankit.metrics.mode_coverage` can count the
modes a generator has found.

>>> from gankit.data import toy, modes
>>> x = toy("ring8", 1000, seed=0)
>>> x.shape, x.dtype
((1000, 2), dtype('float32'))
>>> centres, std = modes("ring8")
>>> centres.shape, std
((8, 2), 0.02)
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gankit import _checks

ArrayLike = np.ndarray | list | tuple

# Default noise std per data set. For the mode-based sets it is the std of every mode.
_DEFAULT_STD: dict[str, float] = {
    "ring8": 0.02,
    "grid25": 0.05,
    "spiral": 0.08,
    "moons": 0.1,
    "swissroll": 0.05,
    "checkerboard": 0.0,
    "circles": 0.05,
    "gaussian": 1.0,
}

TOY_DATASETS: tuple[str, ...] = tuple(_DEFAULT_STD)
"""Names accepted by :func:`toy`."""

MODE_DATASETS: tuple[str, ...] = ("ring8", "grid25", "gaussian")
"""Names accepted by :func:`modes`: the sets made of equal-weight isotropic Gaussians."""


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def _check_std(std: object, name: str) -> float:
    if std is None:
        return _DEFAULT_STD.get(name, 0.0)
    try:
        value = float(std)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"std must be a finite number >= 0, got {std!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"std must be a finite number >= 0, got {std!r}")
    return value


def _check_name(name: str, allowed: tuple[str, ...]) -> str:
    if name not in allowed:
        raise ValueError(f"name must be one of {', '.join(allowed)}; got {name!r}")
    return name


def _ring8_centres() -> np.ndarray:
    # 2*pi*k/8 for k = 0..7: eight distinct angles (linspace(0, 2*pi, 8) repeats one).
    angles = 2.0 * np.pi * np.arange(8) / 8.0
    return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _grid25_centres() -> np.ndarray:
    ticks = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


_CENTRES: dict[str, Callable[[], np.ndarray]] = {
    "ring8": _ring8_centres,
    "grid25": _grid25_centres,
    "gaussian": lambda: np.zeros((1, 2)),
}


def modes(name: str, std: float | None = None) -> tuple[np.ndarray, float]:
    """Mode centres ``(k, 2)`` and per-mode std of a mode-based toy set.

    ``std`` overrides the default, matching ``toy(name, n, std=...)``.

    >>> centres, std = modes("grid25")
    >>> centres.shape, std
    ((25, 2), 0.05)
    """
    _check_name(name, MODE_DATASETS)
    return _CENTRES[name]().astype(np.float32), _check_std(std, name)


def _mixture(name: str, n: int, rng: np.random.Generator, std: float) -> np.ndarray:
    centres = _CENTRES[name]()
    picks = rng.integers(0, len(centres), size=n)
    return centres[picks] + std * rng.standard_normal((n, 2))


def _spiral(n: int, rng: np.random.Generator) -> np.ndarray:
    # Two arms, 1.5 turns each; sqrt spreads points evenly along the arm's length.
    t = np.sqrt(rng.uniform(size=n)) * 3.0 * np.pi
    arm = np.where(rng.uniform(size=n) < 0.5, 1.0, -1.0)
    return arm[:, None] * np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / np.pi


def _moons(n: int, rng: np.random.Generator) -> np.ndarray:
    theta = rng.uniform(0.0, np.pi, size=n)
    upper = rng.uniform(size=n) < 0.5
    x = np.where(upper, np.cos(theta), 1.0 - np.cos(theta))
    y = np.where(upper, np.sin(theta), 0.5 - np.sin(theta))
    return 2.0 * (np.stack([x, y], axis=1) - [0.5, 0.25])


def _swissroll(n: int, rng: np.random.Generator) -> np.ndarray:
    t = 1.5 * np.pi * (1.0 + 2.0 * rng.uniform(size=n))
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (1.5 * np.pi)


def _checkerboard(n: int, rng: np.random.Generator) -> np.ndarray:
    # 4x4 board on [-2, 2]^2; the 8 cells with even row + column hold the mass.
    cells = np.array([(c, r) for c in range(4) for r in range(4) if (c + r) % 2 == 0], float)
    picks = rng.integers(0, len(cells), size=n)
    return cells[picks] - 2.0 + rng.uniform(size=(n, 2))


def _circles(n: int, rng: np.random.Generator) -> np.ndarray:
    radius = np.where(rng.uniform(size=n) < 0.5, 2.0, 1.0)
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n)
    return radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


_SHAPES: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "spiral": _spiral,
    "moons": _moons,
    "swissroll": _swissroll,
    "checkerboard": _checkerboard,
    "circles": _circles,
}


def _csv(text: str, source: str) -> np.ndarray:
    """Rows of ``x,y`` (after at most one header line) as a float array."""
    for skip in (0, 1):
        try:
            return np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, skiprows=skip)
        except ValueError as exc:
            error = exc
    raise ValueError(f"data: cannot read {source} as CSV rows of x,y: {error}") from None


def points(data: ArrayLike | str | os.PathLike | bytes) -> np.ndarray:
    """Validate user points: an array-like, a CSV file of ``x,y`` rows, or the bytes of one
    (an uploaded file) -> float32 ``(k, 2)``.

    A CSV may start with one header line (e.g. ``x,y``). Lets a class draw its own
    data set (a smiley, initials) and train on it like a built-in one.

    >>> points([[0, 0], [1, 2.5]])
    array([[0. , 0. ],
           [1. , 2.5]], dtype=float32)
    >>> points(b"x,y\\n0.5,1\\n").tolist()
    [[0.5, 1.0]]
    """
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("data: the file is not text (CSV rows of x,y)") from None
        array = _csv(text, "the file")
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise ValueError(f"data must be an array of shape (k, 2) or a CSV file; no file {path}")
        array = _csv(path.read_text(encoding="utf-8-sig", errors="replace"), str(path))
    else:
        array = _checks.float_array("data", data, "numeric, of shape (k, 2)", np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] < 1:
        raise ValueError(f"data must have shape (k, 2) with k >= 1, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("data must be finite (no NaN or inf)")
    return array.astype(np.float32)


def toy(
    name: str | ArrayLike,
    n: int | None = None,
    seed: int | None = 0,
    *,
    std: float | None = None,
) -> np.ndarray:
    """``n`` samples ``(n, 2)`` float32 of a named toy set, or of user points.

    ``name`` is one of :data:`TOY_DATASETS`, or an array of points ``(k, 2)``: then
    ``n=None`` returns the points themselves and an ``n`` resamples them with
    replacement. ``std`` is the Gaussian noise added to each sample (defaults:
    ring8 0.02, grid25 0.05, spiral 0.08, moons 0.1, swissroll 0.05, checkerboard 0,
    circles 0.05, gaussian 1, user points 0). The same seed gives the same samples.

    >>> toy("grid25", 3, seed=1).shape
    (3, 2)
    >>> toy([[1.0, 1.0]], 2).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    rng = np.random.default_rng(seed)
    if not isinstance(name, str):
        try:
            pts = points(name)
        except (TypeError, ValueError) as error:
            listed = ", ".join(TOY_DATASETS)
            raise type(error)(f"name must be one of {listed} or points (k, 2): {error}") from None
        noise = _check_std(std, "")
        if n is not None:
            pts = pts[rng.integers(0, len(pts), size=_check_n(n))]
        if noise > 0:
            pts = pts + noise * rng.standard_normal(pts.shape)
        return pts.astype(np.float32)
    _check_name(name, TOY_DATASETS)
    count = _check_n(n)
    noise = _check_std(std, name)
    if name in _CENTRES:
        return _mixture(name, count, rng, noise).astype(np.float32)
    out = _SHAPES[name](count, rng)
    if noise > 0:
        out = out + noise * rng.standard_normal(out.shape)
    return out.astype(np.float32)
