"""``gk.GAN``: a ``keras.Model`` that trains a generator against a discriminator.

The package, one job a module: :mod:`~gankit.gan.spec` (what a GAN is built of),
:mod:`~gankit.gan.game` (the batch game the schemes drive), :mod:`~gankit.gan.step`
(the pure step and the other programs), :mod:`~gankit.gan.programs` (compiled once,
shared), :mod:`~gankit.gan.layout` (state <-> Keras variables), :mod:`~gankit.gan.model`
(the thin ``keras.Model``), :mod:`~gankit.gan.runs` (vmapped runs), :mod:`~gankit.gan.export`
(a run as code, config and weights to take away).

The two networks are the two players of a game; the *scheme* (any of
:mod:`gankit.schemes`) decides when and where each player's gradient is taken, and each
player's Keras optimizer (run through :mod:`gankit.steppers`, i.e. its own
``stateless_apply``) turns a gradient into a step. The same code that moves a point on the
Dirac-GAN trains the networks.

State. Everything a step changes lives in Keras variables: both networks' weights and
non-trainable state (BatchNorm statistics), both optimizers' variables (``iterations``,
Adam moments, learning rate), and the GAN's own counters: the RNG key, the step, the step
a run went non-finite at, the traced numbers (betas, penalty weights...), the generator's
weight average (``ema``) and the scheme's memory (optimistic's last gradient). ``fit()``
threads all of them through its jitted step: the optimizers are exposed together as
``self.optimizer`` (so Keras carries both; see keras issue 19358 for what goes wrong
otherwise), the rest are the model's non-trainable variables. Checkpoints therefore hold
the whole run, and resuming continues it exactly.

Randomness. Each step splits the stored key; each gradient evaluation inside a step
folds in its own counter, so alternating ``d_steps`` and extragradient's look-ahead draw
fresh noise, while ``simultaneous`` evaluates both players on the same fakes. The real
batch is shared by the gradient evaluations of one step.

>>> import gankit as gk
>>> gan = gk.GAN(gk.models.mlp_generator(), gk.models.mlp_discriminator(), loss="nsgan")
>>> losses = gan.train_steps(gk.data.toy("ring8", 512), steps=5, batch_size=64)
>>> losses.shape, int(gan.step)
((5, 2), 5)
"""

from __future__ import annotations

from gankit.gan import export
from gankit.gan.fitting import NonFiniteLossWarning
from gankit.gan.game import BatchGame
from gankit.gan.model import GAN, GAN_SCHEMES
from gankit.gan.pair import PairOptimizer
from gankit.gan.runs import Runs

__all__ = [
    "GAN",
    "GAN_SCHEMES",
    "BatchGame",
    "NonFiniteLossWarning",
    "PairOptimizer",
    "Runs",
    "export",
]
