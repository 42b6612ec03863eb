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

from dataclasses import dataclass

from gankit import _checks, _pytree


@dataclass(frozen=True)
class R1:
    """Zero-centred gradient penalty on real data, ``gamma/2 * ||grad D(x_real)||^2``."""

    gamma: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", _checks.non_negative("gamma", self.gamma))


@dataclass(frozen=True)
class R2:
    """Zero-centred gradient penalty on generated data, ``gamma/2 * ||grad D(x_fake)||^2``."""

    gamma: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", _checks.non_negative("gamma", self.gamma))


@dataclass(frozen=True)
class GradientPenalty:
    """WGAN-GP: ``gamma * (||grad D(x_hat)|| - target)^2`` on real/fake interpolates."""

    gamma: float = 10.0
    target: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", _checks.non_negative("gamma", self.gamma))
        object.__setattr__(self, "target", _checks.non_negative("target", self.target))


@dataclass(frozen=True)
class InstanceNoise:
    """Gaussian noise of standard deviation ``sigma`` added to every discriminator input."""

    sigma: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", _checks.non_negative("sigma", self.sigma))


@dataclass(frozen=True)
class LabelSmoothing:
    """One-sided label smoothing: real samples are labelled ``real_label`` (< 1)."""

    real_label: float = 0.9

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
