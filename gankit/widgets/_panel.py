"""What every panel shares: its controls by name, an error box, display, and its setting
as plain data that can be saved, shared and restored in a fresh kernel.

A panel's *setting* is the value of every control a person sets (dropdowns, sliders,
boxes, check boxes; not buttons or play counters) plus what the panel keeps besides
(a start point dragged on the plot, points drawn on it): :meth:`Panel.get_state` gives
it as a JSON-able dict, :meth:`Panel.set_state` puts it back, :meth:`Panel.save` and
:meth:`Panel.load` keep it in a file. :meth:`Panel.to_text` packs how the panel was built
and what changed since into one short line to paste in a forum post or a notebook cell;
:func:`from_text` rebuilds the same panel in the same state from it.

>>> import gankit as gk
>>> race = gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"])
>>> race.controls["lr.Adam"].value = 0.05
>>> again = gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"])
>>> again.set_state(race.get_state())
>>> again.controls["lr.Adam"].value
0.05
>>> text = race.to_text()
>>> text.startswith("gankit:")
True
>>> from_text(text).get_state() == race.get_state()
True
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import zlib
from collections.abc import Iterator
from typing import Any

import ipywidgets
import traitlets

from gankit.widgets._common import ErrorBox, fit_labels

_NOT_SETTINGS = (
    ipywidgets.Button,
    ipywidgets.Play,
    ipywidgets.HTML,
    ipywidgets.Output,
    ipywidgets.FileUpload,  # a file chosen once; what it brought in is kept as own state
)
#: How every shared text starts (and the version of its format).
TEXT_PREFIX = "gankit:"
#: A text carries names and numbers, not data: an argument over this many characters of
#: JSON (an array of images, say) is refused.
TEXT_ARGUMENT_LIMIT = 20_000


def _settings(controls: dict, prefix: str = "") -> Iterator[tuple[str, ipywidgets.Widget]]:
    """``(name, control)`` for every control that holds a setting (nested dicts as a.b)."""
    for name, control in controls.items():
        if isinstance(control, dict):
            yield from _settings(control, f"{prefix}{name}.")
        elif hasattr(control, "value") and not isinstance(control, _NOT_SETTINGS):
            yield prefix + name, control


def _plain(value: Any) -> Any:
    """A value as JSON: tuples and arrays become lists, numpy numbers Python ones."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _same(a: Any, b: Any) -> bool:
    """Equal as settings: numbers by value (1 == 1.0; NaN never), the rest exactly."""
    a, b = _plain(a), _plain(b)
    if _number(a) and _number(b):
        return a == b
    return type(a) is type(b) and a == b


def _allowed(control: ipywidgets.Widget) -> str:
    """What a control can take, in words (for the error)."""
    options = getattr(control, "options", None)
    if options is not None:
        return f"one of {[o[1] if isinstance(o, tuple) else o for o in options]}"
    if hasattr(control, "min") and hasattr(control, "max"):
        kind = "a whole number" if isinstance(control.value, int) else "a number"
        return f"{kind} in [{control.min}, {control.max}]"
    return f"a value like {control.value!r}"


