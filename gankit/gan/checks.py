"""Checks of what a person hands a GAN: numbers by name, samples; and the guarded redo."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from gankit import _checks, schemes
from gankit._interrupt import Deferred
from gankit.gan.layout import all_layers

LEARNING_RATES = ("g_learning_rate", "d_learning_rate")
"""The names of the two players' learning rates (each kept in its optimizer)."""


def guarded_call(call: Any, start: Any, failed: Any, halted: bool, last: Any = None) -> tuple:
    """``call(start, guard, previous) -> (state, previous, losses)``, unguarded first.

    Unguarded steps skip a select over the whole state; if ``failed(state)`` says a step
    went wrong, the call is redone guarded from the same start, so the result is always
    what guarded steps give. The guarded redo needs the state before ``start`` (where a
    run goes back when ``start`` itself proves unusable): ``last``, the call that led to
    ``start`` as ``(its start, its call)``, is replayed guarded to find it. A run already
    halted goes guarded at once (it must stay put).
    """
    if not halted:
        result = call(start, False, None)
        if not failed(result[0]):
            return result
    previous = start
    if last is not None:
        last_start, last_call = last
        previous = last_call(last_start, True, last_start)[1]
    return call(start, True, previous)


def chunk_length(work: int, batch_size: int, runs: int = 1) -> int:
    """How many steps one compiled call may take, so that Ctrl-C waits about a second at
    most: a power of two (1 to 4096) from the work a step does (:func:`work_per_sample`
    of both networks x batch x runs); an accelerator is taken as 64 times a CPU core."""
    budget = CHUNK_WORK * (1 if jax.default_backend() == "cpu" else 64)
    steps = budget / max(work * batch_size * runs, 1)
    return int(2 ** np.clip(np.floor(np.log2(max(steps, 1.0))), 0, 12))


CHUNK_WORK = 2.0**33
"""Multiply-adds a chunk may do: about a second on one laptop core (measured: 1.2 s for
the toy lab's MLPs at batch 256 and for the MNIST MLPs at batch 64)."""


def work_per_sample(model: Any) -> int:
    """Multiply-adds of one forward pass over one sample: each kernel's size times the
    positions it is applied at (1 for a dense layer)."""
    total = 0
    for layer in all_layers(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        try:
            where = layer.input if "Transpose" in type(layer).__name__ else layer.output
            positions = int(np.prod(where.shape[1:-1]))
        except (AttributeError, ValueError, TypeError):
            positions = 1
        total += int(np.prod(kernel.shape)) * max(positions, 1)
    return max(total, sum(int(np.prod(v.shape)) for v in model.trainable_variables))


def run_chunked(steps: int, longest: int, call: Any, axis: int = 0) -> np.ndarray:
    """``call(n)`` over :func:`chunks` of ``steps``, their losses joined along ``axis``;
    Ctrl-C stops between chunks (then raises KeyboardInterrupt, progress kept)."""
    rows = []
    with Deferred() as interrupt:
        for n in chunks(steps, longest):
            if interrupt.requested:
                break
            rows.append(call(n))
    return np.concatenate(rows, axis=axis)


def chunks(steps: int, longest: int) -> list[int]:
    """``steps`` cut into calls of at most ``longest``: equal ones where they divide (one
    program), else full ones and a remainder (two)."""
    if steps <= longest:
        return [steps]
    least = -(-steps // longest)
    for n in range(least, 2 * least + 1):
        if steps % n == 0:
            return [steps // n] * n
    return [longest] * (steps // longest) + ([steps % longest] if steps % longest else [])


def blank_after_halt(losses: np.ndarray, start_step: Any, state: dict) -> np.ndarray:
    """Losses with NaN rows for the steps the kept state does not include (after a halt).

    Works with a leading run axis too (``start_step`` and the state's counters per run).
    """
    out = np.array(losses, dtype=np.float32)
    halted = np.asarray(state["halted"]) >= 0
    kept = np.asarray(state["step"]) - np.asarray(start_step)  # rows still in the state
    rows = np.arange(out.shape[-2])
    drop = halted[..., None] & (rows >= np.asarray(kept)[..., None])
    out[drop] = np.nan
    return out


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
    arr = _checks.float_array("samples", x, f"numeric, of shape (n, {', '.join(map(str, shape))})")
    if arr.ndim != 1 + len(shape) or tuple(arr.shape[1:]) != tuple(shape) or len(arr) < 1:
        raise ValueError(
            f"samples must have shape (n, {', '.join(map(str, shape))}) with n >= 1, "
            f"got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples must be finite (no NaN or inf)")
    return arr
