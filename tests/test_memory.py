"""Each compile's scratch memory is handed back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import pytest

from gankit import _memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_every_backend_compile_is_followed_by_a_trim(monkeypatch):
    assert _memory.installed()
    v = jnp.arange(17.0).block_until_ready()
    calls = []
    monkeypatch.setattr(_memory, "_trim", lambda pad: calls.append(pad) or 1)
    jax.jit(lambda v: jnp.sin(v) * 3.0 + 0.123456)(v).block_until_ready()
    assert calls == [0]  # one new program, one trim
    jax.jit(lambda v: v + 1)  # traced or compiled nothing: no trim
    assert calls == [0]


def _rss_mib() -> float:
    return _memory.rss_mib()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_gan_structures_pushed_out_of_the_cache_give_their_memory_back(monkeypatch):
    """A student trying network sizes one after another: the kernel stops growing once
    the cache of compiled structures is full (it grew about 13 MB a structure for good),
    and a GAN still in use runs on without tracing again."""
    import gankit as gk
    from gankit.gan import programs

    monkeypatch.setattr(programs, "_SHARED_MAX", 2)
    x = gk.data.toy("ring8", 256)

    def gan(units: int) -> gk.GAN:
        g = gk.models.mlp_generator(noise_dim=2, layers=1, units=units)
        return gk.GAN(g, gk.models.mlp_discriminator(layers=1, units=units))

    kept = gan(3)
    kept.train_steps(x, steps=2, batch_size=16)
    released = []
    real = _memory.release
    monkeypatch.setattr(_memory, "release", lambda: released.append(1) or real())
    sizes = []
    for units in range(40, 46):
        gan(units).train_steps(x, steps=2, batch_size=16)
        sizes.append(_rss_mib())
    assert released, "full cache, yet nothing was released"
    grew = sizes[-1] - sizes[2]
    assert grew < 20, f"the kernel grew {grew:.0f} MiB over 3 structures pushed out"
    before = gk.compile_count("train")
    kept.train_steps(x, steps=3, batch_size=16)
    assert gk.compile_count("train") == before


def test_a_kernel_that_grew_gives_back_before_its_next_program(monkeypatch):
    """A lesson of a few large GANs never fills the cache of structures; once the kernel
    has grown by GROWTH_MIB since the last release, the next new program releases first."""
    readings = iter([500.0, 520.0, 500.0 + _memory.GROWTH_MIB + 1, 480.0, 490.0])
    monkeypatch.setattr(_memory, "rss_mib", lambda: next(readings))
    monkeypatch.setattr(_memory, "_mark", None)
    released = []
    monkeypatch.setattr(_memory, "release", lambda: released.append(1))
    assert not _memory.release_if_grown()  # the first look takes the measure
    assert not _memory.release_if_grown()  # 20 MiB more: nothing to do
    assert _memory.release_if_grown() and released == [1]  # grown past the bar: released
    monkeypatch.setattr(_memory, "_mark", 600.0)
    assert not _memory.release_if_grown()  # smaller than the mark: a new mark, no release
    assert _memory._mark == 480.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_new_gan_program_in_a_grown_kernel_releases(monkeypatch):
    import gankit as gk

    monkeypatch.setattr(_memory, "_mark", (_memory.rss_mib() or 0.0) - 10 * _memory.GROWTH_MIB)
    released = []
    real = _memory.release
    monkeypatch.setattr(_memory, "release", lambda: released.append(1) or real())
    g = gk.models.mlp_generator(noise_dim=2, layers=1, units=5)
    gk.GAN(g, gk.models.mlp_discriminator(layers=1, units=5)).sample(4)
    assert released == [1]
