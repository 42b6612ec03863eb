"""``gk.GAN``: a ``keras.Model`` that trains a generator against a discriminator.

The two networks are the two players of a game; the *scheme* (any of
:mod:`gankit.schemes`) decides when and where each player's gradient is taken, and each
player's Keras optimizer (run through :mod:`gankit.steppers`, i.e. its own
``stateless_apply``) turns a gradient into a step. The same code that moves a point on the
Dirac-GAN trains the networks.

State. Everything a step changes lives in Keras variables: both networks' weights and
non-trainable state (BatchNorm statistics), both optimizers' variables (``iterations``,
Adam moments, learning rate), and the GAN's own counters: the RNG key, the step, the step
a run went non-finite at, the traced numbers (betas, penalty weights...), the generator's
weight average (``ema``) and the scheme's memory (optimistic's last gradient). ``fit()``
threads all of them through its jitted step: the optimizers are exposed together as
``self.optimizer`` (so Keras carries both; see keras issue 19358 for what goes wrong
otherwise), the rest are the model's non-trainable variables. Checkpoints therefore hold
the whole run, and resuming continues it exactly.

Randomness. Each step splits the stored key; each gradient evaluation inside a step
folds in its own counter, so alternating ``d_steps`` and extragradient's look-ahead draw
fresh noise, while ``simultaneous`` evaluates both players on the same fakes. The real
batch is shared by the gradient evaluations of one step.

>>> import gankit as gk
>>> gan = gk.GAN(gk.models.mlp_generator(), gk.models.mlp_discriminator(), loss="nsgan")
>>> losses = gan.train_steps(gk.data.toy("ring8", 512), steps=5, batch_size=64)
>>> losses.shape, int(gan.step)
((5, 2), 5)
"""

from __future__ import annotations

import copy
import functools
import json
import os
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from gankit import _checks, compiles, losses, schemes
from gankit import reg as _reg
from gankit.layers import jit
from gankit.models import NOISES, sample_noise
from gankit.steppers import KerasStep, PlainStep

Array = jax.Array

GAN_SCHEMES = schemes.SCHEMES
"""Scheme names :class:`GAN` accepts (all of the core's)."""

# Compiled programs shared by identically built GANs. A program's trace reads only the
# structure of the GAN that built it (layers, loss, scheme, which numbers exist), never a
# weight or a number (those are arguments), so every GAN with the same structure can run
# it: a second GAN, a Reset of a panel or a test fixture does not compile again.
_SHARED: OrderedDict = OrderedDict()
_SHARED_MAX = 64


