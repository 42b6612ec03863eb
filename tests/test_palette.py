"""The run colours read on both JupyterLab themes and stay apart for colour-blind eyes.

Measures (gankit.widgets._colour): WCAG contrast against the light (#ffffff) and dark
(#111111) backgrounds, at least 3:1; CIE76 distance between any two colours, at least 15,
in normal vision and under simulated deuteranopia and protanopia (Machado et al. 2009).
"""

from __future__ import annotations

import itertools

import pytest

from gankit.widgets import _colour
from gankit.widgets._common import PALETTE


@pytest.mark.parametrize("background", [_colour.LIGHT_BACKGROUND, _colour.DARK_BACKGROUND])
def test_every_colour_keeps_three_to_one_contrast(background):
    worst = min(PALETTE, key=lambda c: _colour.contrast(c, background))
    assert _colour.contrast(worst, background) >= _colour.MIN_CONTRAST, worst


@pytest.mark.parametrize("vision", _colour.VISIONS)
def test_any_two_colours_stay_apart(vision):
    pairs = list(itertools.combinations(PALETTE, 2))
    a, b = min(pairs, key=lambda p: _colour.delta_e(*p, vision))
    assert _colour.delta_e(a, b, vision) >= _colour.MIN_DELTA_E, (a, b, vision)
    six = itertools.combinations(PALETTE[:6], 2)  # the most used first: further apart
    assert min(_colour.delta_e(a, b, vision) for a, b in six) >= 25


def test_the_measures_catch_what_they_should():
    # the old palette's yellow and orange fail on white; red and green merge for deutans
    assert _colour.contrast("#F0E442", _colour.LIGHT_BACKGROUND) < 1.5
    assert _colour.contrast("#000000", _colour.DARK_BACKGROUND) < 1.2
    assert _colour.delta_e("#D55E00", "#009E73") > 60
    assert _colour.delta_e("#CC3311", "#669900", "deuteranopia") < _colour.MIN_DELTA_E
    with pytest.raises(ValueError, match="vision must be one of"):
        _colour.lab("#000000", "tritan")
