"""Property-based: random malformed input to every public entry point gets a clear error.

For each entry point and parameter, hypothesis draws values that are wrong for it (of
the wrong type, out of range, malformed arrays, unknown names) and the call must raise
a ``ValueError`` or ``TypeError`` whose message names the parameter: never a hang, a
crash, numpy's or h5py's own words, or a silent acceptance.
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import math

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gankit as gk

EXAMPLES = 25

# -- what is wrong for each kind of parameter ----------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=6),
    st.binary(max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.lists(st.text(max_size=3), min_size=1, max_size=3),
    st.just(object()),
    st.just(print),
)
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NOT_POSITIVE = st.one_of(st.floats(max_value=0.0, allow_nan=False), st.integers(max_value=0))
NEGATIVE = st.one_of(st.floats(max_value=-1e-9, allow_nan=False), st.integers(max_value=-1))
BAD_POSITIVE = st.one_of(JUNK, NOT_FINITE, NOT_POSITIVE)
BAD_NUMBER = st.one_of(JUNK, NOT_FINITE)
BAD_FRACTION = st.one_of(
    BAD_NUMBER, st.floats(min_value=1.0, allow_nan=False, allow_infinity=False), NEGATIVE
)


def bad_count(minimum: int = 1, maximum: int | None = None) -> st.SearchStrategy:
    """What is not an integer in ``[minimum, maximum]``."""
    wrong = [JUNK, NOT_FINITE, st.floats(allow_nan=False), st.integers(max_value=minimum - 1)]
    if maximum is not None:
        wrong.append(st.integers(min_value=maximum + 1))
    return st.one_of(*wrong)


def bad_name(allowed: tuple) -> st.SearchStrategy:
    return st.one_of(
        st.text(max_size=10).filter(lambda s: s not in allowed),
        st.integers(),
        st.none(),
        st.lists(st.sampled_from(allowed), min_size=2, max_size=2),
    )


def bad_points(width: int) -> st.SearchStrategy:
    """Arrays that are not ``(n, width)`` finite numbers."""
    return st.one_of(
        JUNK.filter(lambda v: not isinstance(v, list)),
        st.just([]),
        st.just(np.zeros((0, width))),
        st.just(np.zeros((3, width + 1))),
        st.just(np.zeros(width * 3)),
        st.just([[1.0] * width, [1.0] * (width + 1)]),  # ragged
        st.just(np.full((2, width), np.nan)),
        st.just(np.full((2, width), np.inf)),
        st.lists(
            st.lists(st.text(min_size=1, max_size=2), min_size=width, max_size=width),
            min_size=1,
            max_size=3,
        ),
    )


def bad_point(width: int) -> st.SearchStrategy:
    """What is not one point of ``width`` finite numbers."""
    return st.one_of(
        JUNK,
        st.just([math.nan] * width),
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False), min_size=width + 1, max_size=width + 3
        ),
        st.just([[0.0] * width, [0.0]]),
    )


# -- the entry points ------------------------------------------------------------------

B = gk.games.Bilinear()


def _gan(**kw) -> gk.GAN:
    return gk.GAN(gk.models.mlp_generator(units=8), gk.models.mlp_discriminator(units=8), **kw)


_SHARED: dict = {}


def gan() -> gk.GAN:
    if "gan" not in _SHARED:
        _SHARED["gan"] = _gan()
    return _SHARED["gan"]


X = gk.data.toy("ring8", 128, seed=0)

CASES = [
    # (entry point, parameter, what is wrong for it, the call)
    (
        "Bilinear",
        "A",
        bad_points(2).filter(
            lambda v: (
                v is not None
                and (
                    not isinstance(v, np.ndarray)
                    or v.ndim != 2
                    or 0 in v.shape
                    or not np.all(np.isfinite(v))
                )
            )
        ),
        lambda v: gk.games.Bilinear(A=v),
    ),
    ("DiracGAN", "loss", bad_name(gk.losses.LOSSES), lambda v: gk.games.DiracGAN(v)),
    (
        "DiracGAN",
        "reg",
        st.one_of(
            st.text(max_size=4), st.integers(), st.lists(st.integers(), min_size=1, max_size=2)
        ),
        lambda v: gk.games.DiracGAN("gan", reg=v),
    ),
    ("Quadratic", "condition", BAD_POSITIVE, lambda v: gk.surfaces.Quadratic(condition=v)),
    ("Abs", "weights", bad_point(2), lambda v: gk.surfaces.Abs(weights=v)),
    (
        "from_function",
        "f",
        JUNK.filter(lambda v: not callable(v)),
        lambda v: gk.games.from_function(v),
    ),
    (
        "simultaneous",
        "opt",
        BAD_POSITIVE.filter(lambda v: not isinstance(v, list | tuple)),
        lambda v: gk.schemes.simultaneous(v),
    ),
    ("alternating", "d_steps", bad_count(1, 100), lambda v: gk.schemes.alternating(0.1, d_steps=v)),
    ("alternating", "g_steps", bad_count(1, 100), lambda v: gk.schemes.alternating(0.1, g_steps=v)),
    ("make", "scheme", bad_name(gk.schemes.SCHEMES), lambda v: gk.schemes.make(v, 0.1)),
    (
        "HeavyBall",
        "learning_rate",
        BAD_POSITIVE.filter(lambda v: not callable(v)),
        lambda v: gk.optimizers.HeavyBall(v),
    ),
    (
        "HeavyBall",
        "momentum",
        st.one_of(
            BAD_NUMBER,
            st.floats(min_value=1.0, allow_nan=False, allow_infinity=False),
            st.floats(max_value=-1.0, allow_nan=False, allow_infinity=False),
        ),
        lambda v: gk.optimizers.HeavyBall(0.1, momentum=v),
    ),
    (
        "Subgradient",
        "schedule",
        bad_name(gk.optimizers.SCHEDULES).filter(lambda v: not callable(v)),
        lambda v: gk.optimizers.Subgradient(0.1, schedule=v),
    ),
    ("simulate", "steps", bad_count(1), lambda v: gk.simulate(B, 0.1, steps=v)),
    (
        "simulate",
        "start",
        bad_points(2).filter(
            lambda v: (
                not isinstance(v, np.ndarray)
                or v.shape[-1:] != (2,)
                or v.size == 0
                or not np.all(np.isfinite(v))
            )
        ),
        lambda v: gk.simulate(B, 0.1, steps=3, start=v),
    ),
    ("simulate", "bound", BAD_POSITIVE, lambda v: gk.simulate(B, 0.1, steps=3, bound=v)),
    (
        "simulate",
        "learning_rate",
        BAD_POSITIVE.filter(lambda v: v is not None),
        lambda v: gk.simulate(B, 0.1, steps=3, learning_rate=v),
    ),
    (
        "simulate",
        "beta_1",
        BAD_FRACTION.filter(lambda v: v is not None),
        lambda v: gk.simulate(B, keras.optimizers.Adam(0.1), steps=3, beta_1=v),
    ),
    ("simulate", "game", JUNK, lambda v: gk.simulate(v, 0.1, steps=3)),
    ("jacobian", "point", bad_point(2), lambda v: gk.analysis.jacobian(B, v)),
    ("spectral_radius", "point", bad_point(2), lambda v: gk.analysis.spectral_radius(B, 0.1, v)),
    ("value_grid", "n", bad_count(2), lambda v: gk.analysis.value_grid(B, (-1, 1, -1, 1), v)),
    ("toy", "name", bad_name(gk.data.TOY_DATASETS), lambda v: gk.data.toy(v, 10)),
    ("toy", "n", bad_count(1), lambda v: gk.data.toy("ring8", v)),
    ("points", "data", bad_points(2), lambda v: gk.data.points(v)),
    ("mnist", "split", bad_name(gk.data.SPLITS), lambda v: gk.data.mnist(v, path=".")),
    ("mode_coverage", "samples", bad_points(2), lambda v: gk.metrics.mode_coverage(v, "ring8")),
    (
        "mode_coverage",
        "dataset",
        bad_name(gk.data.MODE_DATASETS).filter(lambda v: not isinstance(v, list)),
        lambda v: gk.metrics.mode_coverage(X, v),
    ),
    (
        "mode_coverage",
        "threshold",
        BAD_POSITIVE,
        lambda v: gk.metrics.mode_coverage(X, "ring8", threshold=v),
    ),
    ("GAN", "loss", bad_name(gk.losses.LOSSES), lambda v: _gan(loss=v)),
    ("GAN", "noise", bad_name(gk.models.NOISES), lambda v: _gan(noise=v)),
    (
        "GAN",
        "seed",
        st.one_of(
            JUNK.filter(lambda v: v is not None),
            st.integers(max_value=-1),
            st.integers(min_value=2**32),
            st.floats(),
        ),
        lambda v: _gan(seed=v),
    ),
    ("GAN", "ema", BAD_FRACTION.filter(lambda v: v is not None), lambda v: _gan(ema=v)),
    (
        "GAN",
        "weight_clip",
        BAD_POSITIVE.filter(lambda v: v is not None),
        lambda v: _gan(weight_clip=v),
    ),
    ("GAN", "scheme", bad_name(gk.schemes.SCHEMES), lambda v: _gan(scheme=v)),
    ("train_steps", "steps", bad_count(1), lambda v: gan().train_steps(X, steps=v, batch_size=16)),
    (
        "train_steps",
        "batch_size",
        bad_count(1),
        lambda v: gan().train_steps(X, steps=1, batch_size=v),
    ),
    (
        "train_steps",
        "mode",
        bad_name(("both", "d", "g")),
        lambda v: gan().train_steps(X, steps=1, mode=v),
    ),
    (
        "train_steps",
        "samples",
        bad_points(2),
        lambda v: gan().train_steps(v, steps=1, batch_size=4),
    ),
    ("sample", "n", bad_count(1), lambda v: gan().sample(v)),
    (
        "sample",
        "seed",
        st.one_of(JUNK, st.integers(max_value=-1), st.floats()),
        lambda v: gan().sample(4, seed=v),
    ),
    ("fit", "batch_size", bad_count(1), lambda v: gan().fit(X, batch_size=v, verbose=0)),
    ("fit", "epochs", bad_count(1), lambda v: gan().fit(X, batch_size=64, epochs=v, verbose=0)),
    (
        "fit",
        "steps_per_epoch",
        bad_count(1).filter(lambda v: v is not None),
        lambda v: gan().fit(X, batch_size=64, steps_per_epoch=v, verbose=0),
    ),
    (
        "set_numbers",
        "d_learning_rate",
        BAD_POSITIVE,
        lambda v: gan().set_numbers(d_learning_rate=v),
    ),
    ("set_numbers", "g_beta_1", BAD_FRACTION, lambda v: gan().set_numbers(g_beta_1=v)),
    (
        "runs",
        "seeds",
        st.one_of(
            JUNK.filter(lambda v: not isinstance(v, dict | list)),
            st.lists(st.text(max_size=2), min_size=1, max_size=2),
            st.just([]),
        ),
        lambda v: gan().runs(v),
    ),
    ("discriminate", "samples", bad_points(2), lambda v: gan().discriminate(v)),
    ("transform", "z", bad_points(2), lambda v: gan().transform(v)),
    (
        "load_checkpoint",
        "path",
        JUNK.filter(lambda v: not isinstance(v, str)),
        lambda v: gan().load_checkpoint(v),
    ),
    (
        "regularizer",
        "reg",
        bad_name(tuple(gk.catalogue.REGULARIZERS)),
        lambda v: gk.catalogue.regularizer(v),
    ),
]

TRIED: dict[str, int] = {}


@pytest.mark.parametrize("entry, name, wrong, call", CASES, ids=[f"{e}-{n}" for e, n, *_ in CASES])
def test_malformed_input_gets_an_error_naming_the_parameter(entry, name, wrong, call):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
    @given(value=wrong)
    def check(value):
        TRIED[entry + "." + name] = TRIED.get(entry + "." + name, 0) + 1
        with pytest.raises((ValueError, TypeError)) as caught:
            call(value)
        message = str(caught.value)
        assert name in message, f"{entry}({name}={value!r}) said: {message}"
        for foreign in (
            "could not convert",
            "inhomogeneous",
            "invalid literal",
            "signature not found",
        ):
            assert foreign not in message, message

    check()
