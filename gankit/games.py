"""Two-player games: x minimises ``loss_x``, y minimises ``loss_y``.

A zero-sum game has ``loss_y = -loss_x``: x minimises ``f(x, y)``, y maximises it.
Players' parameters are flat vectors (sizes ``n_x`` and ``n_y``); a point of the game
is their concatenation ``z = [x, y]``. One-player surfaces (:mod:`gankit.surfaces`)
are the case ``n_y == 0``.

Every game is a JAX pytree whose numbers (a matrix, a penalty weight) are traced
leaves, so changing them does not recompile a simulation.

>>> import gankit as gk
>>> game = gk.games.Bilinear()
>>> [float(g[0]) for g in game.grads(*game.split([1.0, 0.5]))]
[0.5, -1.0]
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from gankit import _checks, _pytree
from gankit import losses as _losses
from gankit import reg as _reg

Array = jax.Array


class Game:
    """Base class: subclasses define ``n_x``, ``n_y``, ``loss_x`` and ``loss_y``."""

    n_x: int
    n_y: int

    @property
    def dim(self) -> int:
        """Length of a point ``z = [x, y]``."""
        return self.n_x + self.n_y

    @property
    def equilibrium(self) -> np.ndarray | None:
        """A known equilibrium (or minimum) as a point, or None."""
        return None

    def loss_x(self, x: Array, y: Array) -> Array:
        raise NotImplementedError

    def loss_y(self, x: Array, y: Array) -> Array:
        raise NotImplementedError

    def value(self, x: Array, y: Array) -> Array:
        """The value the maximiser maximises, ``-loss_y`` (``f`` for a zero-sum game)."""
        return -self.loss_y(x, y)

    def grad_x(self, x: Array, y: Array) -> Array:
        """Gradient of x's own loss with respect to x."""
        return jax.grad(self.loss_x, 0)(x, y)

    def grad_y(self, x: Array, y: Array) -> Array:
        """Gradient of y's own loss with respect to y."""
        return jax.grad(self.loss_y, 1)(x, y)

    def grads(self, x: Array, y: Array) -> tuple[Array, Array]:
        """Both players' gradients: the descent field ``g(z)``; gradient flow is ``-g``."""
        return self.grad_x(x, y), self.grad_y(x, y)

    # The scheme protocol (see gankit.schemes): gradients on a key, with auxiliary outputs.
    # A toy game has no randomness and nothing to report; a network game has both.
    def field(self, x: Array, y: Array, key: Array | None = None) -> tuple[tuple, dict]:
        """``(grads(x, y), aux)``: the descent field on the draw ``key`` (unused here)."""
        return self.grads(x, y), {}

    def field_x(self, x: Array, y: Array, key: Array | None = None) -> tuple[Array, dict]:
        """``(grad_x(x, y), aux)``."""
        return self.grad_x(x, y), {}

    def field_y(self, x: Array, y: Array, key: Array | None = None) -> tuple[Array, dict]:
        """``(grad_y(x, y), aux)``."""
        return self.grad_y(x, y), {}

    def advance(self, aux: dict) -> Game:
        """The game after an evaluation that reported ``aux`` (a toy game never changes)."""
        return self

    def split(self, z) -> tuple[Array, Array]:
        """Split a point (or a batch of points) into the players' parameters."""
        z = jnp.asarray(z, jnp.float32)
        return z[..., : self.n_x], z[..., self.n_x :]


class Bilinear(Game):
    """``f(x, y) = x^T A y``; x minimises, y maximises. Equilibrium at 0.

    Plain simultaneous gradient steps spiral out of this game for every step size,
    which makes it the standard test for the fixes (extragradient, optimism, ...).

    >>> import gankit as gk
    >>> gk.games.Bilinear([[1.0, 0.0], [0.0, 2.0]]).dim
    4
    """

    def __init__(self, A=None) -> None:
        matrix = (
            np.ones((1, 1))
            if A is None
            else _checks.float_array("A", A, "a 2-D matrix of numbers", np.float64)
        )
        if matrix.ndim != 2 or 0 in matrix.shape or not np.all(np.isfinite(matrix)):
            raise ValueError(f"A must be a finite 2-D matrix (n_x, n_y), got {A!r}")
        self.A = jnp.asarray(matrix, jnp.float32)

    @property
    def n_x(self) -> int:
        return self.A.shape[0]

    @property
    def n_y(self) -> int:
        return self.A.shape[1]

    @property
    def equilibrium(self) -> np.ndarray:
        return np.zeros(self.dim, np.float32)

    def f(self, x: Array, y: Array) -> Array:
        return x @ self.A @ y

    def loss_x(self, x: Array, y: Array) -> Array:
        return self.f(x, y)

    def loss_y(self, x: Array, y: Array) -> Array:
        return -self.f(x, y)

    def __repr__(self) -> str:
        return f"Bilinear(A={np.asarray(self.A).tolist()})"


