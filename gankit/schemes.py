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
* ``proximal``: the implicit step ``z+ = z - eta g(z+)``.
* ``competitive``: each player steps to the Nash equilibrium of the local bilinear game.
* ``lookahead``: ``k`` steps of a base scheme, then the slow weights move ``alpha`` on.
* ``lead``: each player's gradient also feels how the other's last move changed it.

Every number (learning rates, betas, momentum, ``gamma``, ``lam``) lives in
``scheme.hyper`` and is traced: change it with :meth:`Scheme.replace` or as a keyword
of :func:`gankit.simulate` and nothing recompiles.

>>> import gankit as gk
>>> scheme = gk.schemes.extragradient(0.3)
>>> scheme.hyper
{'learning_rate': 0.3}
>>> gk.schemes.consensus((0.1, 0.2), gamma=0.5).hyper
{'x_learning_rate': 0.1, 'y_learning_rate': 0.2, 'gamma': 0.5}
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, NamedTuple

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from gankit import _checks, _pytree
from gankit.optimizers import HeavyBall
from gankit.steppers import stepper

SCHEMES = (
    "simultaneous",
    "alternating",
    "extragradient",
    "optimistic",
    "consensus",
    "sga",
    "proximal",
    "competitive",
    "lookahead",
    "lead",
)


def _empty(params: Any) -> bool:
    return all(leaf.size == 0 for leaf in jax.tree.leaves(params))


NUMBER_NAMES = (
    "learning_rate",
    "beta_1",
    "beta_2",
    "epsilon",
    "rho",
    "momentum",
    "gamma",
    "lam",
    "sigma",
    "target",
    "real_label",
    "ema",
    "weight_clip",
)
"""Every number's own name; a full name may put its owner before it: ``x_learning_rate``
(the minimiser's), ``d_beta_1`` (the discriminator's), ``R1_gamma`` (a regulariser's)."""


def base_name(name: str) -> str:
    """The number a full name names: ``"d_beta_1" -> "beta_1"``, ``"R1_gamma" -> "gamma"``.

    >>> base_name("LabelSmoothing_real_label"), base_name("lam")
    ('real_label', 'lam')
    """
    if name in NUMBER_NAMES or "_" not in name:
        return name
    return name.split("_", 1)[1]


def check_hyper(name: str, value: Any) -> np.ndarray:
    """``value`` as a float array, or a ValueError naming ``name`` and what is allowed."""
    base = base_name(name)
    what = "a number or an array of numbers"
    if np.asarray(value).dtype == bool:
        raise _checks.ArgumentTypeError(f"{name} must be {what}, got {value!r}")
    arr = _checks.float_array(name, value, what, np.float64)
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
        "alpha": (lambda a: (a > 0) & (a <= 1), "in (0, 1]"),
        "k": (lambda a: a >= 1, ">= 1"),
    }
    if name == "inner_steps" and not np.all(arr >= 1):
        raise ValueError(f"inner_steps must be >= 1 (and finite), got {value!r}")
    if base in rules:
        ok, allowed = rules[base]
        if not np.all(ok(arr)):
            raise ValueError(f"{name} must be {allowed} (and finite), got {value!r}")
    return arr


MAX_INNER_STEPS = 100
"""The most inner steps a scheme takes per update (each is unrolled in the program)."""

SOLVER_STEPS = 10
"""Unknowns up to which the linear solves of competitive gradient descent and the exact
proximal step are dense and exact; beyond, the GMRES iterations they take."""


class SchemeState(NamedTuple):
    """A scheme's state: each player's optimizer state and the scheme's own memory."""

    x: Any
    y: Any
    memory: Any = ()


