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
{'x_learning_rate': 0.1, 'y_learning_rate': 0.2, 'gamma': 0.5}
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, NamedTuple

import jax
import numpy as np

from gankit import _checks, _pytree
from gankit.optimizers import HeavyBall
from gankit.steppers import stepper

SCHEMES = ("simultaneous", "alternating", "extragradient", "optimistic", "consensus", "sga")


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
    }
    if base in rules:
        ok, allowed = rules[base]
        if not np.all(ok(arr)):
            raise ValueError(f"{name} must be {allowed} (and finite), got {value!r}")
    return arr


MAX_INNER_STEPS = 100
"""The most inner steps a scheme takes per update (each is unrolled in the program)."""


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
    """Gradient evaluations of both players per step (the panels show it)."""

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


PRESETS = (
    "simultaneous",
    "alternating",
    "extragradient",
    "optimistic",
    "negative_momentum",
    "consensus",
    "sga",
)
"""The named schemes of the game panels (:func:`preset`), in drawing order."""


def preset(
    name: str,
    learning_rate: float = 0.1,
    *,
    momentum: float | None = None,
    gamma: float = 1.0,
    lam: float = 1.0,
) -> Scheme:
    """The scheme called ``name``, with heavy-ball momentum when ``momentum`` is given.

    ``"negative_momentum"`` is alternating steps of :class:`gankit.optimizers.HeavyBall`
    (momentum -0.5 unless given; Gidel et al. 2019). Every other name is the scheme of
    this module, on plain steps, or on heavy-ball steps when ``momentum`` is a number.

    >>> import gankit as gk
    >>> sorted(gk.schemes.preset("negative_momentum", 0.3).hyper)
    ['learning_rate', 'momentum']
    >>> gk.schemes.preset("consensus", 0.1, gamma=0.5).hyper
    {'learning_rate': 0.1, 'gamma': 0.5}
    """
    name = _checks.choice("scheme", name, PRESETS)
    learning_rate = _checks.positive("learning_rate", learning_rate)
    if name == "negative_momentum":
        name, momentum = "alternating", -0.5 if momentum is None else momentum
    opt: Any = learning_rate
    if momentum is not None:
        opt = HeavyBall(learning_rate, float(check_hyper("momentum", momentum)))
    options = {"consensus": {"gamma": gamma}, "sga": {"lam": lam}}.get(name, {})
    return make(name, opt, **options)


def numbers_for(scheme: Scheme, **numbers: Any) -> dict[str, Any]:
    """The subset of ``numbers`` that ``scheme`` has (a panel's sliders, per scheme).

    >>> import gankit as gk
    >>> gk.schemes.numbers_for(gk.schemes.preset("sga"), learning_rate=0.2, lam=2.0, gamma=1.0)
    {'learning_rate': 0.2, 'lam': 2.0}
    """
    return {k: v for k, v in numbers.items() if k in scheme.hyper}