_pytree.register(Bilinear, ["A"])

LOSSES = ("gan", "nsgan", "wgan", "hinge")
"""The losses of Mescheder et al.'s (2018) Dirac-GAN table, the game panel's choices.
:class:`DiracGAN` takes every name of :data:`gankit.losses.LOSSES` (``lsgan`` too)."""


class DiracGAN(Game):
    """The smallest GAN (Mescheder et al. 2018): data at 0, generator at ``theta``.

    The discriminator is ``D(t) = psi * t``. The generator's parameter ``theta`` is x
    (it minimises its loss); the discriminator's ``psi`` is y. The unique equilibrium
    is ``(theta, psi) = (0, 0)``.

    Losses: any of :data:`gankit.losses.LOSSES` (the networks' own table): ``"gan"``
    (minimax, saturating generator loss), ``"nsgan"`` (non-saturating), ``"wgan"``,
    ``"hinge"``, ``"lsgan"``. ``reg`` is None or one or more of :mod:`gankit.reg` (each
    at most once, as for networks), evaluated in closed form (instance noise by exact
    Gauss-Hermite quadrature).

    >>> import gankit as gk
    >>> game = gk.games.DiracGAN("gan", reg=gk.reg.R1(1.0))
    >>> [round(float(v), 3) for v in gk.analysis.eigenvalues(game, [0.0, 0.0]).real]
    [-0.5, -0.5]
    """

    n_x = 1
    n_y = 1

    def __init__(self, loss: str = "gan", reg=None) -> None:
        self.loss = _losses.check_loss(loss)
        self.reg = _losses.check_reg(reg, self.loss)

    @staticmethod
    def switchable(loss: str = "gan", **weights: float) -> SwitchableDiracGAN:
        """The same game with its loss and regulariser as traced numbers (see
        :class:`SwitchableDiracGAN`): ``switchable("wgan", GradientPenalty=1.0)``."""
        return SwitchableDiracGAN(loss, **weights)

    @property
    def equilibrium(self) -> np.ndarray | None:
        """``(0, 0)``; None under a gradient penalty with a target above 0, which leaves
        the game no stationary point: ``|psi|`` has a kink at 0 and the penalty pulls
        ``psi`` by ``2 gamma target`` there (Mescheder et al. 2018: WGAN-GP is not
        locally convergent on the Dirac-GAN).

        >>> import gankit as gk
        >>> print(gk.games.DiracGAN("wgan", reg=gk.reg.GradientPenalty(10, 1)).equilibrium)
        None
        """
        for r in self.reg:
            if isinstance(r, _reg.GradientPenalty) and float(r.gamma) * float(r.target) != 0:
                return None
        return np.zeros(2, np.float32)

    def _noise(self) -> tuple[Array, Array]:
        for r in self.reg:
            nodes = r.dirac_noise()
            if nodes is not None:
                return nodes
        return jnp.zeros(1), jnp.ones(1)

    # The networks' loss table (gankit.losses), in exact expectation over the noise.
    def loss_y(self, x: Array, y: Array) -> Array:
        theta, psi = x[0], y[0]
        eps, w = self._noise()
        real, fake = _losses.discriminator_terms(
            self.loss, psi * eps, psi * (theta + eps), _losses.real_label(self.reg)
        )
        loss = jnp.sum(w * real) + jnp.sum(w * fake)
        for r in self.reg:
            loss = loss + r.dirac_penalty(psi)
        return loss

    def loss_x(self, x: Array, y: Array) -> Array:
        theta, psi = x[0], y[0]
        eps, w = self._noise()
        return jnp.sum(w * _losses.generator_terms(self.loss, psi * (theta + eps)))

    def __repr__(self) -> str:
        reg = "None" if not self.reg else ", ".join(map(repr, self.reg))
        return f"DiracGAN(loss={self.loss!r}, reg={reg})"


_pytree.register(DiracGAN, ["reg"], ["loss"])

SWITCHABLE_REGS = ("R1", "R2", "GradientPenalty", "InstanceNoise")
"""The regularisers a switchable Dirac-GAN holds, each in its slot (unused ones at 0)."""


