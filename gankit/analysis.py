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

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gankit import schemes
from gankit.games import Game


def _point(game: Game, point: Any) -> np.ndarray:
    if not isinstance(game, Game):
        raise ValueError(f"game must be a gankit game or surface, got {game!r}")
    z = np.asarray(point, np.float32)
    if z.shape != (game.dim,) or not np.all(np.isfinite(z)):
        raise ValueError(f"point must be {game.dim} finite numbers for {game!r}, got {point!r}")
    return z


def jacobian(game: Game, point: Any) -> np.ndarray:
    """Jacobian of the gradient flow ``-g(z)`` at ``point``, a ``(dim, dim)`` array.

    >>> import gankit as gk
    >>> gk.analysis.jacobian(gk.games.Bilinear(), [0, 0]).tolist()
    [[0.0, -1.0], [1.0, 0.0]]
    """
    z = _point(game, point)

    def flow(z):
        gx, gy = game.grads(*game.split(z))
        return -jnp.concatenate([gx, gy])

    return np.asarray(jax.jacfwd(flow)(jnp.asarray(z)), np.float64) + 0.0  # no -0.0


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
    z = _point(game, point)
    scheme = schemes.as_scheme(scheme)
    if hyper:
        scheme = scheme.replace(**hyper)
    x, y = game.split(z)
    scheme.prepare(x, y)
    state = (x, y, scheme.init(game, x, y))
    leaves, treedef = jax.tree.flatten(state)
    moving = [
        i for i, leaf in enumerate(leaves) if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating)
    ]
    shapes = [jnp.shape(leaves[i]) for i in moving]
    sizes = [int(np.prod(s)) for s in shapes]

    def pack(leaves):
        return jnp.concatenate([jnp.ravel(leaves[i]) for i in moving])

    def unpack(vector):
        out, offset = list(leaves), 0
        for i, shape, size in zip(moving, shapes, sizes, strict=True):
            out[i] = vector[offset : offset + size].reshape(shape)
            offset += size
        return out

    def update(vector):
        x, y, s = jax.tree.unflatten(treedef, unpack(vector))
        x2, y2, s2, _ = scheme.step(game, x, y, s)
        return pack(jax.tree.leaves((x2, y2, s2)))

    J = np.asarray(jax.jacfwd(update)(pack(leaves)), np.float64)
    return float(np.max(np.abs(np.linalg.eigvals(J))))
