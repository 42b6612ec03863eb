"""Discriminator regularisers, as plain descriptions.

Each regulariser is a small frozen record of its numbers. The Dirac-GAN
(:class:`gankit.games.DiracGAN`) evaluates them in closed form; the network GAN
trainer applies the same records to real networks, so one name means one idea.

Conventions (those of the papers that introduced them):

* ``R1(gamma)``: ``gamma/2 * E_real ||grad_x D(x)||^2`` (Mescheder et al. 2018).
* ``R2(gamma)``: the same penalty on generated samples.
* ``GradientPenalty(gamma, target)``: ``gamma * E ||grad_x D(x_hat)|| - target)^2``
  on interpolates (Gulrajani et al. 2017, WGAN-GP, usually ``gamma=10``).
* ``InstanceNoise(sigma)``: Gaussian noise of std ``sigma`` added to real and fake
  samples before the discriminator sees them (Sønderby et al. 2016).
* ``LabelSmoothing(real_label)``: one-sided label smoothing (Salimans et al. 2016).

>>> import gankit as gk
>>> gk.reg.R1(1.0)
R1(gamma=1.0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from gankit import _checks, _pytree

Array = jax.Array

# Probabilists' Gauss-Hermite rule: E[h(eps)], eps ~ N(0, 1), exact for polynomials of
# degree < 2 * 32 and accurate for the smooth losses here; keeps instance noise on the
# Dirac-GAN exact and deterministic instead of sampled.
_HERMITE_NODES, _HERMITE_WEIGHTS = np.polynomial.hermite_e.hermegauss(32)
_HERMITE_WEIGHTS = _HERMITE_WEIGHTS / np.sqrt(2 * np.pi)


def _flat(logits: Array) -> Array:
    return jnp.reshape(logits, (logits.shape[0], -1)).mean(axis=1)


def input_gradients(d: Callable[[Array], Array], x: Array) -> Array:
    """``grad_x D(x)`` per sample, for a discriminator that treats samples independently."""
    return jax.grad(lambda v: jnp.sum(_flat(d(v))))(x)


def _sq_norms(g: Array) -> Array:
    return jnp.sum(jnp.reshape(g, (g.shape[0], -1)) ** 2, axis=1)


def r1_penalty(d: Callable[[Array], Array], x: Array, gamma: float | Array) -> Array:
    """``gamma/2 * E ||grad_x D(x)||^2`` (R1 on real ``x``, R2 on fake ``x``).

    >>> import jax.numpy as jnp
    >>> w = jnp.array([3.0, 4.0])
    >>> float(r1_penalty(lambda x: x @ w, jnp.ones((5, 2)), 2.0))  # gamma/2 * |w|^2
    25.0
    """
    return 0.5 * gamma * jnp.mean(_sq_norms(input_gradients(d, x)))


def gradient_penalty(
    d: Callable[[Array], Array],
    real: Array,
    fake: Array,
    key: Array,
    gamma: float | Array = 10.0,
    target: float | Array = 1.0,
) -> Array:
    """WGAN-GP: ``gamma * E (||grad D(x_hat)|| - target)^2`` at random real/fake interpolates.

    >>> import jax, jax.numpy as jnp
    >>> w = jnp.array([0.6, 0.8])  # |w| = 1: a 1-Lipschitz critic pays nothing
    >>> float(gradient_penalty(lambda x: x @ w, jnp.ones((4, 2)), jnp.zeros((4, 2)),
    ...                        jax.random.PRNGKey(0)))
    0.0
    """
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    t = jax.random.uniform(key, shape, real.dtype)
    x_hat = t * real + (1 - t) * fake
    norms = jnp.sqrt(_sq_norms(input_gradients(d, x_hat)) + 1e-12)
    return gamma * jnp.mean((norms - target) ** 2)


def instance_noise(x: Array, key: Array, sigma: float | Array) -> Array:
    """``x`` plus Gaussian noise of std ``sigma`` (Sønderby et al. 2016)."""
    return x + sigma * jax.random.normal(key, x.shape, x.dtype)


class Regularizer:
    """What every record answers; each overrides only the parts that are its idea.

    Networks: :meth:`inputs` (what D sees), :meth:`penalty` (added to D's loss), and
    ``real_label``. The Dirac-GAN (``D(t) = psi * t``, so ``grad_t D = psi`` everywhere):
    :meth:`dirac_penalty` and :meth:`dirac_noise`, in closed form.
    """

    real_label: float = 1.0

    # How a panel offers it (gankit.catalogue reads these): its name there, its one
    # number as (name, default, low, high), and a line saying what it does.
    label: ClassVar[str]
    slider: ClassVar[tuple[str, float, float, float]]
    about: ClassVar[str]

    @classmethod
    def from_number(cls, value: float) -> Regularizer:
        """The record with its slider's number set to ``value`` (the others default)."""
        return cls(**{cls.slider[0]: value})

    def inputs(self, real: Array, fake: Array, key: Array) -> tuple[Array, Array]:
        return real, fake

    def penalty(self, d: Callable, real: Array, fake: Array, key: Array) -> Array:
        return jnp.zeros((), jnp.float32)

    def dirac_penalty(self, psi: Array) -> Array:
        return jnp.zeros((), jnp.float32)

    def dirac_noise(self) -> tuple[Array, Array] | None:
        """Quadrature nodes and weights of the input noise, or None for no noise."""
        return None


@dataclass(frozen=True)
class R1(Regularizer):
    """Zero-centred gradient penalty on real data, ``gamma/2 * ||grad D(x_real)||^2``."""

    gamma: float = 1.0
    label: ClassVar[str] = "R1"
    slider: ClassVar[tuple] = ("gamma", 1.0, 0.0, 10.0)
    about: ClassVar[str] = "gradient penalty on real data"

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", _checks.non_negative("gamma", self.gamma))

    def penalty(self, d, real, fake, key):
        return r1_penalty(d, real, self.gamma)

    def dirac_penalty(self, psi):
        return 0.5 * self.gamma * psi**2


@dataclass(frozen=True)
class R2(Regularizer):
    """Zero-centred gradient penalty on generated data, ``gamma/2 * ||grad D(x_fake)||^2``."""

    gamma: float = 1.0
    label: ClassVar[str] = "R2"
    slider: ClassVar[tuple] = ("gamma", 1.0, 0.0, 10.0)
    about: ClassVar[str] = "gradient penalty on fakes"

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", _checks.non_negative("gamma", self.gamma))

    def penalty(self, d, real, fake, key):
        return r1_penalty(d, fake, self.gamma)

    def dirac_penalty(self, psi):
        return 0.5 * self.gamma * psi**2


@dataclass(frozen=True)
class GradientPenalty(Regularizer):
    """WGAN-GP: ``gamma * (||grad D(x_hat)|| - target)^2`` on real/fake interpolates."""

    gamma: float = 10.0
    target: float = 1.0
    label: ClassVar[str] = "WGAN-GP"
    slider: ClassVar[tuple] = ("gamma", 1.0, 0.0, 10.0)
    about: ClassVar[str] = "|grad D| pulled to 1 between real and fake (Gulrajani et al. 2017)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", _checks.non_negative("gamma", self.gamma))
        object.__setattr__(self, "target", _checks.non_negative("target", self.target))

    def penalty(self, d, real, fake, key):
        return gradient_penalty(d, real, fake, key, self.gamma, self.target)

    def dirac_penalty(self, psi):
        return self.gamma * (jnp.abs(psi) - self.target) ** 2


