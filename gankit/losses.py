"""GAN losses and discriminator regularisers as pure functions of logits.

The names are those of the core's Dirac-GAN (:class:`gankit.games.DiracGAN`), plus
least squares: one name means one idea whether the players are two numbers or two
networks. ``D`` below is the discriminator's logit; ``sigma`` the logistic function.

===========  ==========================================  ===============================
name         discriminator minimises                     generator minimises
===========  ==========================================  ===============================
``gan``      ``-E log sigma(D(x)) - E log(1 - sigma(D(G(z))))``  ``E log(1 - sigma(D(G(z))))``
``nsgan``    same as ``gan``                             ``-E log sigma(D(G(z)))``
``wgan``     ``E D(G(z)) - E D(x)``                      ``-E D(G(z))``
``hinge``    ``E relu(1 - D(x)) + E relu(1 + D(G(z)))``  ``-E D(G(z))``
``lsgan``    ``1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2``    ``1/2 E (D(G(z)) - 1)^2``
===========  ==========================================  ===============================

Regularisers are the records of :mod:`gankit.reg`; :func:`penalty` evaluates the
gradient penalties on a discriminator *function* ``d(x) -> logits``.

>>> import jax.numpy as jnp
>>> from gankit import losses
>>> round(float(losses.discriminator_loss("gan", jnp.zeros(4), jnp.zeros(4))), 4)
1.3863
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gankit import _checks
from gankit import reg as _reg

Array = jax.Array

LOSSES = ("gan", "nsgan", "wgan", "hinge", "lsgan")
"""Loss names: the Dirac-GAN's ``gan``, ``nsgan``, ``wgan``, ``hinge``, plus ``lsgan``."""

CLASSIFIER_LOSSES = ("gan", "nsgan", "lsgan")
"""Losses with a real label, so one-sided label smoothing means something."""


def check_loss(loss: str) -> str:
    """``loss`` if it is a known loss name, else a ValueError listing them."""
    return _checks.choice("loss", loss, LOSSES)


def _flat(logits: Array) -> Array:
    return jnp.reshape(logits, (logits.shape[0], -1)).mean(axis=1)


def discriminator_loss(
    loss: str, real_logits: Array, fake_logits: Array, real_label: float | Array = 1.0
) -> Array:
    """The discriminator's loss (a scalar, batch mean) from its logits on real and fake.

    ``real_label`` below 1 is one-sided label smoothing (``gan``, ``nsgan``, ``lsgan``).

    >>> import jax.numpy as jnp
    >>> float(discriminator_loss("hinge", jnp.ones(3), -jnp.ones(3)))
    0.0
    """
    check_loss(loss)
    r, f = _flat(real_logits), _flat(fake_logits)
    if loss in ("gan", "nsgan"):
        s = real_label
        real = s * jax.nn.softplus(-r) + (1 - s) * jax.nn.softplus(r)
        fake = jax.nn.softplus(f)
    elif loss == "wgan":
        real, fake = -r, f
    elif loss == "hinge":
        real, fake = jax.nn.relu(1 - r), jax.nn.relu(1 + f)
    else:  # lsgan
        real, fake = 0.5 * (r - real_label) ** 2, 0.5 * f**2
    return jnp.mean(real) + jnp.mean(fake)


def generator_loss(loss: str, fake_logits: Array) -> Array:
    """The generator's loss (a scalar, batch mean) from the discriminator's logits on fakes.

    >>> import jax.numpy as jnp
    >>> round(float(generator_loss("nsgan", jnp.zeros(2))), 4)  # ln 2
    0.6931
    """
    check_loss(loss)
    f = _flat(fake_logits)
    if loss == "gan":
        per = -jax.nn.softplus(f)  # log(1 - sigma(f)), minimised: saturates when D wins
    elif loss == "nsgan":
        per = jax.nn.softplus(-f)  # -log sigma(f)
    elif loss == "lsgan":
        per = 0.5 * (f - 1) ** 2
    else:  # wgan, hinge
        per = -f
    return jnp.mean(per)


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


def check_reg(reg: object, loss: str) -> tuple:
    """``reg`` as a tuple of :mod:`gankit.reg` records that make sense with ``loss``."""
    regs = _reg.as_tuple(reg)
    if any(isinstance(r, _reg.LabelSmoothing) for r in regs) and loss not in CLASSIFIER_LOSSES:
        raise ValueError(
            f"reg=LabelSmoothing needs loss {', '.join(map(repr, CLASSIFIER_LOSSES))} "
            f"(a loss with a real label), got {loss!r}"
        )
    kinds = [type(r) for r in regs]
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"reg must hold each regulariser at most once, got {regs!r}")
    return regs


def real_label(regs: tuple) -> float | Array:
    """The real label: ``LabelSmoothing.real_label`` if present, else 1."""
    for r in regs:
        if isinstance(r, _reg.LabelSmoothing):
            return r.real_label
    return 1.0


def noise_inputs(regs: tuple, real: Array, fake: Array, key: Array) -> tuple[Array, Array]:
    """Real and fake samples as the discriminator sees them (instance noise if asked)."""
    for r in regs:
        if isinstance(r, _reg.InstanceNoise):
            k1, k2 = jax.random.split(key)
            return instance_noise(real, k1, r.sigma), instance_noise(fake, k2, r.sigma)
    return real, fake


def penalty(
    regs: tuple, d: Callable[[Array], Array], real: Array, fake: Array, key: Array
) -> Array:
    """The sum of the gradient penalties (R1, R2, WGAN-GP) in ``regs``; 0 if none.

    >>> import jax, jax.numpy as jnp
    >>> import gankit as gk
    >>> d = lambda x: x @ jnp.array([1.0, 1.0])
    >>> float(penalty((gk.reg.R1(1.0), gk.reg.R2(1.0)), d, jnp.ones((2, 2)),
    ...               jnp.ones((2, 2)), jax.random.PRNGKey(0)))
    2.0
    """
    total = jnp.zeros((), jnp.float32)
    for r in regs:
        if isinstance(r, _reg.R1):
            total = total + r1_penalty(d, real, r.gamma)
        elif isinstance(r, _reg.R2):
            total = total + r1_penalty(d, fake, r.gamma)
        elif isinstance(r, _reg.GradientPenalty):
            total = total + gradient_penalty(d, real, fake, key, r.gamma, r.target)
    return total
