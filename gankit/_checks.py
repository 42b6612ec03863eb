"""Argument checks shared by the public entry points: one rule and one message style.

A value of the wrong type raises :class:`ArgumentTypeError` (a ``TypeError``, and a
``ValueError`` too, so code written to catch either keeps working); a value of the right
type outside what is allowed raises ``ValueError``. Both name the parameter, the value
given and what is allowed. Strings are never taken as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

MAX_BYTES = 2**30
"""The largest array (1 GiB) an entry point builds for its result before refusing."""


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a number given as a string, a list for a name)."""


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (not a bool, not a string, not an array)."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    return (
        isinstance(value, np.ndarray | np.generic)
        and value.ndim == 0
        and (np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating))
    )


def _number(name: str, value: Any, allowed: str) -> float:
    if isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(f"{name} must be {allowed}, got {value!r}")
    if not is_number(value):
        # jax arrays and other 0-d numeric scalars are numbers too; strings never are
        if isinstance(value, str | bytes) or not hasattr(value, "__float__"):
            raise ArgumentTypeError(f"{name} must be {allowed}, got {value!r}")
        if getattr(value, "ndim", 0) != 0 or str(getattr(value, "dtype", "")) == "bool":
            raise ArgumentTypeError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def positive(name: str, value: Any) -> float:
    """``value`` as a float, or an error if it is not a positive finite number."""
    allowed = "a positive finite number"
    number = _number(name, value, allowed)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def non_negative(name: str, value: Any) -> float:
    """``value`` as a float, or an error if it is negative or not finite."""
    allowed = "a finite number >= 0"
    number = _number(name, value, allowed)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def finite(name: str, value: Any) -> float:
    """``value`` as a float, or an error if it is not a finite number."""
    allowed = "a finite number"
    number = _number(name, value, allowed)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return number


def count(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int, or an error if it is not an integer in ``[minimum, maximum]``."""
    allowed = f"an integer >= {minimum}" + ("" if maximum is None else f" and <= {maximum}")
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ArgumentTypeError(f"{name} must be {allowed}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``, else an error listing them."""
    allowed = tuple(allowed)
    listed = ", ".join(repr(a) for a in allowed)
    try:
        known = value in allowed
    except TypeError:  # an unhashable or uncomparable value
        known = False
    if not known:
        kind = ArgumentTypeError if not isinstance(value, str) else ValueError
        raise kind(f"{name} must be one of {listed}; got {value!r}")
    return value


def seed(name: str, value: Any) -> int:
    """A random seed: an integer in ``[0, 2**32)`` (what every random generator takes)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ArgumentTypeError(f"{name} must be an integer, got {value!r}")
    if not 0 <= int(value) < 2**32:
        raise ValueError(f"{name} must be an integer in [0, 2**32), got {value!r}")
    return int(value)


def float_array(
    name: str, value: Any, what: str = "an array of numbers", dtype: Any = np.float32
) -> np.ndarray:
    """``value`` as a float array, or an error naming ``name`` (never numpy's own)."""
    if isinstance(value, str | bytes):
        raise ArgumentTypeError(f"{name} must be {what}, got {value!r}")
    try:
        arr = np.asarray(value)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise TypeError
        return arr.astype(dtype)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be {what}, got {_short(value)}") from None


def size_limit(name: str, shape: tuple, itemsize: int = 4, hint: str = "") -> None:
    """Refuse, before any work, a result of ``shape`` larger than :data:`MAX_BYTES`."""
    n = math.prod(int(s) for s in shape)
    if n * itemsize > MAX_BYTES:
        raise ValueError(
            f"{name} would make an array of shape {tuple(shape)} "
            f"({n * itemsize / 2**30:.1f} GiB); the limit is {MAX_BYTES / 2**30:g} GiB"
            + (f": {hint}" if hint else "")
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
