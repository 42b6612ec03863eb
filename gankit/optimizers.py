"""Keras optimizers that Keras lacks, for the lessons on momentum and non-smooth losses.

Both are ordinary ``keras.optimizers.Optimizer`` subclasses: they train networks with
``fit()`` and move points in :func:`gankit.simulate` through the same
``stateless_apply``.

>>> import gankit as gk
>>> opt = gk.optimizers.HeavyBall(learning_rate=0.1, momentum=-0.5)
>>> opt.momentum
-0.5
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import ops

from gankit import _checks

SCHEDULES = ("constant", "inv_sqrt", "inv")


@keras.saving.register_keras_serializable(package="gankit")
class HeavyBall(keras.optimizers.Optimizer):
    """Polyak's heavy ball: ``v <- momentum * v - lr * g``, ``w <- w + v``.

    Unlike ``keras.optimizers.SGD``, ``momentum`` may be negative: negative momentum
    damps the rotation of alternating updates in games (Gidel et al. 2019).

    >>> import gankit as gk
    >>> traj = gk.simulate(gk.games.Bilinear(),
    ...                    gk.schemes.alternating(gk.optimizers.HeavyBall(0.3, -0.5)),
    ...                    steps=1000)
    >>> bool(abs(traj[-1]).max() < 1e-3)
    True
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        name: str | None = None,
        **kwargs,
    ) -> None:
        if not callable(learning_rate):  # a schedule is Keras' to check
            learning_rate = _checks.positive("learning_rate", learning_rate)
        super().__init__(learning_rate=learning_rate, name=name or "heavy_ball", **kwargs)
        momentum = _checks.finite("momentum", momentum)
        if not -1.0 < momentum < 1.0:
            raise ValueError(f"momentum must be in (-1, 1), got {momentum!r}")
        self.momentum = momentum

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        v = self.velocities[self._get_variable_index(variable)]
        momentum = ops.cast(self.momentum, variable.dtype)
        self.assign(v, ops.subtract(ops.multiply(v, momentum), ops.multiply(g, lr)))
        self.assign_add(variable, v)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum}


@keras.saving.register_keras_serializable(package="gankit")
class Nesterov(HeavyBall):
    """Nesterov momentum in Keras' form: ``v <- m v - lr g``, ``w <- w + m v - lr g``.

    The same update as ``keras.optimizers.SGD(nesterov=True)``, but Keras' SGD holds
    momentum as a Python number it branches on, so every new momentum compiles a new
    program; here (a :class:`HeavyBall`) the momentum is traced, and a slider moving it
    never recompiles. Negative momentum is allowed too.

    >>> import gankit as gk
    >>> traj = gk.simulate(gk.surfaces.Quadratic(), gk.optimizers.Nesterov(0.05, 0.9),
    ...                    steps=300, start=(-1.8, 1.2))
    >>> bool(abs(traj[-1]).max() < 1e-3)
    True
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, name=None, **kw):
        super().__init__(learning_rate, momentum, name=name or "nesterov", **kw)

    def update_step(self, gradient, variable, learning_rate) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        v = self.velocities[self._get_variable_index(variable)]
        momentum = ops.cast(self.momentum, variable.dtype)
        step = ops.multiply(g, lr)
        self.assign(v, ops.subtract(ops.multiply(v, momentum), step))
        self.assign_add(variable, ops.subtract(ops.multiply(v, momentum), step))


@keras.saving.register_keras_serializable(package="gankit")
class Subgradient(keras.optimizers.Optimizer):
    """Subgradient method: ``w <- w - lr * s(k) * g`` with ``g`` any subgradient.

    On non-smooth losses a constant step never settles: it ends in a cycle about the
    kink, within one step of it. Steps that shrink like ``1/sqrt(k)`` make the best
    value found converge (at rate ``O(1/sqrt(k))``). ``schedule`` is ``"constant"``,
    ``"inv_sqrt"`` (``s(k) = 1/sqrt(k+1)``), ``"inv"`` (``1/(k+1)``), or a callable
    mapping the step count ``k`` (a traced integer, from 0) to a multiplier.

    >>> import gankit as gk
    >>> opt = gk.optimizers.Subgradient(0.5, schedule="inv_sqrt")
    >>> traj = gk.simulate(gk.surfaces.Abs(), opt, steps=100, start=(1.0, -0.7))
    >>> bool(abs(traj).sum(axis=1).min() < 0.1)
    True
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        schedule: str | Callable = "constant",
        name: str | None = None,
        **kwargs,
    ) -> None:
        if not callable(learning_rate):  # a schedule is Keras' to check
            learning_rate = _checks.positive("learning_rate", learning_rate)
        super().__init__(learning_rate=learning_rate, name=name or "subgradient", **kwargs)
        if not callable(schedule):
            _checks.choice("schedule", schedule, SCHEDULES)
        self.schedule = schedule

    def multiplier(self, k):
        """The step-size multiplier ``s(k)`` at step ``k`` (0 for the first step)."""
        k = ops.cast(k, "float32")
        if callable(self.schedule):
            return self.schedule(k)
        if self.schedule == "inv_sqrt":
            return ops.rsqrt(k + 1.0)
        if self.schedule == "inv":
            return 1.0 / (k + 1.0)
        return ops.ones_like(k)

    def update_step(self, gradient, variable, learning_rate) -> None:
        step = ops.cast(learning_rate, variable.dtype) * ops.cast(
            self.multiplier(self.iterations), variable.dtype
        )
        self.assign_sub(variable, ops.multiply(ops.cast(gradient, variable.dtype), step))

    def get_config(self) -> dict:
        # A callable schedule is kept as is: it clones, but only named ones serialise.
        return {**super().get_config(), "schedule": self.schedule}