class Calls:
    """The gradient evaluations of one step, in order.

    Each evaluation gets its own key (``fold_in(key, i)`` for the i-th), so alternating
    ``d_steps`` and extragradient's look-ahead draw fresh noise; their auxiliary outputs
    (losses, BatchNorm statistics) are merged, later ones winning, and the game is
    advanced past each (``game.advance(aux)``) so the next evaluation sees the new
    statistics. Nothing outside the step is changed: a step stays a pure function.
    """

    def __init__(self, game: Any, key: Any) -> None:
        self.game, self.key, self.count, self.aux = game, key, 0, {}

    def _key(self) -> Any:
        if self.key is None:
            return None
        key = jax.random.fold_in(self.key, self.count)
        self.count += 1
        return key

    def _keep(self, aux: dict) -> None:
        self.aux = {**self.aux, **aux}
        self.game = self.game.advance(aux)

    def field(self, x: Any, y: Any) -> tuple:
        """Both players' gradients at ``(x, y)`` on one draw."""
        g, aux = self.game.field(x, y, self._key())
        self._keep(aux)
        return g

    def pure_field(self) -> Any:
        """``(x, y) -> gradients`` on one fresh draw, as a pure function (for inner loops and
        linear solves; what it reports is dropped)."""
        key, game = self._key(), self.game
        return lambda x, y: game.field(x, y, key)[0]

    def pure_players(self) -> tuple[Any, Any]:
        """Each player's own gradient ``(x, y) -> g_x`` and ``(x, y) -> g_y``, on one fresh
        draw shared by both, as pure functions (what they report is dropped)."""
        key, game = self._key(), self.game
        return (lambda x, y: game.field_x(x, y, key)[0], lambda x, y: game.field_y(x, y, key)[0])

    def player(self, player: int, x: Any, y: Any) -> Any:
        """Player 0's (x) or 1's (y) own gradient at ``(x, y)``."""
        which = self.game.field_x if player == 0 else self.game.field_y
        g, aux = which(x, y, self._key())
        self._keep(aux)
        return g

    def products(self, x: Any, y: Any, jg: bool = True) -> tuple[tuple, tuple | None, tuple]:
        """``g``, ``J g`` (None unless ``jg``) and ``J^T g`` of the whole field at ``(x, y)``.

        ``J`` is the Jacobian of both players' gradients with respect to both players'
        parameters, so on networks the generator sees how its weights move the
        discriminator's gradient through the fakes.
        """
        key, game = self._key(), self.game
        g, pull_back, aux = jax.vjp(lambda a, b: game.field(a, b, key), x, y, has_aux=True)
        jtg = pull_back(g)
        jvp = None
        if jg:
            _, jvp = jax.jvp(lambda a, b: game.field(a, b, key)[0], (x, y), g)
        self._keep(aux)
        return g, jvp, jtg


