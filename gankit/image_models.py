"""Keras builders for MNIST GANs: the classic MLP, the DCGAN, a CPU-friendly conv net, and
class-conditional versions.

Every generator maps noise ``z`` of shape ``(N, latent_dim)`` to images ``(N, 28, 28, 1)`` in
[-1, 1] (a ``tanh`` output, the range of :func:`gankit.data.scale_images`), or to any
``image_shape`` ``(H, W, C)`` you give it (your own images, :func:`gankit.data.images`:
any size for the MLP, H and W multiples of 4 for the conv nets). Every
discriminator maps images to one **logit** per image, never a probability: the losses apply
the sigmoid themselves (numerically stable), and a Wasserstein critic must not be squashed
by a sigmoid at all, a mistake the seed articles make.

Which architecture when:

* ``"mlp"``: the Dense 256-512-1024 generator of the classic Keras examples. Matrix products
  only, so it is the fastest on a laptop CPU.
* ``"dcgan"``: transposed-convolution generator and strided-conv discriminator (Radford et
  al. 2016), the model meant for accelerators. Its layers are :mod:`gankit.layers`' twins
  of Keras' ``Conv2DTranspose`` and ``Conv2D`` (here and in ``"upsample"``): the same
  functions, computed on a CPU without products by zero and with gradients XLA's CPU
  runs fast inside :meth:`gankit.GAN.train_steps`' compiled loop.
* ``"upsample"``: nearest-neighbour upsampling followed by ordinary convolutions. Fewer
  parameters, and none of the checkerboard artefacts transposed convolutions leave
  (Odena et al. 2016).

>>> import gankit as gk
>>> g, d = gk.image_models.build_pair("mlp")
>>> g.output_shape, d.output_shape
((None, 28, 28, 1), (None, 1))
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from gankit import _checks
from gankit import layers as gk_layers

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 100
NUM_CLASSES = 10
ARCHITECTURES = ("mlp", "dcgan", "upsample")
CONDITIONAL_ARCHITECTURES = ("mlp", "upsample")


def _leaky(x: Any) -> Any:
    return layers.LeakyReLU(negative_slope=0.2)(x)


def _norm(x: Any, batch_norm: bool, momentum: float = 0.9) -> Any:
    return layers.BatchNormalization(momentum=momentum)(x) if batch_norm else x


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _image_shape(image_shape: Any, conv: bool) -> tuple[int, int, int]:
    """``(H, W, C)`` checked: whole numbers, C 1 or 3, and H, W multiples of 4 for conv nets."""
    if isinstance(image_shape, str) or not hasattr(image_shape, "__len__") or len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape!r}")
    h, w, c = (_checks.count(f"image_shape[{i}]", v) for i, v in enumerate(image_shape))
    if c not in (1, 3):
        raise ValueError(f"image_shape's channels must be 1 or 3, got {c}")
    if conv and (h % 4 or w % 4):
        raise ValueError(
            f"image_shape {(h, w, c)}: the conv nets upsample twice by 2, so height and width "
            "must be multiples of 4 (the MLP takes any size)"
        )
    return h, w, c


def _mlp_trunk(x: Any, batch_norm: bool, image_shape: tuple = IMAGE_SHAPE) -> Any:
    for units in (256, 512, 1024):
        x = layers.Dense(units)(x)
        x = _leaky(x)
        # Classic placement (after the activation, momentum 0.8), as in the Keras examples.
        x = _norm(x, batch_norm, momentum=0.8)
    h, w, c = image_shape
    x = layers.Dense(h * w * c, activation="tanh")(x)
    return layers.Reshape(image_shape)(x)


def mlp_image_generator(
    latent_dim: int = LATENT_DIM,
    *,
    batch_norm: bool = True,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    name: str = "mlp_generator",
) -> keras.Model:
    """Dense 256-512-1024-784 generator with LeakyReLU(0.2) and BatchNorm (classic example).

    >>> mlp_image_generator().count_params()
    1493520
    >>> mlp_image_generator(image_shape=(8, 8, 1)).output_shape
    (None, 8, 8, 1)
    """
    latent_dim = _checks.count("latent_dim", latent_dim)
    shape = _image_shape(image_shape, conv=False)
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, _mlp_trunk(z, _bool("batch_norm", batch_norm), shape), name=name)


def _mlp_critic(x: Any) -> Any:
    for units in (512, 256):
        x = _leaky(layers.Dense(units)(x))
    return layers.Dense(1, name="logit")(x)


def mlp_image_discriminator(
    *, image_shape: tuple[int, int, int] = IMAGE_SHAPE, name: str = "mlp_discriminator"
) -> keras.Model:
    """Dense 512-256-1 discriminator with LeakyReLU(0.2); outputs a logit.

    >>> mlp_image_discriminator().count_params()
    533505
    """
    image = keras.Input(_image_shape(image_shape, conv=False), name="image")
    return keras.Model(image, _mlp_critic(layers.Flatten()(image)), name=name)


def dcgan_generator(
    latent_dim: int = LATENT_DIM,
    *,
    width: int = 64,
    batch_norm: bool = True,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    name: str = "dcgan_generator",
) -> keras.Model:
    """Dense -> 7x7x(4w) -> ConvTranspose(2w, 4, stride 2) -> ConvTranspose(w, 4, stride 2) ->
    Conv(1, 3) tanh.

    ``width`` (w) scales every layer; 64 is the accelerator model. Another
    ``image_shape`` (H, W, C) starts from an (H/4) x (W/4) plane and ends in C channels.

    >>> dcgan_generator(width=16).output_shape
    (None, 28, 28, 1)
    """
    latent_dim = _checks.count("latent_dim", latent_dim)
    width = _checks.count("width", width)
    batch_norm = _bool("batch_norm", batch_norm)
    h, w, c = _image_shape(image_shape, conv=True)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(h // 4 * (w // 4) * 4 * width, use_bias=not batch_norm)(z)
    x = _leaky(_norm(x, batch_norm))
    x = layers.Reshape((h // 4, w // 4, 4 * width))(x)
    for channels in (2 * width, width):
        x = gk_layers.Conv2DTranspose(
            channels, 4, strides=2, padding="same", use_bias=not batch_norm
        )(x)
        x = _leaky(_norm(x, batch_norm))
    x = gk_layers.Conv2D(c, 3, padding="same", activation="tanh")(x)
    return keras.Model(z, x, name=name)


def _conv_critic(x: Any, width: int, batch_norm: bool) -> Any:
    x = _leaky(gk_layers.Conv2D(width, 4, strides=2, padding="same")(x))
    x = gk_layers.Conv2D(2 * width, 4, strides=2, padding="same", use_bias=not batch_norm)(x)
    x = _leaky(_norm(x, batch_norm))
    x = layers.Flatten()(x)
    return layers.Dense(1, name="logit")(x)


def dcgan_discriminator(
    *,
    width: int = 64,
    batch_norm: bool = False,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    name: str = "dcgan_discriminator",
) -> keras.Model:
    """Conv(w, 4, stride 2) -> Conv(2w, 4, stride 2) -> Dense(1): a logit per image.

    BatchNorm is off by default: it couples the samples of a batch, which breaks the
    per-sample gradient penalties of WGAN-GP and R1.

    >>> dcgan_discriminator(width=16).output_shape
    (None, 1)
    """
    width = _checks.count("width", width)
    image = keras.Input(_image_shape(image_shape, conv=True), name="image")
    return keras.Model(
        image, _conv_critic(image, width, _bool("batch_norm", batch_norm)), name=name
    )


def _upsample_trunk(x: Any, width: int, batch_norm: bool, image_shape: tuple = IMAGE_SHAPE) -> Any:
    h, w, c = image_shape
    x = layers.Dense(h // 4 * (w // 4) * 4 * width, use_bias=not batch_norm)(x)
    x = _leaky(_norm(x, batch_norm))
    x = layers.Reshape((h // 4, w // 4, 4 * width))(x)
    for channels in (2 * width, width):
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        x = gk_layers.Conv2D(channels, 3, padding="same", use_bias=not batch_norm)(x)
        x = _leaky(_norm(x, batch_norm))
    return gk_layers.Conv2D(c, 3, padding="same", activation="tanh")(x)


def upsample_generator(
    latent_dim: int = LATENT_DIM,
    *,
    width: int = 32,
    batch_norm: bool = True,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    name: str = "upsample_generator",
) -> keras.Model:
    """The CPU-friendly conv generator: Dense -> 7x7x(4w) -> (Upsample x2, Conv 3x3) x 2 -> tanh.

    Same shapes as :func:`dcgan_generator`, but every layer is an ordinary convolution,
    which XLA's CPU backend runs several times faster than a transposed one.

    >>> upsample_generator(width=8).output_shape
    (None, 28, 28, 1)
    >>> upsample_generator(width=8, image_shape=(8, 8, 3)).output_shape
    (None, 8, 8, 3)
    """
    latent_dim = _checks.count("latent_dim", latent_dim)
    width = _checks.count("width", width)
    shape = _image_shape(image_shape, conv=True)
    z = keras.Input((latent_dim,), name="z")
    out = _upsample_trunk(z, width, _bool("batch_norm", batch_norm), shape)
    return keras.Model(z, out, name=name)


def upsample_discriminator(
    *,
    width: int = 32,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    name: str = "upsample_discriminator",
) -> keras.Model:
    """The discriminator paired with :func:`upsample_generator` (a narrower DCGAN critic)."""
    return dcgan_discriminator(width=width, batch_norm=False, image_shape=image_shape, name=name)


def _label_vector(label: Any, num_classes: int, dim: int) -> Any:
    return layers.Flatten()(layers.Embedding(num_classes, dim, name="label_embedding")(label))


def conditional_generator(
    latent_dim: int = LATENT_DIM,
    *,
    arch: str = "mlp",
    num_classes: int = NUM_CLASSES,
    embed_dim: int = 50,
    width: int = 32,
    batch_norm: bool = True,
    name: str = "conditional_generator",
) -> keras.Model:
    """Generator of a class-conditional GAN: inputs ``[z, label]`` (label an int in [0, 10)).

    The label is embedded (a learned vector per class) and concatenated with the noise,
    so the same ``z`` with a different label draws the same "style" as another digit.

    >>> g = conditional_generator()
    >>> [tuple(t.shape) for t in g.inputs], g.output_shape
    ([(None, 100), (None, 1)], (None, 28, 28, 1))
    """
    latent_dim = _checks.count("latent_dim", latent_dim)
    arch = _checks.choice("arch", arch, CONDITIONAL_ARCHITECTURES)
    num_classes = _checks.count("num_classes", num_classes, 2)
    embed_dim = _checks.count("embed_dim", embed_dim)
    batch_norm = _bool("batch_norm", batch_norm)
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((1,), dtype="int32", name="label")
    x = layers.Concatenate()([z, _label_vector(label, num_classes, embed_dim)])
    if arch == "mlp":
        out = _mlp_trunk(x, batch_norm)
    else:
        out = _upsample_trunk(x, _checks.count("width", width), batch_norm)
    return keras.Model([z, label], out, name=name)


def conditional_discriminator(
    *,
    arch: str = "mlp",
    num_classes: int = NUM_CLASSES,
    embed_dim: int = 50,
    width: int = 32,
    name: str = "conditional_discriminator",
) -> keras.Model:
    """Discriminator of a class-conditional GAN: inputs ``[image, label]``, a logit out.

    It judges whether an image is a real example *of that digit*, which is what forces
    the generator to obey the label. The MLP version concatenates the label embedding with
    the flattened pixels; the conv version maps it to a 28x28 plane stacked as a second
    channel.

    >>> conditional_discriminator(arch="upsample", width=8).output_shape
    (None, 1)
    """
    arch = _checks.choice("arch", arch, CONDITIONAL_ARCHITECTURES)
    num_classes = _checks.count("num_classes", num_classes, 2)
    embed_dim = _checks.count("embed_dim", embed_dim)
    image = keras.Input(IMAGE_SHAPE, name="image")
    label = keras.Input((1,), dtype="int32", name="label")
    vector = _label_vector(label, num_classes, embed_dim)
    if arch == "mlp":
        out = _mlp_critic(layers.Concatenate()([layers.Flatten()(image), vector]))
    else:
        plane = layers.Reshape(IMAGE_SHAPE)(layers.Dense(28 * 28)(vector))
        x = layers.Concatenate()([image, plane])
        out = _conv_critic(x, _checks.count("width", width), False)
    return keras.Model([image, label], out, name=name)


def build_pair(
    arch: str = "mlp",
    *,
    latent_dim: int = LATENT_DIM,
    conditional: bool = False,
    width: int | None = None,
    batch_norm: bool = True,
    num_classes: int = NUM_CLASSES,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
) -> tuple[keras.Model, keras.Model]:
    """A matching ``(generator, discriminator)`` by architecture name.

    ``arch`` is ``"mlp"``, ``"dcgan"`` or ``"upsample"`` (``conditional=True``: ``"mlp"``
    or ``"upsample"``). ``width`` defaults to 64 for the DCGAN and 32 for the upsample net;
    ``batch_norm`` is the generator's. ``image_shape`` (H, W, C) sizes an unconditional
    pair for your own images (conv nets: H, W multiples of 4).

    >>> g, d = build_pair("upsample", width=8, conditional=True)
    >>> len(g.inputs), len(d.inputs)
    (2, 2)
    >>> g, d = build_pair("dcgan", width=8, image_shape=(8, 8, 1))
    >>> g.output_shape, d.input_shape
    ((None, 8, 8, 1), (None, 8, 8, 1))
    """
    conditional = _bool("conditional", conditional)
    shape = _image_shape(image_shape, conv=arch != "mlp")
    if conditional:
        if shape != IMAGE_SHAPE:
            raise ValueError(
                f"image_shape must be {IMAGE_SHAPE} for a conditional pair (MNIST's ten "
                f"digits), got {shape}"
            )
        arch = _checks.choice("arch", arch, CONDITIONAL_ARCHITECTURES)
        w = 32 if width is None else width
        g = conditional_generator(
            latent_dim, arch=arch, num_classes=num_classes, width=w, batch_norm=batch_norm
        )
        d = conditional_discriminator(arch=arch, num_classes=num_classes, width=w)
        return g, d
    arch = _checks.choice("arch", arch, ARCHITECTURES)
    if arch == "mlp":
        return (
            mlp_image_generator(latent_dim, batch_norm=batch_norm, image_shape=shape),
            mlp_image_discriminator(image_shape=shape),
        )
    if arch == "dcgan":
        w = 64 if width is None else width
        return (
            dcgan_generator(latent_dim, width=w, batch_norm=batch_norm, image_shape=shape),
            dcgan_discriminator(width=w, image_shape=shape),
        )
    w = 32 if width is None else width
    return (
        upsample_generator(latent_dim, width=w, batch_norm=batch_norm, image_shape=shape),
        upsample_discriminator(width=w, image_shape=shape),
    )


# -- class-conditional GANs trained by gk.GAN -----------------------------------------
#
# gk.GAN trains a generator of noise and a discriminator of samples. A conditional pair
# fits that contract when the label travels *inside* the tensors: the generator draws its
# class from one extra noise coordinate (through the normal CDF, so classes are uniform)
# and returns the image with the label stacked as a constant second channel; the
# discriminator reads the label back from that channel. Real samples carry their true
# label the same way (:func:`pack_labels`).


class _LabelFromNoise(layers.Layer):
    """Class index from a standard normal coordinate: ``floor(Phi(u) * num_classes)``."""

    def __init__(self, num_classes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def call(self, z: Any) -> Any:
        from keras import ops

        u = 0.5 * (1.0 + ops.erf(z[:, -1:] / 1.4142135623730951))
        label = ops.floor(u * self.num_classes)
        return ops.cast(ops.clip(label, 0, self.num_classes - 1), "int32")

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}


class _NoisePart(layers.Layer):
    """The noise without its last (class) coordinate."""

    def call(self, z: Any) -> Any:
        return z[:, :-1]


class _LabelPlane(layers.Layer):
    """Stack a label ``(N, 1)`` as a constant second channel of an image ``(N, 28, 28, 1)``."""

    def call(self, image: Any, label: Any) -> Any:
        from keras import ops

        plane = ops.ones_like(image) * ops.reshape(ops.cast(label, image.dtype), (-1, 1, 1, 1))
        return ops.concatenate([image, plane], axis=-1)


class _SplitPacked(layers.Layer):
    """Split a packed sample ``(N, 28, 28, 2)`` into the image and its integer label."""

    def call(self, packed: Any) -> tuple[Any, Any]:
        from keras import ops

        label = ops.cast(ops.round(packed[:, 0, 0, 1:2]), "int32")
        return packed[..., :1], ops.stop_gradient(label)


def packed_conditional_pair(
    arch: str = "mlp",
    *,
    latent_dim: int = LATENT_DIM,
    num_classes: int = NUM_CLASSES,
    width: int = 32,
    batch_norm: bool = True,
) -> tuple[keras.Model, keras.Model]:
    """A class-conditional ``(generator, discriminator)`` that :class:`gankit.GAN` trains as is.

    The generator takes noise of length ``latent_dim + 1`` (the last coordinate picks
    the class) and returns ``(N, 28, 28, 2)``: the image and its label as a constant
    channel. Train on :func:`pack_labels` of the real images; read images with
    :func:`unpack_labels`; draw a chosen class with :func:`class_noise`.
    Label channels pass through instance noise unchanged only for small ``sigma``
    (the label is read back by rounding).

    >>> g, d = packed_conditional_pair("mlp")
    >>> g.input_shape, g.output_shape, d.input_shape
    ((None, 101), (None, 28, 28, 2), (None, 28, 28, 2))
    """
    arch = _checks.choice("arch", arch, CONDITIONAL_ARCHITECTURES)
    latent_dim = _checks.count("latent_dim", latent_dim)
    num_classes = _checks.count("num_classes", num_classes, 2)
    inner_g = conditional_generator(
        latent_dim, arch=arch, num_classes=num_classes, width=width, batch_norm=batch_norm
    )
    inner_d = conditional_discriminator(arch=arch, num_classes=num_classes, width=width)
    z = keras.Input((latent_dim + 1,), name="z_and_class")
    label = _LabelFromNoise(num_classes)(z)
    image = inner_g([_NoisePart()(z), label])
    g = keras.Model(z, _LabelPlane()(image, label), name="packed_conditional_generator")
    packed = keras.Input(IMAGE_SHAPE[:2] + (2,), name="image_and_label")
    img, lab = _SplitPacked()(packed)
    d = keras.Model(packed, inner_d([img, lab]), name="packed_conditional_discriminator")
    return g, d


def pack_labels(images: Any, labels: Any) -> Any:
    """Real images ``(N, 28, 28, 1)`` in [-1, 1] and int labels ``(N,)`` -> ``(N, 28, 28, 2)``.

    >>> import numpy as np
    >>> pack_labels(np.zeros((2, 28, 28, 1), np.float32), np.array([3, 7]))[:, 0, 0, 1].tolist()
    [3.0, 7.0]
    """
    import numpy as np

    images = np.asarray(images, np.float32)
    labels = np.asarray(labels)
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (N, 28, 28, 1), got {images.shape}")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {len(images)} integers, got shape {labels.shape}")
    plane = np.broadcast_to(labels.astype(np.float32)[:, None, None, None], images.shape)
    return np.concatenate([images, plane], axis=-1)


def unpack_labels(packed: Any) -> tuple[Any, Any]:
    """``(images (N, 28, 28, 1), labels (N,))`` from packed samples ``(N, 28, 28, 2)``."""
    import numpy as np

    packed = np.asarray(packed)
    if packed.ndim != 4 or packed.shape[1:] != IMAGE_SHAPE[:2] + (2,):
        raise ValueError(f"packed must have shape (N, 28, 28, 2), got {packed.shape}")
    return packed[..., :1], np.rint(packed[:, 0, 0, 1]).astype(np.int64)


def class_noise(z: Any, labels: Any, num_classes: int = NUM_CLASSES) -> Any:
    """Noise ``(N, latent_dim + 1)`` for :func:`packed_conditional_pair` that draws ``labels``.

    ``z`` is ``(N, latent_dim)``; the extra coordinate is the normal quantile of the
    middle of each label's bin, so the generator's label is exactly ``labels``.

    >>> import numpy as np
    >>> class_noise(np.zeros((2, 4)), [0, 9]).shape
    (2, 5)
    """
    from statistics import NormalDist

    import numpy as np

    z = np.asarray(z, np.float32)
    labels = np.broadcast_to(np.asarray(labels), (len(z),))
    if z.ndim != 2 or np.any(labels < 0) or np.any(labels >= num_classes):
        raise ValueError(
            f"z must be (N, latent_dim) and labels integers in [0, {num_classes}); "
            f"got z {z.shape}, labels {labels!r}"
        )
    quantile = NormalDist().inv_cdf
    u = np.array([quantile((int(k) + 0.5) / num_classes) for k in labels], np.float32)
    return np.concatenate([z, u[:, None]], axis=1)
