"""Nothing lost, nothing endless: the defects of the hardening issue, one test each.

Each test reproduces a defect found from outside (and fails on the code before its fix):
a training call that never ends, a checkpoint load that half-writes, a "last finite
state" that cannot train on, bare numpy/h5py messages, silently ignored options.
"""

from __future__ import annotations

import gzip
import signal
import warnings

import h5py
import jax
import keras
import numpy as np
import pytest

import gankit as gk
from gankit._checks import ArgumentTypeError
from gankit.gan import checks as gan_checks

X = gk.data.toy("ring8", 256, seed=0)


def make(**kw) -> gk.GAN:
    keras.utils.set_random_seed(0)
    return gk.GAN(gk.models.mlp_generator(units=16), gk.models.mlp_discriminator(units=16), **kw)


def values(gan: gk.GAN) -> list:
    return [np.asarray(v.value).copy() for v in gan.variables]


def same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# -- 1. fit never trains forever, never does nothing silently -----------------------------


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4"])
def test_fit_refuses_steps_per_epoch_that_never_ends(bad):
    with pytest.raises(ValueError, match="steps_per_epoch must be an integer >= 1"):
        make().fit(X, batch_size=64, steps_per_epoch=bad, verbose=0)


@pytest.mark.parametrize("bad", [0, -1])
def test_fit_refuses_epochs_that_do_nothing(bad):
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        make().fit(X, batch_size=64, epochs=bad, verbose=0)


# -- 2. checkpoints: all or nothing -------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    gan = make()
    gan.train_steps(X, steps=3, batch_size=64)
    path = tmp_path_factory.mktemp("ckpt") / "run.weights.h5"
    gan.save_checkpoint(path)
    return path


@pytest.mark.parametrize(
    "other, differs",
    [
        ({"ema": 0.9}, "ema"),
        ({"reg": gk.reg.R2(1.0)}, "reg"),
        ({"g_optimizer": keras.optimizers.RMSprop(1e-3)}, "g_optimizer"),
        ({"scheme": "alternating", "d_steps": 2}, "scheme"),
    ],
)
def test_a_failed_load_changes_nothing(saved, other, differs):
    gan = make(**other)
    gan.train_steps(X, steps=2, batch_size=64)
    before = values(gan)
    with pytest.raises(ValueError, match=f"differently built GAN.*{differs}"):
        gan.load_checkpoint(saved)
    assert same(values(gan), before)


def test_a_load_that_keras_refuses_is_undone(saved, tmp_path):
    # a file without gankit's tag (as older versions saved) goes to Keras, which writes
    # the networks before it finds the mismatch: every variable is put back
    old = tmp_path / "old.weights.h5"
    old.write_bytes(saved.read_bytes())
    with h5py.File(old, "a") as fh:
        del fh.attrs["gankit_gan"]
    gan = make(ema=0.9)
    before = values(gan)
    with pytest.raises(ValueError, match="does not fit this GAN"):
        gan.load_checkpoint(old)
    assert same(values(gan), before)
    fits = make()
    fits.load_checkpoint(old)  # an untagged file still loads where it fits
    assert fits.step == 3


def test_a_save_that_crashes_leaves_the_old_file_whole(saved, tmp_path, monkeypatch):
    target = tmp_path / "run.weights.h5"
    target.write_bytes(saved.read_bytes())
    gan = make()
    gan.train_steps(X, steps=5, batch_size=64)

    def crash(path):
        with open(path, "wb") as fh:
            fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(gan, "save_weights", crash)
    with pytest.raises(OSError, match="disk full"):
        gan.save_checkpoint(target)
    assert target.read_bytes() == saved.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.weights.h5"]  # no debris
    fresh = make()
    fresh.load_checkpoint(target)
    assert fresh.step == 3


@pytest.mark.parametrize("content", [b"", b"not an hdf5 file", None])
def test_unreadable_checkpoints_name_the_file(saved, tmp_path, content):
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(saved.read_bytes()[:300] if content is None else content)
    gan = make()
    before = values(gan)
    with pytest.raises(ValueError, match="bad.weights.h5"):
        gan.load_checkpoint(bad)
    assert same(values(gan), before)


