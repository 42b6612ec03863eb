"""Compiled programs kept between kernels: GANKIT_CACHE_DIR names the folder, "0" turns
the cache off, and a program loaded from it computes what a fresh compile computes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gankit as gk

PROGRAM = """
import json, sys
import jax, numpy as np
import gankit as gk
traj = gk.simulate(gk.games.DiracGAN("wgan"), gk.schemes.competitive(0.3), steps=20)
print(json.dumps({"dir": str(gk.cache_dir()), "jax": jax.config.jax_compilation_cache_dir,
                  "end": np.asarray(traj[-1]).tolist()}))
"""


def run(cache: str) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION")}
    env["GANKIT_CACHE_DIR"] = cache
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cache_keeps_programs_in_its_folder_and_they_compute_the_same(tmp_path: Path):
    folder = tmp_path / "compiled"
    cold = run(str(folder))
    assert cold["dir"] == str(folder) and cold["jax"] == str(folder)
    files = sorted(p.name for p in folder.iterdir())
    assert files, "nothing was written to the cache"
    warm = run(str(folder))  # a second kernel: the program comes from the folder
    assert warm["end"] == cold["end"]
    assert sorted(p.name for p in folder.iterdir()) == files  # loaded, not compiled again


def test_zero_turns_the_cache_off():
    off = run("0")
    assert off["dir"] == "None" and off["jax"] in (None, "None", "")


def test_the_default_folder_is_the_users_cache(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert gk._cache.default_dir() == tmp_path / "gankit" / "jax"


def test_zero_turns_off_a_cache_set_up_before_gankit(tmp_path: Path):
    import json

    env = dict(os.environ, GANKIT_CACHE_DIR="0", JAX_COMPILATION_CACHE_DIR=str(tmp_path))
    code = "import json, jax, gankit as gk; print(json.dumps([str(gk.cache_dir()), jax.config.jax_compilation_cache_dir]))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["None", None]
