"""Keras convolution layers that compute Keras' function in the form XLA's CPU runs fast.

:class:`Conv2D` and :class:`Conv2DTranspose` are drop-in replacements for the Keras layers:
the same arguments, weights, saved format, outputs and gradients, computed differently on
a CPU. Three things make XLA's CPU slow on a GAN's convolutions, and each is avoided here:

- A stride-``s`` transposed convolution is, in Keras and ``jax.lax``, a convolution over
  the input dilated with ``s - 1`` zeros between pixels: with stride 2 three quarters of
  the products are by zero. Here each of the ``s * s`` output phases (pixels ``s*m + r``)
  is an ordinary stride-1 convolution of the input with its own taps of the kernel (the
  sub-pixel form), interleaved: no product by zero. The input gradient of a strided
  convolution is the same transposed convolution and uses the same form.
- Inside a loop (``lax.scan``, as in :meth:`gankit.GAN.train_steps`) the gradient
  convolutions JAX derives keep transposed layouts that XLA's CPU runs on a generic loop
  nest, 4-20 times slower. Here every gradient is written as a convolution in the
  canonical layout (NHWC, HWIO) with explicit transposes.
- XLA's YNNPACK convolutions run the kernel gradient (a convolution whose "kernel" is a
  whole image) far slower than its Eigen ones. :func:`jit` compiles with YNNPACK kept
  for matrix products and reductions only; gankit compiles its training steps with it.

On a GPU, Keras' own layers lower to cuDNN, which already skips the zeros and runs the
whole DCGAN step 6-11% faster (measured on an H100), so there the layers compute exactly
what Keras' do.

>>> import numpy as np, keras
>>> import gankit as gk
>>> x = np.random.default_rng(0).normal(size=(2, 7, 7, 8)).astype("float32")
>>> for name in ("Conv2DTranspose", "Conv2D"):
...     ours = getattr(gk.layers, name)(4, 4, strides=2, padding="same")
...     theirs = getattr(keras.layers, name)(4, 4, strides=2, padding="same")
...     y = ours(x); _ = theirs(x); theirs.set_weights(ours.get_weights())
...     print(name, y.shape, bool(np.allclose(y, theirs(x), atol=1e-5)))
Conv2DTranspose (2, 14, 14, 4) True
Conv2D (2, 4, 4, 4) True
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np
from jax import lax
from keras import ops

__all__ = ["Conv2D", "Conv2DTranspose", "jit"]

# XLA's CPU libraries for the ops it hands over: YNNPACK for matrix products (with the
# elementwise ops fused into them) and reductions; convolutions stay with Eigen.
_CPU_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_DOT,LIBRARY_FUSION_TYPE_REDUCE"
}


@functools.cache
def _jit_options() -> dict:
    if jax.default_backend() != "cpu":
        return {}
    try:  # a JAX or XLA without the option: compile with the defaults
        jax.jit(lambda x: x + 1, compiler_options=_CPU_OPTIONS)(np.zeros(2, np.float32))
    except (TypeError, RuntimeError):
        return {}
    return {"compiler_options": _CPU_OPTIONS}


def jit(fn: Callable, **kwargs: Any) -> Callable:
    """``jax.jit`` with the CPU compiler options these layers' convolutions are fast under.

    The same function either way; on a CPU, the DCGAN's training step runs about 3 times
    faster than under XLA's defaults (which give convolutions to YNNPACK).

    >>> import jax.numpy as jnp
    >>> import gankit as gk
    >>> float(gk.layers.jit(lambda x: jnp.sum(x * x))(jnp.arange(3.0)))
    5.0
    """
    return jax.jit(fn, **kwargs, **_jit_options())


_NHWC = ("NHWC", "HWIO", "NHWC")  # the canonical layout of XLA's CPU convolutions


def _conv_op(x: Any, kernel: Any, strides: tuple, pads: Any, dilation: Any = (1, 1)) -> Any:
    """``lax``'s NHWC/HWIO convolution; a negative pad crops the input instead."""
    crop = [slice(None)] * 4
    for axis, (lo, hi) in zip((1, 2), pads, strict=True):
        crop[axis] = slice(max(0, -lo), x.shape[axis] - max(0, -hi))
    pads = [(max(0, lo), max(0, hi)) for lo, hi in pads]
    return lax.conv_general_dilated(
        x[tuple(crop)], kernel, strides, pads, rhs_dilation=dilation, dimension_numbers=_NHWC
    )


