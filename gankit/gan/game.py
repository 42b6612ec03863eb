"""The GAN game on one batch, speaking the scheme protocol of :mod:`gankit.schemes`."""

from __future__ import annotations

import copy

import jax

from gankit import losses
from gankit.gan.spec import Spec
from gankit.models import sample_noise

Array = jax.Array


class BatchGame:
    """The GAN game on one batch: x = generator weights, y = discriminator weights.

    It speaks the scheme protocol of :mod:`gankit.schemes` (``field``, ``field_x``,
    ``field_y``, each ``(x, y, key) -> (gradients, aux)``, and ``advance``), so every
    scheme drives networks unchanged. ``aux`` holds the losses and the networks' updated
    non-trainable state (BatchNorm statistics); nothing is changed in place. The
    discriminator's gradient is taken at the generator's fakes *as functions of x*: a
    scheme that differentiates the field (consensus, SGA) sees how the generator's
    weights move the discriminator's gradient.
    """

    def __init__(self, spec: Spec, real: Array, g_state: list, d_state: list, regs: tuple) -> None:
        self.spec, self.real, self.regs = spec, real, regs
        self.g_state, self.d_state = g_state, d_state

    def advance(self, aux: dict) -> BatchGame:
        new = copy.copy(self)
        new.g_state = aux.get("g_state", self.g_state)
        new.d_state = aux.get("d_state", self.d_state)
        return new

    def draw(self, key: Array) -> tuple[Array, Array, Array]:
        """``(z, instance-noise key, penalty key)`` of one evaluation's ``key``."""
        k_z, k_noise, k_pen = jax.random.split(key, 3)
        spec = self.spec
        return sample_noise(k_z, self.real.shape[0], spec.noise_dim, spec.noise), k_noise, k_pen

    def fake(self, x: list, z: Array) -> tuple[Array, list]:
        return self.spec.generator.stateless_call(x, self.g_state, z, training=True)

    def d_loss_on(self, y: list, fake: Array, parts: tuple) -> tuple[Array, tuple]:
        """The discriminator's loss (with penalties) at ``y`` against the fakes ``fake``."""
        spec, regs = self.spec, self.regs
        _, k_noise, k_pen = parts
        real_in, fake_in = losses.noise_inputs(regs, self.real, fake, k_noise)
        d = spec.discriminator
        real_logits, d_state = d.stateless_call(y, self.d_state, real_in, training=True)
        fake_logits, d_state = d.stateless_call(y, d_state, fake_in, training=True)
        loss = losses.discriminator_loss(
            spec.loss, real_logits, fake_logits, losses.real_label(regs)
        )

        def d_fn(v: Array) -> Array:
            return d.stateless_call(y, d_state, v, training=True)[0]

        loss = loss + losses.penalty(regs, d_fn, real_in, fake_in, k_pen)
        return loss, (loss, d_state)

    def g_loss_on(self, fake: Array, y: list, parts: tuple) -> tuple[Array, Array]:
        """The generator's loss as a function of its fakes ``fake``, D at ``y``."""
        _, fake_in = losses.noise_inputs(self.regs, self.real, fake, parts[1])
        logits, _ = self.spec.discriminator.stateless_call(y, self.d_state, fake_in, training=True)
        loss = losses.generator_loss(self.spec.loss, logits)
        return loss, loss

    def field_y(self, x: list, y: list, key: Array) -> tuple[list, dict]:
        """The discriminator's gradient, with its loss and statistics."""
        parts = self.draw(key)
        fake, _ = self.fake(x, parts[0])
        grads, (loss, d_state) = jax.grad(self.d_loss_on, has_aux=True)(y, fake, parts)
        return grads, {"d_loss": loss, "d_state": d_state}

    def field_x(self, x: list, y: list, key: Array) -> tuple[list, dict]:
        """The generator's gradient, with its loss and statistics."""
        parts = self.draw(key)

        def objective(x: list) -> tuple[Array, tuple]:
            fake, g_state = self.fake(x, parts[0])
            return self.g_loss_on(fake, y, parts)[0], g_state

        (loss, g_state), grads = jax.value_and_grad(objective, has_aux=True)(x)
        return grads, {"g_loss": loss, "g_state": g_state}

    def field(self, x: list, y: list, key: Array) -> tuple[tuple, dict]:
        """Both players' gradients on one draw: one generator pass serves both.

        The same as ``field_x`` and ``field_y`` on one key, but the generator's forward
        pass is computed once, explicitly (XLA does not always merge the two copies: with
        BatchNorm in the generator they differ in form), and back-propagated once.
        """
        parts = self.draw(key)  # one key: both players see the same fakes
        fake, pull_back, g_state = jax.vjp(lambda x: self.fake(x, parts[0]), x, has_aux=True)
        grad_y, (d_loss, d_state) = jax.grad(self.d_loss_on, has_aux=True)(y, fake, parts)
        grad_fake, g_loss = jax.grad(self.g_loss_on, has_aux=True)(fake, y, parts)
        (grad_x,) = pull_back(grad_fake)
        aux = {"d_loss": d_loss, "d_state": d_state, "g_loss": g_loss, "g_state": g_state}
        return (grad_x, grad_y), aux
