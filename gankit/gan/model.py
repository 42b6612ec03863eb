"""``gk.GAN``: the thin ``keras.Model`` around the engine (fit, saving, config).

It builds a :class:`~gankit.gan.spec.Spec` and the variables that hold the state, then
hands every computation to the pure functions of :mod:`gankit.gan.step` through the
shared programs of :mod:`gankit.gan.programs`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from gankit import _checks, compiles, losses, schemes, steppers
from gankit._interrupt import Deferred
from gankit.gan import checkpoints
from gankit.gan import step as _step
from gankit.gan.checks import (
    LEARNING_RATES,
    blank_after_halt,
    check_number,
    check_samples,
    chunk_length,
    guarded_call,
    run_chunked,
    work_per_sample,
)
from gankit.gan.fitting import HaltOnNonFinite, LossMean, batches
from gankit.gan.layout import Layout, fresh_weights
from gankit.gan.pair import PairOptimizer, as_optimizer, from_stepper, reg_config, reg_from_config
from gankit.gan.programs import Programs
from gankit.gan.runs import Runs, with_run_numbers
from gankit.gan.spec import Spec
from gankit.layers import jit
from gankit.models import NOISES

GAN_SCHEMES = schemes.SCHEMES
"""Scheme names :class:`GAN` accepts (all of the core's)."""


class _Recent:
    """What the last training calls left, for a guarded redo to go back to."""

    last_call: tuple | None = None  # the training call that led to the state now
    fit_before: tuple | None = None  # in fit(): Keras' state before the current step


@keras.saving.register_keras_serializable(package="gankit")
class GAN(keras.Model):
    """A GAN as a ``keras.Model``: ``fit()`` on real samples, ``sample()`` new ones.

    ``loss`` is one of :data:`gankit.losses.LOSSES`; ``reg`` None or records of
    :mod:`gankit.reg`; ``scheme`` a name of :data:`gankit.schemes.SCHEMES` (options
    ``d_steps``, ``g_steps``, ``gamma``, ``lam``) or a ready scheme (its optimizers are
    rebuilt from their configs). Each player has its own Keras optimizer (default
    ``Adam(1e-3, beta_1=0.5)``): different learning rates are TTUR; ``clipnorm``,
    ``clipvalue`` and ``global_clipnorm`` work as in Keras. ``ema`` (a decay such as
    0.999) keeps an average of the generator's weights that :meth:`sample` uses.
    ``weight_clip`` clips the discriminator's weights to ``[-c, c]`` after every update
    (the original WGAN). ``noise`` is ``"gaussian"`` or ``"uniform"``.

    A step whose losses or weights are not finite (or beyond ``1e8`` for a loss, ``1e6`` for
    a weight, where the next steps would overflow) is not applied, and the run goes back one more step to a state
    whose own step was sound: :attr:`halted_at` names the first step dropped, the model
    keeps step ``halted_at - 1``, and ``fit()`` ends with a
    :class:`~gankit.gan.NonFiniteLossWarning`. :meth:`clear_halt` lets it go on from
    there (say, after lowering a learning rate).

    >>> import gankit as gk, keras
    >>> gan = gk.GAN(gk.models.mlp_generator(), gk.models.mlp_discriminator(),
    ...              loss="hinge", reg=gk.reg.R1(1.0), scheme="alternating", d_steps=2,
    ...              g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(4e-4))
    >>> history = gan.fit(gk.data.toy("ring8", 1024), batch_size=256, epochs=1, verbose=0)
    >>> int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)
    (8, 4)
    >>> gan.sample(3, seed=0).shape
    (3, 2)
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        loss: str = "nsgan",
        reg: Any = None,
        scheme: str | schemes.Scheme = "simultaneous",
        g_optimizer: Any = None,
        d_optimizer: Any = None,
        d_steps: int | None = None,
        g_steps: int | None = None,
        gamma: float | None = None,
        lam: float | None = None,
        noise: str = "gaussian",
        ema: float | None = None,
        weight_clip: float | None = None,
        scheme_options: dict | None = None,
        seed: int = 0,
        name: str = "gan",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        for label, model in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(model, keras.Model):
                raise ValueError(f"{label} must be a keras.Model, got {model!r}")
            if not model.built:
                raise ValueError(f"{label} must be built (give it an Input), got {model!r}")
        self.generator = generator
        self.discriminator = discriminator
        g_out, d_in = generator.output_shape, discriminator.input_shape
        if tuple(g_out[1:]) != tuple(d_in[1:]):
            raise ValueError(
                f"generator output shape {g_out} does not match discriminator input {d_in}"
            )
        self.noise_dim = int(generator.input_shape[-1])
        self.sample_shape = tuple(int(s) for s in g_out[1:])
        self.loss = losses.check_loss(loss)
        self.regs = losses.check_reg(reg, self.loss)
        self.noise = _checks.choice("noise", noise, NOISES)
        self.seed = _checks.seed("seed", seed)
        kind, options, extras, g_optimizer, d_optimizer = self._scheme_parts(
            scheme, g_optimizer, d_optimizer, d_steps, g_steps, gamma, lam, scheme_options
        )
        self.g_optimizer = as_optimizer(g_optimizer, "g_optimizer")
        self.d_optimizer = as_optimizer(d_optimizer, "d_optimizer")
        if self.g_optimizer is self.d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be two optimizer objects")
        self.scheme = schemes.make(kind, (self.g_optimizer, self.d_optimizer), **options, **extras)
        self.scheme_name = kind
        self.scheme_options = options | extras
        self.ema_decay = None if ema is None else check_number("ema", ema)
        self.weight_clip = (
            None if weight_clip is None else _checks.positive("weight_clip", weight_clip)
        )
        self._build_state()
        self.compile()
        self.built = True

    @staticmethod
    def _scheme_parts(
        scheme, g_optimizer, d_optimizer, d_steps, g_steps, gamma, lam, scheme_options
    ) -> tuple:
        """``(kind, options, extra numbers, g_optimizer, d_optimizer)`` from the arguments."""
        if isinstance(scheme, schemes.Scheme):
            named = [
                k
                for k, v in zip(
                    ("d_steps", "g_steps", "gamma", "lam", "scheme_options"),
                    (d_steps, g_steps, gamma, lam, scheme_options),
                    strict=True,
                )
                if v is not None
            ]
            if named:
                raise ValueError(f"give {', '.join(named)} inside the scheme, not beside it")
            if g_optimizer is not None or d_optimizer is not None:
                raise ValueError(
                    "give the optimizers either inside scheme or as g_optimizer/d_optimizer"
                )
            g_optimizer, d_optimizer = (from_stepper(s) for s in scheme.steppers)
            if isinstance(scheme.steppers[0], steppers.PlainStep):
                g_optimizer.learning_rate = scheme.player_hyper(0)["learning_rate"]
                d_optimizer.learning_rate = scheme.player_hyper(1)["learning_rate"]
            extras = {k: scheme.hyper[k] for k in scheme.extra}
            return scheme.kind, dict(scheme.options), extras, g_optimizer, d_optimizer
        kind = _checks.choice("scheme", scheme, GAN_SCHEMES)
        given = {"d_steps": d_steps, "g_steps": g_steps, "gamma": gamma, "lam": lam}
        takes = {"alternating": ("d_steps", "g_steps"), "consensus": ("gamma",), "sga": ("lam",)}
        for key, value in given.items():
            if value is not None and key not in takes.get(kind, ()):
                owner = next(k for k, v in takes.items() if key in v)
                raise ValueError(f"{key} is a number of scheme={owner!r}; scheme={kind!r} has none")
        options, extras = {}, {}
        if kind == "alternating":
            options = {k: 1 if given[k] is None else given[k] for k in ("d_steps", "g_steps")}
        if kind == "consensus":
            extras["gamma"] = 1.0 if gamma is None else gamma
        if kind == "sga":
            extras["lam"] = 1.0 if lam is None else lam
        if scheme_options is not None:
            if not isinstance(scheme_options, dict):
                raise _checks.ArgumentTypeError(
                    f"scheme_options must be a dict of the scheme's options, got {scheme_options!r}"
                )
            clash = set(scheme_options) & (set(options) | set(extras))
            if clash:
                raise ValueError(f"give {sorted(clash)} once (as keywords or in scheme_options)")
            try:
                schemes.make(kind, 0.1, **scheme_options)  # its options, checked by name
            except TypeError as error:
                raise ValueError(
                    f"scheme_options {scheme_options!r} for {kind!r}: {error}"
                ) from None
            options = options | dict(scheme_options)
        return kind, options, extras, g_optimizer, d_optimizer

    def _build_state(self) -> None:
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        for label, opt, variables in (
            ("g_optimizer", self.g_optimizer, g_vars),
            ("d_optimizer", self.d_optimizer, d_vars),
        ):
            if opt.built:
                raise ValueError(f"{label} is already built for other weights; pass a fresh one")
            opt.build(variables)
        self.pair = PairOptimizer(self.g_optimizer, self.d_optimizer)
        g0, d0 = [v.value for v in g_vars], [v.value for v in d_vars]
        self.scheme.prepare(g0, d0)
        optimizers = (self.g_optimizer, self.d_optimizer)
        self.spec = spec = Spec(
            self.generator,
            self.discriminator,
            loss=self.loss,
            regs=self.regs,
            noise=self.noise,
            scheme=self.scheme,
            optimizers=optimizers,
            ema=self.ema_decay,
            weight_clip=self.weight_clip,
        )
        for p, (opt, params) in enumerate(zip(optimizers, (g0, d0), strict=True)):
            mine = steppers.without_lr(opt.variables, spec.lr_index[p])
            theirs = self.scheme.steppers[p].init(params)
            if [tuple(v.shape) for v in mine] != [tuple(a.shape) for a in theirs]:
                raise ValueError(f"optimizer {opt!r} keeps a state gankit cannot thread")
        self.number_names = spec.number_names

        def var(value: Any, dtype: str, name: str) -> keras.Variable:
            return keras.Variable(np.asarray(value), dtype=dtype, trainable=False, name=name)

        self.rng = var(np.asarray(jax.random.PRNGKey(self.seed)), "uint32", "rng")
        self.step_counter = var(0, "int32", "step")
        self.halt_counter = var(-1, "int32", "halted_at")
        self.numbers = var(spec.defaults, "float32", "numbers")
        self.ema_weights = (
            [var(np.asarray(v), "float32", f"ema_{i}") for i, v in enumerate(g0)]
            if spec.has_ema
            else []
        )
        self.extra_state = [
            var(np.zeros(shape, dtype), str(dtype), f"extra_{i}")
            for i, (shape, dtype) in enumerate(spec.memory_shapes)
        ]
        self.d_loss_tracker = LossMean(name="d_loss")
        self.g_loss_tracker = LossMean(name="g_loss")
        self.programs = Programs(spec, self, optimizers)
        self._gk_layout: Layout | None = None
        self._recent = _Recent()  # outside Keras' tracking: it would wrap the states

    @functools.cached_property
    def step_work(self) -> int:
        """Multiply-adds per sample of both networks' forward passes (sizes the chunks of
        long training calls, see :func:`~gankit.gan.checks.chunk_length`)."""
        return sum(work_per_sample(m) for m in (self.generator, self.discriminator))

    @property
    def layout(self) -> Layout:
        """Where the state's parts sit among the variables (built on first use)."""
        if self._gk_layout is None:
            self._gk_layout = Layout(self)
        return self._gk_layout

    # -- Keras ------------------------------------------------------------------------
    def make_train_function(self, force: bool = False) -> None:
        """Keras' jitted ``train_step``, shared by identically built GANs (compiled once)."""
        if self.train_function is not None and not force:
            return
        plain = (
            self.run_eagerly
            or not self.jit_compile
            or keras.distribution.distribution() is not None
            or keras.config.is_nnx_enabled()
        )
        if plain:
            super().make_train_function(force)
            return
        # The states before a step are kept (nothing donated) for a guarded redo, which
        # goes back to the state before this one if this one's losses overflow.
        progs = self.programs
        fast = progs.shared(
            ("fit", False), lambda: jit(functools.partial(self.train_step, guard=False))
        )
        guarded = progs.shared(("fit", True), lambda: jit(self.train_step))
        where = self.layout.halt_index

        def step(state: tuple, data: Any) -> tuple:
            before = self._recent.fit_before if self._recent.fit_before is not None else state
            logs, new = fast(state, data)
            if int(new[1][where]) >= 0:
                logs, new = guarded(state, data, previous=before)
            self._recent.fit_before = state
            return logs, new

        # Keras' own wrapper that loops steps_per_execution steps (no public handle).
        self.train_function = self._make_function(step)

    def compile(self, **kwargs: Any) -> None:
        """Keras' compile with this GAN's optimizers (``jit_compile``, ``steps_per_execution``)."""
        for bad in ("optimizer", "loss", "metrics"):
            if bad in kwargs:
                raise ValueError(
                    f"GAN.compile does not take {bad!r}: set optimizers and loss in gk.GAN(...)"
                )
        super().compile(optimizer=self.pair, **kwargs)

    def compile_from_config(self, config: dict) -> None:
        """The GAN compiles itself on construction; nothing to restore."""

    def call(self, z: jax.Array, training: bool = False) -> jax.Array:
        """The generator on noise ``z``."""
        return self.generator(z, training=training)

    @property
    def metrics(self) -> list:
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(
        self, state: tuple, data: Any, guard: bool = True, previous: tuple | None = None
    ) -> tuple[dict, tuple]:
        """Keras' JAX train step: Keras' state lists to the state pytree, one step, back.

        ``previous`` (Keras' state before this one) is where a guarded step goes back to
        when this state's own losses are not finite.
        """
        compiles.traced("train")
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        lists = {"t": trainable, "n": non_trainable, "o": optimizer_vars}
        layout = self.layout
        before = None
        if previous is not None:
            before = layout.from_keras(dict(zip("tno", previous[:3], strict=True)))
        new, step_losses = _step.train_step(
            self.spec,
            layout.from_keras(lists),
            jnp.asarray(real, jnp.float32),
            guard=guard,
            previous=before,
        )
        out = layout.to_keras(new, lists)
        ok = jnp.all(jnp.isfinite(step_losses))
        logs, new_metrics, start = {}, [], 0
        for metric, value in zip(self.metrics, (step_losses[0], step_losses[1]), strict=True):
            mine = metrics_vars[start : start + len(metric.variables)]
            start += len(metric.variables)
            mine = metric.stateless_update_state(
                mine, jnp.where(ok, value, 0.0), sample_weight=ok.astype(jnp.float32)
            )
            logs[metric.name] = metric.stateless_result(mine)
            new_metrics += list(mine)
        return logs, (out["t"], out["n"], out["o"], new_metrics)

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        *,
        batch_size: int | None = None,
        epochs: int = 1,
        callbacks: Sequence | None = None,
        steps_per_epoch: int | None = None,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> keras.callbacks.History:
        """Keras ``fit`` on real samples ``x`` (an array: shuffled, fixed-size batches).

        An array ``x`` is cut into batches of exactly ``batch_size`` (default 256) rows,
        a fresh permutation per epoch, the ragged rest dropped: one compiled step. Any
        other input (a ``PyDataset``, a generator) goes to Keras unchanged. Training stops
        with a :class:`~gankit.gan.NonFiniteLossWarning` when a step goes non-finite.
        """
        if y is not None:
            raise ValueError("GAN.fit takes only real samples x (no targets y)")
        epochs = _checks.count("epochs", epochs)
        if steps_per_epoch is not None:
            steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch)
        if isinstance(x, np.ndarray | jax.Array | list):
            x = check_samples(x, self.sample_shape)
            size = 256 if batch_size is None else _checks.count("batch_size", batch_size)
            if size > len(x):
                raise ValueError(f"batch_size must be at most len(x) = {len(x)}, got {size}")
            per_epoch = len(x) // size
            steps_per_epoch = per_epoch if steps_per_epoch is None else steps_per_epoch
            x = batches(x, size, self.seed, self.step, shuffle)
            batch_size, shuffle = None, False
        cbs = list(callbacks or []) + [HaltOnNonFinite()]
        self._recent.last_call = self._recent.fit_before = None
        return super().fit(
            x,
            batch_size=batch_size,
            epochs=epochs,
            callbacks=cbs,
            steps_per_epoch=steps_per_epoch,
            shuffle=shuffle,
            **kwargs,
        )

    # -- readable state ----------------------------------------------------------------
    @property
    def step(self) -> int:
        """Updates applied so far (one per batch, whatever the scheme)."""
        return int(np.asarray(self.step_counter.value))

    @property
    def halted_at(self) -> int | None:
        """The first step dropped when training diverged (the model keeps the step
        before it), or None."""
        value = int(np.asarray(self.halt_counter.value))
        return None if value < 0 else value

    @property
    def halt_message(self) -> str | None:
        """A sentence saying where and why training stopped, or None."""
        at = self.halted_at
        if at is None:
            return None
        return (
            f"training stopped at step {at}: the losses or weights became non-finite "
            f"(or out of bounds); the model keeps its last good state (step {self.step})"
        )

    def clear_halt(self) -> None:
        """Let a run that went non-finite train again from its last good state (say, after
        lowering a learning rate with :meth:`set_numbers`)."""
        self.halt_counter.assign(np.int32(-1))
        self._recent.last_call = None

    @property
    def hyper(self) -> dict:
        """The numbers training reads each step, by the names :meth:`set_numbers` takes."""
        out = {}
        for name, opt in zip(LEARNING_RATES, (self.g_optimizer, self.d_optimizer), strict=True):
            # Keras' handle on its learning-rate variable is private; a schedule has none.
            if isinstance(opt._learning_rate, keras.Variable):
                out[name] = float(np.asarray(opt._learning_rate.value))
        values = np.asarray(self.numbers.value)
        out.update({k: float(v) for k, v in zip(self.number_names, values, strict=True)})
        return out

    def set_numbers(self, **numbers: float) -> None:
        """Change numbers mid-run (applies at the next step, never recompiles).

        Names are those of :attr:`hyper`, e.g. ``set_numbers(d_learning_rate=1e-3,
        R1_gamma=5.0)``.
        """
        self._check_names(numbers)
        values = np.asarray(self.numbers.value).copy()
        for key, value in numbers.items():
            checked = float(check_number(key, value))
            if key in LEARNING_RATES:
                opt = (self.g_optimizer, self.d_optimizer)[LEARNING_RATES.index(key)]
                opt.learning_rate = checked
            else:
                values[self.number_names.index(key)] = checked
        self.numbers.assign(values)
        self._recent.last_call = None  # a replay would use the old numbers

    def _check_names(self, numbers: dict) -> None:
        unknown = set(numbers) - set(self.hyper)
        if unknown:
            raise ValueError(f"unknown number(s) {sorted(unknown)}; allowed: {sorted(self.hyper)}")

    def get_state(self) -> dict:
        """The whole training state as a dict of arrays (a pytree)."""
        return self.layout.read()

    def set_state(self, state: dict) -> None:
        """Write a state from :meth:`get_state` (or a training call) back into the variables."""
        with Deferred():  # never half written
            self.layout.write(state)
        self._recent.last_call = None

    # -- k steps in one call, for panels and benchmarks ----------------------------------
    def train_steps(
        self, data: Any, steps: int = 1, batch_size: int = 256, *, mode: str = "both"
    ) -> np.ndarray:
        """Run ``steps`` updates in jitted calls; batches drawn (with replacement) from ``data``.

        ``mode`` is ``"both"`` (the scheme's update), ``"d"`` or ``"g"`` (one player's
        step of the scheme only: the panel's Step D / Step G). Returns the per-step losses
        ``(steps, 2)`` as ``[d_loss, g_loss]`` (NaN for steps not applied). Numbers
        changed with :meth:`set_numbers` apply at once and never recompile.

        Long runs go in chunks of :func:`~gankit.gan.checks.chunk_length` steps (about
        a second each): Ctrl-C stops at the end of a chunk with the model at that step,
        ready to go on, and then raises KeyboardInterrupt.
        """
        data = check_samples(data, self.sample_shape)
        steps = _checks.count("steps", steps)
        _checks.size_limit("train_steps", (steps, 2), hint="train in several calls")
        batch_size = _checks.count("batch_size", batch_size)
        mode = _checks.choice("mode", mode, ("both", "d", "g"))
        data = jnp.asarray(data)
        longest = chunk_length(self.step_work, batch_size)
        return run_chunked(
            steps, longest, lambda n: self._train_call(data, n, longest, batch_size, mode)
        )

    def _train_call(
        self, data: jax.Array, steps: int, length: int, batch_size: int, mode: str
    ) -> np.ndarray:
        """One compiled call of ``steps`` updates, guarded only if one goes wrong; one
        program (for ``length``, the longest call) serves every number of steps."""
        fn, start = self.programs.get("train"), self.get_state()

        def call(state: dict, guard: bool, previous: dict | None) -> tuple:
            state, previous, losses = fn(
                state,
                data,
                steps=steps,
                length=length,
                batch_size=batch_size,
                mode=mode,
                guard=guard,
                previous=previous,
            )
            return state, previous, losses[:steps]

        state, _, out = guarded_call(
            call,
            start,
            lambda state: int(state["halted"]) >= 0,
            halted=self.halted_at is not None,
            last=self._recent.last_call,
        )
        self.set_state(state)
        self._recent.last_call = (start, call)
        return blank_after_halt(out, start["step"], state)

    # -- many independent runs at once ---------------------------------------------------
    def fresh_state(self, seed: int) -> dict:
        """A new run's state: weights re-drawn from the layers' initializers with ``seed``,
        fresh optimizer state, step 0, RNG key from ``seed``; numbers as now."""
        seed = _checks.seed("seed", seed)
        state = self.get_state()
        g, gn = fresh_weights(self.generator, int(seed) * 2)
        d, dn = fresh_weights(self.discriminator, int(seed) * 2 + 1)
        sx = self.scheme.steppers[0].init(g)
        sy = self.scheme.steppers[1].init(d)
        go, do = self.spec.join_opt(state, sx, sy)
        state.update(g=g, gn=gn, d=d, dn=dn, go=go, do=do)
        state["rng"] = jnp.asarray(jax.random.PRNGKey(int(seed)))
        state["step"] = jnp.zeros((), jnp.int32)
        state["halted"] = jnp.full((), -1, jnp.int32)
        state["ema"] = list(g) if self.ema_weights else []
        state["extra"] = [jnp.zeros_like(e) for e in state["extra"]]
        return state

    def runs(self, seeds: Sequence[int], **numbers: Any) -> Runs:
        """Independent runs of this GAN, one per seed, trained together with ``vmap``.

        Keyword numbers (names of :attr:`hyper`) may be arrays with one value per run: a
        sweep in one compiled call.

        >>> import gankit as gk
        >>> gan = gk.GAN(gk.models.mlp_generator(), gk.models.mlp_discriminator())
        >>> runs = gan.runs(range(4), d_learning_rate=[1e-3, 2e-3, 1e-3, 2e-3])
        >>> runs.train(gk.data.toy("ring8", 512), steps=3, batch_size=64).shape
        (4, 3, 2)
        >>> runs.sample(10).shape
        (4, 10, 2)
        """
        if isinstance(seeds, str | bytes) or not hasattr(seeds, "__iter__"):
            raise _checks.ArgumentTypeError(f"seeds must be a sequence of integers, got {seeds!r}")
        seeds = [_checks.seed("seeds", s) for s in seeds]
        if not seeds:
            raise ValueError("seeds must hold at least one integer")
        self._check_names(numbers)  # before building every run's state
        states = [self.fresh_state(s) for s in seeds]
        batched = jax.tree.map(lambda *xs: jnp.stack(xs), *states)
        return Runs(self, with_run_numbers(self, batched, len(seeds), numbers), seeds)

    # -- using the networks ----------------------------------------------------------------
    def _d_arrays(self) -> tuple[list, list]:
        d = self.discriminator
        return [v.value for v in d.trainable_variables], [
            v.value for v in d.non_trainable_variables
        ]

    def _g_state(self) -> list:
        return [v.value for v in self.generator.non_trainable_variables]

    def loss_gradient(self, x: Any) -> np.ndarray:
        """``d g_loss / d x`` at points ``x``: where the generator's loss pushes a sample.

        A generated sample at ``x`` moves along ``-loss_gradient(x)`` (to first order), so
        drawing it over the plane shows what the discriminator teaches the generator.
        """
        x = check_samples(x, self.sample_shape)
        return np.asarray(self.programs.get("field")(*self._d_arrays(), jnp.asarray(x)))

    def generator_weights(self, ema: bool | None = None) -> list:
        """The generator's weights: the EMA average if kept (and ``ema`` is not False)."""
        use_ema = bool(self.ema_weights) if ema is None else bool(ema)
        if use_ema and not self.ema_weights:
            raise ValueError("ema=True needs a GAN built with ema=<decay>")
        source = self.ema_weights if use_ema else self.generator.trainable_variables
        return [v.value for v in source]

    def sample(self, n: int, seed: int = 0, *, ema: bool | None = None) -> np.ndarray:
        """``n`` generated samples (numpy), from noise drawn with ``seed``.

        Uses the EMA weights when the GAN keeps them (``ema=False`` for the live ones).
        """
        n = _checks.count("n", n)
        _checks.size_limit(f"sample(n={n})", (n,) + self.sample_shape, hint="ask for fewer")
        seed = _checks.seed("seed", seed)
        fn = self.programs.get("sample")
        key = jax.random.PRNGKey(int(seed))
        return np.asarray(fn(self.generator_weights(ema), self._g_state(), key, n=n))

    def transform(self, z: Any, *, ema: bool | None = None) -> np.ndarray:
        """The generator applied to given noise ``z`` ``(n, noise_dim)`` (the manifold view)."""
        z = _checks.float_array("z", z, f"noise of shape (n, {self.noise_dim})")
        if z.ndim != 2 or z.shape[1] != self.noise_dim or len(z) < 1:
            raise ValueError(f"z must have shape (n, {self.noise_dim}) with n >= 1, got {z.shape}")
        if not np.all(np.isfinite(z)):
            raise ValueError("z must be finite (no NaN or inf)")
        fn = self.programs.get("transform")
        return np.asarray(fn(self.generator_weights(ema), self._g_state(), jnp.asarray(z)))

    def discriminate(self, x: Any) -> np.ndarray:
        """The discriminator's logits on points ``x`` ``(n, ...)`` as ``(n,)``."""
        x = check_samples(x, self.sample_shape)
        return np.asarray(self.programs.get("discriminate")(*self._d_arrays(), jnp.asarray(x)))

    # -- checkpoints and config --------------------------------------------------------------
    def save_checkpoint(self, path: str) -> None:
        """Save the whole run (weights, both optimizers, step, RNG, EMA) to ``*.weights.h5``.

        Resuming with :meth:`load_checkpoint` on an identically built GAN continues
        exactly where the saved run was. The file appears whole or not at all (written
        under a temporary name, then renamed).
        """
        checkpoints.save(self, path)

    def load_checkpoint(self, path: str) -> None:
        """Load a run saved by :meth:`save_checkpoint` into this (identically built) GAN.

        All or nothing: a file saved by a differently built GAN (loss, regularisers,
        scheme, optimizers, EMA, shapes) is refused before anything is written, and a
        load that still fails leaves every variable as it was.
        """
        checkpoints.load(self, path)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "loss": self.loss,
            "reg": [reg_config(r) for r in self.regs],
            "scheme": self.scheme_name,
            "scheme_options": dict(self.scheme_options),
            "noise": self.noise,
            "ema": self.ema_decay,
            "weight_clip": self.weight_clip,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> GAN:
        config = dict(config)
        options = dict(config.pop("scheme_options", {}))
        keywords = (
            "d_steps",
            "g_steps",
            "gamma",
            "lam",
        )  # the GAN's own keywords, where they belong
        own = config.get("scheme") in ("alternating", "consensus", "sga")
        named = {k: options.pop(k) for k in keywords if own and k in options}
        if options:  # a scheme's own options and numbers (lookahead's base, k, alpha, ...)
            named["scheme_options"] = options
        options = named
        return cls(
            keras.saving.deserialize_keras_object(config.pop("generator")),
            keras.saving.deserialize_keras_object(config.pop("discriminator")),
            g_optimizer=keras.optimizers.deserialize(config.pop("g_optimizer")),
            d_optimizer=keras.optimizers.deserialize(config.pop("d_optimizer")),
            reg=[reg_from_config(c) for c in config.pop("reg", [])] or None,
            **options,
            **config,
        )