def test_a_missing_checkpoint_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.weights.h5"):
        make().load_checkpoint(tmp_path / "nothere.weights.h5")
    with pytest.raises(FileNotFoundError, match="no directory"):
        make().save_checkpoint(tmp_path / "no" / "dir.weights.h5")
    with pytest.raises(TypeError, match="path must be a file name"):
        make().load_checkpoint(3)


# -- 3. a usable last good state ----------------------------------------------------------


def diverging() -> gk.GAN:
    return make(
        loss="wgan",
        g_optimizer=keras.optimizers.SGD(3.0),
        d_optimizer=keras.optimizers.SGD(3.0),
    )


def test_after_a_halt_the_kept_state_is_finite_and_training_goes_on():
    gan = diverging()
    losses = gan.train_steps(X, steps=300, batch_size=64)
    at = gan.halted_at
    assert at is not None and gan.step == at - 1
    assert np.isfinite(losses[: at - 1]).all() and np.isnan(losses[at - 1 :]).all()
    assert np.isfinite(gan.discriminate(X[:64])).all()
    assert np.isfinite(gan.sample(64)).all()
    state = gan.get_state()
    assert all(np.abs(np.asarray(w)).max() < 1e6 for w in jax.tree.leaves(state["g"] + state["d"]))
    # the recovery the docstring offers works: clear the halt, lower the learning rates
    gan.clear_halt()
    gan.set_numbers(g_learning_rate=1e-4, d_learning_rate=1e-4)
    again = gan.train_steps(X, steps=20, batch_size=64)
    assert np.isfinite(again).all() and gan.halted_at is None and gan.step == at + 19


def test_a_halt_at_a_call_boundary_goes_back_as_far():
    # the same run in calls of one step: the state before each call is replayed
    one_call, steps = diverging(), diverging()
    one_call.train_steps(X, steps=30, batch_size=64)
    for _ in range(30):
        steps.train_steps(X, steps=1, batch_size=64)
    assert steps.halted_at == one_call.halted_at and steps.step == one_call.step
    assert same(values(steps), values(one_call))


def test_fit_keeps_the_same_last_good_state():
    gan = diverging()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = gan.fit(X, batch_size=64, epochs=10, verbose=0)
    assert any(issubclass(w.category, gk.gan.NonFiniteLossWarning) for w in caught)
    assert gan.step == gan.halted_at - 1
    assert np.isfinite(gan.discriminate(X[:64])).all()
    assert history.history["d_loss"]  # one entry per epoch run


def test_a_halted_run_does_not_move_its_random_key():
    gan = diverging()
    gan.train_steps(X, steps=300, batch_size=64)
    key = np.asarray(gan.rng.value).copy()
    gan.train_steps(X, steps=10, batch_size=64)
    gan.fit(X, batch_size=64, epochs=1, verbose=0)
    np.testing.assert_array_equal(np.asarray(gan.rng.value), key)


def test_history_says_nan_when_no_step_was_applied():
    gan = make(g_optimizer=keras.optimizers.SGD(1e-3), d_optimizer=keras.optimizers.SGD(1e-3))
    gan.set_numbers(g_learning_rate=1e38, d_learning_rate=1e38)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gk.gan.NonFiniteLossWarning)
        history = gan.fit(X, batch_size=64, epochs=1, verbose=0)
    assert gan.halted_at == 1
    assert np.isnan(history.history["d_loss"][0]) and np.isnan(history.history["g_loss"][0])


def test_many_runs_keep_a_usable_state_too():
    gan = make(
        loss="wgan", g_optimizer=keras.optimizers.SGD(1e-3), d_optimizer=keras.optimizers.SGD(1e-3)
    )
    runs = gan.runs([0, 1], g_learning_rate=[1e-3, 3.0], d_learning_rate=[1e-3, 3.0])
    losses = runs.train(X, steps=100, batch_size=64)
    at = runs.halted_at
    assert at[0] == -1 and at[1] >= 1 and runs.steps[1] == at[1] - 1
    assert np.isnan(losses[1, at[1] - 1 :]).all() and np.isfinite(losses[1, : at[1] - 1]).all()
    d = runs.run_state(1)["d"]
    assert all(np.abs(np.asarray(w)).max() < 1e6 for w in d)


# -- 4, 7. sizes refused up front; long calls interruptible ------------------------------


