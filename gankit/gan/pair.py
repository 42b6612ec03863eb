"""Both players' optimizers as one ``self.optimizer`` (so ``fit()`` threads their state),
and the ways a GAN is handed an optimizer or a regulariser."""

from __future__ import annotations

from typing import Any

import keras

from gankit import _checks
from gankit import reg as _reg
from gankit.steppers import KerasStep, PlainStep


@keras.saving.register_keras_serializable(package="gankit")
class PairOptimizer(keras.optimizers.Optimizer):
    """The generator's and the discriminator's optimizers, seen by Keras as one.

    Keras' JAX ``fit()`` carries ``model.optimizer.variables`` through its jitted step;
    this container's ``variables`` are both players' (generator first), so both advance.
    It never applies gradients itself: :class:`GAN` does, through the scheme.
    """

    def __init__(
        self,
        g_optimizer: keras.optimizers.Optimizer,
        d_optimizer: keras.optimizers.Optimizer,
        name: str = "gan_optimizers",
        **kwargs: Any,
    ) -> None:
        kwargs.pop("learning_rate", None)
        super().__init__(learning_rate=1.0, name=name, **kwargs)
        self.g_optimizer = keras.optimizers.get(g_optimizer)
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.built = True

    @property
    def variables(self) -> list:
        return list(self.g_optimizer.variables) + list(self.d_optimizer.variables)

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("PairOptimizer does not step; gk.GAN steps each player")

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise NotImplementedError("PairOptimizer does not step; gk.GAN steps each player")

    def finalize_variable_values(self, var_list) -> None:
        """Nothing to finalize (no optimizer-level EMA)."""

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> PairOptimizer:
        return cls(
            keras.optimizers.deserialize(config["g_optimizer"]),
            keras.optimizers.deserialize(config["d_optimizer"]),
            name=config.get("name", "gan_optimizers"),
        )


def as_optimizer(opt: Any, name: str) -> keras.optimizers.Optimizer:
    if opt is None:
        return keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5)
    if isinstance(opt, keras.optimizers.Optimizer):
        return opt
    if isinstance(opt, int | float) and not isinstance(opt, bool):
        return keras.optimizers.SGD(learning_rate=_checks.positive(name, opt))
    raise ValueError(
        f"{name} must be a keras.optimizers.Optimizer, a positive learning rate or None; "
        f"got {opt!r}"
    )


def from_stepper(step: Any) -> keras.optimizers.Optimizer:
    if isinstance(step, KerasStep):
        return step.cls.from_config(step.config)
    if isinstance(step, PlainStep):
        return keras.optimizers.SGD(learning_rate=0.01)
    raise ValueError(f"cannot build a Keras optimizer from {step!r}")


def reg_config(r: Any) -> dict:
    return {"class": type(r).__name__, **{k: v for k, v in vars(r).items()}}


def reg_from_config(c: dict) -> Any:
    classes = {cls.__name__: cls for cls in _reg.REGULARIZERS}
    c = dict(c)
    return classes[c.pop("class")](**c)
