"""Where each part of a GAN's state lives among its Keras variables, both ways.

The state a step reads and writes is one pytree (a dict, see :mod:`gankit.gan.step`);
Keras' ``fit()`` carries the same values as three flat lists (trainable, non-trainable,
optimizer variables). :class:`Layout` maps between them, and reads or writes the whole
state from or into the variables.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras

GROUPS = ("g", "gn", "d", "dn", "go", "do", "own")
OWN = ("rng", "step", "halted", "numbers")  # then the EMA weights, then the scheme's memory


class Layout:
    """A GAN's variables grouped as its state, and their places in Keras' lists."""

    def __init__(self, gan: Any) -> None:
        g, d = gan.generator, gan.discriminator
        self.own = [gan.rng, gan.step_counter, gan.halt_counter, gan.numbers]
        self.n_ema = len(gan.ema_weights)
        self.groups = {
            "g": g.trainable_variables,
            "gn": g.non_trainable_variables,
            "d": d.trainable_variables,
            "dn": d.non_trainable_variables,
            "go": gan.g_optimizer.variables,
            "do": gan.d_optimizer.variables,
            "own": self.own + list(gan.ema_weights) + list(gan.extra_state),
        }
        lists = {
            "t": gan.trainable_variables,
            "n": gan.non_trainable_variables,
            "o": gan.optimizer.variables,
        }
        where = {id(v): (k, i) for k, vs in lists.items() for i, v in enumerate(vs)}
        self.places = {name: [where[id(v)] for v in vs] for name, vs in self.groups.items()}

    @property
    def halt_index(self) -> int:
        """Where the halt counter sits in Keras' non-trainable variables."""
        kind, index = self.places["own"][2]
        assert kind == "n", "the halt counter is a non-trainable variable"
        return index

    def pack(self, groups: dict) -> dict:
        """The state pytree from values grouped as :attr:`groups`."""
        own = groups["own"]
        state = {k: list(groups[k]) for k in GROUPS if k != "own"}
        state.update(zip(OWN, own[:4], strict=True))
        state["ema"] = list(own[4 : 4 + self.n_ema])
        state["extra"] = list(own[4 + self.n_ema :])
        return state

    @staticmethod
    def unpack(state: dict) -> dict:
        """Values grouped as :attr:`groups` from the state pytree."""
        own = [state[k] for k in OWN] + list(state["ema"]) + list(state["extra"])
        return {k: state[k] for k in GROUPS if k != "own"} | {"own": own}

    def read(self) -> dict:
        """The whole state, from the variables."""
        return self.pack({k: [v.value for v in vs] for k, vs in self.groups.items()})

    def write(self, state: dict) -> None:
        """Assign a state to the variables."""
        for name, values in self.unpack(state).items():
            for variable, value in zip(self.groups[name], values, strict=True):
                variable.assign(value)

    def from_keras(self, lists: dict) -> dict:
        """The state from Keras' ``{"t": trainable, "n": non-trainable, "o": optimizer}``."""
        return self.pack({name: [lists[k][i] for k, i in pos] for name, pos in self.places.items()})

    def to_keras(self, state: dict, lists: dict) -> dict:
        """Keras' three lists with the state's values put in their places."""
        out = {k: list(v) for k, v in lists.items()}
        for name, values in self.unpack(state).items():
            for (k, i), value in zip(self.places[name], values, strict=True):
                out[k][i] = value
        return out


def all_layers(model: keras.Model) -> list:
    """Every layer inside ``model``, depth first, nested layers of layers too.

    Keras' public ``model.layers`` stops at the first level and does not open layers
    that hold layers; its private ``_flatten_layers`` is the walk Keras itself uses.
    """
    return list(model._flatten_layers(include_self=False))


def fresh_weights(model: keras.Model, seed: int) -> tuple[list, list]:
    """A model's (trainable, non-trainable) values re-drawn from its layers' initializers.

    Each layer's own variables (Keras' private per-layer lists: ``layer.weights`` would
    repeat nested layers'), in order, so a seed always draws the same weights.
    """
    drawn: dict[int, jax.Array] = {}
    count = 0
    for layer in all_layers(model):
        for v in list(layer._trainable_variables) + list(layer._non_trainable_variables):
            init = getattr(layer, f"{v.name}_initializer", None)
            if init is None:
                continue
            config = init.get_config()
            if "seed" in config:
                init = type(init).from_config(config | {"seed": seed * 7919 + count})
                count += 1
            drawn[id(v)] = jnp.asarray(init(tuple(v.shape), dtype=v.dtype))
    return (
        [drawn.get(id(v), v.value) for v in model.trainable_variables],
        [drawn.get(id(v), v.value) for v in model.non_trainable_variables],
    )
