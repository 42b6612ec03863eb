"""Local analysis of games and schemes: Jacobians, eigenvalues, spectral radii.

Near an equilibrium ``z*`` the gradient flow ``dz/dt = -g(z)`` behaves like its
linearisation, whose Jacobian's eigenvalues say whether continuous training spirals
in (negative real parts), cycles (purely imaginary) or spirals out. A discrete scheme
is a map ``z_{k+1} = F(z_k)``; it converges locally when the spectral radius of
``dF`` (over the scheme's whole state, momentum and memory included) is below 1.

>>> import gankit as gk
>>> game = gk.games.Bilinear()
>>> round(gk.analysis.spectral_radius(game, gk.schemes.simultaneous(0.1), [0, 0]), 4)
1.005
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from gankit import _checks, compiles, schemes
from gankit.games import Game


def _point(game: Game, point: Any) -> np.ndarray:
    if not isinstance(game, Game):
        raise ValueError(f"game must be a gankit game or surface, got {game!r}")
    z = _checks.float_array("point", point, f"{game.dim} numbers")
    if z.shape != (game.dim,) or not np.all(np.isfinite(z)):
        raise ValueError(f"point must be {game.dim} finite numbers for {game!r}, got {point!r}")
    return z


class NotStationaryWarning(UserWarning):
    """A linearisation was asked for at a point where the gradient field is not zero."""


def jacobian(game: Game, point: Any) -> np.ndarray:
    """Jacobian of the gradient flow ``-g(z)`` at ``point``, a ``(dim, dim)`` array.

    Warns (:class:`NotStationaryWarning`) when ``point`` is not stationary: the
    eigenvalues there then describe no equilibrium.

    >>> import gankit as gk
    >>> gk.analysis.jacobian(gk.games.Bilinear(), [0, 0]).tolist()
    [[0.0, -1.0], [1.0, 0.0]]
    """
    z = jnp.asarray(_point(game, point))
    _warn_if_moving(game, z)
    jac = jax.jacfwd(lambda z: _flow_one(game, z))(z)
    return np.asarray(jac, np.float64) + 0.0


def _warn_if_moving(game: Game, z: Any) -> None:
    flow = np.asarray(_flow_one(game, jnp.asarray(z, jnp.float32)))
    if np.max(np.abs(flow)) > STATIONARY:
        warnings.warn(
            f"{game!r} is not stationary at {np.asarray(z).tolist()}: the gradient field "
            f"there is {(-flow).tolist()}, so the linearisation describes no equilibrium",
            NotStationaryWarning,
            stacklevel=3,
        )


STATIONARY = 1e-4
"""The largest gradient component at a point still taken as stationary."""


def eigenvalues(game: Game, point: Any) -> np.ndarray:
    """Eigenvalues of :func:`jacobian` (complex), sorted by imaginary part.

    >>> import gankit as gk
    >>> values = gk.analysis.eigenvalues(gk.games.DiracGAN("gan"), [0, 0])
    >>> values.real.round(6).tolist(), values.imag.round(6).tolist()
    ([0.0, 0.0], [-0.5, 0.5])
    """
    values = np.linalg.eigvals(jacobian(game, point))
    return values[np.lexsort((values.real, values.imag))]


def spectral_radius(game: Game, scheme: Any, point: Any, **hyper: Any) -> float:
    """Spectral radius of one update of ``scheme`` linearised at ``point``.

    The scheme's state (momentum buffers, the previous gradient, Adam's moments) is
    part of the map, initialised as at the start of a run from ``point``. Integer state
    (step counters) is held fixed. Below 1: converges locally; 1: neither; above 1:
    spirals out at that rate per step.

    >>> import gankit as gk
    >>> r = gk.analysis.spectral_radius(gk.games.Bilinear(), gk.schemes.extragradient(0.5), [0, 0])
    >>> round(r, 4) == round((1 - 0.5**2 + 0.5**4) ** 0.5, 4)
    True
    """
    _warn_if_moving(game, _point(game, point))
    return float(spectral_radii(game, scheme, point, **hyper))  # the batched path, one point


# -- batched linearisation, measured growth and verdicts (what the panels show) ---------


def _equilibrium(game: Game, point: Any) -> np.ndarray:
    if point is None:
        if not isinstance(game, Game):
            raise ValueError(f"game must be a gankit game or surface, got {game!r}")
        if game.equilibrium is None:
            raise ValueError(f"point must be given: {game!r} has no known equilibrium")
        point = game.equilibrium
    return _point(game, point)


def _step_jacobian(game: Game, scheme: schemes.Scheme, point: jax.Array) -> jax.Array:
    """Jacobian of one ``scheme.step`` over the point and the scheme's float state."""
    x, y = game.split(point)
    leaves, treedef = jax.tree.flatten((x, y, scheme.init(game, x, y)))
    moving = [i for i, leaf in enumerate(leaves) if jnp.issubdtype(leaf.dtype, jnp.floating)]
    flat, unravel = ravel_pytree([leaves[i] for i in moving])

    period = scheme.period(scheme.hyper)

    def update(vector: jax.Array) -> jax.Array:
        current = list(leaves)
        for i, leaf in zip(moving, unravel(vector), strict=True):
            current[i] = leaf
        x, y, state = jax.tree.unflatten(treedef, current)
        if isinstance(period, int) and period == 1:
            out = scheme.step(game, x, y, state)[:3]
        else:  # a scheme whose map repeats after `period` steps: linearise the cycle
            steps = jnp.round(period).astype(jnp.int32)
            out = jax.lax.fori_loop(0, steps, lambda _, c: scheme.step(game, *c)[:3], (x, y, state))
        out = jax.tree.leaves(out)
        return ravel_pytree([out[i] for i in moving])[0]

    return jax.jacfwd(update)(flat)


