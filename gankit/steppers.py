"""Base optimizers as pure functions: how one player's gradient becomes a step.

A *stepper* wraps a plain step size or any ``keras.optimizers.Optimizer`` into
``init(params) -> state`` and ``apply(hyper, state, grads, params) -> (params, state)``
over a pytree of arrays. Its numbers (learning rate, betas, momentum) arrive in
``hyper`` as traced values, so changing them never recompiles. Keras optimizers run
through their own ``stateless_apply``: the Adam that moves a point on a game is the
Adam that trains a network.

Steppers are static (hashable) parts of a scheme; equal configurations compare equal
whatever their numbers, so a new ``Adam(0.2)`` reuses the program built for ``Adam(0.1)``.
"""

from __future__ import annotations

import json
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from gankit import _checks
from gankit.optimizers import HeavyBall

# Numbers of Keras optimizers that enter their update only as arithmetic, so they can be
# traced. (Keras' own SGD and RMSprop branch in Python on `momentum`; it stays static.)
TRACED_KERAS = ("learning_rate", "beta_1", "beta_2", "epsilon", "rho")


class PlainStep:
    """``params - learning_rate * grads``: the plain gradient step of a float ``opt``."""

    names = ("learning_rate",)

    def prepare(self, params: Any) -> None:
        """Nothing to build."""

    def init(self, params: Any) -> tuple:
        return ()

    def apply(self, hyper: dict, state: tuple, grads: Any, params: Any) -> tuple[Any, tuple]:
        lr = hyper["learning_rate"]
        return jax.tree.map(lambda p, g: p - lr * g, params, grads), state

    def __eq__(self, other: object) -> bool:
        return type(other) is PlainStep

    def __hash__(self) -> int:
        return hash(PlainStep)

    def __repr__(self) -> str:
        return "PlainStep()"


def lr_index(optimizer: keras.optimizers.Optimizer) -> int | None:
    """Where a built Keras optimizer keeps its learning rate among its ``variables``.

    None when the learning rate is a schedule (no variable). gankit threads an
    optimizer's other variables as its state and passes the learning rate as a traced
    number; :func:`without_lr` and :func:`with_lr` are the one place that cuts it out
    and puts it back.
    """
    lr = getattr(optimizer, "_learning_rate", None)  # Keras keeps no public handle on it
    return next((i for i, v in enumerate(optimizer.variables) if v is lr), None)


def without_lr(variables: Any, index: int | None) -> list:
    """An optimizer's variables without its learning rate (see :func:`lr_index`)."""
    return [v for i, v in enumerate(variables) if i != index]


def with_lr(state: Any, lr: Any, index: int | None) -> list:
    """An optimizer's variables from its state and its learning rate (see :func:`lr_index`)."""
    out = list(state)
    if index is not None:
        out.insert(index, lr)
    return out


_CLONES: dict = {}


class KerasStep:
    """A Keras optimizer's update, run statelessly on clones built for each shape."""

    def __init__(self, optimizer: keras.optimizers.Optimizer) -> None:
        config = optimizer.get_config()
        traced = TRACED_KERAS + (("momentum",) if isinstance(optimizer, HeavyBall) else ())
        self.defaults = {
            k: float(config[k])
            for k in traced
            if isinstance(config.get(k), int | float) and not isinstance(config.get(k), bool)
        }
        from gankit.schemes import check_hyper  # schemes imports this module

        for key, value in self.defaults.items():  # Keras checks none of these
            check_hyper(key, value)
        self.names = tuple(self.defaults)
        self.cls = type(optimizer)
        self.config = config
        static = {k: v for k, v in config.items() if k not in self.defaults and k != "name"}
        self.key = (self.cls, json.dumps(static, sort_keys=True, default=repr))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KerasStep) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"KerasStep({self.cls.__name__})"

    def _clone(self, params: Any) -> tuple[keras.optimizers.Optimizer, int | None]:
        leaves = jax.tree.leaves(params)
        shapes = tuple((tuple(p.shape), str(p.dtype)) for p in leaves)
        key = (self.key, shapes)
        if key not in _CLONES:
            clone = self.cls.from_config(self.config)
            clone.build([keras.Variable(np.zeros(s, d)) for s, d in shapes])
            _CLONES[key] = (clone, lr_index(clone))
        return _CLONES[key]

    def prepare(self, params: Any) -> None:
        """Build the optimizer for these shapes (outside any jit: it creates variables)."""
        self._clone(params)

    def init(self, params: Any) -> list:
        clone, index = self._clone(params)
        return [jnp.asarray(v.value) for v in without_lr(clone.variables, index)]

    def apply(self, hyper: dict, state: list, grads: Any, params: Any) -> tuple[Any, list]:
        clone, index = self._clone(params)
        leaves, treedef = jax.tree.flatten(params)
        variables = with_lr(state, jnp.asarray(hyper["learning_rate"], jnp.float32), index)
        saved = {n: getattr(clone, n) for n in self.names if n != "learning_rate"}
        try:
            for n in saved:
                setattr(clone, n, hyper[n])
            new_leaves, variables = clone.stateless_apply(variables, jax.tree.leaves(grads), leaves)
        finally:
            for n, v in saved.items():
                setattr(clone, n, v)
        return jax.tree.unflatten(treedef, new_leaves), without_lr(variables, index)


def stepper(opt: Any, name: str = "opt") -> tuple[PlainStep | KerasStep, dict[str, float]]:
    """The stepper for one player's ``opt`` and its default numbers."""
    if isinstance(opt, keras.optimizers.Optimizer):
        step = KerasStep(opt)
        return step, dict(step.defaults)
    if isinstance(opt, int | float | np.floating | np.integer) and not isinstance(opt, bool):
        return PlainStep(), {"learning_rate": _checks.positive(f"{name} (learning rate)", opt)}
    raise ValueError(
        f"{name} must be a positive learning rate (a float), a keras.optimizers.Optimizer, "
        f"or a (minimiser_opt, maximiser_opt) pair; got {opt!r}"
    )
