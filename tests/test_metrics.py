"""Toy-data metrics and the MNIST classifier metrics, on real test digits."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import gankit  # noqa: F401  (selects the JAX backend before keras loads)
from gankit import data, metrics
from gankit.metrics.classifier import weights_path

# The shipped weights reach 0.9875 on the held-out digits (see the training script).
HELD_OUT_ACCURACY_FLOOR = 0.97


# ---------------------------------------------------------------- mode coverage


def test_true_ring8_covers_all_modes_with_high_quality():
    result = metrics.mode_coverage(data.toy("ring8", 2500, seed=1), "ring8")
    assert (result.modes, result.n_modes) == (8, 8)
    # Within 3 std in 2-D holds 1 - exp(-4.5) = 98.9% of a Gaussian.
    assert result.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert result.counts.sum() == round(result.high_quality * 2500)
    assert result.counts.min() > 200


def test_true_grid25_covers_all_modes():
    result = metrics.mode_coverage(data.toy("grid25", 2500, seed=1), "grid25")
    assert (result.modes, result.n_modes) == (25, 25)
    assert result.high_quality > 0.98


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_collapsed_samples_cover_one_mode(name):
    centres, std = data.modes(name)
    collapsed = centres[3] + std * np.random.default_rng(0).standard_normal((2500, 2))
    result = metrics.mode_coverage(collapsed, name)
    assert result.modes == 1 and result.high_quality > 0.98
    assert result.counts[3] == result.counts.sum()


def test_far_samples_are_low_quality_and_cover_nothing():
    result = metrics.mode_coverage(np.full((100, 2), 1.0), "ring8")  # between modes
    assert result.modes == 0 and result.high_quality == 0.0


def test_mode_coverage_with_explicit_centres_and_partial_cover():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.array([[0.1, 0.0], [10.0, 0.2], [5.0, 5.0]])
    result = metrics.mode_coverage(samples, (centres, 0.1))
    assert result.modes == 2 and result.n_modes == 3
    assert result.high_quality == pytest.approx(2 / 3)
    assert result.counts.tolist() == [1, 1, 0]
    assert metrics.mode_coverage(samples, (centres, 0.1), threshold=1.0).modes == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dataset": "moons"}, "dataset must be one of"),  # names the parameter
        ({"dataset": 3}, "dataset must be"),
        ({"dataset": (np.zeros((2, 2)), -1.0)}, "std must be"),
        ({"dataset": "ring8", "samples": np.zeros((4, 3))}, "samples must have shape"),
        ({"dataset": "ring8", "samples": np.full((4, 2), np.nan)}, "finite"),
        ({"dataset": "ring8", "threshold": 0}, "threshold must be"),
    ],
)
def test_mode_coverage_rejects_bad_input(kwargs, message):
    kwargs = {"samples": np.zeros((4, 2)), **kwargs}
    with pytest.raises(ValueError, match=message):
        metrics.mode_coverage(**kwargs)


# ---------------------------------------------------------------- grid divergence


def test_grid_divergence_of_a_set_with_itself_is_zero():
    x = data.toy("grid25", 3000, seed=0)
    result = metrics.grid_divergence(x, x)
    assert result.kl == pytest.approx(0, abs=1e-9) and result.js == pytest.approx(0, abs=1e-9)
    assert result.unit == "nats"


def test_grid_divergence_of_disjoint_sets_is_ln2():
    x = data.toy("ring8", 2000, seed=0)
    far = metrics.grid_divergence(x + 20.0, x)  # all samples land in the overflow cell
    assert far.js == pytest.approx(math.log(2), abs=1e-4)
    assert far.kl > 10
    side = metrics.grid_divergence(x[x[:, 0] > 1.5], x[x[:, 0] < -1.5], range=((-3, 3), (-3, 3)))
    assert side.js == pytest.approx(math.log(2), abs=1e-4)
    bits = metrics.grid_divergence(x + 20.0, x, unit="bits")
    assert bits.js == pytest.approx(1.0, abs=1e-4) and bits.unit == "bits"


def test_grid_divergence_orders_good_and_collapsed_samples():
    real = data.toy("ring8", 3000, seed=0)
    fresh = metrics.grid_divergence(data.toy("ring8", 3000, seed=1), real)
    collapsed = metrics.grid_divergence(real[real[:, 0] > 1.9], real)
    assert fresh.js < 0.05 < 0.4 < collapsed.js
    assert collapsed.kl > 10 * fresh.kl  # forward KL punishes the missing modes hard


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bins": 0}, "bins must be"),
        ({"unit": "dits"}, "unit must be one of nats, bits"),
        ({"range": ((1, 0), (0, 1))}, "range must be"),
        ({"range": (0, 1)}, "range must be"),
        ({"eps": 0}, "eps must be"),
    ],
)
def test_grid_divergence_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.grid_divergence(np.zeros((3, 2)), np.ones((3, 2)), **kwargs)


# ---------------------------------------------------------------- feature-space distances


def test_frechet_distance_matches_gaussian_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3))
    b = rng.normal(size=(20000, 3)) * 2.0 + [1.0, 0.0, 0.0]
    # |dmu|^2 + tr(I + 4I - 2*2I) = 1 + 3
    assert metrics.frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_kernel_mmd2_is_unbiased_near_zero_and_grows_with_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    same = metrics.kernel_mmd2(a, b, subsets=5, subset_size=500)
    shifted = metrics.kernel_mmd2(a, b + 1.0, subsets=5, subset_size=500)
    assert abs(same) < 0.02 < 1.0 < shifted
    with pytest.raises(ValueError, match="subset_size must be"):
        metrics.kernel_mmd2(a, b, subset_size=1)
    with pytest.raises(ValueError, match="differ in width"):
        metrics.kernel_mmd2(a, b[:, :3])


# ---------------------------------------------------------------- MNIST classifier


@pytest.fixture(scope="module")
def digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The real MNIST test split kept beside the repository (t10k files only)."""
    return data.mnist("test", path=mnist_dir)


