"""What Keras' ``fit()`` needs around a GAN: fixed-size batches, stopping on a halt."""

from __future__ import annotations

import warnings

import keras
import numpy as np


class NonFiniteLossWarning(RuntimeWarning):
    """Training stopped: a step produced a non-finite loss or weight."""


def batches(x: np.ndarray, size: int, seed: int, start_step: int, shuffle: bool):
    """Endless fixed-size batches; batch ``k`` depends only on ``(seed, k)``.

    So a run resumed from a checkpoint at step ``k`` sees the batches an unbroken run
    would have seen.
    """
    per_epoch = len(x) // size
    epoch, offset = divmod(start_step, per_epoch)
    while True:
        if shuffle:
            order = np.random.default_rng((seed, epoch)).permutation(len(x))
        else:
            order = np.arange(len(x))
        for b in range(offset, per_epoch):
            yield (x[order[b * size : (b + 1) * size]],)
        epoch, offset = epoch + 1, 0


class LossMean(keras.metrics.Mean):
    """The mean loss of the steps applied; NaN when none was (Keras' Mean says 0)."""

    def result(self):
        return keras.ops.where(self.count > 0, super().result(), float("nan"))


class HaltOnNonFinite(keras.callbacks.Callback):
    """Stops ``fit`` when the GAN's step went non-finite, and says where."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        model = self.model
        # Inside fit() Keras' JAX trainer holds the live values here, not in the variables
        # (no public handle); outside it, the variable is current.
        state = getattr(model, "_jax_state", None)
        if state:
            value = int(np.asarray(state["non_trainable_variables"][model.layout.halt_index]))
        else:
            value = int(np.asarray(model.halt_counter.value))
        if value >= 0:
            model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        message = self.model.halt_message
        if message:
            warnings.warn(message, NonFiniteLossWarning, stacklevel=2)
