"""How readable a colour is: contrast against a background, and how far apart two colours
look in normal vision and in the two common red-green colour-vision deficiencies.

Contrast is WCAG 2's ratio of relative luminances, ``(L1 + 0.05) / (L2 + 0.05)``; lines
and markers need 3:1 (WCAG's figure for graphics). Distance is CIE76 ΔE, the Euclidean
distance in CIELAB; deuteranopia and protanopia are simulated with the full-severity
matrices of Machado, Oliveira & Fernandes (2009) applied in linear RGB.

>>> from gankit.widgets._colour import contrast, delta_e
>>> round(contrast("#000000", "#ffffff"), 1)
21.0
>>> delta_e("#ff0000", "#00ff00") > 80 > 30 > delta_e("#ff0000", "#00ff00", "deuteranopia")
True
"""

from __future__ import annotations

import numpy as np

LIGHT_BACKGROUND = "#ffffff"
"""JupyterLab's light theme behind a panel."""
DARK_BACKGROUND = "#111111"
"""JupyterLab's dark theme behind a panel (its ``--jp-layout-color0``)."""
MIN_CONTRAST = 3.0
"""The least contrast a line's colour keeps against both backgrounds (WCAG, graphics)."""
MIN_DELTA_E = 15.0
"""The least CIE76 distance between two palette colours, in every vision simulated."""

VISIONS = ("normal", "deuteranopia", "protanopia")

_SIMULATE = {
    "normal": np.eye(3),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}
_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65


def linear_rgb(colour: str) -> np.ndarray:
    """``"#rrggbb"`` as linear-light RGB in [0, 1]."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"colour must be '#rrggbb', got {colour!r}")
    c = np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(colour: str) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    return float(linear_rgb(colour) @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def lab(colour: str, vision: str = "normal") -> np.ndarray:
    """CIELAB coordinates of ``colour`` as seen with ``vision`` (one of :data:`VISIONS`)."""
    if vision not in _SIMULATE:
        raise ValueError(f"vision must be one of {VISIONS}, got {vision!r}")
    rgb = np.clip(_SIMULATE[vision] @ linear_rgb(colour), 0.0, 1.0)
    xyz = (_XYZ @ rgb) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str = "normal") -> float:
    """CIE76 distance between two colours as seen with ``vision``."""
    return float(np.linalg.norm(lab(a, vision) - lab(b, vision)))