def _model_signature(model: keras.Model) -> tuple | None:
    """What a model computes, as a hashable key; None when its config cannot say.

    Only Sequential and Functional models made of Keras' (or gankit's) own layers are
    described by their config; any other model (a subclass with its own ``call``, a
    ``Lambda`` layer) keeps programs of its own.
    """
    if not isinstance(model, keras.Sequential) and type(model).__name__ != "Functional":
        return None
    for layer in model._flatten_layers(include_self=False):
        module = type(layer).__module__
        if isinstance(layer, keras.layers.Lambda) or not module.startswith(("keras.", "gankit.")):
            return None
    try:
        config = model.get_config()
        if isinstance(model, keras.Sequential):
            config = _unnamed(config)
        config = json.dumps(config, sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001  (a config that cannot be written: no sharing)
        return None
    shapes = tuple((tuple(v.shape), str(v.dtype), bool(v.trainable)) for v in model.variables)
    return (type(model).__qualname__, config, shapes)


def _unnamed(config: dict) -> dict:
    """A Sequential's config without its own and its layers' names (which compute nothing;
    Keras numbers auto-named layers, so two identical models differ only there)."""
    out = {k: v for k, v in config.items() if k != "name"}
    layers = []
    for entry in config.get("layers", []):
        entry = dict(entry)
        inner = dict(entry.get("config", {}))
        if entry.get("class_name") == "Sequential":
            inner = _unnamed(inner)
        else:
            inner.pop("name", None)
        entry["config"] = inner
        layers.append(entry)
    out["layers"] = layers
    return out


def _unguarded_first(run: Any, failed: Any, halted: bool = False) -> Any:
    """``run(False)``, redone as ``run(True)`` from the same start if ``failed`` says a step
    went non-finite.

    Unguarded steps skip a select over the whole state; the guarded redo stops at the last
    finite state, so the result is always what guarded steps give. A run already halted
    goes guarded at once (it must stay put).
    """
    if halted:
        return run(True)
    result = run(False)
    return run(True) if failed(result) else result


class NonFiniteLossWarning(RuntimeWarning):
    """Training stopped: a step produced a non-finite loss or weight."""


# ------------------------------------------------------------------------------------
# Both optimizers as one `self.optimizer`, so fit() threads their state.
# ------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="gankit")
class PairOptimizer(keras.optimizers.Optimizer):
    """The generator's and the discriminator's optimizers, seen by Keras as one.

    Keras' JAX ``fit()`` carries ``model.optimizer.variables`` through its jitted step;
    this container's ``variables`` are both players' (generator first), so both advance.
    It never applies gradients itself: :class:`GAN` does, through the scheme.
    """

    def __init__(
        self,
        g_optimizer: keras.optimizers.Optimizer,
        d_optimizer: keras.optimizers.Optimizer,
        name: str = "gan_optimizers",
        **kwargs: Any,
    ) -> None:
        kwargs.pop("learning_rate", None)
        super().__init__(learning_rate=1.0, name=name, **kwargs)
        self.g_optimizer = keras.optimizers.get(g_optimizer)
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.built = True

    @property
    def variables(self) -> list:
        return list(self.g_optimizer.variables) + list(self.d_optimizer.variables)

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("PairOptimizer does not step; gk.GAN steps each player")

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise NotImplementedError("PairOptimizer does not step; gk.GAN steps each player")

    def finalize_variable_values(self, var_list) -> None:
        """Nothing to finalize (no optimizer-level EMA)."""

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> PairOptimizer:
        return cls(
            keras.optimizers.deserialize(config["g_optimizer"]),
            keras.optimizers.deserialize(config["d_optimizer"]),
            name=config.get("name", "gan_optimizers"),
        )


# ------------------------------------------------------------------------------------
# A game over network weights, for one batch: what the schemes need.
# ------------------------------------------------------------------------------------


class BatchGame:
    """The GAN game on one batch: x = generator weights, y = discriminator weights.

    It speaks the scheme protocol of :mod:`gankit.schemes` (``field``, ``field_x``,
    ``field_y``, each ``(x, y, key) -> (gradients, aux)``, and ``advance``), so every
    scheme drives networks unchanged. ``aux`` holds the losses and the networks' updated
    non-trainable state (BatchNorm statistics); nothing is changed in place. The
    discriminator's gradient is taken at the generator's fakes *as functions of x*: a
    scheme that differentiates the field (consensus, SGA) sees how the generator's
    weights move the discriminator's gradient.
    """

    def __init__(self, gan: GAN, real: Array, g_state: list, d_state: list, regs: tuple) -> None:
        self.gan, self.real, self.regs = gan, real, regs
        self.g_state, self.d_state = g_state, d_state

    def advance(self, aux: dict) -> BatchGame:
        new = copy.copy(self)
        new.g_state = aux.get("g_state", self.g_state)
        new.d_state = aux.get("d_state", self.d_state)
        return new

    def draw(self, key: Array) -> tuple[Array, Array, Array]:
        """``(z, instance-noise key, penalty key)`` of one evaluation's ``key``."""
        k_z, k_noise, k_pen = jax.random.split(key, 3)
        gan = self.gan
        return sample_noise(k_z, self.real.shape[0], gan.noise_dim, gan.noise), k_noise, k_pen

    def fake(self, x: list, z: Array) -> tuple[Array, list]:
        return self.gan.generator.stateless_call(x, self.g_state, z, training=True)

    def d_loss_on(self, y: list, fake: Array, parts: tuple) -> tuple[Array, tuple]:
        """The discriminator's loss (with penalties) at ``y`` against the fakes ``fake``."""
        gan, regs = self.gan, self.regs
        _, k_noise, k_pen = parts
        real_in, fake_in = losses.noise_inputs(regs, self.real, fake, k_noise)
        d = gan.discriminator
        real_logits, d_state = d.stateless_call(y, self.d_state, real_in, training=True)
        fake_logits, d_state = d.stateless_call(y, d_state, fake_in, training=True)
        loss = losses.discriminator_loss(
            gan.loss, real_logits, fake_logits, losses.real_label(regs)
        )

        def d_fn(v: Array) -> Array:
            return d.stateless_call(y, d_state, v, training=True)[0]

        loss = loss + losses.penalty(regs, d_fn, real_in, fake_in, k_pen)
        return loss, (loss, d_state)

    def g_loss_on(self, fake: Array, y: list, parts: tuple) -> tuple[Array, Array]:
        """The generator's loss as a function of its fakes ``fake``, D at ``y``."""
        _, fake_in = losses.noise_inputs(self.regs, self.real, fake, parts[1])
        logits, _ = self.gan.discriminator.stateless_call(y, self.d_state, fake_in, training=True)
        loss = losses.generator_loss(self.gan.loss, logits)
        return loss, loss

    def field_y(self, x: list, y: list, key: Array) -> tuple[list, dict]:
        """The discriminator's gradient, with its loss and statistics."""
        parts = self.draw(key)
        fake, _ = self.fake(x, parts[0])
        grads, (loss, d_state) = jax.grad(self.d_loss_on, has_aux=True)(y, fake, parts)
        return grads, {"d_loss": loss, "d_state": d_state}

    def field_x(self, x: list, y: list, key: Array) -> tuple[list, dict]:
        """The generator's gradient, with its loss and statistics."""
        parts = self.draw(key)

        def objective(x: list) -> tuple[Array, tuple]:
            fake, g_state = self.fake(x, parts[0])
            return self.g_loss_on(fake, y, parts)[0], g_state

        (loss, g_state), grads = jax.value_and_grad(objective, has_aux=True)(x)
        return grads, {"g_loss": loss, "g_state": g_state}

    def field(self, x: list, y: list, key: Array) -> tuple[tuple, dict]:
        """Both players' gradients on one draw: one generator pass serves both.

        The same as ``field_x`` and ``field_y`` on one key, but the generator's forward
        pass is computed once, explicitly (XLA does not always merge the two copies: with
        BatchNorm in the generator they differ in form), and back-propagated once.
        """
        parts = self.draw(key)  # one key: both players see the same fakes
        fake, pull_back, g_state = jax.vjp(lambda x: self.fake(x, parts[0]), x, has_aux=True)
        grad_y, (d_loss, d_state) = jax.grad(self.d_loss_on, has_aux=True)(y, fake, parts)
        grad_fake, g_loss = jax.grad(self.g_loss_on, has_aux=True)(fake, y, parts)
        (grad_x,) = pull_back(grad_fake)
        aux = {"d_loss": d_loss, "d_state": d_state, "g_loss": g_loss, "g_state": g_state}
        return (grad_x, grad_y), aux


# ------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------


def _as_optimizer(opt: Any, name: str) -> keras.optimizers.Optimizer:
    if opt is None:
        return keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5)
    if isinstance(opt, keras.optimizers.Optimizer):
        return opt
    if isinstance(opt, int | float) and not isinstance(opt, bool):
        return keras.optimizers.SGD(learning_rate=_checks.positive(name, opt))
    raise ValueError(
        f"{name} must be a keras.optimizers.Optimizer, a positive learning rate or None; "
        f"got {opt!r}"
    )


def _from_stepper(step: Any) -> keras.optimizers.Optimizer:
    if isinstance(step, KerasStep):
        return step.cls.from_config(step.config)
    if isinstance(step, PlainStep):
        return keras.optimizers.SGD(learning_rate=0.01)
    raise ValueError(f"cannot build a Keras optimizer from {step!r}")


def _reg_config(r: Any) -> dict:
    return {"class": type(r).__name__, **{k: v for k, v in vars(r).items()}}