@jax.jit
def _jacobians(game: Game, batched: schemes.Scheme, point: jax.Array) -> jax.Array:
    compiles.traced("radii")
    return jax.vmap(_step_jacobian, in_axes=(None, 0, None))(game, batched, point)


def spectral_radii(game: Game, scheme: Any, point: Any = None, **numbers: Any) -> np.ndarray:
    """Spectral radius of one update of ``scheme`` at ``point``, over arrays of numbers.

    The batched form of :func:`spectral_radius`: the keyword numbers (``learning_rate``,
    ``momentum``, ``gamma``, ...) broadcast together and every combination is linearised
    in one jitted, vmapped call; only the eigenvalues of the small Jacobians are taken on
    the host. ``point`` defaults to the game's equilibrium. Changing the numbers (not
    their shape) never recompiles.

    >>> import numpy as np
    >>> import gankit as gk
    >>> r = gk.analysis.spectral_radii(gk.games.Bilinear(), gk.schemes.simultaneous(0.1),
    ...                                learning_rate=np.array([0.1, 0.5]))
    >>> np.round(r, 4).tolist() == np.round(np.sqrt(1 + np.array([0.1, 0.5]) ** 2), 4).tolist()
    True
    """
    z = _equilibrium(game, point)
    scheme = schemes.as_scheme(scheme)
    unknown = set(numbers) - set(scheme.hyper)
    if unknown:
        raise ValueError(
            f"unknown number(s) {sorted(unknown)} for {scheme!r}; allowed: {sorted(scheme.hyper)}"
        )
    checked = {k: schemes.check_hyper(k, v) for k, v in numbers.items()}
    checked = {k: checked.get(k, np.float32(v)) for k, v in scheme.hyper.items()}
    try:
        batch = np.broadcast_shapes(*(v.shape for v in checked.values()))
    except ValueError:
        shapes = {k: v.shape for k, v in checked.items()}
        raise ValueError(f"the numbers do not broadcast together: {shapes}") from None
    size = math.prod(batch)
    flat = {k: np.broadcast_to(v, batch).reshape(size) for k, v in checked.items()}
    scheme.prepare(z[: game.n_x], z[game.n_x :])  # numpy slices: no eager JAX dispatch
    batched = scheme.with_numbers(flat)
    jac = np.asarray(_jacobians(game, batched, jnp.asarray(z)), np.float64)
    radius = np.abs(np.linalg.eigvals(jac)).max(axis=-1)
    radius = radius ** (1.0 / np.round(np.asarray(scheme.period(flat), np.float64)))
    return radius.reshape(batch)


