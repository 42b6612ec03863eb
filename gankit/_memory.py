"""Memory that compiling used, handed back to the system after each compile.

XLA compiles on the CPU with a few hundred MB of scratch memory that it frees at the
end, but glibc's allocator keeps freed memory in its arenas: a kernel that compiled a
GAN's training program once stays about 250 MB larger for good, and a lesson that
builds a few GANs passes 1 GiB (Binder and many JupyterHubs allow 1-2 GB). After every
backend compile gankit asks glibc to return its free memory (``malloc_trim(0)``, a few
milliseconds beside a compile's tenths of seconds). Elsewhere (no glibc) nothing changes.

A GAN's programs leave gankit's cache of compiled structures when newer ones push them
out (:mod:`gankit.gan.programs`), but JAX's Python-side caches of traces (weakly keyed on
functions, yet about 13 MB a GAN structure stays in them, mostly ``trace_to_jaxpr``'s)
keep their memory; :func:`release` empties those caches. Compiled programs still in use
keep their code in their own (C++) caches and run without a new trace; only a call JAX
has not seen before traces again. Besides the cache's evictions, a kernel that has grown
by :data:`GROWTH_MIB` since the last release releases before its next new program
(:func:`release_if_grown`): a lesson that builds a handful of large GANs (lesson 08: six
MNIST GANs, 1.1 GiB without it) never fills the cache, yet its traces hold hundreds of MB.

>>> import gankit as gk
>>> gk._memory.installed() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import ctypes.util

import jax

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

_trim = None


def _libc_trim():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: musl, macOS, Windows
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def _after(event: str, duration: float, **kwargs) -> None:
    if event == COMPILE_EVENT and _trim is not None:
        _trim(0)


#: A release is due once the process has grown this much (MiB) since the last one.
GROWTH_MIB = 192.0

_mark: float | None = None  # resident memory after the last release (or at the first look)


def rss_mib() -> float | None:
    """This process's resident memory in MiB (Linux's /proc), or None where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def release() -> None:
    """Hand back the memory of programs nothing uses any more (see the module's note)."""
    import gc

    from jax._src import util

    global _mark
    clear = getattr(util, "clear_all_caches", None)  # private: absent in other JAX
    if clear is not None:
        clear()
    gc.collect()
    if _trim is not None:
        _trim(0)
    _mark = rss_mib()


def release_if_grown() -> bool:
    """:func:`release` if the process grew by :data:`GROWTH_MIB` since the last one; True
    if it did. The first call only takes the measure."""
    global _mark
    now = rss_mib()
    if now is None:
        return False
    if _mark is None or now < _mark:
        _mark = now
        return False
    if now - _mark < GROWTH_MIB:
        return False
    release()
    return True


def install() -> bool:
    """Listen for JAX's backend compiles (once); True where glibc can trim."""
    global _trim
    if _trim is None:
        _trim = _libc_trim()
        if _trim is not None:
            jax.monitoring.register_event_duration_secs_listener(_after)
    return _trim is not None


def installed() -> bool:
    """Whether freed memory is handed back after each compile."""
    return _trim is not None
