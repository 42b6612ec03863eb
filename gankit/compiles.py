"""One compile counter for every jitted program gankit builds.

Each program's Python body calls :func:`traced` with its kind; JAX runs that body only
when it traces (and so compiles) the program. Moving a slider, changing a learning rate
or a penalty weight must leave :func:`count` unchanged: that is how the tests and the
lessons prove that numbers are traced arguments, not constants baked into a program.

>>> import gankit as gk
>>> game, scheme = gk.games.Bilinear(), gk.schemes.optimistic(0.1)
>>> _ = gk.simulate(game, scheme, steps=50)
>>> before = gk.compile_count()
>>> _ = gk.simulate(game, scheme, steps=50, learning_rate=0.2)
>>> gk.compile_count() - before
0
"""

from __future__ import annotations

from collections import Counter

KINDS = ("simulate", "radii", "train")
"""The kinds of program: simulations, batched spectral radii, GAN training steps."""

_COUNTS: Counter = Counter()


def traced(kind: str) -> None:
    """Note one trace of a program of ``kind`` (called from inside the traced body)."""
    _COUNTS[kind] += 1


def count(kind: str | None = None) -> int:
    """Traces so far of programs of ``kind`` (one of :data:`KINDS`), or of all of them."""
    if kind is None:
        return sum(_COUNTS.values())
    if kind not in KINDS:
        raise ValueError(f"kind must be None or one of {KINDS}; got {kind!r}")
    return _COUNTS[kind]
