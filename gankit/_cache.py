"""Compiled programs kept on disk between kernels: JAX's persistent compilation cache.

A fresh kernel spends seconds compiling the first programs of a panel; with the cache
the second kernel (a restarted lesson, the next lesson, a Binder session warmed at build
time) loads them instead. ``GANKIT_CACHE_DIR`` names the folder (default: the user's
cache folder, ``$XDG_CACHE_HOME/gankit/jax`` or ``~/.cache/gankit/jax``); ``"0"`` turns
the cache off, even one set up before. Without ``GANKIT_CACHE_DIR``, a folder chosen
before gankit is imported (``JAX_COMPILATION_CACHE_DIR``, or ``jax.config``) is kept with
its settings. The folder is not trimmed (JAX's own default): delete it at any time. Set
it before anything compiles: JAX decides once per process.

>>> import gankit as gk
>>> gk.cache_dir() is None or gk.cache_dir().is_dir()
True
"""

from __future__ import annotations

import os
from pathlib import Path

OFF = ("0", "off", "false", "no")

MIN_COMPILE_SECONDS = 0.05
"""Programs that compile faster than this are not worth a file (JAX's own default: 1 s)."""


def default_dir() -> Path:
    """The user's cache folder for gankit's compiled programs."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gankit" / "jax"


def configure() -> Path | None:
    """Point JAX's persistent compilation cache at ``GANKIT_CACHE_DIR`` (or the default);
    returns the folder in use, or None when the cache is off."""
    import jax

    setting = os.environ.get("GANKIT_CACHE_DIR", "").strip()
    already = jax.config.jax_compilation_cache_dir
    if setting.lower() in OFF:
        if already:
            jax.config.update("jax_compilation_cache_dir", None)
        return None
    if already and not setting:
        return Path(already)
    folder = Path(setting).expanduser() if setting else default_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: run without the cache rather than fail to import
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    return folder


_FOLDER = configure()


def cache_dir() -> Path | None:
    """The folder where compiled programs are kept, or None when the cache is off."""
    return _FOLDER
