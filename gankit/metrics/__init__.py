"""Numbers for how well a GAN is doing: mode coverage and histogram divergence on 2-D toy
data, FID / KID / Inception-score analogues on MNIST through a small shipped classifier,
precision / recall and density / coverage (quality apart from diversity, on points or on
features), and the exact Wasserstein distance between point sets.

>>> from gankit import data, metrics
>>> metrics.mode_coverage(data.toy("grid25", 2500), "grid25").modes
25
"""

from __future__ import annotations

from gankit.metrics.classifier import MNISTClassifier, mnist_classifier, prepare_images
from gankit.metrics.digits import (
    ClassCoverage,
    class_coverage,
    classifier_density_coverage,
    classifier_fid,
    classifier_kid,
    classifier_precision_recall,
    classifier_score,
    frechet_distance,
    kernel_mmd2,
)
from gankit.metrics.manifold import density_coverage, precision_recall, wasserstein
from gankit.metrics.toy import Divergence, ModeCoverage, grid_divergence, mode_coverage

__all__ = [
    "ClassCoverage",
    "Divergence",
    "MNISTClassifier",
    "ModeCoverage",
    "class_coverage",
    "classifier_density_coverage",
    "classifier_fid",
    "classifier_kid",
    "classifier_precision_recall",
    "classifier_score",
    "density_coverage",
    "frechet_distance",
    "grid_divergence",
    "kernel_mmd2",
    "mnist_classifier",
    "mode_coverage",
    "precision_recall",
    "prepare_images",
    "wasserstein",
]
