"""Keras' random initial weights without a compile for every weight shape.

JAX compiles ``jax.random.uniform`` (and ``normal``, ``truncated_normal``) once per
shape, 0.2-0.8 s each on a laptop CPU: building the DCGAN pair (13 weight shapes) spent
6 s of its 6.4 s compiling. JAX's default random numbers (threefry, partitionable) give
element ``i`` of any shape from counter ``i``, so the first ``n`` numbers of a longer
draw are, bit for bit, the ``n`` numbers of the shape. Keras' JAX backend therefore draws
the next power of two at or above the size (one program per power of two, kept in the
compilation cache), and the host cuts and reshapes it: the same weights, a few compiles
per session. Inside a traced function, for other random-number settings, or sizes over
2**24, Keras' own functions run unchanged.

>>> import gankit as gk  # installs the draws
>>> import keras
>>> w = keras.initializers.GlorotUniform(seed=1)((3, 5))
>>> w.shape
(3, 5)
"""

from __future__ import annotations

from functools import partial

import jax
import numpy as np

LARGEST = 1 << 24
"""Draws above this many numbers go to Keras' own functions (no doubled memory)."""

KERAS_OWN: dict = {}
"""Keras' own ``uniform``, ``normal`` and ``truncated_normal``, as they were installed."""


@partial(jax.jit, static_argnames=("size", "dtype"))
def _uniform(key, minval, maxval, size: int, dtype):
    return jax.random.uniform(key, (size,), dtype, minval, maxval)


@partial(jax.jit, static_argnames=("size", "dtype"))
def _normal(key, size: int, dtype):
    return jax.random.normal(key, (size,), dtype)


@partial(jax.jit, static_argnames=("size", "dtype"))
def _truncated_normal(key, size: int, dtype):
    return jax.random.truncated_normal(key, -2.0, 2.0, (size,), dtype)


def _plan(shape, dtype, *values):
    """(size bucket, numpy dtype) when a bucketed draw gives Keras' numbers, else None."""
    if not jax.config.jax_threefry_partitionable or jax.config.jax_default_prng_impl != (
        "threefry2x32"
    ):
        return None
    if any(isinstance(v, jax.core.Tracer) for v in values):
        return None
    try:
        shape = tuple(int(s) for s in shape)
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        return None
    if dtype.kind != "f" or not all(isinstance(v, (int, float)) for v in values[1:]):
        return None
    size = int(np.prod(shape, dtype=np.int64))
    if not 0 < size <= LARGEST:
        return None
    return 1 << (size - 1).bit_length(), dtype


def _cut(draw, shape) -> jax.Array:
    size = int(np.prod(shape, dtype=np.int64))
    return np.asarray(draw)[:size].reshape(shape)


def install() -> None:
    """Route Keras' JAX ``uniform``, ``normal`` and ``truncated_normal`` through the
    bucketed draws (once; a second call changes nothing)."""
    from keras.src.backend import config
    from keras.src.backend.jax import random as kr

    if getattr(kr, "_gankit_draws", False):
        return
    own = KERAS_OWN
    own.update({f: getattr(kr, f) for f in ("uniform", "normal", "truncated_normal")})

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        dtype = dtype or config.floatx()
        key = kr.jax_draw_seed(seed)
        plan = _plan(shape, dtype, key, minval, maxval)
        if plan is None:
            return own["uniform"](shape, minval, maxval, dtype, key)
        draw = _uniform(key, minval, maxval, size=plan[0], dtype=plan[1])
        return jax.numpy.asarray(_cut(draw, shape))

    def _scaled(name, fn, shape, mean, stddev, dtype, seed):
        dtype = dtype or config.floatx()
        key = kr.jax_draw_seed(seed)
        plan = _plan(shape, dtype, key, mean, stddev)
        if plan is None:
            return own[name](shape, mean, stddev, dtype, key)
        sample = _cut(fn(key, size=plan[0], dtype=plan[1]), shape)
        # Keras scales eagerly, one rounded operation at a time; numpy does the same.
        return jax.numpy.asarray(sample * plan[1].type(stddev) + plan[1].type(mean))

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return _scaled("normal", _normal, shape, mean, stddev, dtype, seed)

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return _scaled("truncated_normal", _truncated_normal, shape, mean, stddev, dtype, seed)

    kr.uniform, kr.normal, kr.truncated_normal = uniform, normal, truncated_normal
    kr._gankit_draws = True