def test_empty_and_huge_requests_are_refused_before_any_work():
    game = gk.games.Bilinear()
    with pytest.raises(ValueError, match="at least one point"):
        gk.simulate(game, 0.1, start=np.zeros((0, 2)))
    with pytest.raises(ValueError, match="limit is 1 GiB"):
        gk.simulate(game, 0.1, steps=10**9)
    with pytest.raises(ValueError, match="d_steps must be an integer >= 1 and <= 100"):
        gk.schemes.alternating(0.1, d_steps=10**6)
    gan = make()
    with pytest.raises(ValueError, match="limit is 1 GiB"):
        gan.sample(10**9)
    with pytest.raises(ValueError, match="limit is 1 GiB"):
        gan.train_steps(X, steps=10**9)
    with pytest.raises(ValueError, match="limit is 1 GiB"):
        gan.runs([0, 1]).sample(10**9)
    with pytest.raises(ValueError, match="limit is 1 GiB"):
        gk.analysis.value_grid(game, (-1, 1, -1, 1), 10**6)


def test_long_simulations_run_in_chunks_with_the_same_result(monkeypatch):
    game, scheme = gk.games.Bilinear(), gk.schemes.optimistic(0.2)
    whole = gk.simulate(game, scheme, steps=250, start=[[1.0, 0.5], [0.3, -0.2]])
    monkeypatch.setattr(gk.dynamics, "CHUNK", 64)
    chunked = gk.simulate(game, scheme, steps=250, start=[[1.0, 0.5], [0.3, -0.2]])
    np.testing.assert_array_equal(np.asarray(chunked), np.asarray(whole))
    np.testing.assert_array_equal(chunked.diverged_at, whole.diverged_at)


def test_ctrl_c_stops_a_long_train_steps_between_chunks_and_keeps_its_progress(monkeypatch):
    monkeypatch.setattr(gan_checks, "CHUNK_WORK", 1.0)  # one step a chunk
    straight = make()
    straight.train_steps(X, steps=6, batch_size=64)
    gan, calls = make(), []
    inner = gan._train_call

    def call_then_ctrl_c(*args):
        out = inner(*args)
        calls.append(1)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)  # as a student's Ctrl-C, mid-call
        return out

    monkeypatch.setattr(gan, "_train_call", call_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        gan.train_steps(X, steps=1000, batch_size=64)
    assert gan.step == 3 and len(calls) == 3
    gan.train_steps(X, steps=3, batch_size=64)  # resumes where it stopped
    assert gan.step == 6 and same(values(gan), values(straight))


def test_chunked_training_equals_one_call(monkeypatch):
    whole = make()
    a = whole.train_steps(X, steps=12, batch_size=64)
    monkeypatch.setattr(gan_checks, "CHUNK_WORK", 2.0**16)  # chunks of a few steps
    assert gan_checks.chunk_length(whole.step_work, 64) < 12
    chunked = make()
    b = chunked.train_steps(X, steps=12, batch_size=64)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(whole.sample(16), chunked.sample(16), rtol=1e-5, atol=1e-6)


def test_chunks_use_at_most_two_lengths():
    assert gan_checks.chunks(1500, 512) == [500, 500, 500]
    assert gan_checks.chunks(100, 512) == [100]
    parts = gan_checks.chunks(1009, 256)  # a prime: full chunks and a remainder
    assert sum(parts) == 1009 and len(set(parts)) <= 2 and max(parts) <= 256


def test_fit_interrupted_keeps_its_progress_and_resumes_exactly():
    straight = make()
    straight.fit(X, batch_size=64, steps_per_epoch=4, epochs=1, verbose=0)

    class CtrlC(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    gan = make()
    with pytest.raises(KeyboardInterrupt):
        gan.fit(X, batch_size=64, steps_per_epoch=4, epochs=1, verbose=0, callbacks=[CtrlC()])
    assert gan.step == 2
    gan.fit(X, batch_size=64, steps_per_epoch=2, epochs=1, verbose=0)
    assert gan.step == 4
    for a, b in zip(straight.weights, gan.weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


# -- 5, 8. every number checked, by name; no option ignored ------------------------------


@pytest.mark.parametrize(
    "opt, name",
    [
        (keras.optimizers.Adam(0.1, beta_1=1.5), "beta_1"),
        (keras.optimizers.Adam(0.1, epsilon=-1.0), "epsilon"),
        (keras.optimizers.RMSprop(0.1, rho=1.0), "rho"),
    ],
)
def test_numbers_inside_a_keras_optimizer_are_checked(opt, name):
    with pytest.raises(ValueError, match=name):
        gk.simulate(gk.games.Bilinear(), opt)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: gk.simulate(gk.games.Bilinear(), 0.1, learning_rate="0.1"), "learning_rate"),
        (lambda: gk.optimizers.HeavyBall(0.1, momentum="0.5"), "momentum"),
        (lambda: gk.optimizers.HeavyBall("0.1"), "learning_rate"),
        (lambda: make(ema="0.9"), "ema"),
        (lambda: gk.simulate(gk.games.Bilinear(), 0.1, steps="5"), "steps"),
        (lambda: gk.simulate(gk.games.Bilinear(), 0.1, start="ab"), "start"),
        (lambda: gk.games.Bilinear(A=[[1, 2], [3]]), "A"),
        (lambda: make().runs(["a"]), "seeds"),
        (lambda: make().sample(4, seed="1"), "seed"),
        (lambda: gk.metrics.mode_coverage(X, dataset=3), "dataset"),
    ],
)
def test_wrong_types_are_type_errors_naming_the_parameter(call, name):
    with pytest.raises(TypeError, match=name) as caught:
        call()
    assert isinstance(caught.value, ValueError)  # and still a ValueError, as before
    assert isinstance(caught.value, ArgumentTypeError)


