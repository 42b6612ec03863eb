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


@pytest.mark.parametrize(
    "k,s,pad,op",
    [(4, 2, "same", None), (3, 2, "valid", None), (5, 3, "same", 1), (1, 2, "valid", None)],
)
def test_same_gradients_as_keras(k, s, pad, op):
    x = np.random.default_rng(2).normal(size=(3, 7, 6, 8)).astype("float32")
    ours, theirs = _pair(k, s, pad, op, x.shape, activation="tanh")

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


@pytest.mark.parametrize("name", ["Conv2DTranspose", "Conv2D"])
def test_fast_form_only_on_the_platforms_named(monkeypatch, name):
    x = np.random.default_rng(6).normal(size=(2, 7, 7, 8)).astype("float32")
    layer, keras_layer = getattr(gk.layers, name), getattr(keras.layers, name)
    ours, theirs = (
        layer(4, 4, strides=2, padding="same"),
        keras_layer(4, 4, strides=2, padding="same"),
    )
    ours.build(x.shape)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    assert layer.fast_platforms == ("cpu",)  # accelerators: Keras' own
    calls = []
    form = "_transposed" if name == "Conv2DTranspose" else "_conv"
    fast = getattr(gk.layers, form)
    monkeypatch.setattr(gk.layers, form, lambda *a: calls.append(1) or fast(*a))
    monkeypatch.setattr(layer, "fast_platforms", (jax.default_backend(),))
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
    assert calls == [1]
    monkeypatch.setattr(layer, "fast_platforms", ())
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


def _convolutions_in_a_loop(layer, x, jit=jax.jit):
    """Every convolution XLA's CPU compiles for a training loop, and whether YNNPACK runs it."""

    def loss(weights, x):
        return jnp.sum(layer.stateless_call(weights, [], x)[0] ** 2)

    def steps(weights, x):
        def body(w, _):
            gw, gx = jax.grad(loss, argnums=(0, 1))(w, x)
            return [a - 1e-3 * g for a, g in zip(w, gw, strict=True)], gx

        return jax.lax.scan(body, weights, None, length=2)

    weights = [jnp.asarray(w) for w in layer.weights]
    text = jit(steps).lower(weights, x).compile().as_text()
    # A computation called by a YNNPACK fusion holds the convolutions YNNPACK runs.
    by_ynn = set(
        re.findall(r"__ynn_fusion.*?calls=(%[\w.-]+)|calls=(%[\w.-]+).*__ynn_fusion", text)
    )
    by_ynn = {a or b for a, b in by_ynn}
    found = []
    for block in re.split(r"\n(?=\S)", text):  # one computation per block
        name = block.split(" ", 1)[0]
        for conv in re.findall(r"convolution\(.*", block):
            labels = re.search(r"dim_labels=([^,]+)", conv).group(1)
            found.append((labels, "lhs_dilate" in conv, name in by_ynn))
    return found


CPU_ONLY = pytest.mark.skipif(
    jax.default_backend() != "cpu",
    reason="reads XLA's CPU program; on accelerators the layers are Keras' own by design",
)


@CPU_ONLY
@pytest.mark.parametrize("name", ["Conv2D", "Conv2DTranspose"])
def test_gradients_compile_to_fast_convolutions_inside_a_loop(name):
    # more than 16 channels: XLA leaves smaller convolutions to Eigen anyway
    x = np.random.default_rng(7).normal(size=(4, 14, 14, 24)).astype("float32")
    layer = getattr(gk.layers, name)(20, 4, strides=2, padding="same")
    layer.build(x.shape)
    found = _convolutions_in_a_loop(layer, x, gk.layers.jit)
    assert len(found) >= 3  # forward, input gradient, kernel gradient
    # all in the layout of XLA's fast CPU (Eigen) kernels, none over zeros between pixels
    assert {labels for labels, _, _ in found} == {"b01f_01io->b01f"}
    assert not any(dilated for _, dilated, _ in found)
    assert not any(ynn for _, _, ynn in found)  # gk.layers.jit: Eigen runs them
    # XLA's defaults give them to YNNPACK (the reason gk.layers.jit exists)
    assert any(ynn for _, _, ynn in _convolutions_in_a_loop(layer, x))


@pytest.mark.parametrize("name", ["Conv2D", "Conv2DTranspose"])
def test_second_derivatives_match_keras(name):
    """A gradient penalty differentiates the input gradient again (WGAN-GP, R1)."""
    x = np.random.default_rng(10).normal(size=(2, 6, 7, 3)).astype("float32")
    pair = []
    for module in (gk.layers, keras.layers):
        layer = getattr(module, name)(4, 3, strides=2, padding="same")
        layer.build(x.shape)
        pair.append(layer)
    pair[1].set_weights(pair[0].get_weights())

    def penalty_grad(layer):
        def penalty(weights, x):
            def out(x):
                return jnp.sum(jnp.tanh(layer.stateless_call(weights, [], x)[0]))

            return jnp.sum(jax.grad(out)(x) ** 2)

        return jax.jit(jax.grad(penalty))([jnp.asarray(w) for w in layer.weights], x)

    for a, b in zip(penalty_grad(pair[0]), penalty_grad(pair[1]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_conv_falls_back_to_keras_where_not_covered():
    x = np.random.default_rng(8).normal(size=(2, 4, 9, 9)).astype("float32")
    ours, theirs = _conv_pair(3, 2, "same", x.shape, data_format="channels_first")
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
    y = np.random.default_rng(9).normal(size=(2, 9, 9, 4)).astype("float32")
    for kw in ({"dilation_rate": 2}, {"groups": 2}):
        ours, theirs = _conv_pair(3, 1, "same", y.shape, filters=6, **kw)
        np.testing.assert_allclose(ours(y), theirs(y), atol=1e-5)
