"""Update schemes: *when* and *at which point* each player's gradient is taken.

A scheme pairs a game's gradients with one base optimizer per player (a plain step
size, any Keras optimizer, or a ``(minimiser_opt, maximiser_opt)`` pair for two
time-scales). The optimizer decides *how* a gradient becomes a step. Schemes work on
any pytrees of parameters, so the same code moves a point on a toy game and trains a
network.

Per step, with ``g(z) = (grad_x loss_x, grad_y loss_y)``:

* ``simultaneous``: both players step on ``g(z)``.
* ``alternating``: the maximiser (discriminator) takes ``d_steps``, then the minimiser
  (generator) takes ``g_steps``, each seeing the other's newest parameters.
* ``extragradient``: step to a look-ahead point, then step from ``z`` with ``g`` there.
* ``optimistic``: step on ``2 g_k - g_{k-1}`` (optimistic gradient descent).
* ``consensus``: step on ``g + gamma * J^T g``, i.e. also descend ``gamma/2 ||g||^2``.
* ``sga``: symplectic gradient adjustment, ``g + lam * A^T g`` with ``A`` the
  antisymmetric part of ``J``.

Every number (learning rates, betas, momentum, ``gamma``, ``lam``) lives in
``scheme.hyper`` and is traced: change it with :meth:`Scheme.replace` or as a keyword
of :func:`gankit.simulate` and nothing recompiles.

>>> import gankit as gk
>>> scheme = gk.schemes.extragradient(0.3)
>>> scheme.hyper
{'learning_rate': 0.3}
>>> gk.schemes.consensus((0.1, 0.2), gamma=0.5).hyper
{'x.learning_rate': 0.1, 'y.learning_rate': 0.2, 'gamma': 0.5}
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import jax
import numpy as np

from gankit import _checks, _pytree
from gankit.steppers import stepper

SCHEMES = ("simultaneous", "alternating", "extragradient", "optimistic", "consensus", "sga")


def _empty(params: Any) -> bool:
    return all(leaf.size == 0 for leaf in jax.tree.leaves(params))


def check_hyper(name: str, value: Any) -> np.ndarray:
    """``value`` as a float array, or a ValueError naming ``name`` and what is allowed."""
    base = name.rsplit(".", 1)[-1]
    try:
        if np.asarray(value).dtype == bool:
            raise TypeError
        arr = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    rules = {
        "learning_rate": (lambda a: a > 0, "positive"),
        "epsilon": (lambda a: a > 0, "positive"),
        "gamma": (lambda a: a >= 0, ">= 0"),
        "momentum": (lambda a: (a > -1) & (a < 1), "in (-1, 1)"),
        "beta_1": (lambda a: (a >= 0) & (a < 1), "in [0, 1)"),
        "beta_2": (lambda a: (a >= 0) & (a < 1), "in [0, 1)"),
        "rho": (lambda a: (a >= 0) & (a < 1), "in [0, 1)"),
    }
    if base in rules:
        ok, allowed = rules[base]
        if not np.all(ok(arr)):
            raise ValueError(f"{name} must be {allowed} (and finite), got {value!r}")
    return arr


class Scheme:
    """Base class of update schemes; build them with the functions of this module."""

    kind: ClassVar[str]
    extra: ClassVar[tuple[str, ...]] = ()

    hyper: dict
    steppers: tuple
    shared: bool
    options: tuple

    def __init__(self, opt: Any, options: tuple = (), **numbers: float) -> None:
        if isinstance(opt, tuple | list):
            if len(opt) != 2:
                raise ValueError(
                    "opt as a sequence must be a (minimiser_opt, maximiser_opt) pair, "
                    f"got {len(opt)} items"
                )
            (sx, hx), (sy, hy) = stepper(opt[0], "opt[0]"), stepper(opt[1], "opt[1]")
            hyper = {f"x.{k}": v for k, v in hx.items()} | {f"y.{k}": v for k, v in hy.items()}
            self.steppers, self.shared = (sx, sy), False
        else:
            s, hyper = stepper(opt)
            self.steppers, self.shared = (s, s), True
        for name, value in numbers.items():
            hyper[name] = float(check_hyper(name, value))
        self.hyper = hyper
        self.options = options

    # -- numbers -------------------------------------------------------------------
    def replace(self, **hyper: float) -> Scheme:
        """A copy with some numbers changed (same structure: nothing recompiles).

        >>> import gankit as gk
        >>> gk.schemes.simultaneous(0.1).replace(learning_rate=0.2).hyper
        {'learning_rate': 0.2}
        """
        unknown = set(hyper) - set(self.hyper)
        if unknown:
            raise ValueError(
                f"unknown number(s) {sorted(unknown)} for {self!r}; allowed: {sorted(self.hyper)}"
            )
        new = copy.copy(self)
        new.hyper = dict(self.hyper) | {k: float(check_hyper(k, v)) for k, v in hyper.items()}
        return new

    def player_hyper(self, player: int) -> dict:
        """The numbers of player 0 (x, minimiser) or 1 (y, maximiser)'s optimizer."""
        if self.shared:
            return {n: self.hyper[n] for n in self.steppers[0].names}
        prefix = "xy"[player] + "."
        return {k[2:]: v for k, v in self.hyper.items() if k.startswith(prefix)}

    # -- state -----------------------------------------------------------------------
    def prepare(self, x: Any, y: Any) -> None:
        """Build what the optimizers need for these shapes; call outside ``jit``."""
        for s, p in zip(self.steppers, (x, y), strict=True):
            if not _empty(p):
                s.prepare(p)

    def init(self, game: Any, x: Any, y: Any) -> tuple:
        """The scheme's state at ``(x, y)``: each optimizer's state, and its own."""
        sx = () if _empty(x) else self.steppers[0].init(x)
        sy = () if _empty(y) else self.steppers[1].init(y)
        return sx, sy, self.init_extra(game, x, y)

    def init_extra(self, game: Any, x: Any, y: Any) -> Any:
        return ()

    def _move(self, player: int, state: Any, grads: Any, params: Any) -> tuple[Any, Any]:
        if _empty(params):
            return params, state
        return self.steppers[player].apply(self.player_hyper(player), state, grads, params)

    def _both(self, state: tuple, g: tuple, x: Any, y: Any) -> tuple:
        x2, sx = self._move(0, state[0], g[0], x)
        y2, sy = self._move(1, state[1], g[1], y)
        return x2, y2, sx, sy

    def step(self, game: Any, x: Any, y: Any, state: tuple) -> tuple[Any, Any, tuple]:
        """One update of both players; returns ``(x, y, state)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        numbers = ", ".join(f"{k}={v!r}" for k, v in self.hyper.items())
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options)
        return f"{self.kind}({', '.join(p for p in (numbers, opts) if p)})"


class Simultaneous(Scheme):
    kind = "simultaneous"

    def step(self, game, x, y, state):
        x2, y2, sx, sy = self._both(state, game.grads(x, y), x, y)
        return x2, y2, (sx, sy, state[2])


class Alternating(Scheme):
    kind = "alternating"

    def step(self, game, x, y, state):
        sx, sy, extra = state
        options = dict(self.options)
        if not _empty(y):
            for _ in range(options["d_steps"]):
                y, sy = self._move(1, sy, game.grad_y(x, y), y)
        for _ in range(options["g_steps"]):
            x, sx = self._move(0, sx, game.grad_x(x, y), x)
        return x, y, (sx, sy, extra)


class Extragradient(Scheme):
    kind = "extragradient"

    def step(self, game, x, y, state):
        xh, yh, _, _ = self._both(state, game.grads(x, y), x, y)
        x2, y2, sx, sy = self._both(state, game.grads(xh, yh), x, y)
        return x2, y2, (sx, sy, state[2])


class Optimistic(Scheme):
    kind = "optimistic"

    def init_extra(self, game, x, y):
        return game.grads(x, y)

    def step(self, game, x, y, state):
        g = game.grads(x, y)
        guess = jax.tree.map(lambda now, before: 2 * now - before, g, state[2])
        x2, y2, sx, sy = self._both(state, guess, x, y)
        return x2, y2, (sx, sy, g)


def _field_products(game: Any, x: Any, y: Any) -> tuple[tuple, tuple, tuple]:
    """``g``, ``J g`` and ``J^T g`` at ``(x, y)`` for the descent field ``g``."""
    g, vjp = jax.vjp(game.grads, x, y)
    (jtg_x, jtg_y) = vjp(g)
    _, jg = jax.jvp(game.grads, (x, y), g)
    return g, jg, (jtg_x, jtg_y)


class Consensus(Scheme):
    kind = "consensus"
    extra = ("gamma",)

    def step(self, game, x, y, state):
        g, _, jtg = _field_products(game, x, y)
        gamma = self.hyper["gamma"]
        g = jax.tree.map(lambda a, b: a + gamma * b, g, jtg)
        x2, y2, sx, sy = self._both(state, g, x, y)
        return x2, y2, (sx, sy, state[2])


class SGA(Scheme):
    kind = "sga"
    extra = ("lam",)

    def step(self, game, x, y, state):
        g, jg, jtg = _field_products(game, x, y)
        lam = self.hyper["lam"]
        g = jax.tree.map(lambda a, jt, j: a + lam * 0.5 * (jt - j), g, jtg, jg)
        x2, y2, sx, sy = self._both(state, g, x, y)
        return x2, y2, (sx, sy, state[2])


for _cls in (Simultaneous, Alternating, Extragradient, Optimistic, Consensus, SGA):
    _pytree.register(_cls, ["hyper"], ["steppers", "shared", "options"])


def simultaneous(opt: Any) -> Scheme:
    """Both players step at once on the current gradients.

    >>> import gankit as gk
    >>> traj = gk.simulate(gk.games.Bilinear(), gk.schemes.simultaneous(0.1), steps=10)
    >>> round(float((traj[1] ** 2).sum() ** 0.5 / (traj[0] ** 2).sum() ** 0.5), 4)
    1.005
    """
    return Simultaneous(opt)


def alternating(opt: Any, d_steps: int = 1, g_steps: int = 1) -> Scheme:
    """The maximiser takes ``d_steps``, then the minimiser ``g_steps`` (one update).

    >>> import gankit as gk
    >>> gk.schemes.alternating(0.1, d_steps=5)
    alternating(learning_rate=0.1, d_steps=5, g_steps=1)
    """
    options = (
        ("d_steps", _checks.count("d_steps", d_steps)),
        ("g_steps", _checks.count("g_steps", g_steps)),
    )
    return Alternating(opt, options)


def extragradient(opt: Any) -> Scheme:
    """Korpelevich's extragradient: gradients from a look-ahead point.

    >>> import gankit as gk
    >>> traj = gk.simulate(gk.games.Bilinear(), gk.schemes.extragradient(0.3), steps=300)
    >>> bool(abs(traj[-1]).max() < 1e-3)
    True
    """
    return Extragradient(opt)


def optimistic(opt: Any) -> Scheme:
    """Optimistic gradient descent: step on ``2 g_k - g_{k-1}`` (first step: ``g_0``).

    >>> import gankit as gk
    >>> traj = gk.simulate(gk.games.Bilinear(), gk.schemes.optimistic(0.3), steps=300)
    >>> bool(abs(traj[-1]).max() < 1e-3)
    True
    """
    return Optimistic(opt)


def consensus(opt: Any, gamma: float = 1.0) -> Scheme:
    """Consensus optimisation (Mescheder et al. 2017): descend ``gamma/2 ||g||^2`` too.

    >>> import gankit as gk
    >>> gk.schemes.consensus(0.1, gamma=0.5).hyper["gamma"]
    0.5
    """
    return Consensus(opt, gamma=_checks.non_negative("gamma", gamma))


def sga(opt: Any, lam: float = 1.0) -> Scheme:
    """Symplectic gradient adjustment (Balduzzi et al. 2018) with a fixed ``lam``.

    >>> import gankit as gk
    >>> gk.schemes.sga(0.1, lam=1.0).kind
    'sga'
    """
    return SGA(opt, lam=_checks.finite("lam", lam))


_BUILDERS = {
    "simultaneous": simultaneous,
    "alternating": alternating,
    "extragradient": extragradient,
    "optimistic": optimistic,
    "consensus": consensus,
    "sga": sga,
}


def make(name: str, opt: Any, **options: Any) -> Scheme:
    """A scheme by name, e.g. ``make("consensus", 0.1, gamma=0.5)``.

    >>> import gankit as gk
    >>> gk.schemes.make("alternating", 0.05, d_steps=2).kind
    'alternating'
    """
    return _BUILDERS[_checks.choice("scheme", name, SCHEMES)](opt, **options)


def as_scheme(scheme_or_opt: Any) -> Scheme:
    """A scheme as is; an optimizer (or a pair of them) becomes ``simultaneous(opt)``."""
    if isinstance(scheme_or_opt, Scheme):
        return scheme_or_opt
    return simultaneous(scheme_or_opt)
