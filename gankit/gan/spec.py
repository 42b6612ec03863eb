"""What a GAN is built of, fixed once it is built: everything its compiled programs read.

A :class:`Spec` holds the networks (only their structure is used: weights arrive as
arguments), the loss, the regularisers' kinds, the scheme and where each number lives.
Weights and numbers never enter it, so every identically built GAN can run the same
programs (:mod:`gankit.gan.programs`).
"""

from __future__ import annotations

import copy
from typing import Any

import jax
import keras
import numpy as np

from gankit import compiles, schemes, steppers

PLAYER = {"x": "g", "y": "d"}
"""The scheme's players (x minimises, y maximises) as the GAN's (generator, discriminator)."""


def gan_name(key: str) -> str:
    """A scheme's number name as the GAN names it: ``"y_beta_1" -> "d_beta_1"``."""
    owner, _, rest = key.partition("_")
    return f"{PLAYER[owner]}_{rest}" if owner in PLAYER and rest else key


class _ShapeGame:
    """Stands in for a game when only the shapes of a scheme's memory are wanted."""

    def field(self, x, y, key):
        return (x, y), {}

    def advance(self, aux):
        return self


class Spec:
    """The static structure of a GAN (see the module docstring).

    ``number_names`` are the traced numbers kept in one vector (all but the learning
    rates, which live in each optimizer's own variables at ``lr_index``).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        loss: str,
        regs: tuple,
        noise: str,
        scheme: schemes.Scheme,
        optimizers: tuple,
        ema: float | None,
        weight_clip: float | None,
    ) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.noise_dim = int(generator.input_shape[-1])
        self.sample_shape = tuple(int(s) for s in generator.output_shape[1:])
        self.loss, self.regs, self.noise, self.scheme = loss, regs, noise, scheme
        self.lr_index = tuple(steppers.lr_index(opt) for opt in optimizers)
        self.has_ema, self.has_clip = ema is not None, weight_clip is not None
        self.lr_keys = ("x_learning_rate", "y_learning_rate")
        names, values = [], []
        for key, value in scheme.hyper.items():
            if key not in self.lr_keys:
                names.append(gan_name(key))
                values.append(value)
        for r in regs:
            for field, value in vars(r).items():
                names.append(f"{type(r).__name__}_{field}")
                values.append(value)
        for name, value in (("ema", ema), ("weight_clip", weight_clip)):
            if value is not None:
                names.append(name)
                values.append(value)
        self.number_names = tuple(names)
        self.defaults = np.asarray(values, np.float32).reshape(-1)
        g0 = [v.value for v in generator.trainable_variables]
        d0 = [v.value for v in discriminator.trainable_variables]
        memory = jax.eval_shape(
            lambda: scheme.init_memory(schemes.Calls(_ShapeGame(), None), g0, d0)
        )
        self.memory_def = jax.tree.structure(memory)
        self.memory_shapes = [(s.shape, s.dtype) for s in jax.tree.leaves(memory)]

    # -- numbers inside a traced step -------------------------------------------------
    def numbers(self, vector: jax.Array) -> dict:
        """The traced numbers by name, from the state's number vector."""
        return {k: vector[i] for i, k in enumerate(self.number_names)}

    def scheme_at(self, state: dict, numbers: dict) -> schemes.Scheme:
        """The scheme with this step's numbers: learning rates from the optimizers' state."""
        hyper = {}
        for key in self.scheme.hyper:
            if key in self.lr_keys:
                player = self.lr_keys.index(key)
                hyper[key] = state[("go", "do")[player]][self.lr_index[player]]
            else:
                hyper[key] = numbers[gan_name(key)]
        scheme = copy.copy(self.scheme)
        scheme.hyper = hyper
        return scheme

    def regs_at(self, numbers: dict) -> tuple:
        """The regularisers with this step's numbers."""
        out = []
        for r in self.regs:
            leaves = [numbers[f"{type(r).__name__}_{f}"] for f in vars(r)]
            out.append(jax.tree.unflatten(jax.tree.structure(r), leaves))
        return tuple(out)

    def split_opt(self, state: dict) -> tuple[list, list]:
        """Each optimizer's state as its stepper threads it (no learning rate)."""
        return tuple(
            steppers.without_lr(state[k], self.lr_index[p]) for p, k in enumerate(("go", "do"))
        )

    def join_opt(self, state: dict, sx: list, sy: list) -> tuple[list, list]:
        """Each optimizer's variables again, the (unchanged) learning rate put back."""
        out = []
        for p, (k, s) in enumerate((("go", sx), ("do", sy))):
            index = self.lr_index[p]
            lr = None if index is None else state[k][index]
            out.append(steppers.with_lr(s, lr, index))
        return tuple(out)

    def traced(self) -> None:
        """Count one trace of a training program (see :mod:`gankit.compiles`)."""
        compiles.traced("train")

    def signature_parts(self) -> tuple:
        """What, besides the networks, a compiled program depends on (hashable)."""
        scheme = self.scheme
        return (
            self.loss,
            self.noise,
            tuple(jax.tree.structure(r) for r in self.regs),
            scheme.kind,
            scheme.options,
            scheme.steppers,
            scheme.shared,
            tuple(scheme.hyper),
            self.number_names,
            self.lr_index,
            self.memory_def,
            self.has_ema,
            self.has_clip,
        )


def describe(optimizer: Any) -> tuple:
    """An optimizer's variables' shapes and dtypes (part of a program's signature)."""
    return tuple((tuple(v.shape), str(v.dtype)) for v in optimizer.variables)