@pytest.fixture(scope="module")
def clf() -> metrics.MNISTClassifier:
    return metrics.mnist_classifier()


def test_shipped_weights_are_small():
    assert weights_path().stat().st_size < 400 * 1024


def test_classifier_held_out_accuracy(digits, clf):
    images, labels = digits
    accuracy = (clf.predict(images[-2000:]) == labels[-2000:]).mean()
    assert accuracy >= HELD_OUT_ACCURACY_FLOOR


def test_classifier_accepts_uint8_float_and_channel_axis(digits, clf):
    images = digits[0][:37]  # not a multiple of the batch size
    from_uint8 = clf.probabilities(images)
    from_float = clf.probabilities(data.scale_images(images)[..., None])
    assert from_uint8.shape == (37, 10)
    np.testing.assert_allclose(from_uint8.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-5)
    assert clf.features(images).shape == (37, metrics.classifier.FEATURES)
    assert metrics.mnist_classifier() is clf


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 28, 27), np.uint8), "shape"),
        (np.zeros((0, 28, 28), np.uint8), "shape"),
        (np.full((2, 28, 28), 200.0, np.float32), r"\[-1, 1\]"),
        (np.full((2, 28, 28), np.nan, np.float32), "finite"),
        (np.full((2, 28, 28), 300, np.int32), r"\[0, 255\]"),
    ],
)
def test_classifier_rejects_bad_images(clf, images, message):
    with pytest.raises(ValueError, match=message):
        clf.features(images)


@pytest.fixture(scope="module")
def halves(digits, clf) -> tuple[np.ndarray, np.ndarray]:
    """Features of the even- and odd-indexed test digits: two disjoint real sets."""
    features = clf.features(digits[0])
    return features[0::2], features[1::2]


def test_fid_and_kid_wrap_the_feature_distances(digits, clf):
    a, b = digits[0][:300], digits[0][300:600]
    fa, fb = clf.features(a), clf.features(b)
    assert metrics.classifier_fid(a, b, classifier=clf) == pytest.approx(
        metrics.frechet_distance(fa, fb), rel=1e-6
    )
    assert metrics.classifier_kid(a, b, subset_size=100, seed=3) == pytest.approx(
        metrics.kernel_mmd2(fa, fb, subset_size=100, seed=3), rel=1e-6
    )
    assert metrics.classifier_fid(a, a) == pytest.approx(0.0, abs=1e-6)


