"""gk.layers.Conv2DTranspose computes exactly what keras.layers.Conv2DTranspose does."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import itertools

import gankit as gk
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

# kernel smaller than, equal to and larger than the stride; both paddings; output_padding
CASES = [
    (k, s, pad, op)
    for k, s, pad, op in itertools.product([1, 3, 4, 5], [1, 2, 3], ["same", "valid"], [None, 1])
    if op is None or op < s
]


def _pair(k, s, pad, op, shape, **kw):
    rng = np.random.default_rng(k * 100 + s * 10 + (op or 0))
    theirs = keras.layers.Conv2DTranspose(4, k, strides=s, padding=pad, output_padding=op, **kw)
    ours = gk.layers.Conv2DTranspose(4, k, strides=s, padding=pad, output_padding=op, **kw)
    theirs.build(shape)
    ours.build(shape)
    weights = [rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize("k,s,pad,op", CASES)
def test_same_output_as_keras(k, s, pad, op):
    hw = (1, 1) if k == 4 else (5, 7)  # a one-pixel input too
    x = np.random.default_rng(1).normal(size=(2, *hw, 3)).astype("float32")
    ours, theirs = _pair(k, s, pad, op, x.shape)
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(jax.jit(ours)(x), expected, atol=1e-4, rtol=1e-4)
    assert tuple(ours.compute_output_shape(x.shape)) == expected.shape


def test_same_gradients_as_keras():
    x = np.random.default_rng(2).normal(size=(3, 7, 7, 8)).astype("float32")
    ours, theirs = _pair(4, 2, "same", None, x.shape, activation="tanh")

    def grads(layer):
        def loss(weights, x):
            y, _ = layer.stateless_call(weights, [], x)
            return jnp.sum(y**2)

        return jax.jit(jax.grad(loss, argnums=(0, 1)))([jnp.asarray(w) for w in layer.weights], x)

    (gw_ours, gx_ours), (gw_theirs, gx_theirs) = grads(ours), grads(theirs)
    np.testing.assert_allclose(gx_ours, gx_theirs, rtol=1e-4, atol=1e-4)
    for a, b in zip(gw_ours, gw_theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


def test_channels_first_and_dilation_fall_back_to_keras():
    x = np.random.default_rng(3).normal(size=(2, 3, 5, 5)).astype("float32")
    ours, theirs = _pair(3, 2, "same", None, x.shape, data_format="channels_first")
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
    y = np.random.default_rng(4).normal(size=(2, 5, 5, 3)).astype("float32")
    ours, theirs = _pair(3, 1, "same", None, y.shape, dilation_rate=2)
    np.testing.assert_allclose(ours(y), theirs(y), atol=1e-5)


def test_saves_and_loads_in_keras_format(tmp_path):
    g = gk.image_models.dcgan_generator(width=8)
    assert any(isinstance(layer, gk.layers.Conv2DTranspose) for layer in g.layers)
    path = tmp_path / "g.keras"
    g.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    z = np.random.default_rng(5).normal(size=(4, 100)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(z, verbose=0), g.predict(z, verbose=0))
