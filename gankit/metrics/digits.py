"""Sample-quality scores for generated MNIST digits, measured through the shipped classifier.

Analogues of FID, KID and the Inception score that use :func:`mnist_classifier` instead
of Inception, and precision / recall and density / coverage on the same features: small
numbers are only comparable with other numbers from this classifier, never with
published FIDs. Compare like with like: the first and last 5,000 test digits come from
different writers and already differ by an FID of about 7, while random halves differ
by under 1.

The example runs on the test digits shipped with gankit (``tests/test_metrics.py``
checks more claims on them):

>>> from gankit.data import mnist
>>> from gankit.metrics import classifier_fid, class_coverage
>>> real, _ = mnist("test")
>>> classifier_fid(real[0::2], real[1::2]) < 2
True
>>> class_coverage(real).classes
10
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, NamedTuple

import numpy as np

from gankit import _checks
from gankit.metrics.classifier import MNISTClassifier, mnist_classifier
from gankit.metrics.manifold import density_coverage, precision_recall


class ClassCoverage(NamedTuple):
    """Result of :func:`class_coverage`."""

    classes: int
    """Digit classes predicted for at least ``min_share`` of the images."""
    entropy: float
    """Entropy of the predicted-class histogram in nats (ln 10 = 2.303 when uniform)."""
    counts: np.ndarray
    """Images predicted as each digit, ``(10,)`` int."""


def _features(name: str, values: Any, minimum: int) -> np.ndarray:
    array = _checks.float_array(name, values, "an (n, d) array of numbers", np.float64)
    if array.ndim != 2 or len(array) < minimum:
        raise ValueError(
            f"{name} must have shape (n, d) with n >= {minimum}, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array


def _count(name: str, value: Any, minimum: int) -> int:
    return _checks.count(name, value, minimum)


def _cubic(x: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    k = x @ y.T
    k /= d
    k += 1.0
    return k * k * k  # three times faster than k ** 3


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(features_a: Any, features_b: Any) -> float:
    """Fréchet distance between Gaussian fits of two feature sets ``(n, d)``.

    ``|mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2)``; both square roots
    are of symmetric PSD matrices, so numpy's ``eigh`` is enough (no scipy).

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(0, 1, (4000, 2)), rng.normal(3, 1, (4000, 2))  # means 3 apart per axis
    >>> abs(frechet_distance(a, b) - 18.0) < 0.5
    True
    """
    a, b = _features("features_a", features_a, 2), _features("features_b", features_b, 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b differ in width: {a.shape} vs {b.shape}")
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_term = np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.sqrt(np.clip(cross, 0, None)).sum()
    mean_term = np.sum((a.mean(0) - b.mean(0)) ** 2)
    return float(max(mean_term + trace_term, 0.0))


def kernel_mmd2(
    features_a: Any,
    features_b: Any,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int | None = 0,
) -> float:
    """Unbiased MMD² with the cubic kernel ``(x.y / d + 1)^3``, averaged over random subsets.

    100 subsets of 1,000 by default, as in Bińkowski et al. (2018) and torchmetrics.

    The KID estimator: unbiased, so it can dip below 0 when the sets match.
    ``subset_size`` is capped at the smaller set's size.

    >>> rng = np.random.default_rng(0)
    >>> same = kernel_mmd2(rng.normal(size=(500, 8)), rng.normal(size=(500, 8)))
    >>> abs(same) < 0.01
    True
    """
    a, b = _features("features_a", features_a, 2), _features("features_b", features_b, 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b differ in width: {a.shape} vs {b.shape}")
    subsets = _count("subsets", subsets, 1)
    m = min(_count("subset_size", subset_size, 2), len(a), len(b))
    d = a.shape[1]
    rng = np.random.default_rng(seed)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)  # kernels in float32, sums in 64
    estimates = []
    for _ in range(subsets):
        x = a32[rng.choice(len(a), m, replace=False)]
        y = b32[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy, k_xy = _cubic(x, x, d), _cubic(y, y, d), _cubic(x, y, d)
        # Unbiased: the within-set means leave out the diagonal (each point with itself).
        total = k_xx.sum(dtype=np.float64) - np.trace(k_xx, dtype=np.float64)
        total += k_yy.sum(dtype=np.float64) - np.trace(k_yy, dtype=np.float64)
        estimates.append(total / (m * (m - 1)) - 2.0 * k_xy.mean(dtype=np.float64))
    return float(np.mean(estimates))


def _classifier(classifier: MNISTClassifier | None) -> MNISTClassifier:
    return mnist_classifier() if classifier is None else classifier


def classifier_fid(
    images_a: Any, images_b: Any, *, classifier: MNISTClassifier | None = None
) -> float:
    """FID analogue: Fréchet distance between the classifier's 64-d features of two image sets.

    0 for identical sets; the even and odd digits of the MNIST test split score about 0.8,
    one-class or noise sets score in the hundreds.
    Needs at least 2 images per set (and many more for a stable estimate: use 1,000+).

    >>> real = np.zeros((4, 28, 28), np.uint8)
    >>> classifier_fid(real, real)
    0.0
    """
    clf = _classifier(classifier)
    return frechet_distance(clf.features(images_a), clf.features(images_b))


def classifier_kid(
    images_a: Any,
    images_b: Any,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int | None = 0,
    classifier: MNISTClassifier | None = None,
) -> float:
    """KID analogue: :func:`kernel_mmd2` of the classifier's features; near 0 when sets match.

    Less biased than FID for small sets, so it suits quick checks during training.

    >>> rng = np.random.default_rng(0)
    >>> noise = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    >>> blank = np.zeros((50, 28, 28), np.uint8)
    >>> classifier_kid(noise, blank) > 10 * abs(classifier_kid(noise[:25], noise[25:]))
    True
    """
    clf = _classifier(classifier)
    return kernel_mmd2(
        clf.features(images_a),
        clf.features(images_b),
        subsets=subsets,
        subset_size=subset_size,
        seed=seed,
    )


def classifier_precision_recall(
    real_images: Any,
    fake_images: Any,
    *,
    k: int = 3,
    classifier: MNISTClassifier | None = None,
) -> tuple[float, float]:
    """``(precision, recall)`` of generated digits, on the classifier's 64-d features.

    FID mixes two failures into one number; these split them: precision is the share of
    fakes that look like some real digit (good samples), recall the share of real digits
    the fakes come near (all the digits). A generator drawing only crisp 1s has high
    precision and low recall. :func:`gankit.metrics.precision_recall`'s ``k``-nearest-
    neighbour manifolds (Kynkäänniemi et al. 2019), after one pass of each set through
    the classifier. Needs more than ``k`` images per set (use 1,000+).

    >>> noise = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    >>> classifier_precision_recall(noise, noise)  # a set against itself
    (1.0, 1.0)
    """
    clf = _classifier(classifier)
    return precision_recall(clf.features(real_images), clf.features(fake_images), k=k)


def classifier_density_coverage(
    real_images: Any,
    fake_images: Any,
    *,
    k: int = 5,
    classifier: MNISTClassifier | None = None,
) -> tuple[float, float]:
    """``(density, coverage)`` of generated digits, on the classifier's 64-d features.

    Precision and recall that real outliers cannot inflate: density counts the real
    ``k``-NN balls each fake lies in (about 1 when the sets match: good samples), coverage
    the share of real balls holding a fake (all the digits).
    :func:`gankit.metrics.density_coverage` (Naeem et al. 2020), after one pass of each
    set through the classifier. Needs more than ``k`` real images (use 1,000+).

    >>> noise = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    >>> density, coverage = classifier_density_coverage(noise, noise)  # itself + k balls
    >>> round(density, 1), coverage
    (1.2, 1.0)
    """
    clf = _classifier(classifier)
    return density_coverage(clf.features(real_images), clf.features(fake_images), k=k)


def classifier_score(images: Any, *, classifier: MNISTClassifier | None = None) -> float:
    """Inception-score analogue ``exp(E_x KL(p(y|x) || p(y)))``, between 1 and 10.

    High when each image is confidently one digit *and* all digits appear; a generator
    that draws only 1s scores about 1 however crisp its 1s are.

    >>> ones = np.zeros((10, 28, 28), np.uint8); ones[:, 4:24, 13:15] = 255
    >>> classifier_score(ones) < 1.5
    True
    """
    p = _classifier(classifier).probabilities(images).astype(np.float64)
    p = np.clip(p, 1e-12, 1.0)
    marginal = p.mean(axis=0)
    kl = np.sum(p * (np.log(p) - np.log(marginal)), axis=1)
    return float(math.exp(kl.mean()))


def class_coverage(
    images: Any, *, min_share: float = 0.01, classifier: MNISTClassifier | None = None
) -> ClassCoverage:
    """How many digit classes a generator draws, and how evenly (mode collapse on MNIST).

    A class counts as covered when it is the predicted class of at least ``min_share``
    of the images (default 1%), so a handful of misclassified strays does not hide a
    collapse. ``min_share=0`` counts every class predicted at least once.

    >>> ones = np.zeros((10, 28, 28), np.uint8); ones[:, 4:24, 13:15] = 255
    >>> class_coverage(ones).classes
    1
    """
    if not (isinstance(min_share, Real) and 0.0 <= min_share <= 1.0):
        raise ValueError(f"min_share must be a number in [0, 1], got {min_share!r}")
    predicted = _classifier(classifier).predict(images)
    counts = np.bincount(predicted, minlength=10)
    share = counts / counts.sum()
    covered = (counts > 0) & (share >= min_share)
    nonzero = share[share > 0]
    return ClassCoverage(
        classes=int(covered.sum()),
        entropy=float(-(nonzero * np.log(nonzero)).sum() + 0.0),
        counts=counts,
    )