class Scheme:
    """Base class of update schemes; build them with the functions of this module.

    A scheme is two pure functions over typed state: :meth:`init` gives a
    :class:`SchemeState`, :meth:`step` maps ``(x, y, state)`` to the next ones (plus the
    auxiliary outputs of its evaluations). The game they run on gives each player's
    gradient with ``field``, ``field_x`` and ``field_y`` (each ``(x, y, key) -> (g, aux)``)
    and ``advance(aux)``; :class:`gankit.games.Game` has them for every toy game.
    """

    kind: ClassVar[str]
    extra: ClassVar[tuple[str, ...]] = ()
    evaluations: ClassVar[int] = 1
    """Gradient evaluations of both players per step on networks (the panels show
    :meth:`evaluations_for` their game). One player's gradient, or a Jacobian-vector
    product of it, counts as a half."""

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
            hyper = {f"x_{k}": v for k, v in hx.items()} | {f"y_{k}": v for k, v in hy.items()}
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

    def with_numbers(self, numbers: dict) -> Scheme:
        """This scheme with its numbers replaced by (unchecked) arrays, for ``vmap``."""
        leaves = [numbers[k] for k in sorted(self.hyper)]
        return jax.tree.unflatten(jax.tree.structure(self), leaves)

    def player_hyper(self, player: int) -> dict:
        """The numbers of player 0 (x, minimiser) or 1 (y, maximiser)'s optimizer."""
        if self.shared:
            return {n: self.hyper[n] for n in self.steppers[0].names}
        prefix = "xy"[player] + "_"
        return {k[2:]: v for k, v in self.hyper.items() if k.startswith(prefix)}

    # -- state -----------------------------------------------------------------------
    def prepare(self, x: Any, y: Any) -> None:
        """Build what the optimizers need for these shapes; call outside ``jit``."""
        for s, p in zip(self.steppers, (x, y), strict=True):
            if not _empty(p):
                s.prepare(p)

    def init(self, game: Any, x: Any, y: Any, key: Any = None) -> SchemeState:
        """The scheme's state at ``(x, y)``: each optimizer's state, and its own memory."""
        sx = () if _empty(x) else self.steppers[0].init(x)
        sy = () if _empty(y) else self.steppers[1].init(y)
        return SchemeState(sx, sy, self.init_memory(Calls(game, key), x, y))

    def init_memory(self, calls: Calls, x: Any, y: Any) -> Any:
        """The scheme's own memory at the start (optimistic: the first field)."""
        return ()

    def evaluations_for(self, unknowns: int) -> float:
        """Gradient evaluations a step on a game of ``unknowns`` numbers in all (schemes
        with a linear solve assemble it on small games: their cost grows with its size).

        >>> import gankit as gk
        >>> gk.schemes.competitive(0.1).evaluations_for(2), gk.schemes.competitive(0.1).evaluations
        (3.0, 13.0)
        """
        return float(self.evaluations)

    def period(self, numbers: dict) -> Any:
        """Steps after which the scheme's map repeats (its linearisation is taken over them):
        1, or look-ahead's ``k``; ``numbers`` are the scheme's numbers, maybe arrays."""
        return 1

    def _move(self, player: int, state: Any, grads: Any, params: Any) -> tuple[Any, Any]:
        if _empty(params):
            return params, state
        return self.steppers[player].apply(self.player_hyper(player), state, grads, params)

    def _both(self, state: SchemeState, g: tuple, x: Any, y: Any) -> tuple:
        x2, sx = self._move(0, state.x, g[0], x)
        y2, sy = self._move(1, state.y, g[1], y)
        return x2, y2, sx, sy

    def step(
        self, game: Any, x: Any, y: Any, state: SchemeState, key: Any = None
    ) -> tuple[Any, Any, SchemeState, dict]:
        """One update of both players; returns ``(x, y, state, aux)``.

        ``key`` (a JAX key, or None for games without randomness) seeds the step's
        evaluations; ``aux`` merges what they report (for networks: losses, statistics).
        """
        calls = Calls(game, key)
        x, y, state = self.update(calls, x, y, SchemeState(*state))
        return x, y, state, calls.aux

    def update(self, calls: Calls, x: Any, y: Any, state: SchemeState) -> tuple:
        """The scheme's rule: ``(x, y, state)`` after one step, gradients from ``calls``."""
        raise NotImplementedError

    def player_step(
        self, game: Any, x: Any, y: Any, state: SchemeState, player: int, key: Any = None
    ) -> tuple[Any, Any, SchemeState, dict]:
        """One gradient step of one player (0: x, the generator; 1: y, the discriminator).

        The half of an alternating step that moves only that player, through the same
        optimizer and state (a panel's Step G / Step D).
        """
        calls = Calls(game, key)
        x, y, state = self._player_update(calls, x, y, SchemeState(*state), player)
        return x, y, state, calls.aux

    def _player_update(
        self, calls: Calls, x: Any, y: Any, state: SchemeState, player: int
    ) -> tuple:
        if player == 0:
            x, sx = self._move(0, state.x, calls.player(0, x, y), x)
            return x, y, state._replace(x=sx)
        if _empty(y):
            return x, y, state
        y, sy = self._move(1, state.y, calls.player(1, x, y), y)
        return x, y, state._replace(y=sy)

    def __repr__(self) -> str:
        numbers = ", ".join(f"{k}={v!r}" for k, v in self.hyper.items())
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options)
        return f"{self.kind}({', '.join(p for p in (numbers, opts) if p)})"


class Simultaneous(Scheme):
    kind = "simultaneous"

    def update(self, calls, x, y, state):
        x2, y2, sx, sy = self._both(state, calls.field(x, y), x, y)
        return x2, y2, state._replace(x=sx, y=sy)


class Alternating(Scheme):
    kind = "alternating"

    @property
    def evaluations(self) -> float:  # each player's own gradient counts as a half
        options = dict(self.options)
        return (options["d_steps"] + options["g_steps"]) / 2

    def update(self, calls, x, y, state):
        options = dict(self.options)
        for _ in range(options["d_steps"]):
            x, y, state = self._player_update(calls, x, y, state, 1)
        for _ in range(options["g_steps"]):
            x, y, state = self._player_update(calls, x, y, state, 0)
        return x, y, state


