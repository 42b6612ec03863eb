"""Shapes, parameter counts, output ranges and argument checks of the MNIST builders."""

from __future__ import annotations

import numpy as np
import pytest

import gankit as gk  # noqa: F401  (selects the JAX backend before keras)
from gankit import image_models as im


def _noise(n: int = 4, dim: int = im.LATENT_DIM) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, dim)).astype(np.float32)


def test_mlp_matches_classic_example():
    g, d = im.mlp_image_generator(), im.mlp_image_discriminator()
    dense_g = [layer.units for layer in g.layers if layer.__class__.__name__ == "Dense"]
    dense_d = [layer.units for layer in d.layers if layer.__class__.__name__ == "Dense"]
    assert dense_g == [256, 512, 1024, 784]
    assert dense_d == [512, 256, 1]
    # 100*256+256 + 256*512+512 + 512*1024+1024 + 1024*784+784 + BatchNorm (4 per unit)
    dense = 100 * 256 + 256 + 256 * 512 + 512 + 512 * 1024 + 1024 + 1024 * 784 + 784
    assert g.count_params() == dense + 4 * (256 + 512 + 1024)
    assert d.count_params() == 784 * 512 + 512 + 512 * 256 + 256 + 256 + 1
    no_bn = im.mlp_image_generator(batch_norm=False)
    assert no_bn.count_params() == dense


@pytest.mark.parametrize("arch", im.ARCHITECTURES)
def test_pairs_shapes_and_ranges(arch):
    g, d = im.build_pair(arch, width=8 if arch != "mlp" else None)
    images = np.asarray(g(_noise(5) * 10, training=False))
    assert images.shape == (5, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0
    logits = np.asarray(d(images))
    assert logits.shape == (5, 1)
    # Logits, not probabilities: the last layer is linear (no sigmoid squashing into (0, 1)).
    assert d.layers[-1].activation.__name__ == "linear"


def test_dcgan_uses_transposed_convs_and_upsample_does_not():
    dc = im.dcgan_generator(width=8)
    up = im.upsample_generator(width=8)
    names = lambda m: {type(layer).__name__ for layer in m.layers}  # noqa: E731
    assert "Conv2DTranspose" in names(dc)
    assert "Conv2DTranspose" not in names(up) and "UpSampling2D" in names(up)
    assert "BatchNormalization" not in names(im.dcgan_generator(width=8, batch_norm=False))
    assert "BatchNormalization" in names(im.dcgan_discriminator(width=8, batch_norm=True))


def test_width_scales_parameters():
    small, big = im.dcgan_generator(width=8), im.dcgan_generator(width=16)
    assert big.count_params() > 1.9 * small.count_params()


@pytest.mark.parametrize("arch", im.CONDITIONAL_ARCHITECTURES)
def test_conditional_label_changes_output(arch):
    g, d = im.build_pair(arch, conditional=True, width=8)
    z = np.repeat(_noise(1), 2, axis=0)
    labels = np.array([[3], [7]], np.int32)
    images = np.asarray(g([z, labels], training=False))
    assert images.shape == (2, 28, 28, 1)
    assert np.abs(images[0] - images[1]).max() > 1e-4  # the label reaches the pixels
    logits = np.asarray(d([images[:1].repeat(2, 0), labels]))
    assert logits.shape == (2, 1) and abs(logits[0, 0] - logits[1, 0]) > 1e-6


def test_latent_dim_is_respected():
    g = im.mlp_image_generator(latent_dim=16)
    assert g.input_shape == (None, 16)
    assert g(_noise(2, 16)).shape == (2, 28, 28, 1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: im.build_pair("gru"), "arch must be one of 'mlp', 'dcgan', 'upsample'"),
        (lambda: im.build_pair("dcgan", conditional=True), "arch must be one of 'mlp', 'upsample'"),
        (lambda: im.mlp_image_generator(latent_dim=0), "latent_dim must be an integer >= 1"),
        (lambda: im.dcgan_generator(width=2.5), "width must be an integer"),
        (lambda: im.mlp_image_generator(batch_norm="yes"), "batch_norm must be True or False"),
        (lambda: im.conditional_generator(num_classes=1), "num_classes must be an integer >= 2"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
