"""One-player surfaces ``f(x, y)`` on the plane, minimised: the degenerate game.

A surface is a :class:`gankit.games.Game` with one player of two parameters, so the
same schemes, optimizers and :func:`gankit.simulate` run on it.

>>> import gankit as gk
>>> traj = gk.simulate(gk.surfaces.Quadratic(), 0.05, steps=200, start=(1.0, 1.0))
>>> bool(abs(traj[-1]).max() < 1e-3)
True
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from gankit import _checks, _pytree
from gankit.games import Game

Array = jax.Array


class Surface(Game):
    """Base class: subclasses define ``f(a, b)`` on scalars."""

    n_x = 2
    n_y = 0

    @property
    def minimum(self) -> np.ndarray | None:
        """The global minimiser, where one is known."""
        return None

    @property
    def equilibrium(self) -> np.ndarray | None:
        return self.minimum

    def f(self, a: Array, b: Array) -> Array:
        raise NotImplementedError

    def loss_x(self, x: Array, y: Array) -> Array:
        return self.f(x[0], x[1])

    def loss_y(self, x: Array, y: Array) -> Array:
        return jnp.sum(y) * 0.0

    def value(self, x: Array, y: Array) -> Array:
        return self.loss_x(x, y)

    def __call__(self, a, b) -> Array:
        """Evaluate the surface (broadcasts over arrays, for drawing)."""
        return self.f(jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32))


class Rosenbrock(Surface):
    """``(a - x)^2 + b (y - x^2)^2``: a curved valley, minimum at ``(a, a^2)``."""

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = _checks.finite("a", a)
        self.b = _checks.positive("b", b)

    @property
    def minimum(self) -> np.ndarray:
        return np.array([self.a, self.a**2], np.float32)

    def f(self, x: Array, y: Array) -> Array:
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a}, b={self.b})"


class Quadratic(Surface):
    """``z^T A z / 2`` for a symmetric positive definite ``A``; minimum at 0.

    By default ``A = diag(1, condition)``: an ill-conditioned bowl where plain gradient
    descent zig-zags across the narrow direction and crawls along the wide one.
    """

    def __init__(self, A=None, *, condition: float = 10.0) -> None:
        if A is None:
            A = np.diag([1.0, _checks.positive("condition", condition)])
        matrix = _checks.float_array("A", A, "a 2x2 matrix", np.float64)
        if (
            matrix.shape != (2, 2)
            or not np.all(np.isfinite(matrix))
            or not np.allclose(matrix, matrix.T)
            or np.linalg.eigvalsh(matrix).min() <= 0
        ):
            raise ValueError(f"A must be a symmetric positive definite 2x2 matrix, got {A!r}")
        self.A = jnp.asarray(matrix, jnp.float32)

    @property
    def minimum(self) -> np.ndarray:
        return np.zeros(2, np.float32)

    def f(self, x: Array, y: Array) -> Array:
        A = self.A
        return 0.5 * (A[0, 0] * x * x + 2 * A[0, 1] * x * y + A[1, 1] * y * y)

    def __repr__(self) -> str:
        return f"Quadratic(A={np.asarray(self.A).tolist()})"


class Abs(Surface):
    """``w_x |x| + w_y |y|``: non-smooth at the axes; subgradient methods' test case."""

    def __init__(self, weights=(1.0, 1.0)) -> None:
        w = _checks.float_array("weights", weights, "two numbers", np.float64)
        if w.shape != (2,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise ValueError(f"weights must be two positive finite numbers, got {weights!r}")
        self.weights = jnp.asarray(w, jnp.float32)

    @property
    def minimum(self) -> np.ndarray:
        return np.zeros(2, np.float32)

    def f(self, x: Array, y: Array) -> Array:
        return self.weights[0] * jnp.abs(x) + self.weights[1] * jnp.abs(y)

    def __repr__(self) -> str:
        return f"Abs(weights={np.asarray(self.weights).tolist()})"


class Saddle(Surface):
    """``(x^2 - y^2) / 2``: unbounded below; descent escapes along y (slowly near 0)."""

    def f(self, x: Array, y: Array) -> Array:
        return 0.5 * (x * x - y * y)

    def __repr__(self) -> str:
        return "Saddle()"


class FunctionSurface(Surface):
    """A surface from a JAX-traceable ``f(x, y)`` of two scalars."""

    def __init__(self, f: Callable, minimum=None) -> None:
        if not callable(f):
            raise ValueError(f"f must be a callable f(x, y), got {f!r}")
        self.f_user = f
        self._minimum = (
            None
            if minimum is None
            else tuple(_checks.float_array("minimum", minimum, "a point").reshape(-1).tolist())
        )
        if self._minimum is not None and len(self._minimum) != 2:
            raise ValueError(f"minimum must be two numbers (x, y), got {minimum!r}")

    @property
    def minimum(self) -> np.ndarray | None:
        return None if self._minimum is None else np.asarray(self._minimum, np.float32)

    def f(self, x: Array, y: Array) -> Array:
        return self.f_user(x, y)

    def __repr__(self) -> str:
        return f"from_function({getattr(self.f_user, '__name__', self.f_user)})"


def from_function(f: Callable, minimum=None) -> FunctionSurface:
    """A surface from any JAX-traceable ``f(x, y)`` (two scalars in, one scalar out).

    >>> import gankit as gk
    >>> s = gk.surfaces.from_function(lambda x, y: (x - 1) ** 2 + y**2, minimum=(1, 0))
    >>> [round(float(v), 2) for v in gk.simulate(s, 0.1, steps=100)[-1]]
    [1.0, 0.0]
    """
    return FunctionSurface(f, minimum)


_pytree.register(Rosenbrock, ["a", "b"])
_pytree.register(Quadratic, ["A"])
_pytree.register(Abs, ["weights"])
_pytree.register(Saddle, [])
_pytree.register(FunctionSurface, [], ["f_user", "_minimum"])
