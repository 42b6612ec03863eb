"""One training step, and the other programs of a GAN, as pure functions of a Spec.

Each function takes the GAN's :class:`~gankit.gan.spec.Spec` (static) and arrays; the
state is one pytree (a dict: weights ``g``/``d``, non-trainable state ``gn``/``dn``,
optimizer variables ``go``/``do``, ``rng``, ``step``, ``halted``, the number vector
``numbers``, the EMA weights ``ema`` and the scheme's memory ``extra``). Nothing is
changed in place: the model (:mod:`gankit.gan.model`) writes results back.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gankit import losses, schemes
from gankit.gan.game import BatchGame
from gankit.gan.spec import Spec
from gankit.models import sample_noise

Array = jax.Array

BOUND = 1e6
"""A weight beyond +-BOUND counts as diverged: the step is not applied. Sound runs stay
orders of magnitude below (weights below 10); a run past it has losses and gradients
that overflow within a few steps, even at a much smaller learning rate."""

LOSS_BOUND = 1e8
"""A loss beyond +-LOSS_BOUND counts as diverged too. Higher than :data:`BOUND`: a WGAN
critic's value is the product of its layers' scales and legitimately reaches 1e5-1e6
(lesson 08's clipped SGD(5.0) run)."""


def train_step(
    spec: Spec,
    state: dict,
    real: Array,
    mode: str = "both",
    guard: bool = True,
    *,
    previous: dict | None = None,
    rng: Array | None = None,
) -> tuple[dict, Array]:
    """One update of ``mode`` ("both", "d" or "g") on ``real``; returns (state, losses).

    "d" and "g" are one player's step of the scheme (:meth:`Scheme.player_step`, a
    panel's Step D / Step G). With ``guard`` a step that goes non-finite (or any step of
    a halted run) is not applied. A state from which a step fails may itself be
    unusable (finite but huge weights whose losses or gradients overflow), so the run
    goes back to ``previous``, the state before it, when known: the state kept is then
    one whose own step was finite, and training from it with a smaller learning rate
    goes on. ``halted`` names the step whose result was dropped, so the state kept is
    at step ``halted - 1``. Without ``guard`` every step is applied
    and only ``halted`` records a failure: the caller must then redo the call guarded.
    Both give the same state whenever no step fails; the unguarded step skips a select
    over the whole state. ``rng`` (default ``state["rng"]``) is the key this step
    splits; a step not applied leaves the state's key as it was.
    """
    rng, key = jax.random.split(state["rng"] if rng is None else rng)
    numbers = spec.numbers(state["numbers"])
    scheme = spec.scheme_at(state, numbers)
    game = BatchGame(spec, real, state["gn"], state["dn"], spec.regs_at(numbers))
    x, y = state["g"], state["d"]
    sx, sy = spec.split_opt(state)
    memory = jax.tree.unflatten(spec.memory_def, state["extra"])
    if mode == "both":
        if spec.memory_shapes:
            memory = jax.lax.cond(
                state["step"] == 0,
                lambda: scheme.init_memory(schemes.Calls(game, key), x, y),
                lambda: memory,
            )
        start = schemes.SchemeState(sx, sy, memory)
        x2, y2, (sx2, sy2, memory2), aux = scheme.step(game, x, y, start, key)
    else:
        start = schemes.SchemeState(sx, sy, memory)
        player = 1 if mode == "d" else 0
        x2, y2, (sx2, sy2, memory2), aux = scheme.player_step(game, x, y, start, player, key)
    if spec.has_clip:
        c = numbers["weight_clip"]
        y2 = [jnp.clip(w, -c, c) for w in y2]
    # A half step reports the other player's loss at the point it started from.
    d_loss = aux["d_loss"] if "d_loss" in aux else game.field_y(x, y, key)[1]["d_loss"]
    g_loss = aux["g_loss"] if "g_loss" in aux else game.field_x(x, y, key)[1]["g_loss"]
    after = game.advance(aux)
    go, do = spec.join_opt(state, sx2, sy2)
    new = dict(state)
    new.update(g=list(x2), d=list(y2), go=go, do=do, rng=rng, step=state["step"] + 1)
    new["extra"] = jax.tree.leaves(memory2)
    new["gn"], new["dn"] = list(after.g_state), list(after.d_state)
    if spec.has_ema:
        decay = numbers["ema"]
        new["ema"] = [decay * e + (1 - decay) * w for e, w in zip(state["ema"], x2, strict=True)]
    losses_now = jnp.stack([d_loss, g_loss]).astype(jnp.float32)
    # beyond BOUND (or NaN, which fails every comparison) counts as diverged
    finite = jnp.all(jnp.abs(losses_now) <= LOSS_BOUND)
    for w in jax.tree.leaves((new["g"], new["d"])):
        finite = finite & jnp.all(jnp.abs(w) <= BOUND)
    alive = state["halted"] < 0
    if not guard:
        halted = jnp.where(alive & ~finite, state["step"] + 1, state["halted"])
        return dict(new, halted=halted.astype(jnp.int32)), losses_now
    ok = alive & finite
    base = (
        state
        if previous is None
        else jax.tree.map(lambda a, b: jnp.where(alive, b, a), state, previous)
    )
    out = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, base)
    halted = jnp.where(alive & ~ok, base["step"] + 1, state["halted"]).astype(jnp.int32)
    out["halted"] = halted
    return out, jnp.where(ok, losses_now, jnp.nan)


