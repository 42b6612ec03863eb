"""Keras' initial weights drawn without a compile per shape: the same numbers, bit for bit."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import gankit  # noqa: F401
import jax
import keras
import numpy as np
import pytest
from gankit import _init_draws

SHAPES = [(3, 5), (7,), (5, 5, 16, 32), (4, 4, 1, 64)]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_draw_is_kerass_own(shape):
    key = jax.random.PRNGKey(7)
    own = _init_draws.KERAS_OWN
    pairs = [
        (
            keras.random.uniform(shape, -0.3, 0.7, seed=key),
            own["uniform"](shape, -0.3, 0.7, None, key),
        ),
        (
            keras.random.normal(shape, 0.1, 0.02, seed=key),
            own["normal"](shape, 0.1, 0.02, None, key),
        ),
        (
            keras.random.truncated_normal(shape, 0.0, 0.5, seed=key),
            own["truncated_normal"](shape, 0.0, 0.5, None, key),
        ),
    ]
    for ours, theirs in pairs:
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_initializers_and_seeded_models_give_the_same_weights():
    def weights():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((6, 6, 1)),
                keras.layers.Conv2D(8, 3),
                keras.layers.Flatten(),
                keras.layers.Dense(5),
            ]
        )
        inits = [
            keras.initializers.HeNormal(1)((9, 4)),
            keras.initializers.GlorotUniform(2)((9, 4)),
        ]
        return [np.asarray(w) for w in model.weights] + [np.asarray(w) for w in inits]

    ours = weights()
    from keras.src.backend.jax import random as kr

    installed = {f: getattr(kr, f) for f in _init_draws.KERAS_OWN}
    try:
        for f, fn in _init_draws.KERAS_OWN.items():
            setattr(kr, f, fn)
        theirs = weights()
    finally:
        for f, fn in installed.items():
            setattr(kr, f, fn)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_sizes_within_a_power_of_two_share_one_program():
    before = _init_draws._uniform._cache_size()
    for n in (601, 700, 777, 1000, 1024):  # all drawn as 1024 numbers
        keras.random.uniform((n,), seed=jax.random.PRNGKey(n))
    assert _init_draws._uniform._cache_size() - before <= 1


def test_inside_a_traced_function_kerass_own_draw_runs():
    key = jax.random.PRNGKey(3)
    traced = jax.jit(lambda k: keras.random.normal((4, 3), seed=k))(key)
    np.testing.assert_array_equal(np.asarray(traced), np.asarray(jax.random.normal(key, (4, 3))))
