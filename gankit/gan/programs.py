"""The compiled programs of a GAN, shared by every identically built GAN.

A program's trace reads only the structure of the GAN that built it (its
:class:`~gankit.gan.spec.Spec`: layers, loss, scheme, which numbers exist), never a
weight or a number (those are arguments), so every GAN with the same structure can run
it: a second GAN, a Reset of a panel or a test fixture does not compile again.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jax
import keras

from gankit import _memory
from gankit.gan import step
from gankit.gan.layout import all_layers
from gankit.gan.spec import Spec, describe
from gankit.layers import jit

_SHARED: OrderedDict = OrderedDict()
_SHARED_MAX = 32


def model_signature(model: keras.Model) -> tuple | None:
    """What a model computes, as a hashable key; None when its config cannot say.

    Only Sequential and Functional models made of Keras' (or gankit's) own layers are
    described by their config; any other model (a subclass with its own ``call``, a
    ``Lambda`` layer) keeps programs of its own.
    """
    if not isinstance(model, keras.Sequential) and type(model).__name__ != "Functional":
        return None
    for layer in all_layers(model):
        module = type(layer).__module__
        if isinstance(layer, keras.layers.Lambda) or not module.startswith(("keras.", "gankit.")):
            return None
    try:
        config = model.get_config()
        if isinstance(model, keras.Sequential):
            config = _unnamed(config)
        config = json.dumps(config, sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001  (a config that cannot be written: no sharing)
        return None
    shapes = tuple((tuple(v.shape), str(v.dtype), bool(v.trainable)) for v in model.variables)
    return (type(model).__qualname__, config, shapes)


def _unnamed(config: dict) -> dict:
    """A Sequential's config without its own and its layers' names (which compute nothing;
    Keras numbers auto-named layers, so two identical models differ only there)."""
    out = {k: v for k, v in config.items() if k != "name"}
    layers = []
    for entry in config.get("layers", []):
        entry = dict(entry)
        inner = dict(entry.get("config", {}))
        if entry.get("class_name") == "Sequential":
            inner = _unnamed(inner)
        else:
            inner.pop("name", None)
        entry["config"] = inner
        layers.append(entry)
    out["layers"] = layers
    return out


STATIC = {
    "train": ("length", "batch_size", "mode", "guard"),
    "sample": ("n",),
}


class Programs:
    """One GAN's compiled programs, each built once per static arguments and shared.

    >>> import gankit as gk
    >>> gan = gk.GAN(gk.models.mlp_generator(), gk.models.mlp_discriminator())
    >>> gan.programs.get("sample") is gk.GAN(gk.models.mlp_generator(),
    ...     gk.models.mlp_discriminator()).programs.get("sample")
    True
    """

    def __init__(self, spec: Spec, owner: Any, optimizers: tuple) -> None:
        self.spec = spec
        g, d = model_signature(spec.generator), model_signature(spec.discriminator)
        self.signature = (
            None
            if g is None or d is None
            else (type(owner), g, d, spec.signature_parts(), tuple(map(describe, optimizers)))
        )
        self._mine: dict = {}

    def shared(self, key: tuple, build: Callable[[], Any]) -> Any:
        """The program ``key`` of this structure: reused if built, else ``build()``."""
        if key in self._mine:
            return self._mine[key]
        if self.signature is None:
            fn = build()
        else:
            full = (self.signature, key)
            if full in _SHARED:
                _SHARED.move_to_end(full)
                fn = _SHARED[full]
            else:
                _memory.release_if_grown()  # a kernel that grew gives back first
                fn = _SHARED[full] = build()
                if len(_SHARED) > _SHARED_MAX:
                    # The older half goes at once: releasing JAX's traces of them costs
                    # about a second, once per _SHARED_MAX / 2 new programs.
                    while len(_SHARED) > _SHARED_MAX // 2:
                        _SHARED.popitem(last=False)
                    _memory.release()
        self._mine[key] = fn
        return fn

    def get(self, kind: str) -> Any:
        """The jitted program ``kind``: train, sample, runs, runs_sample, field, transform,
        discriminate."""
        spec = self.spec
        builders = {
            "train": lambda: jit(
                functools.partial(step.train_steps, spec), static_argnames=STATIC["train"]
            ),
            "sample": lambda: jit(functools.partial(step.sample, spec), static_argnames=("n",)),
            "runs": lambda: jit(
                jax.vmap(
                    functools.partial(step.train_steps, spec),
                    in_axes=(0, None, None, None, None, None, 0, None),
                ),
                static_argnums=(3, 4, 5, 7),
            ),
            "runs_sample": lambda: jit(
                jax.vmap(functools.partial(step.sample, spec), in_axes=(0, 0, None, None)),
                static_argnums=(3,),
            ),
            "field": lambda: jit(functools.partial(step.loss_field, spec)),
            "transform": lambda: jit(functools.partial(step.transform, spec)),
            "discriminate": lambda: jit(functools.partial(step.discriminate, spec)),
        }
        if kind not in builders:
            raise KeyError(kind)
        return self.shared((kind,), builders[kind])
