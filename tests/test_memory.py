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