class SwitchableDiracGAN(DiracGAN):
    """A Dirac-GAN whose loss and regulariser are traced numbers, not its structure.

    Every choice of loss (an index into :data:`gankit.losses.LOSSES`) and of regulariser
    (R1, R2, WGAN-GP or instance noise, each a weight; the unused ones 0) has the same
    pytree structure, so a simulation or a spectral radius compiled for one serves them
    all: a panel switching losses or regularisers reruns without compiling. The values
    are those of :class:`DiracGAN` with the same loss and regulariser.

    >>> import gankit as gk
    >>> gk.games.DiracGAN.switchable("hinge", InstanceNoise=0.5)
    DiracGAN(loss='hinge', reg=InstanceNoise(sigma=0.5))
    """

    def __init__(self, loss: str = "gan", **weights: float) -> None:
        unknown = set(weights) - set(SWITCHABLE_REGS)
        if unknown:
            raise ValueError(
                f"unknown regulariser(s) {sorted(unknown)}; allowed: {SWITCHABLE_REGS}"
            )
        w = {name: weights.get(name, 0.0) for name in SWITCHABLE_REGS}
        self.loss_index = jnp.asarray(_losses.LOSSES.index(_losses.check_loss(loss)), jnp.int32)
        self.reg = (
            _reg.R1(w["R1"]),
            _reg.R2(w["R2"]),
            _reg.GradientPenalty(w["GradientPenalty"], 1.0),
            _reg.InstanceNoise(w["InstanceNoise"]),
        )

    @property
    def loss(self) -> str:
        return _losses.LOSSES[int(self.loss_index)]

    def _expected(self, theta: Array, psi: Array) -> tuple[Array, Array, Array]:
        """E over the instance noise of the D real, D fake and G terms.

        Without noise (sigma 0) the plain value, not the quadrature's (whose weights sum
        to 1 only to float rounding, enough to move a double eigenvalue by 5e-5): every
        node at 0, all the weight on the first. One evaluation of the losses either way.
        """
        nodes, weights = self.reg[3].dirac_noise()
        noisy = self.reg[3].sigma > 0
        eps = jnp.where(noisy, nodes, 0.0)
        w = jnp.where(noisy, weights, jnp.zeros_like(weights).at[0].set(1.0))
        terms = _losses.switch_terms(self.loss_index, psi * eps, psi * (theta + eps))
        return tuple(jnp.sum(w * t) for t in terms)

    def loss_y(self, x: Array, y: Array) -> Array:
        real, fake, _ = self._expected(x[0], y[0])
        loss = real + fake
        for r in self.reg:
            loss = loss + r.dirac_penalty(y[0])
        return loss

    def loss_x(self, x: Array, y: Array) -> Array:
        return self._expected(x[0], y[0])[2]

    def __repr__(self) -> str:
        active = [r for r in self.reg if float(next(iter(vars(r).values()))) != 0.0]
        reg = "None" if not active else ", ".join(map(repr, active))
        return f"DiracGAN(loss={self.loss!r}, reg={reg})"


_pytree.register(SwitchableDiracGAN, ["reg", "loss_index"])


class FunctionGame(Game):
    """A zero-sum game from a JAX-traceable ``f(x, y)``: x minimises, y maximises."""

    def __init__(
        self,
        f: Callable,
        n_x: int = 1,
        n_y: int = 1,
        equilibrium=None,
    ) -> None:
        if not callable(f):
            raise ValueError(f"f must be a callable f(x, y), got {f!r}")
        self.f_user = f
        self.n_x = _checks.count("n_x", n_x)
        self.n_y = _checks.count("n_y", n_y)
        self._equilibrium = (
            None
            if equilibrium is None
            else tuple(
                _checks.float_array("equilibrium", equilibrium, "a point").reshape(-1).tolist()
            )
        )
        if self._equilibrium is not None and len(self._equilibrium) != self.dim:
            raise ValueError(f"equilibrium must have {self.dim} numbers, got {equilibrium!r}")

    @property
    def equilibrium(self) -> np.ndarray | None:
        return None if self._equilibrium is None else np.asarray(self._equilibrium, np.float32)

    def f(self, x: Array, y: Array) -> Array:
        a = x[0] if self.n_x == 1 else x
        b = y[0] if self.n_y == 1 else y
        return jnp.asarray(self.f_user(a, b), jnp.float32).reshape(())

    def loss_x(self, x: Array, y: Array) -> Array:
        return self.f(x, y)

    def loss_y(self, x: Array, y: Array) -> Array:
        return -self.f(x, y)

    def __repr__(self) -> str:
        return f"from_function({getattr(self.f_user, '__name__', self.f_user)})"


_pytree.register(FunctionGame, [], ["f_user", "n_x", "n_y", "_equilibrium"])


def from_function(f: Callable, n_x: int = 1, n_y: int = 1, equilibrium=None) -> FunctionGame:
    """A zero-sum game ``min_x max_y f(x, y)`` from any JAX-traceable function.

    With one parameter per player (the default) ``f`` receives two scalars.

    >>> import gankit as gk
    >>> game = gk.games.from_function(lambda x, y: x * y + 0.1 * x**2, equilibrium=(0, 0))
    >>> gk.simulate(game, gk.schemes.extragradient(0.2), steps=300).shape
    (301, 2)
    """
    return FunctionGame(f, n_x, n_y, equilibrium)