class Extragradient(Scheme):
    kind = "extragradient"
    evaluations = 2

    def update(self, calls, x, y, state):
        xh, yh, _, _ = self._both(state, calls.field(x, y), x, y)
        x2, y2, sx, sy = self._both(state, calls.field(xh, yh), x, y)
        return x2, y2, state._replace(x=sx, y=sy)


class Optimistic(Scheme):
    kind = "optimistic"

    def init_memory(self, calls, x, y):
        return calls.field(x, y)

    def update(self, calls, x, y, state):
        g = calls.field(x, y)
        guess = jax.tree.map(lambda now, before: 2 * now - before, g, state.memory)
        x2, y2, sx, sy = self._both(state, guess, x, y)
        return x2, y2, SchemeState(sx, sy, g)


class Consensus(Scheme):
    kind = "consensus"
    extra = ("gamma",)
    evaluations = 2  # the field and one vector-Jacobian product

    def update(self, calls, x, y, state):
        g, _, jtg = calls.products(x, y, jg=False)
        gamma = self.hyper["gamma"]
        g = jax.tree.map(lambda a, b: a + gamma * b, g, jtg)
        x2, y2, sx, sy = self._both(state, g, x, y)
        return x2, y2, state._replace(x=sx, y=sy)


class SGA(Scheme):
    kind = "sga"
    extra = ("lam",)
    evaluations = 3  # the field, a Jacobian-vector and a vector-Jacobian product

    def update(self, calls, x, y, state):
        g, jg, jtg = calls.products(x, y)
        lam = self.hyper["lam"]
        g = jax.tree.map(lambda a, jt, j: a + lam * 0.5 * (jt - j), g, jtg, jg)
        x2, y2, sx, sy = self._both(state, g, x, y)
        return x2, y2, state._replace(x=sx, y=sy)


class Proximal(Scheme):
    kind = "proximal"
    extra = ("inner_steps",)

    @property
    def evaluations(self) -> float:
        return self.evaluations_for(SOLVER_STEPS + 1)

    def evaluations_for(self, unknowns: int) -> float:
        if dict(self.options)["exact"]:  # the field and a product a solver call
            return 1.0 + _solver_calls(unknowns)
        return float(self.hyper["inner_steps"])

    def update(self, calls, x, y, state):
        field = calls.pure_field()  # one draw: the implicit equation has one noise
        if dict(self.options)["exact"]:
            return self._exact(calls, field, x, y, state)

        def towards(_, w):  # w <- z - eta g(w): one optimizer step from z on g(w)
            wx, wy, _, _ = self._both(state, field(*w), x, y)
            return wx, wy

        inner = jnp.round(self.hyper["inner_steps"]).astype(jnp.int32)
        w = jax.lax.fori_loop(0, inner - 1, towards, (x, y))
        x2, y2, sx, sy = self._both(state, calls.field(*w), x, y)
        return x2, y2, state._replace(x=sx, y=sy)

    def _exact(self, calls, field, x, y, state):
        """The gradient at z+ where the field is linear: ``(I + J diag(eta)) g+ = g(z)``
        (one Newton step on the implicit equation; exact on a linear game)."""
        g = calls.field(x, y)
        eta = (self.player_hyper(0)["learning_rate"], self.player_hyper(1)["learning_rate"])

        def matvec(v):
            scaled = tuple(
                jax.tree.map(lambda t, e=e: e * t, part) for part, e in zip(v, eta, strict=True)
            )
            jv = jax.jvp(field, (x, y), scaled)[1]
            return jax.tree.map(lambda a, b: a + b, v, tuple(jv))

        x2, y2, sx, sy = self._both(state, _solve(matvec, tuple(g)), x, y)
        return x2, y2, state._replace(x=sx, y=sy)


