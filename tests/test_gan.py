"""gk.GAN: fit threads both optimizers, every scheme trains, state resumes exactly.

Compiling a GAN's step is most of the cost of these tests, so they are written to share
compiled programs: identically built GANs reuse one program (gk.GAN caches by structure),
the models are as small as the assertions allow, ``train_steps`` always runs ``STEPS``
steps of ``BATCH`` samples (both are static: another value compiles again), and the tests
that need special losses, regularisers or schemes reuse a few common structures.
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import os
import warnings

import gankit as gk
import jax
import keras
import numpy as np
import pytest
from gankit import data

X = data.toy("ring8", 512, seed=0)
STEPS, BATCH = 4, 64  # every train_steps call: one compiled program per structure
ALL_REGS = [gk.reg.R1(1.0), gk.reg.R2(0.5), gk.reg.GradientPenalty(1.0), gk.reg.InstanceNoise(0.1)]
# Structures several tests share (numbers such as ema=0.5 vs 0.9 are traced, not structure).
OPTIMISTIC = {"scheme": "optimistic", "ema": 0.9, "reg": gk.reg.InstanceNoise(0.05)}
ALTERNATING = {
    "loss": "hinge",
    "reg": gk.reg.R1(2.0),
    "scheme": "alternating",
    "d_steps": 3,
    "g_steps": 2,
    "ema": 0.9,
}
WGAN = {
    "loss": "wgan",
    "reg": ALL_REGS,
    "weight_clip": 0.01,
    "d_optimizer": "rmsprop",
}


def make(seed: int = 1, units: int = 8, **kw) -> gk.GAN:
    keras.utils.set_random_seed(seed)
    if kw.get("d_optimizer") == "rmsprop":
        kw["d_optimizer"] = keras.optimizers.RMSprop(5e-3)
    g = gk.models.mlp_generator(noise_dim=2, layers=1, units=units)
    d = gk.models.mlp_discriminator(layers=1, units=units)
    return gk.GAN(g, d, **kw)


def train(gan: gk.GAN, **kw) -> np.ndarray:
    return gan.train_steps(X, steps=STEPS, batch_size=BATCH, **kw)


def values(variables) -> list[np.ndarray]:
    return [np.array(v.value if hasattr(v, "value") else v) for v in variables]


def test_fit_advances_both_optimizers_and_their_adam_moments():
    gan = make()
    g_m0 = values(gan.g_optimizer.variables)
    gan.fit(X, batch_size=128, epochs=2, verbose=0)
    assert int(gan.g_optimizer.iterations) == 8 and int(gan.d_optimizer.iterations) == 8
    assert gan.step == 8
    # Adam's moments (all variables but iterations and learning rate) really moved, and
    # keep moving on the next fit (not reset to zero at every step, keras issue 19358).
    moved = [
        not np.array_equal(a, b)
        for a, b in zip(g_m0, values(gan.g_optimizer.variables), strict=True)
    ]
    assert sum(moved) >= len(moved) - 2
    for opt in (gan.g_optimizer, gan.d_optimizer):
        assert all(np.abs(np.asarray(m.value)).sum() > 0 for m in opt._momentums)
        assert all(np.abs(np.asarray(v.value)).sum() > 0 for v in opt._velocities)
    m1 = values(gan.d_optimizer._momentums)
    gan.fit(X, batch_size=128, epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations) == 12
    assert not np.array_equal(m1[0], np.asarray(gan.d_optimizer._momentums[0].value))


def test_fit_matches_train_steps_update_rule():
    # Adam state carried across steps: 3 fit steps equal 3 steps of the pure step
    # function fed the same batches.
    a, b = make(), make()
    a.fit(X[:384], batch_size=128, epochs=1, verbose=0, shuffle=False)
    for k in range(3):
        state = b.get_state()
        new, _ = gk.gan.step.train_step(
            b.spec, state, jax.numpy.asarray(X[k * 128 : (k + 1) * 128])
        )
        b.set_state(new)
    for va, vb in zip(values(a.generator.weights), values(b.generator.weights), strict=True):
        np.testing.assert_allclose(va, vb, rtol=1e-5, atol=1e-6)


def test_identically_built_gans_share_compiled_programs():
    a, b = make(seed=1), make(seed=2)
    train(a)
    before = gk.compile_count("train")
    train(b)  # other weights, same structure: no new trace
    assert gk.compile_count("train") == before
    assert a.programs.get("sample") is b.programs.get("sample")
    assert make(units=9).programs.get("sample") is not a.programs.get("sample")
    assert make(loss="hinge").programs.get("sample") is not a.programs.get("sample")
    # and the shared program computes each GAN's own run
    c = make(seed=2)
    c.set_state(a.fresh_state(5))
    d = make(seed=3)
    d.set_state(a.fresh_state(5))
    np.testing.assert_array_equal(train(c), train(d))


def test_alternating_counts_d_steps_and_g_steps(alternating_fitted):
    gan = alternating_fitted
    assert int(gan.d_optimizer.iterations) == 12
    assert int(gan.g_optimizer.iterations) == 8


SCHEME_STRUCTURES = {"optimistic": OPTIMISTIC}  # the others: plain make(scheme=...)


@pytest.mark.parametrize("scheme", gk.schemes.SCHEMES)
def test_every_scheme_trains_through_fit_and_stays_finite(scheme):
    """Every scheme through ``fit`` (``train_steps`` follows the Dirac-GAN exactly under
    every scheme in test_engine; test_mnist_training fits every loss and regulariser)."""
    gan = make(**SCHEME_STRUCTURES.get(scheme, {"scheme": scheme}))
    assert gan.scheme_name == scheme
    before = values(gan.discriminator.weights)
    history = gan.fit(X, batch_size=BATCH, epochs=1, steps_per_epoch=STEPS, verbose=0).history
    assert np.all(np.isfinite(history["d_loss"] + history["g_loss"]))
    assert gan.step == STEPS and gan.halted_at is None
    # both optimizers carried their state through fit (keras issue 19358)
    assert int(gan.d_optimizer.iterations) >= STEPS and int(gan.g_optimizer.iterations) >= STEPS
    after = values(gan.discriminator.weights)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert gan.sample(4).shape == (4, 2)


@pytest.mark.parametrize("loss", ["nsgan", "wgan"])  # the rest: closed forms in test_losses
def test_every_loss_and_regulariser_trains(loss):
    if loss == "wgan":
        gan = make(**WGAN)
    else:
        gan = make(loss=loss, reg=ALL_REGS + [gk.reg.LabelSmoothing(0.9)])
        assert "LabelSmoothing_real_label" in gan.hyper
    assert np.all(np.isfinite(train(gan)))
    assert "R1_gamma" in gan.hyper and "InstanceNoise_sigma" in gan.hyper
    assert "GradientPenalty_gamma" in gan.hyper and "R2_gamma" in gan.hyper


def test_any_number_of_steps_runs_one_program_and_matches_single_steps():
    """A Step press (1 step), a frame (any steps-per-frame) and a long run share one
    compiled program; the losses and weights are those of steps taken one by one."""
    a, b = make(), make()

    def run(gan: gk.GAN, steps: int) -> np.ndarray:
        return gan.train_steps(X, steps=steps, batch_size=BATCH)

    run(a, 3)
    before = gk.compile_count("train")
    losses = np.concatenate([run(a, n) for n in (1, 7, 2, 40)])
    assert gk.compile_count("train") == before
    assert losses.shape == (50, 2) and np.all(np.isfinite(losses))
    run(b, 3)
    one_by_one = np.concatenate([run(b, 1) for _ in range(50)])
    np.testing.assert_array_equal(losses, one_by_one)
    for va, vb in zip(values(a.generator.weights), values(b.generator.weights), strict=True):
        np.testing.assert_array_equal(va, vb)
    runs = a.runs([1, 2])
    runs.train(X, steps=2, batch_size=BATCH)
    before = gk.compile_count("train")
    assert runs.train(X, steps=5, batch_size=BATCH).shape == (2, 5, 2)
    assert gk.compile_count("train") == before


def test_changing_numbers_applies_at_once_and_never_recompiles():
    kw = {"reg": ALL_REGS + [gk.reg.LabelSmoothing(0.9)]}
    gan = make(**kw)
    train(gan)
    before = gk.compile_count("train")
    state = gan.get_state()
    gan.set_numbers(**{"d_learning_rate": 0.05, "R1_gamma": 10.0, "g_beta_1": 0.9})
    assert gan.hyper["d_learning_rate"] == pytest.approx(0.05)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(0.05)
    train(gan)
    assert gk.compile_count("train") == before
    other = make(**kw)
    other.set_state(state)
    train(other)  # same start, old numbers
    assert not np.allclose(
        values(gan.discriminator.weights)[0], values(other.discriminator.weights)[0]
    )
    with pytest.raises(ValueError, match="unknown number"):
        gan.set_numbers(momentum=0.5)
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        gan.set_numbers(**{"g_learning_rate": -1.0})


def test_step_d_and_step_g_move_one_player_only():
    gan = make()
    g0, d0 = values(gan.generator.weights), values(gan.discriminator.weights)
    gan.train_steps(X, steps=1, batch_size=BATCH, mode="d")
    assert all(np.array_equal(a, b) for a, b in zip(g0, values(gan.generator.weights), strict=True))
    assert not np.array_equal(d0[0], values(gan.discriminator.weights)[0])
    assert int(gan.d_optimizer.iterations) == 1 and int(gan.g_optimizer.iterations) == 0
    d1 = values(gan.discriminator.weights)
    gan.train_steps(X, steps=1, batch_size=BATCH, mode="g")
    assert all(
        np.array_equal(a, b) for a, b in zip(d1, values(gan.discriminator.weights), strict=True)
    )
    assert int(gan.g_optimizer.iterations) == 1


def test_gradient_clipping_works_through_the_scheme():
    sgd = keras.optimizers.SGD
    gan = make(g_optimizer=sgd(1.0, clipvalue=1e-3), d_optimizer=sgd(1.0, global_clipnorm=1e-3))
    g0, d0 = values(gan.generator.weights), values(gan.discriminator.weights)
    gan.train_steps(X, steps=1, batch_size=BATCH)
    g_step = max(
        np.abs(a - b).max() for a, b in zip(g0, values(gan.generator.weights), strict=True)
    )
    d_sq = sum(
        ((a - b) ** 2).sum() for a, b in zip(d0, values(gan.discriminator.weights), strict=True)
    )
    assert 0 < g_step <= 1e-3 * (1 + 1e-5)
    assert 0 < np.sqrt(d_sq) <= 1e-3 * (1 + 1e-4)


def test_weight_clip_bounds_the_discriminator():
    gan = make(**WGAN)
    before = values(gan.discriminator.trainable_weights)
    train(gan)
    after = values(gan.discriminator.trainable_weights)
    assert max(np.abs(w).max() for w in before) > 0.01  # the clip had work to do
    assert max(np.abs(w).max() for w in after) <= 0.01


def test_ema_is_an_average_and_sample_uses_it():
    gan = make(**(OPTIMISTIC | {"ema": 0.5}))
    assert gan.hyper["ema"] == 0.5
    live0 = values(gan.generator.trainable_weights)
    gan.train_steps(X, steps=STEPS, batch_size=BATCH)
    live = values(gan.generator.trainable_weights)
    ema = values(gan.ema_weights)
    assert not np.allclose(live[0], ema[0])
    assert not np.allclose(live0[0], ema[0])
    assert not np.allclose(gan.sample(16, seed=3), gan.sample(16, seed=3, ema=False))
    with pytest.raises(ValueError, match="ema"):
        make().sample(4, ema=True)


def test_sample_is_seeded_and_shaped():
    gan = make()
    a, b = gan.sample(32, seed=5), gan.sample(32, seed=5)
    assert a.shape == (32, 2) and np.array_equal(a, b)
    assert not np.array_equal(a, gan.sample(32, seed=6))
    assert gan.transform(np.zeros((3, 2))).shape == (3, 2)
    assert gan.discriminate(X[:7]).shape == (7,)


def test_batchnorm_statistics_are_threaded_through_fit():
    keras.utils.set_random_seed(0)
    g = gk.models.mlp_generator(layers=1, units=8, batch_norm=True)
    d = gk.models.mlp_discriminator(layers=1, units=8, batch_norm=True)
    gan = gk.GAN(g, d)
    g_stats, d_stats = values(g.non_trainable_weights), values(d.non_trainable_weights)
    gan.fit(X, batch_size=128, epochs=1, verbose=0)
    assert not np.allclose(g_stats[0], values(g.non_trainable_weights)[0])
    assert not np.allclose(d_stats[0], values(d.non_trainable_weights)[0])


def test_rng_advances_so_every_step_sees_new_noise():
    gan = make()
    k0 = np.array(gan.rng.value)
    gan.fit(X, batch_size=128, epochs=1, verbose=0)
    assert not np.array_equal(k0, np.array(gan.rng.value))


@pytest.mark.parametrize("path", ["fit", "train_steps"])
def test_checkpoint_resume_is_bitwise_exact(tmp_path, path):
    def run(gan, epochs):
        if path == "fit":
            gan.fit(X, batch_size=128, epochs=epochs, verbose=0)
        else:
            for _ in range(epochs):
                train(gan)

    whole = make(**OPTIMISTIC)
    run(whole, 2)
    first = make(**OPTIMISTIC)
    run(first, 1)
    ckpt = tmp_path / "run.weights.h5"
    first.save_checkpoint(ckpt)
    resumed = make(seed=99, **OPTIMISTIC)  # different initial weights: all from the file
    resumed.load_checkpoint(ckpt)
    assert resumed.step == first.step
    run(resumed, 1)
    a, b = whole.get_state(), resumed.get_state()
    for la, lb in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(la), np.asarray(lb))
    with pytest.raises(ValueError, match="weights.h5"):
        whole.save_checkpoint(tmp_path / "run.pkl")


@pytest.fixture(scope="module")
def alternating_fitted() -> gk.GAN:
    """One epoch of fit() with alternating d_steps=3, g_steps=2 (hinge, R1, EMA)."""
    gan = make(**ALTERNATING)
    gan.fit(X, batch_size=128, epochs=1, verbose=0)
    return gan


def test_keras_format_round_trip_in_safe_mode(tmp_path, alternating_fitted):
    gan = alternating_fitted
    gan.save(tmp_path / "gan.keras")
    back = keras.models.load_model(tmp_path / "gan.keras", safe_mode=True)
    assert isinstance(back, gk.GAN) and back.step == gan.step == 4
    assert back.loss == "hinge" and back.hyper == gan.hyper
    assert back.scheme_options == {"d_steps": 3, "g_steps": 2}
    np.testing.assert_array_equal(back.sample(8, seed=1), gan.sample(8, seed=1))
    assert int(back.d_optimizer.iterations) == 12


def test_non_finite_step_halts_at_last_finite_state():
    gan = make(g_optimizer=keras.optimizers.SGD(1e-3), d_optimizer=keras.optimizers.SGD(1e-3))
    train(gan)
    sane = gan.get_state()
    gan.set_numbers(**{"d_learning_rate": 1e36, "g_learning_rate": 1e36})
    losses = train(gan)
    at = gan.halted_at
    assert at is not None and STEPS + 1 <= at <= 2 * STEPS
    first = at - STEPS - 1  # the failing step's row in losses
    assert np.isnan(losses[first:]).all() and np.isfinite(losses[:first]).all()
    assert gan.step == at - 1  # the failing step was not applied
    state = gan.get_state()
    assert all(np.all(np.isfinite(np.asarray(w))) for w in jax.tree.leaves(state["g"] + state["d"]))
    assert "non-finite" in gan.halt_message and f"step {at}" in gan.halt_message
    # a halted run stays put: fit stops at once and warns, naming the step
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan.fit(X, batch_size=128, epochs=3, verbose=0)
    assert gan.step == at - 1
    assert any(issubclass(w.category, gk.gan.NonFiniteLossWarning) for w in caught)
    # going back to a sane state and clearing the halt lets training go on
    gan.set_state(sane)
    gan.clear_halt()
    gan.set_numbers(**{"d_learning_rate": 1e-3, "g_learning_rate": 1e-3})
    assert np.all(np.isfinite(train(gan)))
    assert gan.halted_at is None


def test_many_runs_with_vmap_seeds_and_learning_rates():
    gan = make()
    runs = gan.runs(range(3), **{"d_learning_rate": [1e-3, 2e-3, 4e-3]})
    before = gk.compile_count("train")
    losses = runs.train(X, steps=STEPS, batch_size=BATCH)
    first = gk.compile_count("train")
    runs.train(X, steps=STEPS, batch_size=BATCH)
    # one trace at most (none if an identical GAN compiled it already), none on the 2nd call
    assert first - before <= 1 and gk.compile_count("train") == first
    assert losses.shape == (3, STEPS, 2) and np.all(np.isfinite(losses))
    samples = runs.sample(20, seed=0)
    assert samples.shape == (3, 20, 2)
    assert not np.allclose(samples[0], samples[1])  # different seeds, different runs
    assert runs.steps.tolist() == [8, 8, 8] and runs.halted_at.tolist() == [-1, -1, -1]
    # run i of the batch is the run a single GAN would make from the same fresh state
    single = make()
    single.set_state(gan.fresh_state(1))
    single.set_numbers(**{"d_learning_rate": 2e-3})
    train(single)
    train(single)
    np.testing.assert_allclose(single.sample(20, seed=0), samples[1], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="one per run"):
        gan.runs(range(3), **{"d_learning_rate": [1e-3, 2e-3]})
    # numbers change mid-training without a compile, as set_numbers does for one run
    compiled = gk.compile_count("train")
    runs.set_numbers(**{"g_learning_rate": [1e-3, 3e-4, 1e-3], "d_learning_rate": 5e-4})
    runs.train(X, steps=STEPS, batch_size=BATCH)
    assert gk.compile_count("train") == compiled
    single.set_numbers(**{"g_learning_rate": 3e-4, "d_learning_rate": 5e-4})
    train(single)
    np.testing.assert_allclose(
        single.sample(20, seed=0), runs.sample(20, seed=0)[1], rtol=1e-4, atol=1e-5
    )
    with pytest.raises(ValueError, match="unknown number"):
        runs.set_numbers(**{"g_momentum": 0.5})
    with pytest.raises(ValueError, match="one per run"):
        runs.set_numbers(**{"g_learning_rate": [1e-3, 2e-3]})
    # a run that goes non-finite stops at its last finite state; the others go on as before
    mixed = gan.runs([1, 2], **{"d_learning_rate": [2e-3, 1e36], "g_learning_rate": [1e-3, 1e36]})
    mixed_losses = mixed.train(X, steps=STEPS, batch_size=BATCH)
    at = mixed.halted_at.tolist()
    assert at[0] == -1 and 1 <= at[1] <= STEPS
    assert mixed.steps.tolist() == [STEPS, at[1] - 1]
    assert np.isnan(mixed_losses[1, at[1] - 1 :]).all()
    assert np.isfinite(mixed_losses[1, : at[1] - 1]).all()
    np.testing.assert_allclose(mixed_losses[0], losses[1], rtol=1e-5)
    assert all(np.isfinite(np.asarray(w)).all() for w in jax.tree.leaves(mixed.state["d"]))


def test_runs_split_across_cpu_cores_give_the_same_runs(monkeypatch):
    gan = make()
    together, split = gan.runs(range(4)), gan.runs(range(4))
    monkeypatch.setattr(gk.gan.runs, "cpu_chunks", lambda n: 1)
    one_call = together.train(X, steps=STEPS, batch_size=BATCH)
    monkeypatch.setattr(gk.gan.runs, "cpu_chunks", lambda n: 2)  # what 2 cores do
    two_threads = split.train(X, steps=STEPS, batch_size=BATCH)
    np.testing.assert_allclose(two_threads, one_call, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(split.sample(20), together.sample(20), rtol=1e-5, atol=1e-6)
    assert split.steps.tolist() == [STEPS] * 4
    # one group per core, equal groups; accelerators get one call
    monkeypatch.undo()
    k = gk.gan.runs.cpu_chunks(16)
    assert gk.gan.runs.cpu_chunks(1) == 1 and 16 % k == 0 and k <= (os.cpu_count() or 1)


def test_bad_input_raises_value_errors():
    g, d = gk.models.mlp_generator(), gk.models.mlp_discriminator()
    with pytest.raises(ValueError, match="loss must be one of"):
        gk.GAN(g, d, loss="vanilla")
    with pytest.raises(ValueError, match="scheme must be one of"):
        gk.GAN(g, d, scheme="adam")
    with pytest.raises(ValueError, match="noise must be one of"):
        gk.GAN(g, d, noise="cauchy")
    with pytest.raises(ValueError, match="reg must be"):
        gk.GAN(g, d, reg="R1")
    with pytest.raises(ValueError, match="does not match"):
        gk.GAN(g, gk.models.mlp_discriminator(input_dim=3))
    gan = make()
    with pytest.raises(ValueError, match="shape"):
        gan.train_steps(np.zeros((10, 3)), steps=1)
    with pytest.raises(ValueError, match="finite"):
        gan.fit(np.full((10, 2), np.nan), batch_size=5)
    with pytest.raises(ValueError, match="batch_size"):
        gan.fit(X[:10], batch_size=64)
    with pytest.raises(ValueError, match="mode"):
        gan.train_steps(X, mode="both players")
    with pytest.raises(ValueError, match="noise_dim"):
        gk.models.mlp_generator(noise_dim=9)
    with pytest.raises(ValueError, match="activation"):
        gk.models.mlp_discriminator(activation="swish2")
