""":func:`check`: a student's function against the engine's answer, in words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class ExerciseError(AssertionError):
    """An exercise's answer is wrong: the message says where, by how much, and a hint."""


def _numbers(value: Any) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=complex)
    except (TypeError, ValueError):
        return None


def _show(value: Any) -> str:
    array = _numbers(value)
    if array is None:
        return repr(value)
    if array.ndim == 0:
        real = not np.iscomplexobj(value) or array.imag == 0
        return f"{array.real:.6g}" if real else f"{complex(array):.6g}"
    # Every option spelled out: the same text whatever np.set_printoptions a lesson chose.
    return np.array2string(
        np.asarray(value),
        precision=5,
        threshold=8,
        suppress_small=True,
        floatmode="maxprec",
        sign="-",
        separator=" ",
        max_line_width=200,
    )


def _args(point: Any) -> tuple:
    return point if isinstance(point, tuple) else (point,)


def _point(point: Any) -> str:
    args = _args(point)
    inner = ", ".join(_show(a) for a in args)
    return inner if len(args) == 1 else f"({inner})"


def check(
    exercise: str,
    answer: Callable[..., Any],
    reference: Callable[..., Any],
    *,
    inputs: Sequence[Any],
    rtol: float = 1e-5,
    atol: float = 1e-7,
    hint: str = "",
) -> None:
    """Compare ``answer(*x)`` with ``reference(*x)`` for every ``x`` in ``inputs``.

    An ``x`` that is a tuple is spread over the arguments. Prints one line when the two
    agree everywhere (to ``rtol`` / ``atol``); otherwise raises :class:`ExerciseError`
    naming the first input where they differ, both values and the ``hint``. An answer
    still raising the student build's ``NotImplementedError`` passes that error through
    unchanged; any other error in the answer is reported as the answer's, with the hint.
    """
    name = getattr(answer, "__name__", "<lambda>")
    name = "your answer" if name == "<lambda>" else name
    tail = f" Hint: {hint}" if hint else ""
    for point in inputs:
        args = _args(point)
        try:
            got = answer(*args)
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - said in words, with the hint
            raise ExerciseError(
                f"exercise {exercise}: {name}({', '.join(map(_show, args))}) raised "
                f"{type(error).__name__}: {error}.{tail}"
            ) from error
        want = reference(*args)
        a, b = _numbers(got), _numbers(want)
        same = (
            a is not None
            and b is not None
            and a.shape == b.shape
            and bool(np.allclose(a, b, rtol=rtol, atol=atol))
        )
        if not same:
            raise ExerciseError(
                f"exercise {exercise}: {name}({', '.join(map(_show, args))}) gives "
                f"{_show(got)}, the reference gives {_show(want)}.{tail}"
            )
    print(
        f"exercise {exercise}: right: {name} agrees with the reference at "
        + ", ".join(_point(p) for p in inputs)
    )
