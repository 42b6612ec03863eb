"""Your own images: gk.data.images from arrays, folders and .npz files, image models of
any size, and the image trainer on them (scikit-learn's bundled 8x8 digits, generated
PNG folders, Fashion-MNIST through Keras' real path on local files)."""

from __future__ import annotations

import gzip
import io

import bqplot
import numpy as np
import pytest
from PIL import Image

import gankit as gk
from gankit.data import images


@pytest.fixture(scope="module")
def digits8() -> np.ndarray:
    """scikit-learn's 1,797 bundled 8x8 digits (pixel values 0..16): real data, no download."""
    from sklearn.datasets import load_digits

    return load_digits().images


def _write_pngs(folder, arrays, mode):
    folder.mkdir(exist_ok=True)
    for i, array in enumerate(arrays):
        Image.fromarray(array, mode).save(folder / f"img{i:03d}.png")
    return folder


# ---------------------------------------------------------------- gk.data.images


def test_bundled_digits_scale_to_minus_one_one(digits8):
    x = images(digits8, value_range=(0, 16))
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0], digits8 / 8.0 - 1.0, atol=1e-6)
    assert x.min() == -1.0 and x.max() == 1.0


def test_values_outside_the_range_are_refused_with_the_range(digits8):
    with pytest.raises(ValueError, match=r"value_range.*\(0, 1\)"):
        images(digits8)  # floats up to 16, but floats default to (0, 1)


def test_grey_png_folder_round_trips_exactly(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (5, 12, 16), dtype=np.uint8)
    folder = _write_pngs(tmp_path / "grey", pixels, "L")
    (folder / "notes.txt").write_text("not an image: ignored")
    x = images(folder)
    assert x.shape == (5, 12, 16, 1)
    np.testing.assert_allclose(x[..., 0], pixels / 127.5 - 1.0, atol=1e-6)


def test_colour_folder_gives_three_channels_and_converts_to_grey(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    folder = _write_pngs(tmp_path / "rgb", pixels, "RGB")
    x = images(folder)
    assert x.shape == (3, 8, 8, 3)
    np.testing.assert_allclose(x, pixels / 127.5 - 1.0, atol=1e-6)
    grey = images(folder, channels=1)
    assert grey.shape == (3, 8, 8, 1)
    expected = np.asarray(Image.fromarray(pixels[0], "RGB").convert("L")) / 127.5 - 1.0
    np.testing.assert_allclose(grey[0, ..., 0], expected, atol=1e-6)


def test_folder_of_mixed_sizes_names_the_file_or_rescales(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.new("L", (8, 8), 255).save(folder / "a.png")
    Image.new("L", (16, 16), 0).save(folder / "b.jpg")
    with pytest.raises(ValueError, match=r"b\.jpg is 16x16.*size="):
        images(folder)
    x = images(folder, size=(8, 8))
    assert x.shape == (2, 8, 8, 1)
    assert x[0].min() == 1.0 and x[1].max() < -0.9


def test_a_broken_image_file_is_named(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    Image.new("L", (4, 4)).save(folder / "good.png")
    (folder / "bad.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match=r"bad\.png cannot be read as an image"):
        images(folder)


def test_npz_with_one_or_several_arrays(tmp_path):
    pixels = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    np.savez(tmp_path / "one.npz", pixels)
    np.testing.assert_allclose(images(tmp_path / "one.npz")[..., 0], pixels / 127.5 - 1)
    np.savez(tmp_path / "two.npz", labels=np.arange(2), faces=pixels)
    with pytest.raises(ValueError, match=r"pass key="):
        images(tmp_path / "two.npz")
    assert images(tmp_path / "two.npz", key="faces").shape == (2, 4, 4, 1)
    with pytest.raises(ValueError, match=r"key must be one of"):
        images(tmp_path / "two.npz", key="nope")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"source": np.zeros((2, 4, 4, 2), np.uint8)}, "C 1 or 3"),
        ({"source": np.zeros((4, 4), np.uint8)}, "got shape"),
        ({"source": np.array([[["a"]]])}, "must hold numbers"),
        ({"source": np.full((1, 2, 2), np.nan)}, "finite"),
        ({"source": np.zeros((1, 2, 2)), "value_range": (1, 0)}, "low < high"),
        ({"source": np.zeros((1, 2, 2)), "channels": 2}, "channels must be 1"),
        ({"source": np.zeros((1, 2, 2)), "size": (2,)}, "size must be"),
        ({"source": np.zeros((1, 2, 2)), "size": (4, 4)}, "rescales image files only"),
        ({"source": "no/such/folder"}, "no folder or file"),
    ],
)
def test_bad_sources_name_what_is_wrong(kwargs, match):
    with pytest.raises((ValueError, TypeError, FileNotFoundError), match=match):
        images(**kwargs)


