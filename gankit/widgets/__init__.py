"""Panels for JupyterLab: thin ipywidgets + bqplot views over the engine.

Every panel is a :class:`Panel`: its controls by name (``panel.controls``), an error box,
and its whole setting as plain data (``get_state`` / ``set_state`` / ``save`` /
``load``), or as one line of text to share (``to_text`` / :func:`from_text`). Its box (CSS classes ``gankit-panel`` and ``gankit-<name>``) is built once;
moving a control recomputes with the modules below (:func:`gankit.simulate`,
:mod:`gankit.analysis`, :class:`gankit.GAN`) and updates the marks in place. Panels only
draw: no panel module imports JAX.

>>> import gankit as gk
>>> sorted(gk.widgets.PANELS)[:3]
['GameTrajectories', 'MNISTTrainer', 'MinimaxSurface']
"""

from __future__ import annotations

from gankit.widgets import _common
from gankit.widgets._panel import Panel, from_text
from gankit.widgets.game import GameTrajectories
from gankit.widgets.mnist import ImageTrainer, MNISTTrainer
from gankit.widgets.plot import figure
from gankit.widgets.race import OPTIMIZERS, SURFACES, OptimizerRace
from gankit.widgets.stability import StabilityMap
from gankit.widgets.surface import MinimaxSurface
from gankit.widgets.toy2d import Toy2DLab

PANELS = {
    cls.__name__: cls
    for cls in (
        OptimizerRace,
        GameTrajectories,
        MinimaxSurface,
        StabilityMap,
        Toy2DLab,
        MNISTTrainer,
    )
}
"""Every panel class by name."""

__all__ = [
    "PANELS",
    "GameTrajectories",
    "ImageTrainer",
    "MNISTTrainer",
    "MinimaxSurface",
    "OPTIMIZERS",
    "OptimizerRace",
    "Panel",
    "SURFACES",
    "StabilityMap",
    "Toy2DLab",
    "_common",
    "figure",
    "from_text",
]