class Competitive(Scheme):
    kind = "competitive"

    @property
    def evaluations(self) -> float:
        return self.evaluations_for(SOLVER_STEPS + 1)

    def evaluations_for(self, unknowns: int) -> float:
        # the field, then one product of each player's gradient (a half each) per call of
        # the solver's matrix
        return 1.0 + _solver_calls(unknowns)

    def update(self, calls, x, y, state):
        g = calls.field(x, y)
        field_x, field_y = calls.pure_players()
        eta_x = self.player_hyper(0)["learning_rate"]
        eta_y = self.player_hyper(1)["learning_rate"]

        def matvec(w):  # [[I, eta_y A], [eta_x B, I]] (u, v): A = d g_x / d y, B = d g_y / d x
            u, v = w
            av = jax.jvp(lambda b: field_x(x, b), (y,), (v,))[1]
            bu = jax.jvp(lambda a: field_y(a, y), (x,), (u,))[1]
            return (
                jax.tree.map(lambda a, b: a + eta_y * b, u, av),
                jax.tree.map(lambda a, b: a + eta_x * b, v, bu),
            )

        # One linear system for both players: its solution is each player's Nash step
        # (I - eta_x eta_y A B)^-1 (g_x - eta_y A g_y), and the same for y.
        gx, gy = _solve(matvec, tuple(g))
        x2, y2, sx, sy = self._both(state, (gx, gy), x, y)
        return x2, y2, state._replace(x=sx, y=sy)


class Lookahead(Scheme):
    """``k`` steps of a base scheme on fast weights, then the slow weights move ``alpha``
    of the way to them and the fast ones restart there (see :func:`lookahead`)."""

    kind = "lookahead"

    def __init__(self, base: Scheme, k: float, alpha: float) -> None:
        if isinstance(base, Lookahead):
            raise ValueError("base_scheme must not be a lookahead scheme itself")
        self.steppers, self.shared = base.steppers, base.shared
        self.options = (("base", base.kind),) + tuple(base.options)
        self.base_cls, self.base_keys = type(base), tuple(base.hyper)
        self.hyper = dict(base.hyper) | {"k": k, "alpha": alpha}

    @property
    def extra(self) -> tuple[str, ...]:
        return self.base_cls.extra + ("k", "alpha")

    @property
    def evaluations(self) -> float:
        return self.base().evaluations

    def base(self) -> Scheme:
        """The base scheme, with this scheme's (possibly traced) numbers."""
        base = object.__new__(self.base_cls)
        base.steppers, base.shared, base.options = self.steppers, self.shared, self.options[1:]
        base.hyper = {k: self.hyper[k] for k in self.base_keys}
        return base

    def period(self, numbers: dict) -> Any:
        return numbers["k"]

    def init_memory(self, calls, x, y):
        return (self.base().init_memory(calls, x, y), x, y, jnp.zeros((), jnp.int32))

    def update(self, calls, x, y, state):
        memory, slow_x, slow_y, count = state.memory
        fx, fy, inner = self.base().update(calls, x, y, SchemeState(state.x, state.y, memory))
        count = count + 1
        sync = count % jnp.round(self.hyper["k"]).astype(jnp.int32) == 0
        alpha = self.hyper["alpha"]

        def pull(slow, fast):
            return jax.tree.map(lambda s, f: jnp.where(sync, s + alpha * (f - s), s), slow, fast)

        slow_x, slow_y = pull(slow_x, fx), pull(slow_y, fy)
        x2 = jax.tree.map(lambda s, f: jnp.where(sync, s, f), slow_x, fx)
        y2 = jax.tree.map(lambda s, f: jnp.where(sync, s, f), slow_y, fy)
        return x2, y2, inner._replace(memory=(inner.memory, slow_x, slow_y, count))


