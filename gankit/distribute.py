"""Data-parallel GAN training over every local device, through Keras' own distribution API.

Data parallelism copies both networks to every device and splits each batch between them;
the gradients are averaged, so a run on 4 devices takes the same steps as a run on one
(up to float rounding). Keras does the work: build the models and call ``fit()`` inside
:func:`data_parallel_scope` and the variables are replicated and the batches sharded.

The batch size must be a multiple of the number of devices (each gets an equal slice).

Several hosts (a TPU pod, GPU nodes): start the same script on every host and call
:func:`initialize_multihost` first, before anything touches JAX. It wraps
``keras.distribution.initialize``, which calls ``jax.distributed.initialize``: give the
coordinator's ``host:port``, the number of processes and this process's id (or set
``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
``KERAS_DISTRIBUTION_PROCESS_ID``). :func:`data_parallel` then spans every device of
every host, and each host feeds its own share of the data.

To try it on a laptop, emulate devices on the CPU: set
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` before JAX starts.

>>> import gankit as gk
>>> with gk.distribute.data_parallel_scope() as dist:
...     g, d = gk.image_models.build_pair("mlp")
>>> dist.device_mesh.shape[0] == gk.distribute.device_count()
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import jax
import keras

from gankit import _checks


def device_count() -> int:
    """How many devices JAX can use (all hosts' devices after :func:`initialize_multihost`)."""
    return jax.device_count()


def describe_devices() -> str:
    """A short human description of the devices in use, e.g. ``"4 x cpu"`` or ``"1 x H100"``.

    >>> import gankit as gk
    >>> "x" in gk.distribute.describe_devices()
    True
    """
    devices = jax.devices()
    kinds: dict[str, int] = {}
    for device in devices:
        kind = getattr(device, "device_kind", device.platform) or device.platform
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{n} x {kind}" for kind, n in kinds.items())


def data_parallel(devices: Sequence[str] | None = None) -> keras.distribution.DataParallel:
    """A Keras ``DataParallel`` distribution over ``devices`` (default: every device).

    ``devices`` are Keras device names such as ``"cpu:0"`` (see
    ``keras.distribution.list_devices()``).
    """
    if devices is not None:
        available = keras.distribution.list_devices()
        devices = list(devices)
        unknown = [d for d in devices if d not in available]
        if not devices or unknown:
            raise ValueError(
                f"devices must be a non-empty list of these device names: {available}; "
                f"got {devices!r}"
            )
    return keras.distribution.DataParallel(devices=devices)


@contextlib.contextmanager
def data_parallel_scope(
    devices: Sequence[str] | None = None,
) -> Iterator[keras.distribution.DataParallel]:
    """Build the models and train them inside this block to run data-parallel.

    Yields the distribution (its ``device_mesh`` says which devices take part).
    """
    distribution = data_parallel(devices)
    with distribution.scope():
        yield distribution


def check_batch_size(batch_size: int, devices: int | None = None) -> int:
    """``batch_size`` if it splits evenly over ``devices`` (default: every device).

    >>> check_batch_size(128, devices=4)
    128
    """
    batch_size = _checks.count("batch_size", batch_size)
    n = device_count() if devices is None else _checks.count("devices", devices)
    if batch_size % n:
        raise ValueError(
            f"batch_size must be a multiple of the number of devices ({n}) for data-parallel "
            f"training, got {batch_size}"
        )
    return batch_size


def initialize_multihost(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """Join a multi-host run (call it first on every host, before any JAX computation).

    ``coordinator_address`` is ``"host:port"`` of process 0. With all three left None,
    the values come from the ``KERAS_DISTRIBUTION_*`` environment variables or, on cloud
    TPUs, from the TPU environment.
    """
    if num_processes is not None:
        num_processes = _checks.count("num_processes", num_processes)
    if process_id is not None:
        process_id = _checks.count("process_id", process_id, 0)
        if num_processes is not None and process_id >= num_processes:
            raise ValueError(
                f"process_id must be in [0, num_processes={num_processes}), got {process_id}"
            )
    keras.distribution.initialize(coordinator_address, num_processes, process_id)
