"""Bad input raises ValueError naming the parameter and what is allowed."""

import os
import subprocess
import sys

import numpy as np
import pytest

import gankit as gk

BILINEAR = gk.games.Bilinear()


@pytest.mark.parametrize("rate", [0.0, -0.1, float("nan"), float("inf"), "fast", True])
def test_bad_learning_rates(rate):
    with pytest.raises(ValueError, match="learning rate|learning_rate"):
        gk.schemes.simultaneous(rate)
    with pytest.raises(ValueError, match="learning_rate"):
        gk.simulate(BILINEAR, gk.schemes.simultaneous(0.1), steps=5, learning_rate=rate)


def test_bad_rates_in_optimizers():
    with pytest.raises(ValueError, match="learning_rate"):
        gk.optimizers.HeavyBall(-1.0, 0.5)
    with pytest.raises(ValueError, match="momentum"):
        gk.optimizers.HeavyBall(0.1, 1.5)
    with pytest.raises(ValueError, match="schedule.*'constant'"):
        gk.optimizers.Subgradient(0.1, schedule="cosine")
    with pytest.raises(ValueError, match="momentum"):
        gk.simulate(
            BILINEAR, gk.optimizers.HeavyBall(0.1, 0.5), steps=5, momentum=np.array([0.1, 2.0])
        )


@pytest.mark.parametrize("steps", [0, -3, 2.5, "10", None])
def test_bad_steps(steps):
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        gk.simulate(BILINEAR, 0.1, steps=steps)


def test_unknown_names():
    with pytest.raises(ValueError, match="loss must be one of 'gan', 'nsgan', 'wgan', 'hinge'"):
        gk.games.DiracGAN("lsgan2")
    with pytest.raises(ValueError, match="scheme must be one of 'simultaneous'"):
        gk.schemes.make("leapfrog", 0.1)
    with pytest.raises(ValueError, match="reg must be None, or one or more of"):
        gk.games.DiracGAN("gan", reg="r1")
    with pytest.raises(ValueError, match=r"unknown number\(s\) \['beta_1'\].*allowed"):
        gk.simulate(BILINEAR, 0.1, steps=5, beta_1=0.5)
    with pytest.raises(ValueError, match="opt must be a positive learning rate"):
        gk.schemes.extragradient("adam")
    with pytest.raises(ValueError, match="pair"):
        gk.schemes.simultaneous((0.1, 0.2, 0.3))


@pytest.mark.parametrize("start", [(1.0,), (1.0, 2.0, 3.0), [[1.0], [2.0]], 1.0, (np.nan, 0.0)])
def test_bad_starts(start):
    with pytest.raises(ValueError, match="start must"):
        gk.simulate(BILINEAR, 0.1, steps=5, start=start)


def test_bad_scheme_options():
    with pytest.raises(ValueError, match="d_steps must be an integer >= 1"):
        gk.schemes.alternating(0.1, d_steps=0)
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0"):
        gk.schemes.consensus(0.1, gamma=-1.0)
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0"):
        gk.reg.R1(-2.0)
    with pytest.raises(ValueError, match="game must be a gankit game"):
        gk.simulate("bilinear", 0.1)
    with pytest.raises(ValueError, match="point must be 2 finite numbers"):
        gk.analysis.jacobian(BILINEAR, [0.0])
    with pytest.raises(ValueError, match="A must be a symmetric positive definite"):
        gk.surfaces.Quadratic([[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="do not broadcast"):
        gk.simulate(BILINEAR, 0.1, steps=5, start=np.zeros((3, 2)), learning_rate=[0.1, 0.2])


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"} | env
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=120
    )


def test_import_selects_jax_backend_when_unset():
    done = _python("import gankit, keras; print(keras.backend.backend())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "jax"


def test_import_after_keras_with_another_backend_says_how_to_fix():
    done = _python("import keras\nimport gankit", KERAS_BACKEND="numpy")
    assert done.returncode != 0
    assert "already imported with the 'numpy' backend" in done.stderr
    assert "KERAS_BACKEND" in done.stderr and "restart the kernel" in done.stderr


def test_import_with_another_backend_requested_says_how_to_fix():
    done = _python("import gankit", KERAS_BACKEND="torch")
    assert done.returncode != 0
    assert "KERAS_BACKEND is set to 'torch'" in done.stderr