class LEAD(Scheme):
    kind = "lead"
    extra = ("coupling",)
    evaluations = 2  # the field, and one product of each player's own gradient (a half each)

    def init_memory(self, calls, x, y):
        return (x, y)  # the previous point: the first step has moved nothing yet

    def _player_update(self, calls, x, y, state, player):
        # a half step (Step G / Step D) is a move too: the next coupling sees it
        x2, y2, state = super()._player_update(calls, x, y, state, player)
        return x2, y2, state._replace(memory=(x, y))

    def update(self, calls, x, y, state):
        g = calls.field(x, y)
        field_x, field_y = calls.pure_players()
        before_x, before_y = state.memory
        dx = jax.tree.map(jnp.subtract, x, before_x)
        dy = jax.tree.map(jnp.subtract, y, before_y)
        # each player's own gradient, differentiated along the other's last move only
        ax = jax.jvp(lambda b: field_x(x, b), (y,), (dy,))[1]  # (d g_x / d y) dy
        by = jax.jvp(lambda a: field_y(a, y), (x,), (dx,))[1]  # (d g_y / d x) dx
        c = self.hyper["coupling"]
        g = (
            jax.tree.map(lambda a, b: a + c * b, g[0], ax),
            jax.tree.map(lambda a, b: a + c * b, g[1], by),
        )
        x2, y2, sx, sy = self._both(state, g, x, y)
        return x2, y2, SchemeState(sx, sy, (x, y))


_pytree.register(Lookahead, ["hyper"], ["steppers", "shared", "options", "base_cls", "base_keys"])


def _solver_calls(unknowns: int) -> int:
    """Calls of the matrix by :func:`_solve`: one per unknown (assembled) on small systems;
    on large ones JAX's GMRES takes one for the start, one per iteration, one at the end."""
    return unknowns if unknowns <= SOLVER_STEPS else SOLVER_STEPS + 2


def _solve(matvec: Any, rhs: Any) -> Any:
    """``matvec^-1 rhs``: a dense solve of the assembled matrix up to :data:`SOLVER_STEPS`
    unknowns (a 2-D game: exact, and cheaper than an iterative solver's bookkeeping);
    beyond, a fixed budget of matrix-free GMRES iterations (networks)."""
    size = sum(leaf.size for leaf in jax.tree.leaves(rhs))
    if size == 0:
        return rhs
    if size <= SOLVER_STEPS:
        flat, unravel = jax.flatten_util.ravel_pytree(rhs)
        columns = jax.vmap(lambda e: jax.flatten_util.ravel_pytree(matvec(unravel(e)))[0])
        matrix = columns(jnp.eye(size, dtype=flat.dtype)).T
        return unravel(jnp.linalg.solve(matrix, flat))
    # GMRES drops vectors below float epsilon: solve for the unit right-hand side (the
    # system is linear), so a run closing in on its equilibrium keeps moving.
    norm = jnp.sqrt(sum(jnp.sum(leaf * leaf) for leaf in jax.tree.leaves(rhs)))
    scale = jnp.where(norm > 0, norm, 1.0)
    unit = jax.tree.map(lambda leaf: leaf / scale, rhs)
    out, _ = jax.scipy.sparse.linalg.gmres(matvec, unit, tol=1e-7, restart=SOLVER_STEPS, maxiter=1)
    return jax.tree.map(lambda leaf: leaf * scale, out)


for _cls in (
    Simultaneous,
    Alternating,
    Extragradient,
    Optimistic,
    Consensus,
    SGA,
    Proximal,
    Competitive,
    LEAD,
):
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
        ("d_steps", _checks.count("d_steps", d_steps, maximum=MAX_INNER_STEPS)),
        ("g_steps", _checks.count("g_steps", g_steps, maximum=MAX_INNER_STEPS)),
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


def proximal(opt: Any, inner_steps: int = 10, *, exact: bool = False) -> Scheme:
    """The proximal point (implicit) step ``z+ = z - eta g(z+)``.

    Solved by ``inner_steps`` fixed-point iterations ``w <- z - eta g(w)`` (a traced
    number: changing it never recompiles; one gradient evaluation each), which contract
    when ``eta`` times the field's Lipschitz constant is below 1; or, with ``exact``, by
    a linear solve ``(I + eta J) (z+ - z) = -eta g(z)``: exact on a linear game for every
    ``eta`` (one Newton step on others). On ``x y`` it shrinks every step by
    ``1 / sqrt(1 + eta^2)``.

    >>> import gankit as gk
    >>> r = gk.analysis.spectral_radius(gk.games.Bilinear(), gk.schemes.proximal(0.5, 40), [0, 0])
    >>> round(r, 6) == round(1 / (1 + 0.5**2) ** 0.5, 6)
    True
    >>> r = gk.analysis.spectral_radius(gk.games.Bilinear(), gk.schemes.proximal(3.0, exact=True), [0, 0])
    >>> round(r, 6) == round(1 / (1 + 3.0**2) ** 0.5, 6)
    True
    """
    if not isinstance(exact, bool):
        raise _checks.ArgumentTypeError(f"exact must be True or False, got {exact!r}")
    steps = _checks.count("inner_steps", inner_steps, 1, MAX_INNER_STEPS)
    return Proximal(opt, (("exact", exact),), inner_steps=steps)