def measured_growth(
    game: Game, scheme: Any, steps: int, start: Any = (1.0, 0.5), **numbers: Any
) -> np.ndarray:
    """Per-step growth of the distance to the equilibrium, measured by simulation.

    ``(d_k / d_0) ** (1 / k)`` at the last step ``k`` (or the last step before a run
    diverged): below 1 a run closes in on the equilibrium, above 1 it moves away. It
    matches the spectral radius for linear games and shows what the linearisation
    misses on the others. One :func:`gankit.simulate` call over the whole batch.

    >>> import gankit as gk
    >>> g = gk.analysis.measured_growth(gk.games.Bilinear(), gk.schemes.simultaneous(0.5),
    ...                                 steps=100)
    >>> round(float(g), 4) == round(1.25 ** 0.5, 4)
    True
    """
    from gankit import dynamics  # dynamics imports nothing from here; keep it one-way

    eq = _equilibrium(game, None)
    traj = dynamics.simulate(game, scheme, steps=steps, start=start, **numbers)
    dist = np.linalg.norm(np.asarray(traj, np.float64) - eq, axis=-1)
    last = np.where(traj.diverged_at >= 0, traj.diverged_at - 1, steps)
    last = np.maximum(last, 1)
    d_last = np.take_along_axis(dist, last[..., None], axis=-1)[..., 0]
    d0 = np.maximum(dist[..., 0], 1e-30)
    return (np.maximum(d_last, 1e-30) / d0) ** (1.0 / last)


