"""Data-parallel training over 4 emulated CPU devices takes the same steps as one device.

JAX fixes its device count when it starts, so the 4-device run happens in a subprocess
started with ``XLA_FLAGS=--xla_force_host_platform_device_count=4``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import gankit as gk

SCRIPT = textwrap.dedent(
    """
    import contextlib, json, sys
    import gankit as gk
    import gankit.data
    import jax, keras, numpy as np

    images, _ = gk.data.mnist("test", sys.argv[1])
    x = gk.data.scale_images(images[:256])[..., None]

    def run(parallel):
        keras.utils.set_random_seed(0)
        scope = gk.distribute.data_parallel_scope() if parallel else contextlib.nullcontext()
        with scope as dist:
            g, d = gk.image_models.build_pair("upsample", width=4)  # convs and BatchNorm
            gan = gk.GAN(g, d, seed=3,
                         g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                         d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
            history = gan.fit(x, batch_size=32, epochs=2, steps_per_epoch=3, verbose=0)
        mesh = len(g.weights[0].value.sharding.device_set)
        return history.history, [np.asarray(w) for w in g.weights + d.weights], mesh, dist

    one, w_one, mesh_one, _ = run(False)
    four, w_four, mesh_four, dist = run(True)
    print(json.dumps({
        "devices": jax.device_count(),
        "mesh": list(dist.device_mesh.shape),
        "replicas": mesh_four,
        "one": one, "four": four,
        "max_weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(w_one, w_four)),
    }))
    """
)


def test_four_devices_match_one(mnist_dir):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    env["KERAS_BACKEND"] = "jax"
    env["JAX_PLATFORMS"] = "cpu"  # emulated CPU devices, also where a GPU is present
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(mnist_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 4
    assert result["mesh"] == [4] and result["replicas"] == 4  # weights live on all 4
    for name in ("d_loss", "g_loss"):
        for a, b in zip(result["one"][name], result["four"][name], strict=True):
            assert abs(a - b) < 1e-4 * max(1.0, abs(a)), (name, a, b)
    # Adam moves a weight by at most its learning rate a step (1e-3 x 6 steps here) however
    # small the gradient, so a near-zero gradient entry summed in another order on four
    # devices can move its weight differently: allow 5% of the most a weight can move.
    assert result["max_weight_diff"] < 0.05 * 1e-3 * 6
    # Training moved the weights (the comparison is not between two untrained nets).
    assert result["one"]["d_loss"][0] != result["one"]["d_loss"][1]


def test_batch_size_must_split_over_devices():
    assert gk.distribute.check_batch_size(128, devices=4) == 128
    with pytest.raises(ValueError, match="batch_size must be a multiple of the number of devices"):
        gk.distribute.check_batch_size(130, devices=4)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        gk.distribute.check_batch_size(0)


def test_unknown_devices_are_refused():
    with pytest.raises(ValueError, match="devices must be a non-empty list of these device names"):
        gk.distribute.data_parallel(["tpu:7"])
    with pytest.raises(ValueError, match="process_id must be in"):
        gk.distribute.initialize_multihost("localhost:1234", num_processes=2, process_id=2)


def test_describe_devices_names_the_platform():
    text = gk.distribute.describe_devices()
    assert "x" in text and text.split(" x ")[0].isdigit()
