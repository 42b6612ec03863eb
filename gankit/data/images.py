"""Your own images for a GAN: an array, a folder of PNG / JPEG files, or an ``.npz``.

Everything comes back the way the image models and :class:`gankit.MNISTTrainer` take it:
float32 ``(N, H, W, C)`` in [-1, 1] (the range of a ``tanh`` generator), ``C`` 1 or 3.
Files are decoded by Pillow, never by hand.

>>> import numpy as np
>>> from gankit.data import images
>>> x = images(np.arange(2 * 8 * 8).reshape(2, 8, 8) % 17, value_range=(0, 16))
>>> x.shape, x.dtype, float(x.min()), float(x.max())
((2, 8, 8, 1), dtype('float32'), -1.0, 1.0)
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from gankit import _checks

#: Image files a folder may hold (case-insensitive).
SUFFIXES = (".png", ".jpg", ".jpeg")
#: Array names an ``.npz`` is searched for when it holds more than one array.
NPZ_KEYS = ("images", "x", "x_train", "x_test")
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


def _size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, str | bytes) or not hasattr(size, "__len__") or len(size) != 2:
        raise ValueError(f"size must be (height, width), two whole numbers, got {size!r}")
    return _checks.count("size[0]", size[0]), _checks.count("size[1]", size[1])


def _value_range(value_range: Any, dtype: np.dtype) -> tuple[float, float]:
    if value_range is None:
        return (0.0, 255.0) if dtype == np.uint8 else (0.0, 1.0)
    if isinstance(value_range, str) or not hasattr(value_range, "__len__") or len(value_range) != 2:
        raise ValueError(f"value_range must be (low, high), got {value_range!r}")
    low = _checks.finite("value_range[0]", value_range[0])
    high = _checks.finite("value_range[1]", value_range[1])
    if not low < high:
        raise ValueError(f"value_range must have low < high, got {value_range!r}")
    return low, high


def _from_folder(folder: Path, size: tuple[int, int] | None, channels: int | None) -> np.ndarray:
    try:
        from PIL import Image, UnidentifiedImageError
    except ModuleNotFoundError:  # pragma: no cover - Pillow is a dependency
        raise ModuleNotFoundError("reading image files needs Pillow: pip install pillow") from None
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if not files:
        raise ValueError(f"source: {folder} holds no {', '.join(SUFFIXES)} files")
    opened = []
    for path in files:
        try:
            with Image.open(path) as image:
                image.load()
                opened.append((path, image.copy()))
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"source: {path} cannot be read as an image ({exc})") from None
    if channels is None:
        channels = 1 if all(image.mode in _GREY_MODES for _, image in opened) else 3
    want = size or (opened[0][1].height, opened[0][1].width)
    arrays = []
    for path, image in opened:
        image = image.convert("L" if channels == 1 else "RGB")
        if (image.height, image.width) != want:
            if size is None:
                raise ValueError(
                    f"source: {path.name} is {image.height}x{image.width}, "
                    f"{files[0].name} is {want[0]}x{want[1]}; pass size=(height, width) "
                    "to scale them all to one size"
                )
            image = image.resize((want[1], want[0]), Image.Resampling.LANCZOS)
        arrays.append(np.asarray(image, np.uint8).reshape(want[0], want[1], channels))
    return np.stack(arrays)


def _from_npz(path: Path, key: str | None) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if key is None:
                key = (
                    names[0] if len(names) == 1 else next((k for k in NPZ_KEYS if k in names), None)
                )
                if key is None:
                    raise ValueError(
                        f"source: {path} holds {names}; pass key= one of them "
                        f"(looked for {', '.join(NPZ_KEYS)})"
                    )
            elif key not in names:
                raise ValueError(f"key must be one of {names} (the arrays in {path}), got {key!r}")
            return archive[key]
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"source: {path} cannot be read as an .npz archive ({exc})") from None


def images(
    source: Any,
    *,
    value_range: tuple[float, float] | None = None,
    size: tuple[int, int] | None = None,
    channels: int | None = None,
    key: str | None = None,
) -> np.ndarray:
    """Images ``(N, H, W, C)`` float32 in [-1, 1] from an array, a folder or an ``.npz`` file.

    ``source``: an array ``(N, H, W)`` or ``(N, H, W, C)`` with C 1 or 3; a folder of
    PNG / JPEG files (read in name order; ``size=(H, W)`` scales them to one size, else
    all must match); or an ``.npz`` holding such an array (``key`` names it when there
    are several). ``value_range`` is what black and white are in the source: by default
    (0, 255) for uint8 (every image file) and (0, 1) for floats; values outside it are
    refused. ``channels`` 1 or 3 converts (a folder of colour files read as grey, say);
    by default a folder of grey files gives 1 and anything else 3.

    >>> images(np.full((1, 4, 4, 3), 255, np.uint8))[0, 0, 0].tolist()
    [1.0, 1.0, 1.0]
    """
    size = _size(size)
    if channels is not None:
        channels = _checks.count("channels", channels, 1, 3)
        if channels == 2:
            raise ValueError("channels must be 1 (grey) or 3 (RGB), got 2")
    if key is not None and not isinstance(key, str):
        raise _checks.ArgumentTypeError(f"key must be a string naming an array, got {key!r}")
    if isinstance(source, str | os.PathLike):
        path = Path(source).expanduser()
        if path.is_dir():
            array = _from_folder(path, size, channels)
        elif path.is_file() and path.suffix.lower() == ".npz":
            array = _from_npz(path, key)
        elif path.is_file():
            raise ValueError(
                f"source must be a folder of images or an .npz file, got the file {path}"
            )
        else:
            raise FileNotFoundError(f"source: no folder or file {path}")
    else:
        array = np.asarray(source)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise ValueError(f"source must hold numbers (pixel values), got dtype {array.dtype}")
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or min(array.shape) < 1:
        raise ValueError(
            f"source must be images (N, H, W) or (N, H, W, C) with C 1 or 3, got shape {array.shape}"
        )
    low, high = _value_range(value_range, array.dtype)
    values = array.astype(np.float32)
    if not np.all(np.isfinite(values)):
        raise ValueError("source must be finite (no NaN or inf)")
    found = float(values.min()), float(values.max())
    if found[0] < low or found[1] > high:
        raise ValueError(
            f"source has values in [{found[0]:g}, {found[1]:g}], outside value_range "
            f"({low:g}, {high:g}); pass value_range=(low, high) for what black and white are"
        )
    if size is not None and tuple(values.shape[1:3]) != size:
        raise ValueError(
            f"size={size} rescales image files only; the array's images are {values.shape[1:3]}"
        )
    if channels is not None and values.shape[-1] != channels:
        if channels == 1:  # ITU-R 601 luma, as Pillow's "L" conversion
            values = values @ np.array([0.299, 0.587, 0.114], np.float32)[:, None]
        else:
            values = np.repeat(values, 3, axis=-1)
    return ((values - low) / (high - low) * 2.0 - 1.0).astype(np.float32)