def train_steps(
    spec: Spec,
    state: dict,
    data: Array,
    steps: int | Array,
    batch_size: int,
    mode: str,
    guard: bool = True,
    previous: dict | None = None,
    length: int | None = None,
) -> tuple[dict, dict | None, Array]:
    """``steps`` updates in one loop, batches drawn with replacement from ``data``.

    Returns ``(state, previous, losses)``; ``losses`` has ``length`` rows (default
    ``steps``), the first ``steps`` of them filled. ``steps`` may be traced: a program
    compiled for ``length`` then runs any number of steps up to it, so a panel's Step
    button, its steps-per-frame slider and the last part of a chunked run share one
    compile. Guarded, the loop also carries the state before the last applied step
    (``previous``, starting from the one given, else ``state``), the state a run goes
    back to when its newest state proves unusable; unguarded it carries nothing more
    (``previous`` is None).
    """
    spec.traced()
    rows = steps if length is None else length

    def batch(state: dict) -> tuple[Array, Array]:
        rng, pick = jax.random.split(state["rng"])
        return rng, data[jax.random.randint(pick, (batch_size,), 0, data.shape[0])]

    def fast(i, carry):
        state, losses = carry
        rng, real = batch(state)
        state, now = train_step(spec, state, real, mode, False, rng=rng)
        return state, losses.at[i].set(now)

    def guarded(i, carry):
        before, state, losses = carry
        rng, real = batch(state)
        new, now = train_step(spec, state, real, mode, True, previous=before, rng=rng)
        applied = new["step"] > state["step"]
        before = jax.tree.map(lambda a, b: jnp.where(applied, a, b), state, before)
        return before, new, losses.at[i].set(now)

    empty = jnp.full((rows, 2), jnp.nan, jnp.float32)
    if not guard:
        state, losses = jax.lax.fori_loop(0, steps, fast, (state, empty))
        return state, None, losses
    start = (state if previous is None else previous, state, empty)
    previous, state, losses = jax.lax.fori_loop(0, steps, guarded, start)
    return state, previous, losses


def sample(spec: Spec, g_params: list, g_state: list, key: Array, n: int) -> Array:
    """``n`` samples of the generator on fresh noise drawn with ``key``."""
    z = sample_noise(key, n, spec.noise_dim, spec.noise)
    return spec.generator.stateless_call(g_params, g_state, z, training=False)[0]


def transform(spec: Spec, g_params: list, g_state: list, z: Array) -> Array:
    """The generator on given noise ``z``."""
    return spec.generator.stateless_call(g_params, g_state, z, training=False)[0]


def discriminate(spec: Spec, d_params: list, d_state: list, x: Array) -> Array:
    """The discriminator's logits on ``x``, one number a sample."""
    out = spec.discriminator.stateless_call(d_params, d_state, x, training=False)[0]
    return jnp.reshape(out, (out.shape[0], -1)).mean(axis=1)


def loss_field(spec: Spec, d_params: list, d_state: list, x: Array) -> Array:
    """``d g_loss / d x`` at each sample ``x``: where the generator's loss pushes it."""

    def per_point(v: Array) -> Array:
        logits = spec.discriminator.stateless_call(d_params, d_state, v, training=False)[0]
        return losses.generator_loss(spec.loss, logits) * v.shape[0]

    return jax.grad(per_point)(x)
