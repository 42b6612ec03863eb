"""Keras builders for the small MLP generators and discriminators of the 2-D GAN lab.

Both builders return ordinary, built ``keras.Sequential`` models, so they train with
:class:`gankit.GAN`, save in Keras' own format and show in ``model.summary()``. The
discriminator outputs one *logit* per sample (no sigmoid): every loss in
:mod:`gankit.losses` is written on logits.

>>> import gankit as gk
>>> g = gk.models.mlp_generator(noise_dim=2, layers=2, units=64)
>>> d = gk.models.mlp_discriminator(layers=2, units=64)
>>> g.output_shape, d.output_shape
((None, 2), (None, 1))
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras

from gankit import _checks

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu", "gelu", "silu", "sigmoid")
"""Hidden-layer activations the builders accept."""

NOISES = ("gaussian", "uniform")
"""Noise distributions: standard normal, or uniform on ``[-1, 1]``."""

MAX_NOISE_DIM = 8


def _check_common(layers: int, units: int, activation: str) -> None:
    _checks.count("layers", layers, minimum=0)
    _checks.count("units", units)
    _checks.choice("activation", activation, ACTIVATIONS)


def _mlp(
    name: str,
    input_dim: int,
    output_dim: int,
    layers: int,
    units: int,
    activation: str,
    batch_norm: bool,
) -> keras.Sequential:
    stack: list[keras.layers.Layer] = [keras.Input((input_dim,))]
    for i in range(layers):
        stack.append(keras.layers.Dense(units, name=f"dense_{i}"))
        if batch_norm:
            stack.append(keras.layers.BatchNormalization(name=f"bn_{i}"))
        stack.append(keras.layers.Activation(activation, name=f"{activation}_{i}"))
    stack.append(keras.layers.Dense(output_dim, name="out"))
    return keras.Sequential(stack, name=name)


def mlp_generator(
    noise_dim: int = 2,
    layers: int = 2,
    units: int = 64,
    activation: str = "relu",
    output_dim: int = 2,
    *,
    batch_norm: bool = False,
    name: str = "generator",
) -> keras.Sequential:
    """An MLP from noise ``(n, noise_dim)`` to points ``(n, output_dim)``.

    ``noise_dim`` is 1 to 8: with 1 the generator draws a curve, with 2 a warped sheet.

    >>> import gankit as gk
    >>> gk.models.mlp_generator(noise_dim=1, layers=3, units=16).count_params()
    610
    """
    noise_dim = _checks.count("noise_dim", noise_dim)
    if noise_dim > MAX_NOISE_DIM:
        raise ValueError(f"noise_dim must be an integer in 1..{MAX_NOISE_DIM}, got {noise_dim!r}")
    _check_common(layers, units, activation)
    output_dim = _checks.count("output_dim", output_dim)
    return _mlp(name, noise_dim, output_dim, layers, units, activation, bool(batch_norm))


def mlp_discriminator(
    input_dim: int = 2,
    layers: int = 2,
    units: int = 64,
    activation: str = "relu",
    *,
    batch_norm: bool = False,
    name: str = "discriminator",
) -> keras.Sequential:
    """An MLP from points ``(n, input_dim)`` to one logit per point ``(n, 1)``.

    >>> import gankit as gk
    >>> gk.models.mlp_discriminator(layers=1, units=8).count_params()
    33
    """
    input_dim = _checks.count("input_dim", input_dim)
    _check_common(layers, units, activation)
    return _mlp(name, input_dim, 1, layers, units, activation, bool(batch_norm))


def sample_noise(key: jax.Array, n: int, dim: int, kind: str = "gaussian") -> jax.Array:
    """``n`` noise vectors of length ``dim`` from ``kind`` (``"gaussian"`` or ``"uniform"``).

    >>> import jax
    >>> sample_noise(jax.random.PRNGKey(0), 3, 2, "uniform").shape
    (3, 2)
    """
    if kind == "gaussian":
        return jax.random.normal(key, (n, dim), jnp.float32)
    if kind == "uniform":
        return jax.random.uniform(key, (n, dim), jnp.float32, -1.0, 1.0)
    raise ValueError(f"noise must be one of {', '.join(map(repr, NOISES))}; got {kind!r}")
