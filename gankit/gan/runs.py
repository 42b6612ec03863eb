"""Independent runs of one GAN, trained together with ``vmap`` (seeds, sweeps)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gankit import _checks
from gankit.gan.checks import (
    LEARNING_RATES,
    blank_after_halt,
    check_number,
    check_samples,
    chunk_length,
    guarded_call,
    run_chunked,
)


class Runs:
    """Independent runs of one GAN (built by :meth:`GAN.runs`), trained together by ``vmap``.

    ``state`` is the GAN's state with a leading run axis. Nothing recompiles between
    calls with the same ``steps`` and ``batch_size``.
    """

    def __init__(self, gan: Any, state: dict, seeds: Sequence[int]) -> None:
        self.gan, self._state, self.seeds = gan, state, list(seeds)
        self._last_call: tuple | None = None  # the call that led to the state now

    @property
    def state(self) -> dict:
        """Every run's state, with a leading run axis."""
        return self._state

    @state.setter
    def state(self, value: dict) -> None:
        self._state, self._last_call = value, None

    def __len__(self) -> int:
        return len(self.seeds)

    def train(self, data: Any, steps: int = 1, batch_size: int = 256) -> np.ndarray:
        """``steps`` updates of every run; per-run, per-step losses ``(runs, steps, 2)``.

        As :meth:`GAN.train_steps`: a run whose step goes wrong stops at its last good
        state; long calls go in chunks that Ctrl-C can stop between.
        """
        data = check_samples(data, self.gan.sample_shape)
        steps = _checks.count("steps", steps)
        _checks.size_limit("train", (len(self), steps, 2), hint="train in several calls")
        batch_size = _checks.count("batch_size", batch_size)
        data = jnp.asarray(data)
        longest = chunk_length(self.gan.step_work, batch_size, len(self))
        return run_chunked(
            steps, longest, lambda n: self._train_call(data, n, longest, batch_size), 1
        )

    def _train_call(self, data: jax.Array, steps: int, length: int, batch_size: int) -> np.ndarray:
        fn, start = self.gan.programs.get("runs"), self._state

        def call(state: dict, guard: bool, previous: dict | None) -> tuple:
            state, previous, losses = in_chunks(
                lambda part: fn(part[0], data, steps, batch_size, "both", guard, part[1], length),
                (state, previous),
            )
            return state, previous, losses[:, :steps]

        state, _, out = guarded_call(
            call,
            start,
            lambda state: bool(np.any(np.asarray(state["halted"]) >= 0)),
            halted=bool(np.any(self.halted_at >= 0)),
            last=self._last_call,
        )
        self._state, self._last_call = state, (start, call)
        return blank_after_halt(out, start["step"], state)

    def sample(self, n: int, seed: int = 0, *, ema: bool | None = None) -> np.ndarray:
        """``n`` samples of every run ``(runs, n, ...)``, all from the same noise."""
        n = _checks.count("n", n)
        _checks.size_limit(f"sample(n={n})", (len(self), n) + self.gan.sample_shape)
        use_ema = bool(self.state["ema"]) if ema is None else bool(ema)
        if use_ema and not self.state["ema"]:
            raise ValueError("ema=True needs a GAN built with ema=<decay>")
        params = self.state["ema"] if use_ema else self.state["g"]
        fn = self.gan.programs.get("runs_sample")
        return np.asarray(fn(params, self.state["gn"], jax.random.PRNGKey(int(seed)), n))

    @property
    def steps(self) -> np.ndarray:
        """Updates applied so far, per run."""
        return np.asarray(self.state["step"])

    @property
    def halted_at(self) -> np.ndarray:
        """Per run: the step that went non-finite (the run stopped there), or -1."""
        return np.asarray(self.state["halted"])

    def set_numbers(self, **numbers: Any) -> None:
        """Change traced numbers (learning rates, penalty weights) of every run, mid-training.

        Same forms as :meth:`GAN.runs`: one number for all runs or one per run. Nothing
        recompiles: a learning-rate schedule is a few calls of this between ``train`` calls.
        """
        self.state = with_run_numbers(self.gan, self.state, len(self), numbers)

    def run_state(self, i: int) -> dict:
        """Run ``i``'s state, for :meth:`GAN.set_state` (to look at one run closely)."""
        return jax.tree.map(lambda a: a[i], self.state)


def cpu_chunks(n: int) -> int:
    """How many groups to split ``n`` vmapped runs into: one per CPU core, groups equal.

    XLA's CPU runtime keeps about one core busy with a batch of small matrix products;
    equal groups on separate threads keep every core busy (16 toy runs on 2 cores:
    1.65x the run-steps/s of one call). Accelerators get one call.
    """
    if jax.default_backend() != "cpu":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(k for k in range(1, min(cores or 1, n) + 1) if n % k == 0)


def in_chunks(fn: Any, state: Any) -> tuple:
    """``fn(state)`` for a state with a leading run axis, as equal groups on parallel threads."""
    n = len(jax.tree.leaves(state)[0])
    k = cpu_chunks(n)
    if k == 1:
        return fn(state)
    m = n // k
    parts = [jax.tree.map(lambda a, i=i: a[i * m : (i + 1) * m], state) for i in range(k)]
    with ThreadPoolExecutor(k) as pool:  # XLA releases the GIL while it computes
        results = list(pool.map(lambda part: jax.block_until_ready(fn(part)), parts))
    return jax.tree.map(lambda *xs: jnp.concatenate(xs), *results)


def with_run_numbers(gan: Any, batched: dict, n: int, numbers: dict) -> dict:
    """``batched`` (a state with a leading run axis) with ``numbers`` set, one value per run."""
    gan._check_names(numbers)
    batched = {**batched, "go": list(batched["go"]), "do": list(batched["do"])}
    for key, value in numbers.items():
        arr = np.asarray(value, np.float64)
        arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
        if arr.shape != (n,):
            raise ValueError(f"{key} must be a number or {n} numbers (one per run), got {value!r}")
        checked = jnp.asarray([check_number(key, v) for v in arr], jnp.float32)
        if key in LEARNING_RATES:
            player = LEARNING_RATES.index(key)
            batched[("go", "do")[player]][gan.spec.lr_index[player]] = checked
        else:
            i = gan.spec.number_names.index(key)
            batched["numbers"] = batched["numbers"].at[:, i].set(checked)
    return batched
