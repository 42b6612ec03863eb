"""Panels survive anything a student does to them.

Every control of every panel is driven to its extremes (each end of a slider, the first
and last choice of a dropdown, both states of a check box) and every text box gets what
a student might type ("abc", "-1", "1e9", "nan", nothing). No exception may escape a
control (in JupyterLab it would vanish into the log and leave the panel stuck); a bad
entry shows one sentence in the panel's error box naming the box, and the next valid
entry works again.
"""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import ipywidgets
import pytest

import gankit as gk
from gankit.widgets._numberbox import NumberBox
from gankit.widgets._panel import _settings

from tests.test_panels import BUILD

TYPED = ["abc", "-1", "1e9", "nan", "", "  ", "1,5", "0x10"]


def extremes(control: ipywidgets.Widget) -> list:
    """The values a student can reach at the ends of a control."""
    if isinstance(control, NumberBox):
        lo, hi = control.min, control.max
        return [int(lo), int(hi)] if control.integer else [float(lo), float(hi)]
    options = getattr(control, "options", None)
    if options:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        return [values[-1], values[0]]
    if isinstance(control, ipywidgets.Checkbox | ipywidgets.ToggleButton):
        return [not control.value, control.value]
    if isinstance(control, ipywidgets.FloatLogSlider):
        return [control.base**control.max, control.base**control.min]
    if hasattr(control, "min") and hasattr(control, "max"):
        if isinstance(control.value, tuple):  # a range slider
            return [(control.min, control.max)]
        return [control.max, control.min]
    return []


@pytest.mark.parametrize("name", list(BUILD))
def test_every_control_at_its_extremes_leaves_no_traceback(name):
    panel = BUILD[name]()
    for key, control in _settings(panel.controls):
        start = control.value
        for value in extremes(control) + [start]:
            control.value = value  # an escaping exception fails the test
            message = panel.errors.message
            assert "Traceback" not in message and "\n" not in message, (name, key, value)
        assert control.value == start or not isinstance(start, int | float)


@pytest.mark.parametrize("name", list(BUILD))
def test_every_number_box_refuses_bad_text_by_name_then_takes_a_good_number(name):
    panel = BUILD[name]()
    boxes = [(k, c) for k, c in _settings(panel.controls) if isinstance(c, NumberBox)]
    for key, box in boxes:
        good = box.value
        for text in TYPED:
            box.text.value = text
            if text.strip() in {"-1"} and box.min <= -1:
                continue  # a box whose range takes -1
            assert box.value == good, (key, text)
            assert panel.errors.message == f"{key} must be {box.allowed}; got {text!r}"
            assert box.text.value == box._format(good)  # the box shows its value again
        other = box.max if good != box.max else box.min
        box.text.value = box._format(other)
        assert box.value == other and panel.errors.message == "", key
        box.value = good


def test_out_of_range_values_from_code_are_refused_not_clamped():
    lab = BUILD["Toy2DLab"]()
    for key, bad in [("layers", 50), ("n_runs", -1), ("d_steps", 0), ("steps_per_frame", 1e9)]:
        before = lab.controls[key].value
        with pytest.raises(ValueError, match=f"{key} must be a whole number in"):
            lab.set_state({key: bad})
        assert lab.controls[key].value == before
    with pytest.raises(ValueError, match=r"reg_value must be a number in \[0.0, 10.0\]"):
        lab.set_state({"reg": "R1", "reg_value": 1e9})


def test_the_checkpoint_file_box_takes_any_text_and_says_what_is_wrong(tmp_path):
    trainer = BUILD["MNISTTrainer"]()
    for text in ["", "abc", str(tmp_path / "missing.weights.h5"), str(tmp_path / "x.txt")]:
        trainer.path.value = text
        trainer.load_button.click()
        message = trainer.errors.message
        assert message and "\n" not in message and "Traceback" not in message, text
    good = str(tmp_path / "run.weights.h5")
    trainer.path.value = good
    trainer.save_button.click()
    assert trainer.errors.message == ""
    trainer.load_button.click()
    assert trainer.errors.message == ""


def test_the_regulariser_box_follows_the_regulariser_range():
    lab = gk.widgets.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2)
    box = lab.controls["reg_value"]
    for reg in gk.catalogue.REGULARIZERS:
        lab.controls["reg"].value = reg
        number = gk.catalogue.REGULARIZERS[reg].number
        if number is not None:
            assert (box.min, box.max) == (number.low, number.high)
            assert box.value == number.default
        assert lab.errors.message == ""


def test_the_game_panels_reg_weight_is_greyed_out_without_a_regulariser():
    panel = BUILD["GameTrajectories"]()
    assert panel.controls["reg"].value == "none" and panel.reg_weight.disabled
    panel.controls["reg"].value = "R1"
    assert not panel.reg_weight.disabled
