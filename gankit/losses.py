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
from gankit.reg import (  # noqa: F401  (the penalties' math lives with their records)
    _flat,
    gradient_penalty,
    input_gradients,
    instance_noise,
    r1_penalty,
)

Array = jax.Array

ABOUT = {
    "gan": "minimax: G minimises log(1 - D(G(z))), which saturates when D wins",
    "nsgan": "non-saturating: G maximises log D(G(z))",
    "wgan": "Wasserstein: a critic's score difference (needs a Lipschitz critic)",
    "hinge": "hinge: D's margins at +-1, G raises D's score",
    "lsgan": "least squares: D regresses real to 1 and fake to 0",
}
"""Each loss in a line (the panels' and the catalogue's)."""

LOSSES = tuple(ABOUT)
"""Loss names: the Dirac-GAN's ``gan``, ``nsgan``, ``wgan``, ``hinge``, plus ``lsgan``; a
new loss is a line above and a branch in each of the two ``*_terms`` functions below."""

CLASSIFIER_LOSSES = ("gan", "nsgan", "lsgan")
"""Losses with a real label, so one-sided label smoothing means something."""


def check_loss(loss: str) -> str:
    """``loss`` if it is a known loss name, else a ValueError listing them."""
    return _checks.choice("loss", loss, LOSSES)


def discriminator_terms(
    loss: str, real_logits: Array, fake_logits: Array, real_label: float | Array = 1.0
) -> tuple[Array, Array]:
    """Per-sample terms of the discriminator's loss on real and on fake samples.

    The one table of discriminator losses: :func:`discriminator_loss` averages these
    over a batch, :class:`gankit.games.DiracGAN` takes their exact expectation.
    """
    check_loss(loss)
    r, f = _flat(real_logits), _flat(fake_logits)
    if loss in ("gan", "nsgan"):
        s = real_label
        return s * jax.nn.softplus(-r) + (1 - s) * jax.nn.softplus(r), jax.nn.softplus(f)
    if loss == "wgan":
        return -r, f
    if loss == "hinge":
        return jax.nn.relu(1 - r), jax.nn.relu(1 + f)
    return 0.5 * (r - real_label) ** 2, 0.5 * f**2  # lsgan


def generator_terms(loss: str, fake_logits: Array) -> Array:
    """Per-sample terms of the generator's loss (the one table, as above)."""
    check_loss(loss)
    f = _flat(fake_logits)
    if loss == "gan":
        return -jax.nn.softplus(f)  # log(1 - sigma(f)), minimised: saturates when D wins
    if loss == "nsgan":
        return jax.nn.softplus(-f)  # -log sigma(f)
    if loss == "lsgan":
        return 0.5 * (f - 1) ** 2
    return -f  # wgan, hinge


def switch_terms(index: Array, real_logits: Array, fake_logits: Array) -> tuple:
    """Both players' per-sample terms for the loss ``LOSSES[index]``, ``index`` traced.

    One program serves every loss: a panel switching losses reruns, it does not
    recompile. Every loss is computed and the chosen one selected, which costs a few
    scalar operations more than a ``lax.switch`` but traces, and differentiates, as
    plain arithmetic (a switch is traced again, branch by branch, at every level of
    differentiation: seconds for a Jacobian of a step). Returns ``(d_real, d_fake,
    g_fake)``.
    """
    chosen = [index == i for i in range(len(LOSSES))]
    every = [
        (*discriminator_terms(n, real_logits, fake_logits), generator_terms(n, fake_logits))
        for n in LOSSES
    ]
    return tuple(jnp.select(chosen, [terms[part] for terms in every]) for part in range(3))


def discriminator_loss(
    loss: str, real_logits: Array, fake_logits: Array, real_label: float | Array = 1.0
) -> Array:
    """The discriminator's loss (a scalar, batch mean) from its logits on real and fake.

    ``real_label`` below 1 is one-sided label smoothing (``gan``, ``nsgan``, ``lsgan``).

    >>> import jax.numpy as jnp
    >>> float(discriminator_loss("hinge", jnp.ones(3), -jnp.ones(3)))
    0.0
    """
    real, fake = discriminator_terms(loss, real_logits, fake_logits, real_label)
    return jnp.mean(real) + jnp.mean(fake)


def generator_loss(loss: str, fake_logits: Array) -> Array:
    """The generator's loss (a scalar, batch mean) from the discriminator's logits on fakes.

    >>> import jax.numpy as jnp
    >>> round(float(generator_loss("nsgan", jnp.zeros(2))), 4)  # ln 2
    0.6931
    """
    return jnp.mean(generator_terms(loss, fake_logits))


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
    label = 1.0
    for r in regs:
        label = label * r.real_label
    return label


def noise_inputs(regs: tuple, real: Array, fake: Array, key: Array) -> tuple[Array, Array]:
    """Real and fake samples as the discriminator sees them (instance noise if asked)."""
    for r in regs:
        real, fake = r.inputs(real, fake, key)
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
        total = total + r.penalty(d, real, fake, key)
    return total
