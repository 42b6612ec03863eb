"""A text box for one number, read by the kernel and never by the browser.

The browser's own number boxes read "1e9" typed into a whole-number box as 19 and clamp
out-of-range values without a word. :class:`NumberBox` takes the text as typed: a whole
number (or a number) within its range becomes its ``value``; anything else shows one
sentence in the panel's error box, naming the box and the range, and the box goes back
to its value. Setting ``value`` from code refuses what the box would refuse.

>>> from gankit.widgets._common import ErrorBox
>>> errors = ErrorBox()
>>> box = NumberBox("d_steps", 1, minimum=1, maximum=20, integer=True, errors=errors)
>>> box.text.value = "1e9"
>>> box.value, errors.message
(1, "d_steps must be a whole number in [1, 20]; got '1e9'")
>>> box.text.value = "5"
>>> box.value, errors.message
(5, '')
"""

from __future__ import annotations

import math
import re
from typing import Any

import ipywidgets
import traitlets

from gankit.widgets._common import ErrorBox

_WHOLE = re.compile(r"^[+-]?\d+$")


class RangeError(traitlets.TraitError, ValueError):
    """A value a number box refuses (a ValueError too, for a panel's constructor)."""


class NumberBox(ipywidgets.HBox):
    """One number typed as text: ``value`` (an int if ``integer``), within ``[min, max]``."""

    value = traitlets.Any()
    min = traitlets.Float()
    max = traitlets.Float()
    disabled = traitlets.Bool(False)

    def __init__(
        self,
        name: str,
        value: float,
        *,
        minimum: float,
        maximum: float,
        integer: bool = False,
        errors: ErrorBox | None = None,
        description: str | None = None,
        style: dict | None = None,
    ) -> None:
        self.name, self.integer, self.errors = name, integer, errors
        self.text = ipywidgets.Text(
            description=name if description is None else description,
            continuous_update=False,  # read on Enter or when the box loses focus
            style=style or {},
            layout=ipywidgets.Layout(width="220px"),
        )
        self.text.add_class("gankit-number")
        super().__init__([self.text])
        self.min, self.max = minimum, maximum
        self.value = self._checked(value)
        self.text.value = self._format(self.value)
        self.text.observe(self._typed, "value")
        self.observe(self._shown, "value")
        traitlets.dlink((self, "disabled"), (self.text, "disabled"))

    def set_range(self, minimum: float, maximum: float, value: float) -> None:
        """A new range and a value in it (one change; a panel's regulariser switch)."""
        value = float(value) if not self.integer else value
        if not minimum <= value <= maximum:
            raise ValueError(f"{self.name} must be in [{minimum}, {maximum}]; got {value!r}")
        with self.hold_trait_notifications():
            self.min, self.max = minimum, maximum
        self.value = value

    @property
    def allowed(self) -> str:
        """What the box takes, in words."""
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} in [{self._format(self.min)}, {self._format(self.max)}]"

    def _format(self, number: float) -> str:
        if self.integer:
            return str(int(number))
        return repr(float(number)) if float(number).is_integer() else f"{float(number):.6g}"

    def _parse(self, text: str) -> int | float:
        text = text.strip()
        if self.integer:
            if not _WHOLE.match(text):
                raise ValueError(text)
            return int(text)
        number = float(text)  # ValueError for text that is no number
        if not math.isfinite(number):
            raise ValueError(text)
        return number

    def _checked(self, value: Any) -> int | float:
        refuse = RangeError(f"{self.name} must be {self.allowed}; got {value!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise refuse
        if self.integer and not float(value).is_integer():
            raise refuse
        if not (math.isfinite(value) and self.min <= value <= self.max):
            raise refuse
        return int(value) if self.integer else float(value)

    @traitlets.validate("value")
    def _valid(self, proposal: Any) -> int | float:
        return self._checked(proposal["value"])

    def _typed(self, change: dict) -> None:
        if change["new"] == self._format(self.value):
            return  # the box put back (or already showing) its value
        try:
            number = self._checked(self._parse(change["new"]))
        except (ValueError, traitlets.TraitError):
            message = f"{self.name} must be {self.allowed}; got {change['new']!r}"
            if self.errors is not None:
                self.errors.show(ValueError(message))
            self.text.value = self._format(self.value)  # back to the value the panel uses
            return
        if self.errors is not None and self.errors.message.startswith(f"{self.name} must be"):
            self.errors.clear()
        self.value = number

    def _shown(self, change: dict) -> None:
        if self._format(change["new"]) != self.text.value:
            self.text.value = self._format(change["new"])