def _reg_from_config(c: dict) -> Any:
    classes = {cls.__name__: cls for cls in _reg.REGULARIZERS}
    c = dict(c)
    return classes[c.pop("class")](**c)


def _lr_index(opt: keras.optimizers.Optimizer) -> int | None:
    lr = getattr(opt, "_learning_rate", None)
    return next((i for i, v in enumerate(opt.variables) if v is lr), None)


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

    A step whose losses or weights are not finite is not applied: the run stops at its
    last finite state, :attr:`halted_at` names the step, and ``fit()`` ends with a
    :class:`NonFiniteLossWarning`. :meth:`clear_halt` lets it go on (say, after lowering
    a learning rate).

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
        d_steps: int = 1,
        g_steps: int = 1,
        gamma: float | None = None,
        lam: float | None = None,
        noise: str = "gaussian",
        ema: float | None = None,
        weight_clip: float | None = None,
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
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.seed = int(seed)

        # The scheme and each player's optimizer.
        extras = {}
        if isinstance(scheme, schemes.Scheme):
            if g_optimizer is not None or d_optimizer is not None:
                raise ValueError(
                    "give the optimizers either inside scheme or as g_optimizer/d_optimizer"
                )
            g_optimizer, d_optimizer = (_from_stepper(s) for s in scheme.steppers)
            if isinstance(scheme.steppers[0], PlainStep):
                g_optimizer.learning_rate = scheme.player_hyper(0)["learning_rate"]
                d_optimizer.learning_rate = scheme.player_hyper(1)["learning_rate"]
            options = dict(scheme.options)
            extras = {k: scheme.hyper[k] for k in scheme.extra}
            kind = scheme.kind
        else:
            kind = _checks.choice("scheme", scheme, GAN_SCHEMES)
            options = {"d_steps": d_steps, "g_steps": g_steps} if kind == "alternating" else {}
            if kind == "consensus":
                extras["gamma"] = 1.0 if gamma is None else gamma
            if kind == "sga":
                extras["lam"] = 1.0 if lam is None else lam
        self.g_optimizer = _as_optimizer(g_optimizer, "g_optimizer")
        self.d_optimizer = _as_optimizer(d_optimizer, "d_optimizer")
        if self.g_optimizer is self.d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be two optimizer objects")
        self.scheme = schemes.make(kind, (self.g_optimizer, self.d_optimizer), **options, **extras)
        self.scheme_name = kind
        self.scheme_options = options | extras

        self.ema_decay = None if ema is None else float(ema)
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema must be None or a decay in (0, 1), got {ema!r}")
        self.weight_clip = (
            None if weight_clip is None else _checks.positive("weight_clip", weight_clip)
        )

        self._build_state()
        self.compile()
        self.built = True

    # -- construction ----------------------------------------------------------------
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
        g0 = [v.value for v in g_vars]
        d0 = [v.value for v in d_vars]
        self.scheme.prepare(g0, d0)
        self._lr_index = (_lr_index(self.g_optimizer), _lr_index(self.d_optimizer))
        for p, (opt, params) in enumerate(((self.g_optimizer, g0), (self.d_optimizer, d0))):
            mine = [v for i, v in enumerate(opt.variables) if i != self._lr_index[p]]
            theirs = self.scheme.steppers[p].init(params)
            if [tuple(v.shape) for v in mine] != [tuple(a.shape) for a in theirs]:
                raise ValueError(f"optimizer {opt!r} keeps a state gankit cannot thread")

        # Traced numbers other than learning rates (those live in the optimizers).
        names, values = [], []
        for key, value in self.scheme.hyper.items():
            if key.endswith("learning_rate") and key.count(".") == 1:
                continue
            names.append(
                {"x": "g", "y": "d"}.get(key.split(".")[0], "") + "." + key.split(".")[-1]
                if "." in key
                else key
            )
            values.append(value)
        for r in self.regs:
            for field, value in vars(r).items():
                names.append(f"{type(r).__name__}.{field}")
                values.append(value)
        if self.ema_decay is not None:
            names.append("ema")
            values.append(self.ema_decay)
        if self.weight_clip is not None:
            names.append("weight_clip")
            values.append(self.weight_clip)
        self.number_names = tuple(names)
        self._hyper_keys = tuple(
            k for k in self.scheme.hyper if not (k.endswith("learning_rate") and k.count(".") == 1)
        )

        def var(value: Any, dtype: str, name: str) -> keras.Variable:
            return keras.Variable(np.asarray(value), dtype=dtype, trainable=False, name=name)

        self.rng = var(np.asarray(jax.random.PRNGKey(self.seed)), "uint32", "rng")
        self.step_counter = var(0, "int32", "step")
        self.halt_counter = var(-1, "int32", "halted_at")
        self.numbers = var(np.asarray(values, np.float32).reshape(-1), "float32", "numbers")
        self.ema_weights = (
            [var(np.asarray(v), "float32", f"ema_{i}") for i, v in enumerate(g0)]
            if self.ema_decay is not None
            else []
        )
        extra_shapes = jax.eval_shape(
            lambda: self.scheme.init_memory(schemes.Calls(_ShapeGame(), None), g0, d0)
        )
        self._extra_def = jax.tree.structure(extra_shapes)
        self.extra_state = [
            var(np.zeros(s.shape, s.dtype), str(s.dtype), f"extra_{i}")
            for i, s in enumerate(jax.tree.leaves(extra_shapes))
        ]
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self._layout_cache = None
        self._jit_cache: dict = {}

    def _signature(self) -> tuple | None:
        """Everything a compiled program of this GAN depends on; None: share nothing."""
        if "_signature_value" not in self.__dict__:
            g = _model_signature(self.generator)
            d = _model_signature(self.discriminator)
            value = None
            if g is not None and d is not None:
                scheme = self.scheme
                opt_shapes = tuple(
                    tuple((tuple(v.shape), str(v.dtype)) for v in opt.variables)
                    for opt in (self.g_optimizer, self.d_optimizer)
                )
                value = (
                    type(self),
                    g,
                    d,
                    self.loss,
                    self.noise,
                    tuple(jax.tree.structure(r) for r in self.regs),
                    self.scheme_name,
                    scheme.kind,
                    scheme.options,
                    scheme.steppers,
                    scheme.shared,
                    tuple(scheme.hyper),
                    self.number_names,
                    self._hyper_keys,
                    self._lr_index,
                    self._extra_def,
                    len(self.extra_state),
                    self.ema_decay is not None,
                    self.weight_clip is not None,
                    opt_shapes,
                )
            self.__dict__["_signature_value"] = value
        return self.__dict__["_signature_value"]

    def _shared(self, key: tuple, build: Any) -> Any:
        """The program ``key`` of this GAN's structure: reused if built, else ``build()``."""
        if key in self._jit_cache:
            return self._jit_cache[key]
        sig = self._signature()
        if sig is None:
            fn = build()
        else:
            full = (sig, key)
            if full in _SHARED:
                _SHARED.move_to_end(full)
                fn = _SHARED[full]
            else:
                fn = _SHARED[full] = build()
                while len(_SHARED) > _SHARED_MAX:
                    _SHARED.popitem(last=False)
        self._jit_cache[key] = fn
        return fn

    def make_train_function(self, force: bool = False) -> None:
        """Keras' jitted ``train_step``, shared by identically built GANs (compiled once)."""
        from keras.src.backend import config as _config
        from keras.src.distribution import distribution_lib

        if self.train_function is not None and not force:
            return
        plain = (
            self.run_eagerly
            or not self.jit_compile
            or distribution_lib.distribution() is not None
            or _config.is_nnx_enabled()
        )
        if plain:
            super().make_train_function(force)
            return
        # The state before a step is kept (nothing donated) for a guarded redo.
        fast = self._shared(
            ("fit", False), lambda: jit(functools.partial(self.train_step, guard=False))
        )
        guarded = self._shared(("fit", True), lambda: jit(self.train_step))
        where = self._halt_index()

        def step(state: tuple, data: Any) -> tuple:
            return _unguarded_first(
                lambda guard: (guarded if guard else fast)(state, data),
                lambda result: int(result[1][1][where]) >= 0,
            )

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

    def call(self, z: Array, training: bool = False) -> Array:
        """The generator on noise ``z``."""
        return self.generator(z, training=training)

    @property
    def metrics(self) -> list:
        return [self.d_loss_tracker, self.g_loss_tracker]

    # -- readable state --------------------------------------------------------------
    @property
    def step(self) -> int:
        """Updates applied so far (one per batch, whatever the scheme)."""
        return int(np.asarray(self.step_counter.value))

    @property
    def halted_at(self) -> int | None:
        """The step whose loss or weights went non-finite (training stopped), or None."""
        value = int(np.asarray(self.halt_counter.value))
        return None if value < 0 else value

    @property
    def halt_message(self) -> str | None:
        """A sentence saying where and why training stopped, or None."""
        at = self.halted_at
        if at is None:
            return None
        return (
            f"training stopped at step {at}: the losses or weights became non-finite; "
            f"the model keeps its last finite state (step {self.step})"
        )

    def clear_halt(self) -> None:
        """Let a run that went non-finite train again from its last finite state."""
        self.halt_counter.assign(np.int32(-1))

    @property
    def hyper(self) -> dict:
        """The numbers training reads each step: learning rates and the traced numbers."""
        out = {}
        for label, opt in (("g", self.g_optimizer), ("d", self.d_optimizer)):
            if isinstance(opt._learning_rate, keras.Variable):
                out[f"{label}.learning_rate"] = float(np.asarray(opt._learning_rate.value))
        values = np.asarray(self.numbers.value)
        out.update({k: float(v) for k, v in zip(self.number_names, values, strict=True)})
        return out

    def set_hyper(self, **numbers: float) -> None:
        """Change numbers mid-run (applies at the next step, never recompiles).

        Names are those of :attr:`hyper`, e.g. ``{"d.learning_rate": 1e-3, "R1.gamma": 5}``
        (pass them as ``**{...}``: the names contain dots).
        """
        self._check_names(numbers)
        values = np.asarray(self.numbers.value).copy()
        for key, value in numbers.items():
            checked = float(_check_number(key, value))
            if key.endswith(".learning_rate"):
                opt = self.g_optimizer if key[0] == "g" else self.d_optimizer
                opt.learning_rate = checked
            else:
                values[self.number_names.index(key)] = checked
        self.numbers.assign(values)

    def _check_names(self, numbers: dict) -> None:
        unknown = set(numbers) - set(self.hyper)
        if unknown:
            raise ValueError(f"unknown number(s) {sorted(unknown)}; allowed: {sorted(self.hyper)}")

    # -- the state as arrays ---------------------------------------------------------
    def _own(self) -> list:
        return [
            self.rng,
            self.step_counter,
            self.halt_counter,
            self.numbers,
            *self.ema_weights,
            *self.extra_state,
        ]

    def _groups(self) -> dict:
        g, d = self.generator, self.discriminator
        return {
            "g": g.trainable_variables,
            "gn": g.non_trainable_variables,
            "d": d.trainable_variables,
            "dn": d.non_trainable_variables,
            "go": self.g_optimizer.variables,
            "do": self.d_optimizer.variables,
            "own": self._own(),
        }

    def _layout(self) -> dict:
        """Where each group's variables sit in Keras' (trainable, non-trainable, optimizer)."""
        if self._layout_cache is None:
            lists = {
                "t": self.trainable_variables,
                "n": self.non_trainable_variables,
                "o": self.optimizer.variables,
            }
            where = {id(v): (k, i) for k, vs in lists.items() for i, v in enumerate(vs)}
            layout = {}
            for name, variables in self._groups().items():
                layout[name] = [where[id(v)] for v in variables]
            self._layout_cache = layout
        return self._layout_cache

    def _halt_index(self) -> int:
        """Where the halt counter sits in Keras' non-trainable variables."""
        kind, index = self._layout()["own"][2]
        assert kind == "n", "the halt counter is a non-trainable variable"
        return index

    def _pack(self, groups: dict) -> dict:
        own = groups["own"]
        n_ema = len(self.ema_weights)
        return {
            "g": list(groups["g"]),
            "gn": list(groups["gn"]),
            "d": list(groups["d"]),
            "dn": list(groups["dn"]),
            "go": list(groups["go"]),
            "do": list(groups["do"]),
            "rng": own[0],
            "step": own[1],
            "halted": own[2],
            "numbers": own[3],
            "ema": list(own[4 : 4 + n_ema]),
            "extra": list(own[4 + n_ema :]),
        }

    @staticmethod
    def _unpack(state: dict) -> dict:
        own = [
            state["rng"],
            state["step"],
            state["halted"],
            state["numbers"],
            *state["ema"],
            *state["extra"],
        ]
        return {k: state[k] for k in ("g", "gn", "d", "dn", "go", "do")} | {"own": own}

    def get_state(self) -> dict:
        """The whole training state as a dict of arrays (a pytree)."""
        return self._pack({k: [v.value for v in vs] for k, vs in self._groups().items()})

    def set_state(self, state: dict) -> None:
        """Write a state from :meth:`get_state` (or a training call) back into the variables."""
        for name, values in self._unpack(state).items():
            for variable, value in zip(self._groups()[name], values, strict=True):
                variable.assign(value)

    # -- one step, as a pure function ------------------------------------------------
    def _numbers(self, vector: Array) -> dict:
        return {k: vector[i] for i, k in enumerate(self.number_names)}

    def _scheme_at(self, state: dict, numbers: dict) -> schemes.Scheme:
        hyper = {}
        for key in self.scheme.hyper:
            if key in self._hyper_keys:
                prefix, _, base = key.rpartition(".")
                name = {"x": "g", "y": "d"}.get(prefix, prefix) + "." + base if prefix else key
                hyper[key] = numbers[name]
            else:
                player = 0 if key.startswith("x.") else 1
                opt_state = state["go" if player == 0 else "do"]
                hyper[key] = opt_state[self._lr_index[player]]
        scheme = copy.copy(self.scheme)
        scheme.hyper = hyper
        return scheme

    def _regs_at(self, numbers: dict) -> tuple:
        out = []
        for r in self.regs:
            leaves = [numbers[f"{type(r).__name__}.{f}"] for f in vars(r)]
            out.append(jax.tree.unflatten(jax.tree.structure(r), leaves))
        return tuple(out)

    def _split_opt(self, state: dict) -> tuple[list, list]:
        return tuple(
            [v for i, v in enumerate(state[k]) if i != self._lr_index[p]]
            for p, k in enumerate(("go", "do"))
        )

    def _join_opt(self, state: dict, sx: list, sy: list) -> tuple[list, list]:
        out = []
        for p, (k, s) in enumerate((("go", sx), ("do", sy))):
            s = list(s)
            if self._lr_index[p] is not None:
                s.insert(self._lr_index[p], state[k][self._lr_index[p]])
            out.append(s)
        return tuple(out)

    def _step_fn(
        self, state: dict, real: Array, mode: str = "both", guard: bool = True
    ) -> tuple[dict, Array]:
        """One update of ``mode`` ("both", "d" or "g") on ``real``; returns (state, losses).

        With ``guard`` a step that goes non-finite (or any step of a halted run) is not
        applied. Without it every step is applied and only ``halted`` records the first
        failure: the caller must then redo the call guarded (see :meth:`train_steps`).
        Both give the same state whenever no step fails; the unguarded step skips a
        select over the whole state and the barrier before it (a fifth of a toy step).
        """
        rng, key = jax.random.split(state["rng"])
        numbers = self._numbers(state["numbers"])
        scheme = self._scheme_at(state, numbers)
        regs = self._regs_at(numbers)
        game = BatchGame(self, real, state["gn"], state["dn"], regs)
        x, y = state["g"], state["d"]
        sx, sy = self._split_opt(state)
        memory = jax.tree.unflatten(self._extra_def, state["extra"])
        if mode == "both":
            if self.extra_state:
                memory = jax.lax.cond(
                    state["step"] == 0,
                    lambda: scheme.init_memory(schemes.Calls(game, key), x, y),
                    lambda: memory,
                )
            start = schemes.SchemeState(sx, sy, memory)
            x2, y2, (sx2, sy2, extra2), aux = scheme.step(game, x, y, start, key)
        else:
            start = schemes.SchemeState(sx, sy, memory)
            player = 1 if mode == "d" else 0
            x2, y2, (sx2, sy2, extra2), aux = scheme.player_step(game, x, y, start, player, key)
        if self.weight_clip is not None:
            c = numbers["weight_clip"]
            y2 = [jnp.clip(w, -c, c) for w in y2]
        # A half step reports the other player's loss at the point it started from.
        d_loss = aux["d_loss"] if "d_loss" in aux else game.field_y(x, y, key)[1]["d_loss"]
        g_loss = aux["g_loss"] if "g_loss" in aux else game.field_x(x, y, key)[1]["g_loss"]
        after = game.advance(aux)
        go, do = self._join_opt(state, sx2, sy2)
        new = dict(state)
        new.update(g=list(x2), d=list(y2), go=go, do=do, rng=rng, step=state["step"] + 1)
        new["extra"] = jax.tree.leaves(extra2)
        new["gn"] = list(after.g_state)
        new["dn"] = list(after.d_state)
        if self.ema_weights:
            decay = numbers["ema"]
            new["ema"] = [
                decay * e + (1 - decay) * w for e, w in zip(state["ema"], x2, strict=True)
            ]
        losses_now = jnp.stack([d_loss, g_loss]).astype(jnp.float32)
        finite = jnp.all(jnp.isfinite(losses_now))
        for w in jax.tree.leaves((new["g"], new["d"])):
            finite = finite & jnp.all(jnp.isfinite(w))
        alive = state["halted"] < 0
        halted = jnp.where(alive & ~finite, state["step"] + 1, state["halted"]).astype(jnp.int32)
        if not guard:
            return dict(new, halted=halted), losses_now
        ok = alive & finite
        out = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, state)
        out["halted"] = halted
        return out, jnp.where(ok, losses_now, jnp.nan)

    # -- fit() ---------------------------------------------------------------------
    def train_step(self, state: tuple, data: Any, guard: bool = True) -> tuple[dict, tuple]:
        """Keras' JAX train step: unpack Keras' state lists, step, pack them back.

        ``guard`` as in :meth:`_step_fn`.
        """
        compiles.traced("train")
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        lists = {"t": trainable, "n": non_trainable, "o": optimizer_vars}
        layout = self._layout()
        groups = {name: [lists[k][i] for k, i in pos] for name, pos in layout.items()}
        new, step_losses = self._step_fn(
            self._pack(groups), jnp.asarray(real, jnp.float32), guard=guard
        )
        out = {k: list(v) for k, v in lists.items()}
        for name, values in self._unpack(new).items():
            for (k, i), value in zip(layout[name], values, strict=True):
                out[k][i] = value
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
        with a :class:`NonFiniteLossWarning` when a step goes non-finite.
        """
        if y is not None:
            raise ValueError("GAN.fit takes only real samples x (no targets y)")
        if isinstance(x, np.ndarray | jax.Array | list):
            x = _check_samples(x, self.sample_shape)
            size = 256 if batch_size is None else _checks.count("batch_size", batch_size)
            if size > len(x):
                raise ValueError(f"batch_size must be at most len(x) = {len(x)}, got {size}")
            per_epoch = len(x) // size
            steps_per_epoch = per_epoch if steps_per_epoch is None else steps_per_epoch
            x = _epochs(x, size, self.seed, self.step, shuffle)
            batch_size, shuffle = None, False
        cbs = list(callbacks or []) + [_HaltOnNonFinite()]
        return super().fit(
            x,
            batch_size=batch_size,
            epochs=epochs,
            callbacks=cbs,
            steps_per_epoch=steps_per_epoch,
            shuffle=shuffle,
            **kwargs,
        )

    # -- k steps in one call, for panels and benchmarks -----------------------------
    def _compiled(self, kind: str, **static: Any):
        """The jitted program ``kind``, shared with every identically built GAN."""
        builders = {
            "train": lambda: jit(
                self._train_many_steps,
                static_argnames=("steps", "batch_size", "mode", "guard"),
            ),
            "sample": lambda: jit(self._sample_fn, static_argnames=("n",)),
            "runs": lambda: jit(
                jax.vmap(self._train_many_steps, in_axes=(0, None, None, None, None, None)),
                static_argnums=(2, 3, 4, 5),
            ),
            "runs_sample": lambda: jit(
                jax.vmap(self._sample_fn, in_axes=(0, 0, None, None)), static_argnums=(3,)
            ),
            "field": lambda: jit(self._field_fn),
            "transform": lambda: jit(self._transform_fn),
            "discriminate": lambda: jit(self._discriminate_fn),
        }
        if kind not in builders:
            raise KeyError(kind)
        return self._shared((kind, tuple(sorted(static.items()))), builders[kind])

    def _train_many_steps(
        self,
        state: dict,
        data: Array,
        steps: int,
        batch_size: int,
        mode: str,
        guard: bool = True,
    ) -> tuple[dict, Array]:
        compiles.traced("train")

        def body(state, _):
            rng, pick = jax.random.split(state["rng"])
            idx = jax.random.randint(pick, (batch_size,), 0, data.shape[0])
            state = dict(state, rng=rng)
            return self._step_fn(state, data[idx], mode, guard)

        return jax.lax.scan(body, state, None, length=steps)

    def train_steps(
        self, data: Any, steps: int = 1, batch_size: int = 256, *, mode: str = "both"
    ) -> np.ndarray:
        """Run ``steps`` updates in one jitted call; batches drawn (with replacement) from ``data``.

        ``mode`` is ``"both"`` (the scheme's update), ``"d"`` or ``"g"`` (one player's
        gradient step only: the panel's Step D / Step G). Returns the per-step losses
        ``(steps, 2)`` as ``[d_loss, g_loss]`` (NaN for steps not applied). Numbers
        changed with :meth:`set_hyper` apply at once and never recompile.
        """
        data = _check_samples(data, self.sample_shape)
        steps = _checks.count("steps", steps)
        batch_size = _checks.count("batch_size", batch_size)
        mode = _checks.choice("mode", mode, ("both", "d", "g"))
        fn = self._compiled("train")
        start, data = self.get_state(), jnp.asarray(data)
        state, out = _unguarded_first(
            lambda guard: fn(
                start, data, steps=steps, batch_size=batch_size, mode=mode, guard=guard
            ),
            lambda result: int(result[0]["halted"]) >= 0,
            halted=self.halted_at is not None,
        )
        self.set_state(state)
        return np.asarray(out)

    # -- many independent runs at once ----------------------------------------------
    def fresh_state(self, seed: int) -> dict:
        """A new run's state: weights re-drawn from the layers' initializers with ``seed``,
        fresh optimizer state, step 0, RNG key from ``seed``; numbers as now."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        state = self.get_state()
        g, gn = _fresh_weights(self.generator, int(seed) * 2)
        d, dn = _fresh_weights(self.discriminator, int(seed) * 2 + 1)
        sx = self.scheme.steppers[0].init(g)
        sy = self.scheme.steppers[1].init(d)
        go, do = self._join_opt(state, sx, sy)
        state.update(g=g, gn=gn, d=d, dn=dn, go=go, do=do)
        state["rng"] = jnp.asarray(jax.random.PRNGKey(int(seed)))
        state["step"] = jnp.zeros((), jnp.int32)
        state["halted"] = jnp.full((), -1, jnp.int32)
        state["ema"] = list(g) if self.ema_weights else []
        state["extra"] = [jnp.zeros_like(e) for e in state["extra"]]
        return state

    def runs(self, seeds: Sequence[int], **numbers: Any) -> Runs:
        """Independent runs of this GAN, one per seed, trained together with ``vmap``.

        Keyword numbers (names of :attr:`hyper`, given as ``**{"d.learning_rate": [...]}``)
        may be arrays with one value per run: a sweep in one compiled call.

        >>> import gankit as gk
        >>> gan = gk.GAN(gk.models.mlp_generator(), gk.models.mlp_discriminator())
        >>> runs = gan.runs(range(4))
        >>> runs.train(gk.data.toy("ring8", 512), steps=3, batch_size=64).shape
        (4, 3, 2)
        >>> runs.sample(10).shape
        (4, 10, 2)
        """
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("seeds must hold at least one integer")
        self._check_names(numbers)  # before building every run's state
        states = [self.fresh_state(s) for s in seeds]
        batched = jax.tree.map(lambda *xs: jnp.stack(xs), *states)
        return Runs(self, _with_run_numbers(self, batched, len(seeds), numbers), seeds)

    # -- sampling -------------------------------------------------------------------
    def _sample_fn(self, g_params: list, g_state: list, key: Array, n: int) -> Array:
        z = sample_noise(key, n, self.noise_dim, self.noise)
        return self.generator.stateless_call(g_params, g_state, z, training=False)[0]

    def _transform_fn(self, g_params: list, g_state: list, z: Array) -> Array:
        return self.generator.stateless_call(g_params, g_state, z, training=False)[0]

    def _discriminate_fn(self, d_params: list, d_state: list, x: Array) -> Array:
        out = self.discriminator.stateless_call(d_params, d_state, x, training=False)[0]
        return jnp.reshape(out, (out.shape[0], -1)).mean(axis=1)

    def _field_fn(self, d_params: list, d_state: list, x: Array) -> Array:
        def per_point(v: Array) -> Array:
            logits = self.discriminator.stateless_call(d_params, d_state, v, training=False)[0]
            return losses.generator_loss(self.loss, logits) * v.shape[0]

        return jax.grad(per_point)(x)

    def loss_gradient(self, x: Any) -> np.ndarray:
        """``d g_loss / d x`` at points ``x``: where the generator's loss pushes a sample.

        A generated sample at ``x`` moves along ``-loss_gradient(x)`` (to first order), so
        drawing it over the plane shows what the discriminator teaches the generator.
        """
        x = _check_samples(x, self.sample_shape)
        d = self.discriminator
        fn = self._compiled("field")
        out = fn(
            [v.value for v in d.trainable_variables],
            [v.value for v in d.non_trainable_variables],
            jnp.asarray(x),
        )
        return np.asarray(out)

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
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        fn = self._compiled("sample")
        g_state = [v.value for v in self.generator.non_trainable_variables]
        out = fn(self.generator_weights(ema), g_state, jax.random.PRNGKey(int(seed)), n=n)
        return np.asarray(out)

    def transform(self, z: Any, *, ema: bool | None = None) -> np.ndarray:
        """The generator applied to given noise ``z`` ``(n, noise_dim)`` (the manifold view)."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"z must have shape (n, {self.noise_dim}), got {z.shape}")
        g_state = [v.value for v in self.generator.non_trainable_variables]
        fn = self._compiled("transform")
        return np.asarray(fn(self.generator_weights(ema), g_state, jnp.asarray(z)))

    def discriminate(self, x: Any) -> np.ndarray:
        """The discriminator's logits on points ``x`` ``(n, ...)`` as ``(n,)``."""
        x = _check_samples(x, self.sample_shape)
        d = self.discriminator
        fn = self._compiled("discriminate")
        out = fn(
            [v.value for v in d.trainable_variables],
            [v.value for v in d.non_trainable_variables],
            jnp.asarray(x),
        )
        return np.asarray(out)

    # -- checkpoints ----------------------------------------------------------------
    def save_checkpoint(self, path: str) -> None:
        """Save the whole run (weights, both optimizers, step, RNG, EMA) to ``*.weights.h5``.

        Resuming with :meth:`load_checkpoint` on an identically built GAN continues
        exactly where the saved run was.
        """
        if not str(path).endswith(".weights.h5"):
            raise ValueError(f"path must end with .weights.h5, got {path!r}")
        self.save_weights(str(path))

    def load_checkpoint(self, path: str) -> None:
        """Load a run saved by :meth:`save_checkpoint` into this (identically built) GAN."""
        if not str(path).endswith(".weights.h5"):
            raise ValueError(f"path must end with .weights.h5, got {path!r}")
        self.load_weights(str(path))

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "loss": self.loss,
            "reg": [_reg_config(r) for r in self.regs],
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
        options = config.pop("scheme_options", {})
        return cls(
            keras.saving.deserialize_keras_object(config.pop("generator")),
            keras.saving.deserialize_keras_object(config.pop("discriminator")),
            g_optimizer=keras.optimizers.deserialize(config.pop("g_optimizer")),
            d_optimizer=keras.optimizers.deserialize(config.pop("d_optimizer")),
            reg=[_reg_from_config(c) for c in config.pop("reg", [])] or None,
            **options,
            **config,
        )


class Runs:
    """Independent runs of one GAN (built by :meth:`GAN.runs`), trained together by ``vmap``.

    ``state`` is the GAN's state with a leading run axis. Nothing recompiles between
    calls with the same ``steps`` and ``batch_size``.
    """

    def __init__(self, gan: GAN, state: dict, seeds: Sequence[int]) -> None:
        self.gan, self.state, self.seeds = gan, state, list(seeds)

    def __len__(self) -> int:
        return len(self.seeds)

    def train(self, data: Any, steps: int = 1, batch_size: int = 256) -> np.ndarray:
        """``steps`` updates of every run; per-run, per-step losses ``(runs, steps, 2)``."""
        data = _check_samples(data, self.gan.sample_shape)
        steps = _checks.count("steps", steps)
        batch_size = _checks.count("batch_size", batch_size)
        fn = self.gan._compiled("runs")
        data = jnp.asarray(data)
        self.state, out = _unguarded_first(
            lambda guard: _in_chunks(
                lambda state: fn(state, data, steps, batch_size, "both", guard), self.state
            ),
            lambda result: bool(np.any(np.asarray(result[0]["halted"]) >= 0)),
            halted=bool(np.any(self.halted_at >= 0)),
        )
        return np.asarray(out)

    def sample(self, n: int, seed: int = 0, *, ema: bool | None = None) -> np.ndarray:
        """``n`` samples of every run ``(runs, n, ...)``, all from the same noise."""
        n = _checks.count("n", n)
        use_ema = bool(self.state["ema"]) if ema is None else bool(ema)
        if use_ema and not self.state["ema"]:
            raise ValueError("ema=True needs a GAN built with ema=<decay>")
        params = self.state["ema"] if use_ema else self.state["g"]
        fn = self.gan._compiled("runs_sample")
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
        self.state = _with_run_numbers(self.gan, self.state, len(self), numbers)

    def run_state(self, i: int) -> dict:
        """Run ``i``'s state, for :meth:`GAN.set_state` (to look at one run closely)."""
        return jax.tree.map(lambda a: a[i], self.state)


def _cpu_chunks(n: int) -> int:
    """How many groups to split ``n`` vmapped runs into: one per CPU core, groups equal.

    XLA's CPU runtime keeps about one core busy with a batch of small matrix products;
    equal groups on separate threads keep every core busy (16 toy runs on 2 cores:
    1.65x the run-steps/s of one call). Accelerators get one call.
    """
    if jax.default_backend() != "cpu":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(k for k in range(1, min(cores or 1, n) + 1) if n % k == 0)


def _in_chunks(fn: Any, state: dict) -> tuple:
    """``fn(state)`` for a state with a leading run axis, as equal groups on parallel threads."""
    n = len(jax.tree.leaves(state)[0])
    k = _cpu_chunks(n)
    if k == 1:
        return fn(state)
    m = n // k
    parts = [jax.tree.map(lambda a, i=i: a[i * m : (i + 1) * m], state) for i in range(k)]
    with ThreadPoolExecutor(k) as pool:  # XLA releases the GIL while it computes
        results = list(pool.map(lambda part: jax.block_until_ready(fn(part)), parts))
    return jax.tree.map(lambda *xs: jnp.concatenate(xs), *results)


def _with_run_numbers(gan: GAN, batched: dict, n: int, numbers: dict) -> dict:
    """``batched`` (a state with a leading run axis) with ``numbers`` set, one value per run."""
    gan._check_names(numbers)
    batched = {**batched, "go": list(batched["go"]), "do": list(batched["do"])}
    for key, value in numbers.items():
        arr = np.asarray(value, np.float64)
        arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
        if arr.shape != (n,):
            raise ValueError(f"{key} must be a number or {n} numbers (one per run), got {value!r}")
        checked = jnp.asarray([_check_number(key, v) for v in arr], jnp.float32)
        if key.endswith(".learning_rate"):
            group, player = ("go", 0) if key[0] == "g" else ("do", 1)
            batched[group][gan._lr_index[player]] = checked
        else:
            i = gan.number_names.index(key)
            batched["numbers"] = batched["numbers"].at[:, i].set(checked)
    return batched


def _fresh_weights(model: keras.Model, seed: int) -> tuple[list, list]:
    """A model's (trainable, non-trainable) values re-drawn from its layers' initializers."""
    drawn: dict[int, Array] = {}
    count = 0
    for layer in model._flatten_layers(include_self=False):
        for v in list(layer._trainable_variables) + list(layer._non_trainable_variables):
            init = getattr(layer, f"{v.name}_initializer", None)
            if init is None:
                continue
            config = init.get_config()
            if "seed" in config:
                init = type(init).from_config(config | {"seed": seed * 7919 + count})
                count += 1
            drawn[id(v)] = jnp.asarray(init(tuple(v.shape), dtype=v.dtype))
    return (
        [drawn.get(id(v), v.value) for v in model.trainable_variables],
        [drawn.get(id(v), v.value) for v in model.non_trainable_variables],
    )


class _ShapeGame:
    """Stands in for a game when only the shapes of a scheme's memory are wanted."""

    def field(self, x, y, key):
        return (x, y), {}

    def advance(self, aux):
        return self


def _check_number(name: str, value: Any) -> float:
    base = name.rsplit(".", 1)[-1]
    if base in ("ema",):
        v = _checks.finite(name, value)
        if not 0.0 < v < 1.0:
            raise ValueError(f"{name} must be in (0, 1), got {value!r}")
        return v
    if base == "real_label":
        v = _checks.finite(name, value)
        if not 0.5 < v <= 1.0:
            raise ValueError(f"{name} must be in (0.5, 1], got {value!r}")
        return v
    if base in ("sigma", "target", "weight_clip"):
        return _checks.non_negative(name, value)
    return float(schemes.check_hyper(name, value))


def _check_samples(x: Any, shape: tuple) -> np.ndarray:
    try:
        arr = np.asarray(x, np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"samples must be numeric, of shape (n, {', '.join(map(str, shape))})"
        ) from None
    if arr.ndim != 1 + len(shape) or tuple(arr.shape[1:]) != tuple(shape) or len(arr) < 1:
        raise ValueError(
            f"samples must have shape (n, {', '.join(map(str, shape))}) with n >= 1, "
            f"got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples must be finite (no NaN or inf)")
    return arr


def _epochs(x: np.ndarray, size: int, seed: int, start_step: int, shuffle: bool):
    """Endless fixed-size batches; batch ``k`` depends only on ``(seed, k)``.

    So a run resumed from a checkpoint at step ``k`` sees the batches an unbroken run
    would have seen.
    """
    per_epoch = len(x) // size
    epoch, offset = divmod(start_step, per_epoch)
    while True:
        if shuffle:
            order = np.random.default_rng((seed, epoch)).permutation(len(x))
        else:
            order = np.arange(len(x))
        for b in range(offset, per_epoch):
            yield (x[order[b * size : (b + 1) * size]],)
        epoch, offset = epoch + 1, 0


class _HaltOnNonFinite(keras.callbacks.Callback):
    """Stops ``fit`` when the GAN's step went non-finite, and says where."""

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        model = self.model
        state = getattr(model, "_jax_state", None)
        if state:
            value = int(np.asarray(state["non_trainable_variables"][model._halt_index()]))
        else:
            value = int(np.asarray(model.halt_counter.value))
        if value >= 0:
            model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        message = self.model.halt_message
        if message:
            warnings.warn(message, NonFiniteLossWarning, stacklevel=2)