def test_fashion_mnist_takes_keras_real_path_from_local_files(tmp_path, monkeypatch):
    """Offline: files in Keras' cache folder are read by keras.datasets.fashion_mnist itself."""
    from keras.src.utils import file_utils

    cache = tmp_path / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for stem, n in (("train", 6), ("t10k", 4)):
        pixels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8)
        head = (2051).to_bytes(4, "big") + b"".join(v.to_bytes(4, "big") for v in (n, 28, 28))
        with gzip.open(cache / f"{stem}-images-idx3-ubyte.gz", "wb") as f:
            f.write(head + pixels.tobytes())
        with gzip.open(cache / f"{stem}-labels-idx1-ubyte.gz", "wb") as f:
            f.write((2049).to_bytes(4, "big") + n.to_bytes(4, "big") + labels.tobytes())
        if stem == "t10k":
            expected = pixels
    monkeypatch.setattr(file_utils.config, "keras_home", lambda: str(tmp_path / "keras"))
    test_images, test_labels = gk.data.fashion_mnist("test")
    np.testing.assert_array_equal(test_images, expected)
    assert test_labels.tolist() == [0, 1, 2, 3]
    assert gk.data.images(test_images).shape == (4, 28, 28, 1)


# ---------------------------------------------------------------- image models


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "upsample"])
@pytest.mark.parametrize("shape", [(8, 8, 1), (12, 16, 3)])
def test_every_architecture_builds_for_other_image_shapes(arch, shape):
    g, d = gk.image_models.build_pair(arch, width=4, image_shape=shape)
    assert g.output_shape == (None, *shape) and d.input_shape == (None, *shape)
    assert d.output_shape == (None, 1)


def test_image_shapes_the_models_cannot_take_are_refused():
    with pytest.raises(ValueError, match="multiples of 4"):
        gk.image_models.build_pair("dcgan", image_shape=(10, 10, 1))
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        gk.image_models.build_pair("mlp", image_shape=(8, 8, 2))
    with pytest.raises(ValueError, match="conditional pair"):
        gk.image_models.build_pair("mlp", conditional=True, image_shape=(8, 8, 1))
    assert gk.image_models.build_pair("mlp", image_shape=(10, 10, 1))[0].output_shape[1] == 10


# ---------------------------------------------------------------- the image trainer


def test_image_trainer_trains_on_bundled_digits_with_pixel_metrics(digits8):
    x = images(digits8, value_range=(0, 16))
    trainer = gk.ImageTrainer(
        data=x, total_steps=20, chunk_steps=10, batch_size=32, metric_every=10, metric_samples=64
    )
    assert trainer.features == "pixels" and trainer.gan.sample_shape == (8, 8, 1)
    trainer.train(wait=True)
    assert trainer.step == 20 and trainer.errors.message == ""
    m = trainer.metrics
    assert m["step"] == [10, 20]
    assert np.isnan(m["fid"]).all() and np.isnan(m["classes"]).all()
    assert all(0.0 <= v <= 1.0 for v in m["precision"] + m["recall"] + m["coverage"])
    assert trainer.grid_view.canvas.shape == (6 * 8, 6 * 8)
    assert np.ptp(trainer.grid_mark.color) > 0
    # the panel says which scores are off and why
    assert "off" in trainer.status.value and "28×28 grey digits" in trainer.status.value
    assert "off" in trainer.metric_figure.title


def test_image_trainer_draws_colour_images_as_a_picture(tmp_path):
    rng = np.random.default_rng(2)
    folder = _write_pngs(
        tmp_path / "rgb", rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8), "RGB"
    )
    trainer = gk.ImageTrainer(data=images(folder), batch_size=16, metric_every=0)
    assert isinstance(trainer.grid_mark, bqplot.Image)
    assert trainer.grid_view.canvas.shape == (48, 48, 3)
    png = bytes(trainer.grid_mark.image.value)
    assert png.startswith(b"\x89PNG")
    trainer.train(5, wait=True)
    assert bytes(trainer.grid_mark.image.value) != png  # redrawn from the trained generator
    picture = np.asarray(Image.open(io.BytesIO(bytes(trainer.grid_mark.image.value))))
    assert picture.shape == (48, 48, 3)


def test_mnist_digits_keep_the_classifier_metrics():
    trainer = gk.MNISTTrainer(
        data=np.zeros((64, 28, 28, 1), np.float32), batch_size=16, metric_every=0
    )
    assert trainer.features == "classifier" and "off" not in trainer.status.value
    assert gk.ImageTrainer is gk.MNISTTrainer


def test_image_trainer_refuses_data_of_another_shape_than_its_gan():
    g, d = gk.image_models.build_pair("mlp", image_shape=(8, 8, 1))
    with pytest.raises(ValueError, match=r"the gan makes \(8, 8, 1\)"):
        gk.ImageTrainer(gk.GAN(g, d), data=np.zeros((64, 28, 28, 1), np.float32))
