"""Panels for JupyterLab: thin ipywidgets + bqplot views over the game-dynamics core.

Every panel is an ``ipywidgets`` box (CSS classes ``gankit-panel`` and
``gankit-<name>``) built once; moving a control recomputes with the core
(:func:`gankit.simulate`, :mod:`gankit.analysis`) and updates the marks in place.
Panels are drivable from Python too: set a control's ``value``, read the marks' data.
Shared helpers (error box, palette, fixed views, path clipping) are in
:mod:`gankit.widgets._common`.

>>> import gankit as gk
>>> box = gk.widgets._common.panel("demo")
>>> "gankit-panel" in box._dom_classes
True
"""

from __future__ import annotations

from gankit.widgets import _common
from gankit.widgets.race import OPTIMIZERS, SURFACES, OptimizerRace

# -- part A panels (add imports above this line) --
# -- part B panels (add imports below this line) --
# isort: split
from gankit.widgets.game import GameTrajectories
from gankit.widgets.stability import StabilityMap
from gankit.widgets.surface import MinimaxSurface

__all__ = [
    "GameTrajectories",
    "MinimaxSurface",
    "StabilityMap",
    "OPTIMIZERS",
    "SURFACES",
    "OptimizerRace",
    "_common",
]
