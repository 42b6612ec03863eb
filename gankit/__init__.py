"""gankit: GANs and the optimizers that train them, in Jupyter.

Importing gankit selects Keras' JAX backend when ``KERAS_BACKEND`` is unset.

>>> import gankit as gk
>>> gk.backend_name()
'jax'
"""

from __future__ import annotations

import os
import sys

_FIX = (
    "gankit needs Keras' JAX backend. Set it before anything imports keras: "
    "`import os; os.environ['KERAS_BACKEND'] = 'jax'` at the top of the notebook "
    "(or `export KERAS_BACKEND=jax` in the shell), then restart the kernel."
)


def _select_jax_backend() -> None:
    if "keras" in sys.modules:
        import keras

        found = keras.backend.backend()
        if found != "jax":
            raise ImportError(f"Keras was already imported with the {found!r} backend. {_FIX}")
        return
    wanted = os.environ.setdefault("KERAS_BACKEND", "jax")
    if wanted != "jax":
        raise ImportError(f"KERAS_BACKEND is set to {wanted!r}. {_FIX}")


_select_jax_backend()


def backend_name() -> str:
    """The Keras backend gankit runs on (always ``'jax'``)."""
    import keras

    return keras.backend.backend()


def fast_mode() -> bool:
    """True when ``GANKIT_FAST`` is set (not empty or "0"): lessons and tests shrink work.

    Fast mode changes sizes (steps, samples), never what a lesson asserts.
    """
    return os.environ.get("GANKIT_FAST", "") not in ("", "0")


__version__ = "0.1.0"

from gankit._cache import cache_dir  # noqa: E402, F401  (configures JAX's compilation cache)
from gankit._init_draws import install as _install_draws  # noqa: E402

_install_draws()  # Keras' initial weights without a compile per weight shape
from gankit import _memory  # noqa: E402

_memory.install()  # the scratch memory of each compile handed back to the system

# isort: split
# -- core --
from gankit import (  # noqa: E402
    analysis,
    catalogue,
    compiles,
    dynamics,
    games,
    optimizers,
    reg,
    schemes,
    surfaces,
)
from gankit.compiles import count as compile_count  # noqa: E402
from gankit.dynamics import simulate  # noqa: E402

# isort: split
# -- data and metrics (add imports below this line) --
from gankit import data, metrics  # noqa: E402

# isort: split
# -- GAN building blocks and toy lab (add imports below this line) --
from gankit import gan, losses, models  # noqa: E402
from gankit.gan import GAN  # noqa: E402

# isort: split
# -- MNIST (add imports below this line) --
from gankit import distribute, image_models, layers  # noqa: E402

# isort: split
# -- widgets (add imports below this line) --
from gankit import widgets  # noqa: E402
from gankit.widgets import ImageTrainer, MNISTTrainer, Toy2DLab  # noqa: E402

# isort: split
# -- the course: exercises that check themselves, student and instructor builds --
from gankit import course  # noqa: E402

__all__ = [
    "analysis",
    "backend_name",
    "catalogue",
    "compile_count",
    "compiles",
    "course",
    "distribute",
    "data",
    "dynamics",
    "fast_mode",
    "GAN",
    "ImageTrainer",
    "MNISTTrainer",
    "Toy2DLab",
    "losses",
    "models",
    "gan",
    "games",
    "metrics",
    "image_models",
    "layers",
    "optimizers",
    "reg",
    "schemes",
    "simulate",
    "surfaces",
    "widgets",
]