def competitive(opt: Any) -> Scheme:
    """Competitive gradient descent (Schäfer & Anandkumar 2019): each player steps to the
    Nash equilibrium of the local bilinear game regularised by its step size,

    ``dx = -eta_x (I - eta_x eta_y A B)^-1 (g_x - eta_y A g_y)`` (and the same for y),
    with ``A = d g_x / d y`` and ``B = d g_y / d x``. Both steps solve one linear system,
    ``[[I, eta_y A], [eta_x B, I]] (u, v) = g``, with ``A`` and ``B`` used through
    Jacobian-vector products: solved exactly on small games (the matrix assembled from
    them), by :data:`SOLVER_STEPS` GMRES iterations on networks (two Jacobian-vector
    products each). On ``x y`` it is the proximal point map.

    >>> import gankit as gk
    >>> r = gk.analysis.spectral_radius(gk.games.Bilinear(), gk.schemes.competitive(0.5), [0, 0])
    >>> round(r, 6) == round(1 / (1 + 0.5**2) ** 0.5, 6)
    True
    """
    return Competitive(opt)


def lookahead(base_scheme: Scheme, k: float = 5, alpha: float = 0.5) -> Scheme:
    """Look-ahead minimax (Chavdarova et al. 2021): ``k`` steps of ``base_scheme`` (any
    scheme), then the slow weights move ``alpha`` of the way to the fast ones, which
    restart from them. ``k`` and ``alpha`` are traced numbers. It costs what the base
    scheme costs; its linear rate is taken over the ``k``-step cycle (per step:
    ``rho(cycle) ** (1/k)``).

    >>> import gankit as gk
    >>> scheme = gk.schemes.lookahead(gk.schemes.simultaneous(0.5), k=5, alpha=0.5)
    >>> r = gk.analysis.spectral_radius(gk.games.Bilinear(), scheme, [0, 0])
    >>> round(r, 6) == round(abs(0.5 + 0.5 * (1 + 0.5j) ** 5) ** (1 / 5), 6)
    True
    """
    if not isinstance(base_scheme, Scheme):
        raise _checks.ArgumentTypeError(f"base_scheme must be a gankit scheme, got {base_scheme!r}")
    steps = _checks.finite("k", k)
    if not steps.is_integer():
        raise ValueError(f"k must be a whole number of steps, got {k!r}")
    k = _checks.count("k", int(steps), 1, MAX_INNER_STEPS)
    alpha = _checks.finite("alpha", alpha)
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
    return Lookahead(base_scheme, float(k), alpha)


def lead(opt: Any, coupling: float = 1.0) -> Scheme:
    """LEAD (Hemmat, Mitra, Lajoie & Mitliagkas, "LEAD: Min-Max Optimization from a
    Physical Perspective", TMLR 2023): each player's gradient gains a coupling force from
    the other's last move, ``g_x + coupling * (d g_x / d y) (y_k - y_(k-1))`` (and the
    same for y), through a Jacobian-vector product of each player's own gradient: two
    gradient evaluations a step (one player's product counts as a half).

    With plain steps ``eta`` the paper's ``alpha`` is ``eta * coupling``; its momentum
    ``beta`` is the optimizer's (``gk.optimizers.HeavyBall(eta, beta)``). On ``x y`` the
    map is ``w+ = (1 + beta + i eta (1 + c)) w - (beta + i eta c) w-`` in ``w = x + i y``,
    so its rate is the larger root of ``l^2 - (1 + beta + i eta (1 + c)) l + beta + i eta c``.

    >>> import gankit as gk, numpy as np
    >>> r = gk.analysis.spectral_radius(gk.games.Bilinear(), gk.schemes.lead(0.5, 1.0), [0] * 2)
    >>> bool(np.isclose(r, max(abs(np.roots([1, -(1 + 1j), 0.5j])))))
    True
    """
    return LEAD(opt, coupling=_checks.finite("coupling", coupling))


