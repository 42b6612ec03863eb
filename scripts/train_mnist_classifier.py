"""Train the small MNIST CNN behind gankit's digit metrics and write its weights.

Default: train on the first 8,000 digits of the MNIST *test* split (the split kept
offline beside the repository) and hold out the last 2,000. The shipped weights come
from this default run (seed 0, 12 epochs) and reach 0.9875 held-out accuracy on those
2,000 digits; tests/test_metrics.py checks it stays >= 0.97. A run takes about a minute
on a 2-core CPU.

``--full`` trains on the 60,000-digit train split instead (local files or the Keras
download) and reports accuracy on the last 2,000 test digits too, so the two runs
compare on the same held-out set.

Run from the repository root::

    python scripts/train_mnist_classifier.py --mnist-dir DIR   # or set GANKIT_MNIST_DIR
    python scripts/train_mnist_classifier.py --full --epochs 6
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import gankit  # noqa: F401  (selects the JAX backend before keras loads)
from gankit.data import mnist, scale_images
from gankit.metrics.classifier import build_classifier, weights_path

TRAIN_COUNT = 8000  # the fixed split of the 10,000 test digits: first 8,000 train ...
HELD_OUT = 2000  # ... last 2,000 held out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist-dir", default=None, help="directory with MNIST IDX or npz files")
    parser.add_argument("--full", action="store_true", help="train on the 60k train split")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=weights_path(), help="weights file to write")
    return parser.parse_args()


def load(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    test_x, test_y = mnist("test", path=args.mnist_dir)
    held_x, held_y = test_x[-HELD_OUT:], test_y[-HELD_OUT:]
    if args.full:
        train_x, train_y = mnist("train", path=args.mnist_dir)
    else:
        train_x, train_y = test_x[:TRAIN_COUNT], test_y[:TRAIN_COUNT]
    return train_x, train_y, held_x, held_y


def main() -> None:
    args = parse_args()
    import keras

    keras.utils.set_random_seed(args.seed)
    train_x, train_y, held_x, held_y = load(args)
    model = build_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        scale_images(train_x)[..., None],
        train_y.astype(np.int32),
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=2,
    )
    _, accuracy = model.evaluate(
        scale_images(held_x)[..., None], held_y.astype(np.int32), verbose=0
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    clean = build_classifier()  # uncompiled twin: the file gets no optimizer state
    clean.set_weights(model.get_weights())
    clean.save_weights(args.out)
    print(f"trained on {len(train_x)} digits in {time.perf_counter() - start:.0f} s")
    print(f"held-out accuracy (last {HELD_OUT} test digits): {accuracy:.4f}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