def test_real_halves_score_like_real_data(digits, clf, halves):
    evens, odds = halves
    assert metrics.frechet_distance(evens, odds) < 2.0
    assert abs(metrics.kernel_mmd2(evens, odds)) < 0.5
    assert metrics.classifier_score(digits[0], classifier=clf) > 9.3
    coverage = metrics.class_coverage(digits[0][0::2], classifier=clf)
    assert coverage.classes == 10 and coverage.counts.sum() == 5000
    assert coverage.entropy > 0.99 * math.log(10)


def test_collapsed_digits_score_badly(digits, clf, halves):
    images, labels = digits
    evens, odds = halves
    real_fid = metrics.frechet_distance(evens, odds)
    only_ones = images[labels == 1]
    copies = np.repeat(images[:1], 1000, axis=0)
    for collapsed in (only_ones, copies):
        features = clf.features(collapsed)
        assert metrics.frechet_distance(evens, features) > 50 * real_fid
        assert metrics.kernel_mmd2(evens, features) > 10
        assert metrics.classifier_score(collapsed, classifier=clf) < 1.5
        coverage = metrics.class_coverage(collapsed, classifier=clf)
        assert coverage.classes == 1 and coverage.entropy < 0.1


def test_noise_scores_badly(clf, halves):
    noise = np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28)).astype(np.float32)
    features = clf.features(noise)
    assert metrics.frechet_distance(halves[0], features) > 100
    assert metrics.kernel_mmd2(halves[0], features) > 10
    assert metrics.classifier_score(noise, classifier=clf) < 2
    assert metrics.class_coverage(noise, classifier=clf).classes <= 2


def test_class_coverage_threshold(digits, clf):
    images, labels = digits
    # 990 ones and ten 7s: the 7s are 1% of the set.
    mixed = np.concatenate([images[labels == 1][:990], images[labels == 7][:10]])
    strays = metrics.class_coverage(mixed, classifier=clf)
    assert strays.counts[1] >= 985
    assert metrics.class_coverage(mixed, min_share=0.0, classifier=clf).classes >= 2
    assert metrics.class_coverage(mixed, min_share=0.05, classifier=clf).classes == 1
    with pytest.raises(ValueError, match="min_share must be"):
        metrics.class_coverage(mixed, min_share=1.5, classifier=clf)


# ------------------------------------------- precision / recall, density / coverage


def test_precision_recall_and_density_coverage_wrap_the_manifold_metrics(digits, clf):
    real, fake = digits[0][:300], digits[0][300:500]
    fr, ff = clf.features(real), clf.features(fake)
    assert metrics.classifier_precision_recall(real, fake, k=4, classifier=clf) == (
        metrics.precision_recall(fr, ff, k=4)
    )
    assert metrics.classifier_density_coverage(real, fake, k=4, classifier=clf) == (
        metrics.density_coverage(fr, ff, k=4)
    )


def test_real_digits_against_themselves_score_one(digits, clf):
    real = digits[0][:1000]
    assert metrics.classifier_precision_recall(real, real, classifier=clf) == (1.0, 1.0)
    for k in (3, 5):  # each digit lies in its own ball and in those of its k neighbours
        density, coverage = metrics.classifier_density_coverage(real, real, k=k, classifier=clf)
        assert coverage == 1.0 and density == pytest.approx((k + 1) / k, rel=0.02)


def test_one_digit_class_is_precise_but_covers_a_tenth(digits, clf):
    images, labels = digits
    mixed = images[:1000]  # all ten digits, about 11% of them 1s
    second = slice(5000, None)  # other writers: the 1s are not copies of the mixed ones
    ones = images[second][labels[second] == 1][:1000]
    other = images[5000:6000]  # real against real, for scale
    # measured on these digits: ones 0.86 / 0.11, 0.82 / 0.13; other 0.88 / 0.72, 0.89 / 0.86
    precision, recall = metrics.classifier_precision_recall(mixed, ones, classifier=clf)
    density, coverage = metrics.classifier_density_coverage(mixed, ones, classifier=clf)
    assert precision > 0.75 and density > 0.65  # every 1 looks like a real digit
    assert recall < 0.2 and coverage < 0.2  # but only the real 1s are near them
    real_precision, real_recall = metrics.classifier_precision_recall(mixed, other, classifier=clf)
    _, real_coverage = metrics.classifier_density_coverage(mixed, other, classifier=clf)
    assert real_recall > 0.6 and real_coverage > 0.75
    assert abs(precision - real_precision) < 0.1  # quality alike; diversity far apart
