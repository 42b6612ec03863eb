"""Toy sets, user points, the batch iterator and the MNIST loader."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

import gankit  # noqa: F401  (selects the JAX backend before keras loads)
from gankit import data

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def shared_mnist_dir(mnist_dir: Path) -> Path:
    return mnist_dir


# ---------------------------------------------------------------- toy sets


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_shape_dtype_and_determinism(name):
    x = data.toy(name, 300, seed=3)
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert np.all(np.isfinite(x))
    np.testing.assert_array_equal(x, data.toy(name, 300, seed=3))
    assert not np.array_equal(x, data.toy(name, 300, seed=4))


def test_ring8_has_eight_distinct_modes_at_radius_two():
    centres, std = data.modes("ring8")
    assert centres.shape == (8, 2) and std == 0.02
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0, atol=1e-6)
    pairwise = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    assert pairwise[~np.eye(8, dtype=bool)].min() > 1.5  # all eight are distinct
    angles = np.sort(np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-6)


def test_ring8_samples_sit_on_their_modes():
    x = data.toy("ring8", 4000, seed=0)
    centres, std = data.modes("ring8")
    dist = np.linalg.norm(x[:, None] - centres[None], axis=-1)
    nearest = dist.argmin(1)
    assert np.bincount(nearest, minlength=8).min() > 400  # every mode used, roughly evenly
    assert np.std(x - centres[nearest]) == pytest.approx(std, rel=0.1)


def test_grid25_modes_and_std():
    centres, std = data.modes("grid25")
    assert std == 0.05
    assert sorted(set(centres[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    assert len({tuple(c) for c in centres.tolist()}) == 25
    x = data.toy("grid25", 5000, seed=1)
    nearest = np.linalg.norm(x[:, None] - centres[None], axis=-1).argmin(1)
    assert np.unique(nearest).size == 25
    assert np.std(x - centres[nearest]) == pytest.approx(0.05, rel=0.1)


def test_std_override_changes_noise_and_modes_reports_it():
    tight = data.toy("ring8", 2000, seed=0, std=0.0)
    centres, _ = data.modes("ring8")
    assert np.linalg.norm(tight[:, None] - centres[None], axis=-1).min(1).max() < 1e-5
    assert data.modes("ring8", std=0.1)[1] == 0.1


def test_checkerboard_fills_only_black_cells():
    x = data.toy("checkerboard", 2000, seed=0)
    assert x.min() >= -2 and x.max() <= 2
    cells = np.floor(x + 2).astype(int)
    assert np.all(cells.sum(1) % 2 == 0)


def test_circles_radii_and_gaussian_moments():
    r = np.linalg.norm(data.toy("circles", 2000, seed=0, std=0), axis=1)
    assert set(np.round(r, 4).tolist()) == {1.0, 2.0}
    g = data.toy("gaussian", 20000, seed=0)
    assert np.abs(g.mean(0)).max() < 0.05 and np.std(g) == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize("bad", ["ring9", "Ring8", ""])
def test_unknown_name_lists_allowed(bad):
    with pytest.raises(ValueError, match="ring8.*grid25"):
        data.toy(bad, 10)


@pytest.mark.parametrize("n", [0, -3, 2.5, None, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        data.toy("ring8", n)


@pytest.mark.parametrize("std", [-0.1, float("nan"), "wide"])
def test_bad_std(std):
    with pytest.raises(ValueError, match="std must be"):
        data.toy("ring8", 10, std=std)


def test_modes_only_for_mode_based_sets():
    with pytest.raises(ValueError, match="ring8, grid25, gaussian"):
        data.modes("moons")


# ---------------------------------------------------------------- user points


def test_user_points_pass_through_and_resample():
    pts = [[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]]
    np.testing.assert_array_equal(data.toy(pts), np.array(pts, np.float32))
    resampled = data.toy(pts, 50, seed=0)
    assert resampled.shape == (50, 2)
    assert {tuple(p) for p in resampled.tolist()} <= {tuple(p) for p in pts}
    jittered = data.toy(pts, 50, seed=0, std=0.1)
    assert 0 < np.abs(jittered - resampled).max() < 1.0


def test_points_from_csv_with_and_without_header(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("0,1\n2.5,-3\n")
    headed = tmp_path / "headed.csv"
    headed.write_text("x,y\n0,1\n2.5,-3\n")
    expected = np.array([[0, 1], [2.5, -3]], np.float32)
    np.testing.assert_array_equal(data.points(plain), expected)
    np.testing.assert_array_equal(data.points(str(headed)), expected)


@pytest.mark.parametrize(
    "bad, message",
    [
        ([[0.0, 1.0, 2.0]], "shape"),
        ([1.0, 2.0], "shape"),
        (np.zeros((0, 2)), "shape"),
        ([[0.0, np.nan]], "finite"),
        ([[0.0, np.inf]], "finite"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_points_validation(bad, message):
    with pytest.raises(ValueError, match=message):
        data.points(bad)
    with pytest.raises(ValueError, match=message):
        data.toy(bad)


def test_points_bad_csv(tmp_path):
    with pytest.raises(ValueError, match="no file"):
        data.points(tmp_path / "missing.csv")
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match="shape"):
        data.points(wide)


# ---------------------------------------------------------------- batches


def test_batches_fixed_shape_cover_every_row_and_reshuffle():
    rows = np.arange(10)
    it = data.batches(rows, 3, seed=0)
    epochs = [np.concatenate([next(it) for _ in range(3)]) for _ in range(4)]
    assert all(len(e) == 9 and len(set(e.tolist())) == 9 for e in epochs)
    assert set(np.concatenate(epochs).tolist()) == set(range(10))  # remainder rotates
    assert not np.array_equal(epochs[0], epochs[1])


def test_batches_work_on_image_arrays_and_are_seeded():
    images = np.zeros((7, 28, 28), np.uint8)
    assert next(data.batches(images, 7)).shape == (7, 28, 28)
    a, b = data.batches(np.arange(100), 10, seed=5), data.batches(np.arange(100), 10, seed=5)
    for _ in range(12):
        np.testing.assert_array_equal(next(a), next(b))


@pytest.mark.parametrize("size", [0, 11, 2.0, None])
def test_batches_bad_size(size):
    with pytest.raises(ValueError, match="batch_size must be"):
        data.batches(np.arange(10), size)


# ---------------------------------------------------------------- MNIST


def test_mnist_test_split_from_shared_dir(shared_mnist_dir):
    images, labels = data.mnist("test", path=shared_mnist_dir)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert images.max() == 255 and images.min() == 0


def test_mnist_env_var_ungzipped_and_npz(shared_mnist_dir, tmp_path, monkeypatch):
    expected_images, expected_labels = data.mnist("test", path=shared_mnist_dir)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(shared_mnist_dir / f"{stem}.gz") as src, open(tmp_path / stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    images, labels = data.mnist("test")
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)

    npz_dir = tmp_path / "npz"
    npz_dir.mkdir()
    np.savez(
        npz_dir / "mnist.npz",
        x_train=expected_images[:5],
        y_train=expected_labels[:5],
        x_test=expected_images[5:9],
        y_test=expected_labels[5:9],
    )
    images, labels = data.mnist("train", path=npz_dir)
    np.testing.assert_array_equal(images, expected_images[:5])
    images, labels = data.mnist("test", path=npz_dir / "mnist.npz")
    np.testing.assert_array_equal(labels, expected_labels[5:9])


def test_mnist_missing_split_in_named_dir_explains(shared_mnist_dir):
    with pytest.raises(data.MNISTUnavailableError, match="train-images-idx3-ubyte.gz"):
        data.mnist("train", path=shared_mnist_dir)


def test_mnist_bad_magic_number(shared_mnist_dir, tmp_path):
    shutil.copy(shared_mnist_dir / "t10k-images-idx3-ubyte.gz", tmp_path)
    # Label file in place of the images: its magic (0x801) is wrong for images (0x803).
    shutil.copy(
        shared_mnist_dir / "t10k-labels-idx1-ubyte.gz", tmp_path / "t10k-images-idx3-ubyte.gz"
    )
    shutil.copy(shared_mnist_dir / "t10k-labels-idx1-ubyte.gz", tmp_path)
    with pytest.raises(ValueError, match="magic number"):
        data.mnist("test", path=tmp_path)


def test_mnist_bad_split():
    with pytest.raises(ValueError, match="train, test"):
        data.mnist("validation")


def test_mnist_offline_error_says_both_ways(monkeypatch):
    import keras

    def offline():
        raise OSError("network unreachable")

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(data.MNISTUnavailableError) as info:
        data.mnist("train")
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert data.ENV_VAR in message and "path=" in message
    assert "train-images-idx3-ubyte.gz" in message and "mnist.npz" in message
    assert "online" in message and "network unreachable" in message


def test_mnist_train_split_falls_back_to_keras(monkeypatch):
    import keras

    fake = np.full((2, 28, 28), 7, np.uint8), np.array([1, 2], np.uint8)
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: (fake, fake))
    images, labels = data.mnist("train")
    assert images.shape == (2, 28, 28) and labels.tolist() == [1, 2]


def test_mnist_test_split_is_shipped_and_needs_no_network(shared_mnist_dir, monkeypatch):
    """Offline, with no path and no GANKIT_MNIST_DIR: the packaged copy, the real digits."""
    import keras

    def offline():
        raise AssertionError("the test split must not be downloaded")

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    images, labels = data.mnist("test")
    expected_images, expected_labels = data.mnist("test", path=shared_mnist_dir)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    # The licence travels with the files.
    from gankit.data.mnist import SHIPPED

    assert "CC BY-SA 3.0" in (SHIPPED / "README.md").read_text()


def test_scale_images():
    scaled = data.scale_images(np.array([[0, 127, 255]], np.uint8))
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[-1.0, 127 / 127.5 - 1, 1.0]])
    with pytest.raises(ValueError, match="uint8"):
        data.scale_images(np.zeros(3, np.float32))
