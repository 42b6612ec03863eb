"""Shared test set-up.

Importing gankit first selects Keras' JAX backend before any test module imports keras
(sorted imports put ``import keras`` before ``import gankit``).
"""

from pathlib import Path

import jax
import pytest

import gankit  # noqa: F401  (selects the JAX backend)

# The tests compare float32 results with closed forms and with Keras' own layers. GPUs
# multiply float32 in TF32 (10-bit mantissa) unless told otherwise; CPUs always in full.
jax.config.update("jax_default_matmul_precision", "highest")

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"


@pytest.hookimpl(trylast=True)  # after -k / -m: only a browser run that will happen counts
def pytest_collection_modifyitems(config, items) -> None:
    """Lessons the browser suite runs are checked there against their stored outputs, by
    nbval's rules (tests/browser/nbcompare.py); nbval's own run of them would execute each
    a second time, so it is left out of a session that runs them in the browser.
    ``pytest --nbval lessons/`` (no browser suite) and a machine without Chromium, where
    the browser suite skips, keep nbval's run."""
    from .browser.labdriver import CHROMIUM

    if not Path(CHROMIUM).exists():
        return
    in_browser = {
        item.callspec.params["lesson"]
        for item in items
        if getattr(item, "originalname", "") == "test_lesson_in_browser"
    }
    lessons = REPO / "lessons"
    twice = [
        item
        for item in items
        if item.path.suffix == ".ipynb" and item.path.parent == lessons
        if item.path.name in in_browser
    ]
    if twice:
        config.hook.pytest_deselected(items=twice)
        dropped = set(twice)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST test split (IDX gzip files) shipped beside the repository."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.fail(f"the MNIST test split is missing from {MNIST_DIR}")
    return MNIST_DIR


def assert_axes_placed(widget) -> int:
    """Every bqplot figure inside ``widget``: one x axis at the bottom, y axes at the side.

    (An Axis without ``side`` lies at the bottom whatever else it is given, so a y axis
    built that way is drawn on top of the x axis.) Returns the number of figures checked.
    """
    import bqplot
    import ipywidgets

    seen, stack, count = set(), [widget], 0
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        if isinstance(w, bqplot.Figure):
            sides = [axis.side for axis in w.axes]
            assert len(sides) == len(set(sides)), f"{w.title!r}: axes share a side {sides}"
            if len(sides) >= 2:
                assert {"left", "right"} & set(sides), f"{w.title!r}: no vertical axis {sides}"
            count += 1
        elif isinstance(w, ipywidgets.Box):
            stack.extend(w.children)
    return count


@pytest.fixture
def axes_placed():
    """:func:`assert_axes_placed` as a fixture."""
    return assert_axes_placed
