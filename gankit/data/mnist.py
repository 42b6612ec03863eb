"""MNIST digits from local files when you have them, from the Keras download otherwise.

Classrooms are often offline, so a local copy wins: the ``path`` argument, else the
directory in the ``GANKIT_MNIST_DIR`` environment variable. That directory holds the
original IDX files (gzipped or not) or a Keras-style ``mnist.npz``. With neither set,
``keras.datasets.mnist.load_data()`` downloads (and caches) the data.

The examples below need the digits (a download, or a local copy), so doctest skips them;
``tests/test_data.py`` runs the same calls on the shared test digits.

>>> from gankit.data import mnist, scale_images
>>> images, labels = mnist("test")            # doctest: +SKIP
>>> images.shape, images.dtype, labels.shape  # doctest: +SKIP
((10000, 28, 28), dtype('uint8'), (10000,))
>>> scale_images(images).min()                # doctest: +SKIP
-1.0
"""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

import numpy as np

from gankit import _checks

ENV_VAR = "GANKIT_MNIST_DIR"
SPLITS: tuple[str, ...] = ("train", "test")

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_NPZ = "mnist.npz"

_HOW_TO = (
    "To provide MNIST, either (1) pass mnist(split, path=DIR) or set the environment "
    f"variable {ENV_VAR}=DIR, where DIR holds the IDX files "
    "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz (gzipped or not) or a Keras-style mnist.npz "
    "(x_train, y_train, x_test, y_test); or (2) go online once so "
    "keras.datasets.mnist.load_data() can download and cache it."
)


class MNISTUnavailableError(FileNotFoundError, RuntimeError):
    """MNIST could be found neither locally nor through the Keras download.

    A ``FileNotFoundError`` (so ``except OSError`` catches it, as for any missing file),
    and a ``RuntimeError`` as in earlier versions.
    """


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise ValueError(
            f"{path} cannot be read as an MNIST file ({exc}): is it complete?"
        ) from None


def _parse_idx(raw: bytes, magic: int, source: Path) -> np.ndarray:
    ndim = magic - 2048
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{source} is too short to be an IDX file")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(
            f"{source} has IDX magic number {found:#010x}, expected {magic:#010x}; "
            "is it the right file, and not corrupted?"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise ValueError(f"{source} holds {len(raw) - header} data bytes, header says {expected}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def _from_directory(directory: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    image_stem, label_stem = _IDX_FILES[split]
    image_file, label_file = _find(directory, image_stem), _find(directory, label_stem)
    if image_file is not None and label_file is not None:
        images = _parse_idx(_read_bytes(image_file), _IMAGES_MAGIC, image_file)
        labels = _parse_idx(_read_bytes(label_file), _LABELS_MAGIC, label_file)
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(
                f"{image_file} and {label_file} do not match: images {images.shape}, "
                f"labels {labels.shape}"
            )
        return images.copy(), labels.copy()
    npz = directory / _NPZ
    if npz.is_file():
        return _from_npz(npz, split)
    raise MNISTUnavailableError(
        f"No MNIST {split} split in {directory}: expected {image_stem}.gz and "
        f"{label_stem}.gz (or un-gzipped), or {_NPZ}. {_HOW_TO}"
    )


def _from_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = (f"x_{split}", f"y_{split}")
            missing = [key for key in keys if key not in archive]
            if missing:
                raise ValueError(f"{path} lacks {', '.join(missing)} (keras mnist.npz layout)")
            images, labels = archive[keys[0]], archive[keys[1]]
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} cannot be read as an .npz archive ({exc})") from None
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"{path}: images {images.shape} and labels {labels.shape} do not match")
    return images.astype(np.uint8), labels.astype(np.uint8)


def _from_keras(split: str) -> tuple[np.ndarray, np.ndarray]:
    import keras

    try:
        train, test = keras.datasets.mnist.load_data()
    except Exception as exc:  # offline, proxy, corrupt cache: all end the same way
        raise MNISTUnavailableError(
            f"Could not download MNIST with keras.datasets.mnist.load_data() ({exc}). {_HOW_TO}"
        ) from exc
    images, labels = train if split == "train" else test
    return np.asarray(images, np.uint8), np.asarray(labels, np.uint8)


def mnist(
    split: str = "train", path: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``(images uint8 (N, 28, 28), labels uint8 (N,))`` for ``split`` "train" or "test".

    Looks in ``path`` (a directory, or an ``mnist.npz`` file), else in the directory named
    by ``GANKIT_MNIST_DIR``, else downloads with Keras. A directory you name must hold the
    split; a missing split there raises :class:`MNISTUnavailableError` rather than
    silently downloading.

    Skipped under doctest (it needs the files in ``data/mnist``):

    >>> images, labels = mnist("test", path="data/mnist")  # doctest: +SKIP
    """
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    if path is not None and not isinstance(path, str | os.PathLike):
        raise _checks.ArgumentTypeError(f"path must be a directory or .npz file name, got {path!r}")
    where = path if path is not None else os.environ.get(ENV_VAR) or None
    if where is None:
        return _from_keras(split)
    location = Path(where).expanduser()
    if location.is_file() and location.suffix == ".npz":
        return _from_npz(location, split)
    if not location.is_dir():
        source = "path" if path is not None else ENV_VAR
        raise MNISTUnavailableError(f"{source}={str(where)!r} is not a directory. {_HOW_TO}")
    return _from_directory(location, split)


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 pixels in [0, 255] -> float32 in [-1, 1], the range of a tanh generator.

    >>> scale_images(np.array([0, 255], np.uint8)).tolist()
    [-1.0, 1.0]
    """
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise ValueError(f"images must have dtype uint8 (pixels 0..255), got {array.dtype}")
    return array.astype(np.float32) / 127.5 - 1.0