def verdict(
    traj: Any,
    steps: int,
    diverged_at: int = -1,
    equilibrium: Any = None,
    *,
    cut_at: int = -1,
    left_view: bool = False,
    radius: float | None = None,
) -> str:
    """Converges, cycles or diverges (and at which step), judged on the first ``steps``.

    A run diverges when it blew up (``diverged_at``) or was cut where it left what is
    drawn (``cut_at``; ``left_view`` says whether it left the view or blew up there);
    otherwise the envelope of its distance to the equilibrium (of its step length, when
    none is known) over the last quarter is compared with the second quarter: shrinking
    is "converges", growing is "diverges (slowly)", neither is "cycles". Given the
    ``radius`` of the linearised step at the equilibrium, a run that neither grows nor
    shrinks is told apart: one that cycles away from an unstable equilibrium (radius > 1,
    a limit cycle of a nonlinear game) and one that converges too slowly to see (< 1),
    so the verdict never contradicts the radius beside it.

    >>> import gankit as gk
    >>> traj = gk.simulate(gk.games.Bilinear(), gk.schemes.extragradient(0.3), steps=200)
    >>> gk.analysis.verdict(traj, 200, int(traj.diverged_at), (0, 0))
    'converges'
    """
    if 0 <= cut_at <= steps:  # what is drawn: where the path was cut
        how = "left the view" if left_view else "blew up"
        return f"diverges ({how} at step {cut_at})"
    if 0 <= diverged_at <= steps:
        return f"diverges (blew up at step {diverged_at})"
    rows = np.asarray(traj[: steps + 1], np.float64)
    if equilibrium is not None:
        size = np.linalg.norm(rows - np.asarray(equilibrium, np.float64), axis=1)
    else:
        size = np.linalg.norm(np.diff(rows, axis=0), axis=1)
    n = len(size)
    if n < 8:
        return "too few steps"
    early = size[n // 4 : n // 2].max()
    late = size[3 * n // 4 :].max()
    if late < 1e-6 or late < 1e-4 * max(size[0], 1e-12):
        return "converges"
    rate = (late / max(early, 1e-30)) ** (1.0 / (n // 2))
    if rate < 1 - 2e-4:
        return "converges"
    if rate > 1 + 2e-4:
        return "diverges (slowly)"
    if radius is not None and math.isfinite(radius):
        if radius > 1 + 1e-4:
            return f"cycles away from an unstable equilibrium (radius {radius:.4g} > 1)"
        if radius < 1 - 1e-4:
            return f"converges too slowly to see here (radius {radius:.4g} < 1)"
    return "cycles"


# -- fields over the plane (heatmaps, arrows) -------------------------------------------


def _flow_one(game: Game, z: jax.Array) -> jax.Array:
    """The gradient flow ``-g(z)`` at one point."""
    return -jnp.concatenate(game.grads(*game.split(z)))


@jax.jit
def _flow_at(game: Game, points: jax.Array) -> jax.Array:
    return jax.vmap(lambda z: _flow_one(game, z))(points)


@jax.jit
def _value_at(game: Game, points: jax.Array) -> jax.Array:
    return jax.vmap(lambda z: game.value(*game.split(z)))(points)


def _points(game: Game, points: Any) -> jax.Array:
    arr = np.asarray(points, np.float32)
    if arr.ndim != 2 or arr.shape[1] != game.dim:
        raise ValueError(f"points must have shape (n, {game.dim}) for {game!r}, got {arr.shape}")
    return jnp.asarray(arr)


def flow(game: Game, points: Any) -> np.ndarray:
    """The gradient flow ``-g(z)`` at each row of ``points`` ``(n, dim)`` (arrows).

    >>> import gankit as gk
    >>> gk.analysis.flow(gk.games.Bilinear(), [[1.0, 0.5]]).tolist()
    [[-0.5, 1.0]]
    """
    return np.asarray(_flow_at(game, _points(game, points)), np.float64)


def values(game: Game, points: Any) -> np.ndarray:
    """``game.value`` at each row of ``points`` ``(n, dim)``.

    >>> import gankit as gk
    >>> gk.analysis.values(gk.games.Bilinear(), [[2.0, 3.0]]).tolist()
    [6.0]
    """
    return np.asarray(_value_at(game, _points(game, points)), np.float64)


def value_grid(game: Any, bounds: Any, n: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``game.value`` on an ``n x n`` grid over ``bounds = (x_min, x_max, y_min, y_max)``.

    Works for any game whose point has two numbers (a surface, or a two-player game
    with one parameter each). Returns ``(xs, ys, values)`` with ``values[i, j]`` at
    ``(xs[j], ys[i])`` (rows are y), as a heatmap wants.

    >>> import gankit as gk
    >>> xs, ys, v = gk.analysis.value_grid(gk.games.Bilinear(), (-1, 1, -1, 1), n=3)
    >>> (v + 0.0).tolist()
    [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]]
    """
    n = _checks.count("n", n, minimum=2)
    _checks.size_limit("value_grid", (n, n), hint="ask for a coarser grid")
    if getattr(game, "dim", None) != 2:
        raise ValueError(f"game must have a 2-number point (dim == 2), got {game!r}")
    try:
        x_min, x_max, y_min, y_max = (float(b) for b in bounds)
    except (TypeError, ValueError):
        x_min = x_max = y_min = y_max = math.nan
    if not (x_min < x_max and y_min < y_max):  # NaN fails too
        raise ValueError(
            f"bounds must be four finite numbers (x_min, x_max, y_min, y_max) with "
            f"x_min < x_max and y_min < y_max, got {bounds!r}"
        )
    xs = np.linspace(x_min, x_max, n)
    ys = np.linspace(y_min, y_max, n)
    gx, gy = np.meshgrid(xs, ys)
    vals = values(game, np.stack([gx.ravel(), gy.ravel()], axis=1))
    return xs, ys, vals.reshape(n, n)
