"""Shared test set-up.

Importing gankit first selects Keras' JAX backend before any test module imports keras
(sorted imports put ``import keras`` before ``import gankit``).
"""

from pathlib import Path

import pytest

import gankit  # noqa: F401  (selects the JAX backend)

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST test split (IDX gzip files) shipped beside the repository."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.fail(f"the MNIST test split is missing from {MNIST_DIR}")
    return MNIST_DIR