def _phases(taps: int, stride: int, low: int, n: int, size: int) -> list[tuple]:
    """Along one axis: each output phase of the transposed convolution as a correlation.

    The forward convolution reads ``u[s*i + p - low]`` with tap ``p``; its adjoint writes
    ``y[i] * k[p]`` there. Output pixel ``s*m + r`` then gathers taps ``p = t + s*j``
    (``t = (r + low) % s``) from ``y[m + (r + low) // s - j]``: a stride-1 correlation of
    ``y`` with those taps reversed. Returns ``(t, taps used, (pad lo, pad hi), length)``
    per phase.
    """
    plan = []
    for r in range(stride):
        q = r + low
        first, used = q % stride, len(range(q % stride, taps, stride))
        length = len(range(r, size, stride))
        lo = used - 1 - q // stride
        plan.append((first, used, (lo, length + used - 1 - n - lo), length))
    return plan


def _phase_form(y: Any, kernel: Any, strides: tuple, pads: tuple, size: tuple) -> Any:
    """The adjoint of ``u -> conv(u, kernel, strides, pads)`` at ``y``, ``u`` of ``size``."""
    n, out_channels = y.shape[0], kernel.shape[2]
    kernel = jnp.swapaxes(kernel, 2, 3)  # HWIO of the forward conv -> HWIO of its adjoint
    plans = [
        _phases(kernel.shape[d], strides[d], pads[d][0], y.shape[1 + d], size[d]) for d in (0, 1)
    ]
    counts = [-(-size[d] // strides[d]) for d in (0, 1)]
    rows = []
    for th, jh, pad_h, mh in plans[0]:
        row = []
        for tw, jw, pad_w, mw in plans[1]:
            if jh and jw:
                taps = kernel[th :: strides[0], tw :: strides[1]][::-1, ::-1]
                part = _conv_op(y, taps, (1, 1), (pad_h, pad_w))
            else:  # the kernel has no tap for this phase
                part = jnp.zeros((n, mh, mw, out_channels), y.dtype)
            row.append(jnp.pad(part, [(0, 0), (0, counts[0] - mh), (0, counts[1] - mw), (0, 0)]))
        rows.append(jnp.stack(row, axis=3).reshape(n, counts[0], -1, out_channels))
    out = jnp.stack(rows, axis=2).reshape(n, counts[0] * strides[0], -1, out_channels)
    return out[:, : size[0], : size[1]]


def _kernel_grad(x: Any, dy: Any, strides: tuple, pads: tuple, taps: tuple) -> Any:
    """The kernel gradient of ``conv(x, k, strides, pads)``: a convolution over the batch.

    ``x`` as (C, H, W, N) and ``dy`` as an (Ho, Wo, N, F) kernel dilated by the stride
    give (C, kh, kw, F).
    """
    pads = [
        (lo, (o - 1) * s + k - n - lo)
        for (lo, _), o, s, k, n in zip(
            pads, dy.shape[1:3], strides, taps, x.shape[1:3], strict=True
        )
    ]
    dk = _conv_op(x.transpose(3, 1, 2, 0), dy.transpose(1, 2, 0, 3), (1, 1), pads, strides)
    return dk.transpose(1, 2, 0, 3)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _conv(x: Any, kernel: Any, strides: tuple, pads: tuple) -> Any:
    return _conv_op(x, kernel, strides, pads)


def _conv_fwd(x: Any, kernel: Any, strides: tuple, pads: tuple) -> tuple:
    return _conv(x, kernel, strides, pads), (x, kernel)


def _conv_bwd(strides: tuple, pads: tuple, saved: tuple, dy: Any) -> tuple:
    x, kernel = saved
    dx = _transposed(dy, kernel, strides, pads, x.shape[1:3])
    return dx, _kernel_grad(x, dy, strides, pads, kernel.shape[:2])


_conv.defvjp(_conv_fwd, _conv_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _transposed(y: Any, kernel: Any, strides: tuple, pads: tuple, size: tuple) -> Any:
    return _phase_form(y, kernel, strides, pads, size)


def _transposed_fwd(y: Any, kernel: Any, strides: tuple, pads: tuple, size: tuple) -> tuple:
    return _transposed(y, kernel, strides, pads, size), (y, kernel)


def _transposed_bwd(strides: tuple, pads: tuple, size: tuple, saved: tuple, du: Any) -> tuple:
    y, kernel = saved
    return _conv(du, kernel, strides, pads), _kernel_grad(du, y, strides, pads, kernel.shape[:2])


_transposed.defvjp(_transposed_fwd, _transposed_bwd)


def _left_offset(kernel: int, stride: int, padding: str, output_padding: int | None) -> int:
    """Keras' transposed convolution as the adjoint of a convolution: that one's low pad.

    Keras crops the full transposed output by ``kernel - 1 - left_pad`` (its own terms).
    """
    if padding == "valid":
        left_pad = kernel - 1
    else:
        if output_padding is None:
            pad_len = stride + kernel - 2
        else:
            pad_len = kernel + kernel % 2 - 2 + output_padding
        left_pad = min(pad_len // 2 + pad_len % 2, kernel - 1)
    return kernel - 1 - left_pad


def _covered(layer: Any) -> bool:
    """Channels-last, "same"/"valid", no dilation or groups, on a fast-form platform.

    Anything else (explicit pads included, which Keras itself rejects when called) is
    left to Keras.
    """
    return (
        layer.data_format == "channels_last"
        and isinstance(layer.padding, str)
        and tuple(layer.dilation_rate) == (1, 1)
        and getattr(layer, "groups", 1) == 1
        and jax.default_backend() in layer.fast_platforms
    )


@keras.saving.register_keras_serializable(package="gankit")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose``, computed phase by phase (no products by zero).

    Same arguments, weights (kernel ``(kh, kw, filters, in_channels)``), output and
    gradients as the Keras layer. Channels-last data without dilation, on a platform in
    :attr:`fast_platforms`, take the fast form; anything else is Keras' own computation.
    (Example: the module's.)
    """

    #: JAX platforms that take the fast form (``jax.default_backend()`` names).
    fast_platforms: tuple[str, ...] = ("cpu",)

    def call(self, inputs: Any) -> Any:
        if not _covered(self):
            return super().call(inputs)
        inputs, kernel = ops.convert_to_tensor(inputs), ops.convert_to_tensor(self.kernel)
        strides = tuple(int(s) for s in self.strides)
        size = tuple(self.compute_output_shape(inputs.shape)[1:3])  # Keras' own sizes
        output_padding = self.output_padding or (None, None)
        pads = []
        for d in (0, 1):
            taps, stride = kernel.shape[d], strides[d]
            lo = _left_offset(taps, stride, self.padding.lower(), output_padding[d])
            pads.append((lo, (inputs.shape[1 + d] - 1) * stride + taps - size[d] - lo))
        outputs = _transposed(inputs, kernel, strides, tuple(pads), size)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


@keras.saving.register_keras_serializable(package="gankit")
class Conv2D(keras.layers.Conv2D):
    """``keras.layers.Conv2D`` with its gradients written out in XLA's fast CPU forms.

    Same arguments, weights, saved format, output and gradients as the Keras layer.
    Channels-last data without dilation or groups, on a platform in
    :attr:`fast_platforms`, take the written-out gradients; anything else is Keras' own
    computation. (Example: the module's.)
    """

    #: JAX platforms that take the written-out gradients (``jax.default_backend()`` names).
    fast_platforms: tuple[str, ...] = ("cpu",)

    def convolution_op(self, inputs: Any, kernel: Any) -> Any:
        if not _covered(self):
            return super().convolution_op(inputs, kernel)
        strides = tuple(int(s) for s in self.strides)
        # Keras hands "same" / "valid" to XLA; the same rule gives the explicit pads.
        padding = self.padding.upper()
        pads = lax.padtype_to_pads(inputs.shape[1:3], kernel.shape[:2], strides, padding)
        pads = tuple((int(lo), int(hi)) for lo, hi in pads)
        return _conv(ops.convert_to_tensor(inputs), ops.convert_to_tensor(kernel), strides, pads)