class Panel(traitlets.HasTraits):
    """Base of every gankit panel (see the module docstring).

    A subclass sets ``controls`` (name -> widget), ``errors`` (an :class:`ErrorBox`) and
    ``widget`` (the box Jupyter shows), and overrides :meth:`_own_state` /
    :meth:`_set_own_state` for what it keeps besides its controls. The arguments it is
    built with, and its setting then, are recorded for :meth:`to_text`.
    """

    controls: dict
    errors: ErrorBox
    widget: ipywidgets.Widget

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def recording(self: Panel, *args: Any, **kw: Any) -> None:
            outermost = "_built_with" not in self.__dict__
            if outermost:
                self.__dict__["_built_with"] = (args, kw)
            init(self, *args, **kw)
            if outermost:
                self.errors.busy_widget = self.widget  # greyed while a callback runs
                fit_labels(self.widget)  # no control's label cut short
                self.__dict__["_first_state"] = self.get_state()

        cls.__init__ = recording

    # -- display ---------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Jupyter shows the panel's box; plain text (a stored lesson, nbval) is the repr."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle = dict(bundle, **{"text/plain": repr(self)})
        return bundle

    # -- the setting -------------------------------------------------------------------
    def _own_state(self) -> dict:
        """What the panel keeps besides its controls (JSON-able); none by default."""
        return {}

    def _set_own_state(self, state: dict) -> None:
        """Restore :meth:`_own_state`'s part of a setting."""

    def get_state(self) -> dict:
        """The panel's whole setting as a plain, JSON-able dict."""
        state = {name: _plain(control.value) for name, control in _settings(self.controls)}
        return state | self._own_state()

    def set_state(self, state: dict) -> None:
        """Put back a setting from :meth:`get_state` (all of it or some names).

        Unknown names, and values a control cannot take exactly (not among its options,
        outside its slider, of the wrong kind), are refused with a ValueError that names
        them; the panel is then put back as it was.
        """
        if not isinstance(state, dict):
            raise ValueError(f"state must be a dict from get_state(), got {state!r}")
        controls = dict(_settings(self.controls))
        own = set(self._own_state())
        unknown = set(state) - set(controls) - own
        if unknown:
            raise ValueError(
                f"unknown setting(s) {sorted(unknown)} for {type(self).__name__}; "
                f"allowed: {sorted(set(controls) | own)}"
            )
        before = self.get_state()
        try:
            self._apply(state, controls, own)
        except Exception:
            self._apply(before, controls, own)
            raise

    def _apply(self, state: dict, controls: dict, own: set) -> None:
        mine = {k: v for k, v in state.items() if k in own}
        self._set_own_state(mine)  # first too: a control may need it (points to train on)
        # Twice: a control set early can be reset by one set later (a new surface resets
        # the learning rates to its own; a new scheme offers other axes).
        for _ in range(2):
            for name, value in state.items():
                if name in controls and not _same(controls[name].value, value):
                    try:
                        controls[name].value = tuple(value) if isinstance(value, list) else value
                    except traitlets.TraitError:
                        pass  # not yet allowed (options of another scheme): checked below
        self._set_own_state(mine)
        for name, value in state.items():
            if name in controls and not _same(controls[name].value, value):
                raise ValueError(f"{name} must be {_allowed(controls[name])}; got {value!r}")

    def save(self, path: str | os.PathLike) -> str:
        """Write the setting to a JSON file; returns the path."""
        payload = {"panel": type(self).__name__, "state": self.get_state()}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
        return str(path)

    def to_text(self) -> str:
        """One short line that rebuilds this panel in this state: pass it to :func:`from_text`.

        It holds the panel's kind, the arguments it was built with and the settings changed
        since (zlib-compressed JSON in URL-safe base64). Panels built from objects or data
        (a GAN, an array of images) cannot travel as text: :meth:`save` keeps their setting.
        """
        args, kwargs = self.__dict__.get("_built_with", ((), {}))
        for name, value in [(f"argument {i + 1}", v) for i, v in enumerate(args)] + [
            (f"argument {k!r}", v) for k, v in kwargs.items()
        ]:
            try:
                size = len(json.dumps(_plain(value)))
            except (TypeError, ValueError):
                size = None
            if size is None or size > TEXT_ARGUMENT_LIMIT:
                what = "data too large" if size else f"a {type(value).__name__}"
                raise ValueError(
                    f"this {type(self).__name__} was built with {what} ({name}), which a text "
                    "cannot carry: build the panel from names and numbers to share it as "
                    "text, or keep its setting with save(path)"
                )
        first, state = self.__dict__.get("_first_state", {}), self.get_state()
        changed = {k: v for k, v in state.items() if k not in first or not _same(first[k], v)}
        payload = {
            "panel": type(self).__name__,
            "args": _plain(list(args)),
            "kwargs": _plain(kwargs),
            "state": changed,
        }
        packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)
        return TEXT_PREFIX + base64.urlsafe_b64encode(packed).decode().rstrip("=")

    def load(self, path: str | os.PathLike) -> None:
        """Read a setting saved by :meth:`save` (of a panel of the same kind)."""
        try:
            with open(path, encoding="utf-8") as f:
                payload = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not a saved panel setting (not JSON: {error})") from None
        if not isinstance(payload, dict) or "state" not in payload:
            raise ValueError(f"{path} is not a saved panel setting (no 'state')")
        if payload.get("panel") != type(self).__name__:
            raise ValueError(
                f"{path} holds the setting of a {payload.get('panel')!r} panel, "
                f"not of a {type(self).__name__!r}"
            )
        self.set_state(payload["state"])


def from_text(text: str) -> Panel:
    """The panel a :meth:`Panel.to_text` line describes, built anew and in that state."""
    from gankit.widgets import PANELS

    if not isinstance(text, str) or not text.strip().startswith(TEXT_PREFIX):
        raise ValueError(f"text must be a line from panel.to_text(), starting {TEXT_PREFIX!r}")
    body = text.strip()[len(TEXT_PREFIX) :]
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        payload = json.loads(raw)
        name, args, kwargs, state = (payload[k] for k in ("panel", "args", "kwargs", "state"))
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError):
        raise ValueError(
            "text is not a whole panel.to_text() line (was it cut short when pasted?)"
        ) from None
    if name not in PANELS:
        raise ValueError(f"text describes a {name!r} panel; known panels: {sorted(PANELS)}")
    panel = PANELS[name](*args, **kwargs)
    panel.set_state(state)
    return panel