def _lookahead_by_name(
    opt: Any, base: str = "simultaneous", k: float = 5, alpha: float = 0.5, **base_options: Any
) -> Scheme:
    """``make("lookahead", opt, base="alternating", k=5, alpha=0.5, d_steps=2)``."""
    if base == "lookahead":
        raise ValueError("base must be a scheme other than lookahead")
    return lookahead(make(base, opt, **base_options), k=k, alpha=alpha)


_BUILDERS = {
    "simultaneous": simultaneous,
    "alternating": alternating,
    "extragradient": extragradient,
    "optimistic": optimistic,
    "consensus": consensus,
    "sga": sga,
    "proximal": proximal,
    "competitive": competitive,
    "lookahead": _lookahead_by_name,
    "lead": lead,
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


GRADIENT_PLAY = (
    "simultaneous",
    "alternating",
    "extragradient",
    "optimistic",
    "negative_momentum",
    "consensus",
    "sga",
)
"""The presets that step on gradients (maybe adjusted) at one point: the game panel's
default; the rest solve a local problem, look ahead over a cycle or couple the players."""

PRESETS = GRADIENT_PLAY + ("proximal", "competitive", "lookahead", "lead")
"""The named schemes of the game panels (:func:`preset`), in drawing order."""


def preset(
    name: str,
    learning_rate: float = 0.1,
    *,
    momentum: float | None = None,
    gamma: float = 1.0,
    lam: float = 1.0,
    inner_steps: int = 10,
    k: int = 5,
    alpha: float = 0.5,
    coupling: float = 1.0,
) -> Scheme:
    """The scheme called ``name``, with heavy-ball momentum when ``momentum`` is given.

    ``"negative_momentum"`` is alternating steps of :class:`gankit.optimizers.HeavyBall`
    (momentum -0.5 unless given; Gidel et al. 2019); ``"lookahead"`` runs over
    simultaneous steps. Every other name is the scheme of this module, on plain steps,
    or on heavy-ball steps when ``momentum`` is a number. Each scheme takes the numbers
    it has: ``gamma`` (consensus), ``lam`` (SGA), ``inner_steps`` (proximal), ``k`` and
    ``alpha`` (look-ahead), ``coupling`` (LEAD).

    >>> import gankit as gk
    >>> sorted(gk.schemes.preset("negative_momentum", 0.3).hyper)
    ['learning_rate', 'momentum']
    >>> gk.schemes.preset("consensus", 0.1, gamma=0.5).hyper
    {'learning_rate': 0.1, 'gamma': 0.5}
    >>> gk.schemes.preset("lookahead", 0.5, k=3).hyper
    {'learning_rate': 0.5, 'k': 3.0, 'alpha': 0.5}
    """
    name = _checks.choice("scheme", name, PRESETS)
    learning_rate = _checks.positive("learning_rate", learning_rate)
    if name == "negative_momentum":
        name, momentum = "alternating", -0.5 if momentum is None else momentum
    opt: Any = learning_rate
    if momentum is not None:
        opt = HeavyBall(learning_rate, float(check_hyper("momentum", momentum)))
    options = {
        "consensus": {"gamma": gamma},
        "sga": {"lam": lam},
        "proximal": {"inner_steps": inner_steps},
        "lookahead": {"k": k, "alpha": alpha},
        "lead": {"coupling": coupling},
    }.get(name, {})
    return make(name, opt, **options)


def numbers_for(scheme: Scheme, **numbers: Any) -> dict[str, Any]:
    """The subset of ``numbers`` that ``scheme`` has (a panel's sliders, per scheme).

    >>> import gankit as gk
    >>> gk.schemes.numbers_for(gk.schemes.preset("sga"), learning_rate=0.2, lam=2.0, gamma=1.0)
    {'learning_rate': 0.2, 'lam': 2.0}
    """
    return {k: v for k, v in numbers.items() if k in scheme.hyper}
