"""One catalogue of the names a person picks from: schemes, optimizers, losses, regularisers.

Every panel builds its dropdowns and sliders from here, and builds what a choice means
through here, so "WGAN-GP" or "negative momentum" means one thing in every panel and in
code. Each entry lists its numbers with a default and the range a slider offers.

>>> import gankit as gk
>>> gk.catalogue.regularizer("WGAN-GP", 5.0)
GradientPenalty(gamma=5.0, target=1.0)
>>> gk.catalogue.REGULARIZERS["instance noise"].number
Number(name='sigma', default=0.1, low=0.0, high=3.0)
>>> gk.catalogue.optimizer("Nesterov", 0.01).momentum
0.9
>>> gk.catalogue.SCHEMES["consensus"].axes
('gamma', 'momentum')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import keras

from gankit import _checks, losses, optimizers, reg, schemes


class Number(NamedTuple):
    """A number a person can set: its name, default and the range its slider offers."""

    name: str
    default: float
    low: float
    high: float


#: Ranges of the numbers the game panels slide and the stability map sweeps.
NUMBERS: dict[str, Number] = {
    "learning_rate": Number("learning_rate", 0.1, 0.01, 1.0),
    "momentum": Number("momentum", 0.0, -0.9, 0.9),
    "gamma": Number("gamma", 1.0, 0.0, 3.0),
    "lam": Number("lam", 1.0, 0.0, 3.0),
    "inner_steps": Number("inner_steps", 10, 1, 30),
    "k": Number("k", 5, 1, 20),
    "alpha": Number("alpha", 0.5, 0.05, 1.0),
    "coupling": Number("coupling", 1.0, 0.0, 3.0),
}

WHOLE_NUMBERS = ("inner_steps", "k")
"""Numbers that count steps: their sliders move in whole steps."""

LOSSES: dict[str, str] = losses.ABOUT
"""Each loss of :data:`gankit.losses.LOSSES` in a line."""


# -- schemes ------------------------------------------------------------------------


class SchemeEntry(NamedTuple):
    """A named scheme of the game panels (:func:`gankit.schemes.preset`): its core kind and
    the numbers a stability map can put on its second axis."""

    name: str
    kind: str
    axes: tuple[str, ...]
    about: str


#: The schemes the game panels know by name, in drawing order.
SCHEMES: dict[str, SchemeEntry] = {
    e.name: e
    for e in (
        SchemeEntry("simultaneous", "simultaneous", ("momentum",), "both step on g(z)"),
        SchemeEntry("alternating", "alternating", ("momentum",), "D steps, then G"),
        SchemeEntry("extragradient", "extragradient", ("momentum",), "a look-ahead step first"),
        SchemeEntry("optimistic", "optimistic", ("momentum",), "step on 2 g_k - g_(k-1)"),
        SchemeEntry(
            "negative_momentum",
            "alternating",
            ("momentum",),
            "alternating heavy-ball steps, momentum -0.5 (Gidel et al. 2019)",
        ),
        SchemeEntry("consensus", "consensus", ("gamma", "momentum"), "also descend |g|^2"),
        SchemeEntry("sga", "sga", ("lam", "momentum"), "symplectic gradient adjustment"),
        SchemeEntry(
            "proximal",
            "proximal",
            ("inner_steps", "momentum"),
            "implicit step z+ = z - eta g(z+), by inner fixed-point steps",
        ),
        SchemeEntry(
            "competitive",
            "competitive",
            ("momentum",),
            "the Nash step of the local bilinear game (Schäfer & Anandkumar 2019)",
        ),
        SchemeEntry(
            "lookahead",
            "lookahead",
            ("alpha", "k", "momentum"),
            "k simultaneous steps, then alpha of the way (Chavdarova et al. 2021)",
        ),
        SchemeEntry(
            "lead",
            "lead",
            ("coupling", "momentum"),
            "coupled by the other's last move (Hemmat et al. 2023)",
        ),
    )
}


assert tuple(SCHEMES) == schemes.PRESETS


# -- regularisers -------------------------------------------------------------------


class RegEntry(NamedTuple):
    """A regulariser by the name a panel shows: its record and its one number."""

    name: str
    build: Callable[[float], Any] | None
    number: Number | None
    about: str


REGULARIZERS: dict[str, RegEntry] = {"none": RegEntry("none", None, None, "no regulariser")} | {
    cls.label: RegEntry(cls.label, cls.from_number, Number(*cls.slider), cls.about)
    for cls in reg.REGULARIZERS
}
"""Built from the records of :mod:`gankit.reg` (their ``label``, ``slider``, ``about``):
a new regulariser is written in that one file."""


def regularizer(name: str, value: float | None = None) -> Any:
    """The record of :mod:`gankit.reg` that ``name`` means, with its number (or its default).

    A number outside the entry's range is refused with the range, never clamped.
    """
    entry = REGULARIZERS[_checks.choice("reg", name, tuple(REGULARIZERS))]
    if entry.build is None:
        return None
    number = entry.number
    value = number.default if value is None else _checks.finite(number.name, value)
    if not number.low <= value <= number.high:
        raise ValueError(
            f"{number.name} of {name} must be in [{number.low}, {number.high}], got {value!r}"
        )
    return entry.build(value)


def reg_number_name(name: str) -> str | None:
    """The name under which ``gk.GAN.hyper`` holds this regulariser's number, or None.

    >>> import gankit as gk
    >>> gk.catalogue.reg_number_name("WGAN-GP")
    'GradientPenalty_gamma'
    """
    record = regularizer(name)
    entry = REGULARIZERS[name]
    return None if record is None else f"{type(record).__name__}_{entry.number.name}"


# -- optimizers ---------------------------------------------------------------------

#: Optimizers by the names the panels show (the race's legend order).
OPTIMIZERS: dict[str, str] = {
    "SGD": "plain gradient steps",
    "Momentum": "heavy ball, momentum 0.9",
    "Nesterov": "Nesterov momentum 0.9",
    "Adam": "Adam (Kingma & Ba 2015)",
    "RMSprop": "RMSprop",
    "Adagrad": "Adagrad",
    "Subgradient": "subgradient steps with a step schedule",
}


def optimizer(
    name: str, learning_rate: float, *, schedule: str = "constant", **options: Any
) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer called ``name`` with ``learning_rate`` (and Keras options).

    >>> import gankit as gk
    >>> type(gk.catalogue.optimizer("Adam", 1e-3, beta_1=0.5)).__name__
    'Adam'
    """
    name = _checks.choice("optimizer", name, tuple(OPTIMIZERS))
    lr = _checks.positive("learning_rate", learning_rate)
    if name == "SGD":
        return keras.optimizers.SGD(lr, **options)
    if name == "Momentum":
        return optimizers.HeavyBall(lr, momentum=options.pop("momentum", 0.9), **options)
    if name == "Nesterov":
        return optimizers.Nesterov(lr, momentum=options.pop("momentum", 0.9), **options)
    if name == "Adam":
        return keras.optimizers.Adam(lr, **options)
    if name == "RMSprop":
        return keras.optimizers.RMSprop(lr, **options)
    if name == "Adagrad":
        return keras.optimizers.Adagrad(lr, **options)
    return optimizers.Subgradient(lr, schedule=schedule, **options)