def test_numpy_messages_never_reach_the_user_bare():
    with pytest.raises(ValueError, match="dataset must be one of"):
        gk.metrics.mode_coverage(X, dataset="moons")
    with pytest.raises(ValueError, match="samples must be"):
        gk.metrics.mode_coverage([["a", "b"]], dataset="ring8")


@pytest.mark.parametrize(
    "options, name",
    [
        ({"d_steps": 3}, "d_steps"),
        ({"g_steps": 2}, "g_steps"),
        ({"lam": 0.5}, "lam"),
        ({"gamma": 0.5, "scheme": "sga"}, "gamma"),
        ({"scheme": gk.schemes.simultaneous(0.1), "d_steps": 2}, "d_steps"),
    ],
)
def test_options_a_scheme_does_not_have_are_refused(options, name):
    with pytest.raises(ValueError, match=name):
        make(**options)


# -- 6. files: errors that name the file; a missing file is FileNotFoundError -------------


def test_broken_mnist_files_name_the_file(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00" * 2000)[:40])
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz"):
        gk.data.mnist("test", path=tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 12)
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz"):
        gk.data.mnist("test", path=tmp_path)
    bad_npz = tmp_path / "mnist.npz"
    bad_npz.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="mnist.npz"):
        gk.data.mnist("test", path=bad_npz)


def test_missing_mnist_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        gk.data.mnist("test", path=tmp_path / "absent")
    with pytest.raises(OSError):  # what Python code catches for a missing file
        gk.data.mnist("test", path=tmp_path)  # a directory without the split
    assert issubclass(gk.data.MNISTUnavailableError, RuntimeError)  # as before
    with pytest.raises(TypeError, match="path must be"):
        gk.data.mnist("test", path=3)


# -- 9. an equilibrium is only claimed where the field vanishes --------------------------


def test_wgan_gp_on_the_dirac_gan_claims_no_equilibrium():
    game = gk.games.DiracGAN("wgan", reg=gk.reg.GradientPenalty(10, 1))
    assert game.equilibrium is None
    grads = game.grads(*game.split(np.zeros(2, np.float32)))
    assert abs(float(grads[1][0])) > 1  # (0, 0) is not stationary
    with pytest.warns(gk.analysis.NotStationaryWarning, match="not stationary"):
        gk.analysis.eigenvalues(game, [0.0, 0.0])
    with pytest.raises(ValueError, match="no known equilibrium"):
        gk.analysis.measured_growth(game, 0.1, steps=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stationary points say nothing
        gk.analysis.eigenvalues(gk.games.DiracGAN("wgan", reg=gk.reg.R1(1.0)), [0.0, 0.0])
        assert gk.games.DiracGAN("wgan", reg=gk.reg.GradientPenalty(10, 0)).equilibrium is not None


def test_the_deferred_interrupt_does_nothing_off_the_main_thread():
    import threading

    from gankit._interrupt import Deferred

    seen = []

    def worker():
        with Deferred() as d:
            seen.append(d.requested)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [False]
