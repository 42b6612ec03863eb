"""Checkpoints of a GAN: all or nothing, both ways.

A checkpoint is Keras' ``.weights.h5`` file plus a tag saying what the GAN that wrote it
was built of (loss, regularisers, scheme, optimizers, EMA, the shapes of every part of
its state). Loading compares the tag before it writes anything, and puts every variable
back if Keras' own load still fails; saving writes a temporary file and renames it, so a
crash mid-save never leaves half a file under the real name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import jax
import numpy as np

from gankit import _checks
from gankit._interrupt import Deferred

SUFFIX = ".weights.h5"
_TAG = "gankit_gan"


def tag(gan: Any) -> dict:
    """What a checkpoint must match: everything about a GAN but its numbers and values."""
    state = gan.get_state()
    shapes = {k: [list(np.shape(a)) for a in jax.tree.leaves(v)] for k, v in state.items()}
    return {
        "loss": gan.loss,
        "reg": [type(r).__name__ for r in gan.regs],
        "scheme": gan.scheme_name,
        "scheme_options": dict(sorted(dict(gan.scheme.options).items())),
        "numbers": list(gan.number_names),
        "g_optimizer": type(gan.g_optimizer).__name__,
        "d_optimizer": type(gan.d_optimizer).__name__,
        "ema": gan.ema_decay is not None,
        "weight_clip": gan.weight_clip is not None,
        "noise": gan.noise,
        "shapes": shapes,
    }


def _path(path: Any) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise _checks.ArgumentTypeError(f"path must be a file name (str or Path), got {path!r}")
    if not str(path).endswith(SUFFIX):
        raise ValueError(f"path must end with {SUFFIX}, got {str(path)!r}")
    return Path(path).expanduser()


def save(gan: Any, path: Any) -> Path:
    """Write ``gan``'s whole run to ``path`` (a ``*.weights.h5`` file), atomically."""
    target = _path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot save {str(target)!r}: no directory {str(target.parent)!r}")
    temporary = target.with_name(f".{target.name[: -len(SUFFIX)]}.{os.getpid()}.partial{SUFFIX}")
    try:
        gan.save_weights(str(temporary))
        with h5py.File(temporary, "a") as fh:
            fh.attrs[_TAG] = json.dumps(tag(gan), sort_keys=True)
        with Deferred():
            os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()
    return target


def _saved_tag(target: Path) -> dict | None:
    """The tag in a checkpoint file (None for files saved before tags), or a clear error."""
    if not target.is_file():
        raise FileNotFoundError(f"no checkpoint file {str(target)!r}")
    try:
        with h5py.File(target, "r") as fh:
            raw = fh.attrs.get(_TAG)
    except OSError as exc:
        raise ValueError(
            f"{str(target)!r} is not a readable checkpoint (an HDF5 {SUFFIX} file): {exc}"
        ) from None
    return None if raw is None else json.loads(raw)


def load(gan: Any, path: Any) -> None:
    """Load a checkpoint into ``gan``; on any failure ``gan`` is left exactly as it was."""
    target = _path(path)
    saved = _saved_tag(target)
    if saved is not None:
        mine = tag(gan)
        differ = [k for k in mine if saved.get(k) != mine[k]]
        if set(differ) - {"numbers", "shapes"}:  # the cause, not its consequences
            differ = [k for k in differ if k not in ("numbers", "shapes")]
        if differ:
            said = "; ".join(f"{k}: file {saved.get(k)!r}, this GAN {mine[k]!r}" for k in differ)
            raise ValueError(
                f"{str(target)!r} was saved by a differently built GAN ({said}); "
                "build the GAN as it was saved"
            )
    with Deferred():
        before = gan.get_state()
        metrics = [v.value for v in gan.metrics_variables]
        try:
            gan.load_weights(str(target))
        except Exception as exc:  # noqa: BLE001  (whatever Keras or h5py says, undo it)
            gan.set_state(before)
            for variable, value in zip(gan.metrics_variables, metrics, strict=True):
                variable.assign(value)
            raise ValueError(f"{str(target)!r} does not fit this GAN: {exc}") from exc
