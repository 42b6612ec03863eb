"""Keras layers that compute the same function as Keras' own, in a form XLA's CPU runs fast.

:class:`Conv2DTranspose` is a drop-in replacement for ``keras.layers.Conv2DTranspose``: the
same arguments, weights, saved format and output, computed differently. Keras (and
``jax.lax.conv_transpose``) evaluate a stride-``s`` transposed convolution as an ordinary
convolution over the input dilated with ``s - 1`` zeros between pixels, so with stride 2
three quarters of the multiply-adds are by zero, and XLA's CPU convolutions are not fast
to begin with. Here the layer is one matrix product, every input pixel times the whole
kernel, followed by an overlap-add of the ``kh * kw`` shifted results: the way PyTorch and
cuDNN compute it (GEMM + col2im), with no wasted products. The gradients of a matrix
product, pads and reshapes are themselves matrix products, pads and slices.

>>> import numpy as np, keras
>>> import gankit as gk
>>> x = np.random.default_rng(0).normal(size=(2, 7, 7, 8)).astype("float32")
>>> ours = gk.layers.Conv2DTranspose(4, 4, strides=2, padding="same")
>>> theirs = keras.layers.Conv2DTranspose(4, 4, strides=2, padding="same")
>>> y = ours(x); _ = theirs(x); theirs.set_weights(ours.get_weights())
>>> y.shape, bool(np.allclose(y, theirs(x), atol=1e-5))
((2, 14, 14, 4), True)
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = ["Conv2DTranspose"]


def _left_offset(kernel: int, stride: int, padding: str, output_padding: int | None) -> int:
    """Where Keras' output starts on the full overlap-add canvas (may be negative).

    The canvas holds ``out[s * i + p] += x[i] * K[p]``; Keras crops it by the padding of
    the equivalent forward convolution (``kernel - 1 - left_pad`` in Keras' own terms).
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


def _overlap_add(cols: Any, axis: int, stride: int, offset: int, size: int) -> Any:
    """Sum the kernel taps of ``cols`` along a spatial ``axis`` onto the output grid.

    ``cols`` has that spatial axis (length n) and, right after it, a tap axis holding
    ``taps = j * stride`` taps (zero-padded to a multiple of the stride). Tap ``p = s*j + r``
    of input pixel ``i`` lands on output ``s*(i + j) + r - offset``: for each phase ``r``
    the taps are ``j``-shifted copies summed, and the phases are interleaved.
    """
    taps = cols.shape[axis + 1]
    jmax = taps // stride
    shape = list(cols.shape)
    cols = ops.reshape(cols, shape[: axis + 1] + [jmax, stride] + shape[axis + 2 :])
    total = None
    for j in range(jmax):
        part = ops.take(cols, j, axis=axis + 1)  # (..., n, stride, ...)
        pad = [(0, 0)] * part.ndim
        pad[axis] = (j, jmax - 1 - j)
        part = ops.pad(part, pad)
        total = part if total is None else total + part
    # (..., n + jmax - 1, stride, ...) -> (..., (n + jmax - 1) * stride, ...)
    shape = list(total.shape)
    canvas = ops.reshape(total, shape[:axis] + [shape[axis] * stride] + shape[axis + 2 :])
    length = canvas.shape[axis]
    before, after = max(0, -offset), max(0, offset + size - length)
    if before or after:
        pad = [(0, 0)] * canvas.ndim
        pad[axis] = (before, after)
        canvas = ops.pad(canvas, pad)
    start = offset + before
    index = [slice(None)] * canvas.ndim
    index[axis] = slice(start, start + size)
    return canvas[tuple(index)]


@keras.saving.register_keras_serializable(package="gankit")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """``keras.layers.Conv2DTranspose``, computed as one GEMM plus an overlap-add.

    Same arguments, weights (kernel ``(kh, kw, filters, in_channels)``) and output as the
    Keras layer; channels-last data without dilation take the fast path, anything else
    falls back to Keras' own computation.
    """

    def _gemm_overlap_add(self, inputs: Any, kernel: Any) -> Any:
        kh, kw = kernel.shape[:2]  # kernel: (kh, kw, filters, channels)
        sh, sw = self.strides
        # Pad the taps to a multiple of the stride (zero taps add nothing).
        th, tw = -(-kh // sh) * sh, -(-kw // sw) * sw
        if (th, tw) != (kh, kw):
            kernel = ops.pad(kernel, [(0, th - kh), (0, tw - kw), (0, 0), (0, 0)])
        # One matrix product: (n*h*w, channels) @ (channels, th*tw*filters).
        cols = ops.einsum("nhwc,pqfc->nhpwqf", inputs, kernel)  # (n, h, th, w, tw, filters)
        _, out_h, out_w, _ = self.compute_output_shape(inputs.shape)  # Keras' own sizes
        op = self.output_padding or (None, None)
        padding = self.padding.lower()
        cols = _overlap_add(cols, 3, sw, _left_offset(kw, sw, padding, op[1]), out_w)
        return _overlap_add(cols, 1, sh, _left_offset(kh, sh, padding, op[0]), out_h)

    def call(self, inputs: Any) -> Any:
        if self.data_format != "channels_last" or tuple(self.dilation_rate) != (1, 1):
            return super().call(inputs)
        outputs = self._gemm_overlap_add(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs
