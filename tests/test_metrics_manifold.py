"""Precision / recall, density / coverage and the exact Wasserstein distance: closed cases,
an independent brute-force reference, and the numbers that tell sharp-but-collapsed from
diverse-but-blurry."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import inspect

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

import gankit as gk
from gankit import metrics

RING = gk.data.toy("ring8", 2000, seed=0)


def brute_force(real, fake, k):
    """The papers' definitions, written out with scipy's distances and loops."""
    d_rr, d_ff, d_fr = cdist(real, real), cdist(fake, fake), cdist(fake, real)
    r_real = np.sort(d_rr, axis=1)[:, k]  # column 0 is the point itself
    r_fake = np.sort(d_ff, axis=1)[:, k]
    precision = np.mean(
        [any(d_fr[j, i] <= r_real[i] for i in range(len(real))) for j in range(len(fake))]
    )
    recall = np.mean(
        [any(d_fr[j, i] <= r_fake[j] for j in range(len(fake))) for i in range(len(real))]
    )
    inside = d_fr <= r_real[None, :]
    return precision, recall, inside.sum() / (k * len(fake)), inside.any(axis=0).mean()


def test_against_the_papers_definitions_written_out():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(120, 3)), rng.normal(0.5, 1.3, size=(90, 3))
    p, r, d, c = brute_force(real, fake, 4)
    assert metrics.precision_recall(real, fake, k=4) == pytest.approx((p, r))
    assert metrics.density_coverage(real, fake, k=4) == pytest.approx((d, c))


def test_a_set_against_itself_scores_one():
    assert metrics.precision_recall(RING, RING) == (1.0, 1.0)
    density, coverage = metrics.density_coverage(RING, RING, k=5)
    assert coverage == 1.0 and density == pytest.approx(6 / 5, rel=0.02)  # itself + k balls
    other = gk.data.toy("ring8", 2000, seed=1)  # a fresh sample of the same distribution
    density, coverage = metrics.density_coverage(RING, other)
    assert 0.85 < density < 1.15 and coverage > 0.9


def test_collapsed_is_precise_but_covers_one_mode_of_eight():
    centres, std = gk.data.modes("ring8")
    collapsed = centres[0] + std * np.random.default_rng(0).normal(size=(2000, 2))
    precision, recall = metrics.precision_recall(RING, collapsed)
    density, coverage = metrics.density_coverage(RING, collapsed)
    assert precision > 0.9 and density > 0.8
    assert abs(recall - 1 / 8) < 0.05 and abs(coverage - 1 / 8) < 0.05


def test_blurry_is_diverse_but_imprecise():
    # every mode reached, but smeared 2.5x wider than the data's spread (std 0.02)
    blurry = RING + 0.05 * np.random.default_rng(1).normal(size=RING.shape)
    precision, recall = metrics.precision_recall(RING, blurry)
    density, coverage = metrics.density_coverage(RING, blurry)
    assert precision < 0.6 and recall > 0.95
    assert density < 0.5 and coverage > 0.6  # far more of the data than one mode (1/8)


def test_wasserstein_of_a_shift_is_its_length():
    rng = np.random.default_rng(2)
    for _ in range(3):
        t = rng.normal(size=2) * 2
        points = rng.normal(size=(300, 2))
        assert metrics.wasserstein(points, points + t) == pytest.approx(np.linalg.norm(t), rel=1e-9)


def test_wasserstein_equals_an_optimal_matching():
    # equal sizes, equal weights: W1 is the cheapest perfect matching (Hungarian method)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(150, 2)), rng.uniform(-2, 2, size=(150, 2))
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)
    assert metrics.wasserstein(a, b) == pytest.approx(cost[rows, cols].mean(), rel=1e-9)
    assert metrics.wasserstein([[0.0, 0.0]], [[3.0, 4.0]]) == pytest.approx(5.0)


def test_kid_averages_a_hundred_subsets_by_default():
    for fn in (metrics.kernel_mmd2, metrics.classifier_kid):
        assert inspect.signature(fn).parameters["subsets"].default == 100


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: metrics.precision_recall(RING, np.zeros((10, 3))),
            r"fake must have shape \(n, 2\)",
        ),
        (lambda: metrics.precision_recall(RING[:3], RING[:3], k=3), "k must be below"),
        (lambda: metrics.density_coverage(RING, RING, k=0), "k must be an integer >= 1"),
        (lambda: metrics.wasserstein("ab", RING), "a must be"),
        (lambda: metrics.wasserstein(RING, [[np.nan, 0.0]]), "b must be finite"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