@dataclass(frozen=True)
class InstanceNoise(Regularizer):
    """Gaussian noise of standard deviation ``sigma`` added to every discriminator input."""

    sigma: float = 0.5
    label: ClassVar[str] = "instance noise"
    slider: ClassVar[tuple] = ("sigma", 0.1, 0.0, 3.0)
    about: ClassVar[str] = "Gaussian noise on every input of D"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", _checks.non_negative("sigma", self.sigma))

    def inputs(self, real, fake, key):
        k1, k2 = jax.random.split(key)
        return instance_noise(real, k1, self.sigma), instance_noise(fake, k2, self.sigma)

    def dirac_noise(self):
        nodes = self.sigma * jnp.asarray(_HERMITE_NODES, jnp.float32)
        return nodes, jnp.asarray(_HERMITE_WEIGHTS, jnp.float32)


@dataclass(frozen=True)
class LabelSmoothing(Regularizer):
    """One-sided label smoothing: real samples are labelled ``real_label`` (< 1)."""

    real_label: float = 0.9
    label: ClassVar[str] = "label smoothing"
    slider: ClassVar[tuple] = ("real_label", 0.9, 0.5, 1.0)
    about: ClassVar[str] = "real samples labelled below 1 (gan, nsgan, lsgan only)"

    def __post_init__(self) -> None:
        value = _checks.finite("real_label", self.real_label)
        if not 0.5 < value <= 1.0:
            raise ValueError(f"real_label must be in (0.5, 1], got {self.real_label!r}")
        object.__setattr__(self, "real_label", value)


for _cls, _fields in [
    (R1, ["gamma"]),
    (R2, ["gamma"]),
    (GradientPenalty, ["gamma", "target"]),
    (InstanceNoise, ["sigma"]),
    (LabelSmoothing, ["real_label"]),
]:
    _pytree.register(_cls, _fields)

REGULARIZERS = (R1, R2, GradientPenalty, InstanceNoise, LabelSmoothing)


def as_tuple(reg: object, name: str = "reg") -> tuple:
    """Normalise ``None``, one regulariser or a sequence of them to a tuple, checking types."""
    if reg is None:
        return ()
    regs = tuple(reg) if isinstance(reg, list | tuple) else (reg,)
    for r in regs:
        if not isinstance(r, REGULARIZERS):
            allowed = ", ".join(f"gk.reg.{c.__name__}" for c in REGULARIZERS)
            raise ValueError(f"{name} must be None, or one or more of {allowed}; got {r!r}")
    return regs
