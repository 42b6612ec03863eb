"""Checks of what a person hands a GAN: numbers by name, samples; and the guarded redo."""

from __future__ import annotations

from typing import Any

import numpy as np

from gankit import _checks, schemes

LEARNING_RATES = ("g_learning_rate", "d_learning_rate")
"""The names of the two players' learning rates (each kept in its optimizer)."""


def unguarded_first(run: Any, failed: Any, halted: bool = False) -> Any:
    """``run(False)``, redone as ``run(True)`` from the same start if ``failed`` says a step
    went non-finite.

    Unguarded steps skip a select over the whole state; the guarded redo stops at the last
    finite state, so the result is always what guarded steps give. A run already halted
    goes guarded at once (it must stay put).
    """
    if halted:
        return run(True)
    result = run(False)
    return run(True) if failed(result) else result


def check_number(name: str, value: Any) -> float:
    """A GAN number by its full name (``d_beta_1``, ``R1_gamma``), checked for its kind."""
    base = schemes.base_name(name)
    if base in ("ema",):
        v = _checks.finite(name, value)
        if not 0.0 < v < 1.0:
            raise ValueError(f"{name} must be in (0, 1), got {value!r}")
        return v
    if base == "real_label":
        v = _checks.finite(name, value)
        if not 0.5 < v <= 1.0:
            raise ValueError(f"{name} must be in (0.5, 1], got {value!r}")
        return v
    if base in ("sigma", "target", "weight_clip"):
        return _checks.non_negative(name, value)
    return float(schemes.check_hyper(name, value))


def check_samples(x: Any, shape: tuple) -> np.ndarray:
    """Real samples as float32 of shape ``(n,) + shape``, finite, or a ValueError."""
    try:
        arr = np.asarray(x, np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"samples must be numeric, of shape (n, {', '.join(map(str, shape))})"
        ) from None
    if arr.ndim != 1 + len(shape) or tuple(arr.shape[1:]) != tuple(shape) or len(arr) < 1:
        raise ValueError(
            f"samples must have shape (n, {', '.join(map(str, shape))}) with n >= 1, "
            f"got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples must be finite (no NaN or inf)")
    return arr
