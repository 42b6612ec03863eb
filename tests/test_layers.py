"""gk.layers.Conv2DTranspose computes exactly what keras.layers.Conv2DTranspose does."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import itertools
import re

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


def test_gemm_path_only_on_the_platforms_named(monkeypatch):
    x = np.random.default_rng(6).normal(size=(2, 7, 7, 8)).astype("float32")
    ours, theirs = _pair(4, 2, "same", None, x.shape)
    assert gk.layers.Conv2DTranspose.gemm_platforms == ("cpu",)  # accelerators: Keras' own
    calls = []
    fast = gk.layers.Conv2DTranspose._gemm_overlap_add
    monkeypatch.setattr(
        gk.layers.Conv2DTranspose,
        "_gemm_overlap_add",
        lambda self, *a: calls.append(1) or fast(self, *a),
    )
    monkeypatch.setattr(gk.layers.Conv2DTranspose, "gemm_platforms", (jax.default_backend(),))
    ours(x)
    assert calls == [1]
    monkeypatch.setattr(gk.layers.Conv2DTranspose, "gemm_platforms", ())
    np.testing.assert_array_equal(ours(x), theirs(x))  # Keras' own, bit for bit
    assert calls == [1]


def test_saves_and_loads_in_keras_format(tmp_path):
    g = gk.image_models.dcgan_generator(width=8)
    assert any(isinstance(layer, gk.layers.Conv2DTranspose) for layer in g.layers)
    path = tmp_path / "g.keras"
    g.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    z = np.random.default_rng(5).normal(size=(4, 100)).astype("float32")
    for a, b in zip(loaded.weights, g.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    # Bit for bit on a CPU; a GPU may pick another convolution algorithm for the new model.
    np.testing.assert_allclose(loaded.predict(z, verbose=0), g.predict(z, verbose=0), atol=1e-6)


# -- Conv2D: Keras' function, gradients in the layout XLA's CPU runs fast in loops --------

# odd and even kernels, three strides, both paddings; inputs n x (n + 1): odd and even sizes
CONV_CASES = [
    (k, s, pad, 7) for k, s, pad in itertools.product([1, 3, 4], [1, 2, 3], ["same", "valid"])
]


def _conv_pair(k, s, pad, shape, filters=5, **kw):
    theirs = keras.layers.Conv2D(filters, k, strides=s, padding=pad, **kw)
    ours = gk.layers.Conv2D(filters, k, strides=s, padding=pad, **kw)
    theirs.build(shape)
    ours.build(shape)
    rng = np.random.default_rng(k * 100 + s)
    weights = [rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def _conv_grads(layer, x):
    def loss(weights, x):
        y, _ = layer.stateless_call(weights, [], x)
        return jnp.sum(jnp.sin(y))

    return jax.jit(jax.grad(loss, argnums=(0, 1)))([jnp.asarray(w) for w in layer.weights], x)


@pytest.mark.parametrize("k,s,pad,n", CONV_CASES)
def test_conv_same_output_and_gradients_as_keras(k, s, pad, n):
    x = np.random.default_rng(n).normal(size=(3, n, n + 1, 4)).astype("float32")
    ours, theirs = _conv_pair(k, s, pad, x.shape)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    (gw_ours, gx_ours), (gw_theirs, gx_theirs) = _conv_grads(ours, x), _conv_grads(theirs, x)
    np.testing.assert_allclose(gx_ours, gx_theirs, rtol=1e-4, atol=1e-4)
    for a, b in zip(gw_ours, gw_theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def _convolutions_in_a_loop(layer, x):
    """The dim_labels of every convolution XLA's CPU compiles for a training loop."""

    def loss(weights, x):
        return jnp.sum(layer.stateless_call(weights, [], x)[0] ** 2)

    def steps(weights, x):
        def body(w, _):
            gw, gx = jax.grad(loss, argnums=(0, 1))(w, x)
            return [a - 1e-3 * g for a, g in zip(w, gw, strict=True)], jnp.sum(gx)

        return jax.lax.scan(body, weights, None, length=2)

    weights = [jnp.asarray(w) for w in layer.weights]
    text = jax.jit(steps).lower(weights, x).compile().as_text()
    return re.findall(r"convolution\(.*?dim_labels=([^,]+)", text)


@pytest.mark.skipif(
    jax.default_backend() != "cpu",
    reason="reads XLA's CPU program; on accelerators the layer is Keras' own by design",
)
def test_conv_gradients_compile_to_canonical_convolutions_inside_a_loop():
    x = np.random.default_rng(7).normal(size=(4, 14, 14, 8)).astype("float32")
    ours, _ = _conv_pair(4, 2, "same", x.shape)
    labels = _convolutions_in_a_loop(ours, x)
    assert len(labels) >= 3  # forward, input gradient, kernel gradient
    assert set(labels) == {"b01f_01io->b01f"}  # the layout of XLA's fast CPU kernels


def test_conv_falls_back_to_keras_where_not_covered():
    x = np.random.default_rng(8).normal(size=(2, 4, 9, 9)).astype("float32")
    ours, theirs = _conv_pair(3, 2, "same", x.shape, data_format="channels_first")
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
    y = np.random.default_rng(9).normal(size=(2, 9, 9, 4)).astype("float32")
    for kw in ({"dilation_rate": 2}, {"groups": 2}):
        ours, theirs = _conv_pair(3, 1, "same", y.shape, filters=6, **kw)
        np.testing.assert_allclose(ours(y), theirs(y), atol=1e-5)
