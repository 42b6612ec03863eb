"""A small MNIST CNN shipped with gankit, the feature extractor for the digit metrics.

Inception-based FID needs a large network and a download; a 57k-parameter CNN trained
on MNIST gives the same kind of signal for digits in milliseconds on a CPU. The weights
live in ``gankit/assets/mnist_classifier.weights.h5`` and are rebuilt by
``scripts/train_mnist_classifier.py``.

>>> import numpy as np
>>> from gankit.metrics import mnist_classifier
>>> clf = mnist_classifier()
>>> clf.features(np.zeros((3, 28, 28), np.uint8)).shape
(3, 64)
>>> clf.probabilities(np.zeros((3, 28, 28, 1), np.float32) - 1).sum(axis=1).round(3).tolist()
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jax
import numpy as np

from gankit.layers import jit

WEIGHTS_FILE = "mnist_classifier.weights.h5"
FEATURES = 64
"""Width of the penultimate (feature) layer."""


def weights_path() -> Path:
    """Where the shipped classifier weights live inside the installed package."""
    return Path(__file__).resolve().parent.parent / "assets" / WEIGHTS_FILE


def build_classifier() -> Any:
    """The untrained CNN: two conv blocks, a ``features`` layer of 64 units, 10 logits.

    >>> build_classifier().count_params()
    56714
    """
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.25)(x)
    features = layers.Dense(FEATURES, activation="relu", name="features")(x)
    x = layers.Dropout(0.25)(features)
    logits = layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, logits, name="mnist_classifier")


def prepare_images(images: Any) -> np.ndarray:
    """Images -> float32 ``(N, 28, 28, 1)`` in [-1, 1], the classifier's input.

    Accepts ``(N, 28, 28)`` or ``(N, 28, 28, 1)``; integer pixels in [0, 255] (MNIST's
    uint8) or floats in [-1, 1] (a tanh generator's output).

    >>> prepare_images(np.full((2, 28, 28), 255, np.uint8)).shape
    (2, 28, 28, 1)
    """
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[1:] != (28, 28, 1) or len(array) < 1:
        raise ValueError(
            f"images must have shape (N, 28, 28) or (N, 28, 28, 1) with N >= 1, "
            f"got shape {np.shape(images)}"
        )
    if np.issubdtype(array.dtype, np.integer) and array.dtype != np.bool_:
        if array.min() < 0 or array.max() > 255:
            raise ValueError("images with integer pixels must lie in [0, 255]")
        return array.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"images must be uint8 in [0, 255] or float in [-1, 1], got {array.dtype}")
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError("images must be finite (no NaN or inf)")
    if array.min() < -1.001 or array.max() > 1.001:
        raise ValueError(
            "float images must lie in [-1, 1] (got values in "
            f"[{array.min():.3g}, {array.max():.3g}]); pass uint8 pixels or rescale"
        )
    return np.clip(array, -1.0, 1.0)


class MNISTClassifier:
    """Batched, jitted features and class probabilities from a trained classifier model.

    >>> clf = MNISTClassifier(build_classifier(), batch_size=8)
    >>> clf.predict(np.zeros((20, 28, 28), np.uint8)).shape
    (20,)
    """

    def __init__(self, model: Any, batch_size: int = 500) -> None:
        import keras

        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.model = model
        self.batch_size = batch_size
        both = keras.Model(model.inputs, [model.get_layer("features").output, model.outputs[0]])
        self._trainable = [v.value for v in both.trainable_variables]
        self._frozen = [v.value for v in both.non_trainable_variables]

        def forward(trainable, frozen, x):
            (features, logits), _ = both.stateless_call(trainable, frozen, x, training=False)
            return features, jax.nn.softmax(logits, axis=-1)

        self._forward = jit(forward)

    def _run(self, images: Any) -> tuple[np.ndarray, np.ndarray]:
        x = prepare_images(images)
        n, size = len(x), self.batch_size
        padded = np.concatenate([x, np.zeros((-n % size, 28, 28, 1), np.float32)])
        feats, probs = [], []
        for start in range(0, len(padded), size):  # fixed batch shape: one compile
            f, p = self._forward(self._trainable, self._frozen, padded[start : start + size])
            feats.append(np.asarray(f))
            probs.append(np.asarray(p))
        return np.concatenate(feats)[:n], np.concatenate(probs)[:n]

    def features(self, images: Any) -> np.ndarray:
        """Penultimate-layer activations ``(N, 64)`` float32, the space FID and KID compare."""
        return self._run(images)[0]

    def probabilities(self, images: Any) -> np.ndarray:
        """Class probabilities ``(N, 10)`` float32 (softmax of the logits)."""
        return self._run(images)[1]

    def predict(self, images: Any) -> np.ndarray:
        """Predicted digit ``(N,)`` int."""
        return self.probabilities(images).argmax(axis=1)


@functools.cache
def mnist_classifier() -> MNISTClassifier:
    """The shipped classifier, loaded once per process.

    >>> mnist_classifier() is mnist_classifier()
    True
    """
    path = weights_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"Classifier weights {WEIGHTS_FILE} are missing from gankit/assets; "
            "rebuild them with `python scripts/train_mnist_classifier.py`."
        )
    model = build_classifier()
    model.load_weights(path)
    return MNISTClassifier(model)
