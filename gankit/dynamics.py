"""Simulate update schemes on games: one jitted ``lax.scan``, vmapped over a batch.

>>> import gankit as gk
>>> traj = gk.simulate(gk.games.Bilinear(), gk.schemes.simultaneous(0.1), steps=500)
>>> traj.shape, bool(traj.diverged)
((501, 2), False)
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gankit import _checks, compiles, schemes
from gankit.games import Game


class Trajectory(np.ndarray):
    """Iterates as rows (``traj[k]`` is the point after k updates), plus divergence marks.

    ``diverged_at`` has the batch shape of the simulation: the first update whose point
    was not finite or left ``[-bound, bound]`` (-1 where none). From there on a run is
    frozen: its rows repeat the last good point, so the array holds no NaN.
    """

    diverged_at: np.ndarray

    def __new__(cls, rows: np.ndarray, diverged_at: np.ndarray) -> Trajectory:
        obj = np.asarray(rows).view(cls)
        obj.diverged_at = np.asarray(diverged_at)
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.diverged_at = getattr(obj, "diverged_at", np.asarray(-1))

    @property
    def diverged(self) -> np.ndarray:
        """Whether each run diverged (batch shape)."""
        return self.diverged_at >= 0


CHUNK = 65_536
"""Longer simulations run in chunks of this many steps: Ctrl-C stops them between chunks."""


def _loop(
    game: Game, scheme: schemes.Scheme, carry: tuple, first: Any, steps: Any, length: int, bound
):
    """Steps ``first .. first + steps - 1`` of one run from ``carry`` ``(x, y, state,
    alive, diverged_at)``; their rows fill the first ``steps`` of ``length`` rows.

    ``steps`` is traced: one program serves every number of steps up to ``length``."""

    def body(i, loop):
        (x, y, state, alive, at), rows = loop
        x2, y2, state2, _ = scheme.step(game, x, y, state)
        z2 = jnp.concatenate([x2, y2])
        ok = jnp.all(jnp.isfinite(z2)) & (jnp.max(jnp.abs(z2)) <= bound)
        keep = alive & ok
        x, y, state = jax.tree.map(
            lambda new, old: jnp.where(keep, new, old), (x2, y2, state2), (x, y, state)
        )
        at = jnp.where(alive & ~ok, first + i, at)
        return (x, y, state, keep, at), rows.at[i].set(jnp.concatenate([x, y]))

    x, y = carry[0], carry[1]
    rows = jnp.zeros((length, game.dim), jnp.result_type(x, y))
    return jax.lax.fori_loop(0, steps, body, (carry, rows))


def _run(game: Game, scheme: schemes.Scheme, starts: jax.Array, steps, length: int, bound: float):
    """Every start's first ``steps`` rows (the start included; ``length + 1`` rows in
    all) and where each run stands."""
    compiles.traced("simulate")

    def one(scheme: schemes.Scheme, start: jax.Array):
        x, y = game.split(start)
        carry = (x, y, scheme.init(game, x, y), jnp.array(True), jnp.array(-1, jnp.int32))
        carry, rows = _loop(game, scheme, carry, 1, steps, length, bound)
        return jnp.concatenate([start[None], rows]), carry

    return jax.vmap(one)(scheme, starts)


def _resume(game: Game, scheme: schemes.Scheme, carry: tuple, first, steps, length: int, bound):
    """The next ``steps`` rows of every run (``length`` in all), from where :func:`_run`
    left them."""
    compiles.traced("simulate")
    return jax.vmap(lambda s, c: _loop(game, s, c, first, steps, length, bound))(scheme, carry)


_run_jit = jax.jit(_run, static_argnames=("length", "bound"))
_resume_jit = jax.jit(_resume, static_argnames=("length", "bound"))


def _rows_for(steps: int) -> int:
    """The rows a program is compiled for: the next power of two (16 at least, at most
    :data:`CHUNK`), so that runs of different lengths share a program."""
    return min(CHUNK, max(16, 1 << (steps - 1).bit_length()))


def _chunked(game, scheme, starts, steps: int, bound: float) -> tuple[np.ndarray, np.ndarray]:
    """All rows in chunks of :data:`CHUNK` steps (one or two programs), so that a long run
    can be interrupted between them."""
    first = min(steps, CHUNK)
    rows, carry = _run_jit(game, scheme, starts, first, length=_rows_for(first), bound=bound)
    parts, done = [np.asarray(rows)[:, : first + 1]], first
    while done < steps:
        n = min(CHUNK, steps - done)
        carry, rows = _resume_jit(
            game, scheme, carry, jnp.int32(done + 1), n, length=_rows_for(n), bound=bound
        )
        parts.append(np.asarray(rows)[:, :n])
        done += n
    return np.concatenate(parts, axis=1), np.asarray(carry[4])


def simulate(
    game: Game,
    scheme: Any,
    steps: int = 500,
    start: Any = (1.0, 0.5),
    *,
    bound: float = 1e8,
    **hyper: Any,
) -> Trajectory:
    """Run ``steps`` updates of ``scheme`` on ``game`` from ``start``.

    ``scheme`` is a scheme from :mod:`gankit.schemes`, or an optimizer (a float step
    size, a Keras optimizer, or a pair), which runs simultaneously. ``start`` is a
    point ``[x, y]`` or a batch of points ``(..., dim)``. Keyword numbers override the
    scheme's (see ``scheme.hyper``); arrays of them broadcast with the batch of starts
    and run in one vmapped call. Returns an array of shape
    ``batch + (steps + 1, dim)``; row 0 is the start.

    >>> import gankit as gk
    >>> import numpy as np
    >>> game = gk.games.Bilinear()
    >>> trajs = gk.simulate(game, gk.schemes.extragradient(0.1), steps=100,
    ...                     learning_rate=np.array([0.1, 0.5, 0.9]))
    >>> trajs.shape
    (3, 101, 2)
    """
    if not isinstance(game, Game):
        raise ValueError(f"game must be a gankit game or surface, got {game!r}")
    scheme = schemes.as_scheme(scheme)
    steps = _checks.count("steps", steps)
    bound = _checks.positive("bound", bound)
    start = _checks.float_array(
        "start", start, f"a point ({game.dim} numbers) or a batch of points"
    )
    if start.ndim == 0 or start.shape[-1] != game.dim or 0 in start.shape:
        raise ValueError(
            f"start must have shape ({game.dim},) or (..., {game.dim}) with at least one point "
            f"for {game!r}, "
            f"got shape {start.shape}"
        )
    if not np.all(np.isfinite(start)):
        raise ValueError("start must be finite")
    unknown = set(hyper) - set(scheme.hyper)
    if unknown:
        raise ValueError(
            f"unknown number(s) {sorted(unknown)} for {scheme!r}; allowed: {sorted(scheme.hyper)}"
        )
    numbers = {k: schemes.check_hyper(k, v) for k, v in hyper.items()}
    numbers = {k: np.asarray(numbers.get(k, v), np.float32) for k, v in scheme.hyper.items()}
    try:
        batch = np.broadcast_shapes(start.shape[:-1], *(v.shape for v in numbers.values()))
    except ValueError:
        shapes = {"start": start.shape[:-1]} | {k: v.shape for k, v in numbers.items()}
        raise ValueError(f"start and the numbers do not broadcast together: {shapes}") from None
    size = math.prod(batch)
    _checks.size_limit(
        "simulate", batch + (steps + 1, game.dim), hint="use fewer steps or fewer starts"
    )
    starts = np.broadcast_to(start, batch + (game.dim,)).reshape(size, game.dim)
    flat = {k: np.broadcast_to(v, batch).reshape(size) for k, v in numbers.items()}
    scheme.prepare(starts[0, : game.n_x], starts[0, game.n_x :])  # shapes only: numpy is enough
    batched = scheme.with_numbers(flat)
    rows, at = _chunked(game, batched, starts, steps, bound)
    rows = rows.reshape(batch + (steps + 1, game.dim))
    return Trajectory(rows, np.asarray(at).reshape(batch))
