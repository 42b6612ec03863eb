"""MNIST digits from local files when you have them, from the Keras download otherwise.

Classrooms are often offline, so a local copy wins: the ``path`` argument, else the
directory in the ``GANKIT_MNIST_DIR`` environment variable. That directory holds the
original IDX files (gzipped or not) or a Keras-style ``mnist.npz``. With neither set, the
10,000-digit test split comes from the copy shipped inside gankit (``gankit/assets/mnist``,
1.6 MB, CC BY-SA 3.0: see its README), and the 60,000-digit training split from
``keras.datasets.mnist.load_data()``, which downloads (and caches) it.

>>> from gankit.data import mnist, scale_images
>>> images, labels = mnist("test")            # the shipped copy: no download
>>> images.shape, images.dtype, labels.shape
((10000, 28, 28), dtype('uint8'), (10000,))
>>> float(scale_images(images).min())
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
# The test split shipped with the package: lessons and panels work offline out of the box.
SHIPPED = Path(__file__).resolve().parents[1] / "assets" / "mnist"

_HOW_TO = (
    "To provide MNIST, either (1) pass mnist(split, path=DIR) or set the environment "
    f"variable {ENV_VAR}=DIR, where DIR holds the IDX files "
    "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz (gzipped or not) or a Keras-style mnist.npz "
    "(x_train, y_train, x_test, y_test); or (2) go online once so "
    "keras.datasets.mnist.load_data() can download and cache it. The test split, "
    'mnist("test"), is shipped with gankit and needs neither.'
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


def _from_keras(split: str, dataset: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    import keras

    try:
        train, test = getattr(keras.datasets, dataset).load_data()
    except Exception as exc:  # offline, proxy, corrupt cache: all end the same way
        how = (
            _HOW_TO
            if dataset == "mnist"
            else (
                "Go online once: Keras downloads the files and keeps them in its cache folder "
                "(~/.keras/datasets, or $KERAS_HOME/datasets)."
            )
        )
        raise MNISTUnavailableError(
            f"Could not download {dataset} with keras.datasets.{dataset}.load_data() ({exc}). {how}"
        ) from exc
    images, labels = train if split == "train" else test
    return np.asarray(images, np.uint8), np.asarray(labels, np.uint8)


def fashion_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Zalando, MIT licence) ``(images uint8 (N, 28, 28), labels uint8 (N,))``.

    Ten kinds of clothing in MNIST's format, through ``keras.datasets.fashion_mnist``: a
    download the first time, Keras' cache folder after that (offline then). Train a GAN
    on it with ``gk.MNISTTrainer(data=gk.data.images(fashion_mnist("test")[0]))``.
    The example downloads the first time, so doctest skips it (tests/test_images.py runs
    Keras' own loader on local files instead):

    >>> images, labels = fashion_mnist("test")  # doctest: +SKIP
    """
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    return _from_keras(split, "fashion_mnist")


def mnist(
    split: str = "train", path: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``(images uint8 (N, 28, 28), labels uint8 (N,))`` for ``split`` "train" or "test".

    Looks in ``path`` (a directory, or an ``mnist.npz`` file), else in the directory named
    by ``GANKIT_MNIST_DIR``, else takes the test split from the copy shipped with gankit
    and downloads the training split with Keras. A directory you name must hold the
    split; a missing split there raises :class:`MNISTUnavailableError` rather than
    silently downloading.

    >>> images, labels = mnist("test", path=SHIPPED)
    >>> labels[:5].tolist()
    [7, 2, 1, 0, 4]
    """
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    if path is not None and not isinstance(path, str | os.PathLike):
        raise _checks.ArgumentTypeError(f"path must be a directory or .npz file name, got {path!r}")
    where = path if path is not None else os.environ.get(ENV_VAR) or None
    if where is None:
        return _from_directory(SHIPPED, split) if split == "test" else _from_keras(split)
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
