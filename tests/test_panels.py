"""One panel shape: every panel's controls, setting round trip, save/load, errors."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import json
import re

import gankit as gk
import numpy as np
import pytest
from gankit.widgets import PANELS, Panel


def _tiny_mnist_trainer() -> gk.widgets.MNISTTrainer:
    g, d = gk.image_models.build_pair("mlp")
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
    return gk.widgets.MNISTTrainer(gk.GAN(g, d), images, metric_every=0, grid=2)


BUILD = {
    "OptimizerRace": lambda: gk.widgets.OptimizerRace("quadratic", ["SGD", "Adam"]),
    "GameTrajectories": lambda: gk.widgets.GameTrajectories(
        "dirac", schemes=["simultaneous", "extragradient"], max_steps=100, steps=80
    ),
    "MinimaxSurface": lambda: gk.widgets.MinimaxSurface("bilinear", resolution=8),
    "StabilityMap": lambda: gk.widgets.StabilityMap("bilinear", "consensus", resolution=6),
    "Toy2DLab": lambda: gk.widgets.Toy2DLab("ring8", units=8, batch_size=32, steps_per_frame=2),
    "MNISTTrainer": _tiny_mnist_trainer,
}

# A change of each panel's setting a student might make (controls and what it keeps).
CHANGE = {
    "OptimizerRace": {"lr.Adam": 0.05, "steps": 120, "start": [1.0, -1.0]},
    "GameTrajectories": {"loss": "wgan", "reg": "R1", "learning_rate": 0.3, "start": [0.5, 1.0]},
    "MinimaxSurface": {"point": [-0.5, 0.25]},
    "StabilityMap": {"axis": "momentum", "learning_rate": 0.4, "metric": "growth"},
    "Toy2DLab": {"loss": "hinge", "reg": "R1", "reg_value": 2.0, "g_lr": 1e-4, "show.field": False},
    "MNISTTrainer": {"interpolate": 0.5, "path": "run.weights.h5"},
}


def test_every_panel_is_a_panel_with_controls_and_an_error_box():
    assert set(BUILD) == set(PANELS)
    for name, build in BUILD.items():
        panel = build()
        assert isinstance(panel, Panel) and isinstance(panel.controls, dict), name
        assert panel.errors.text == "", name
        assert "gankit-panel" in panel.widget._dom_classes, name
        bundle = panel._repr_mimebundle_()
        assert bundle["text/plain"] == repr(panel) and repr(panel).startswith(name), name


@pytest.mark.parametrize("name", list(BUILD))
def test_setting_round_trips_through_a_fresh_panel_and_a_file(name, tmp_path):
    panel = BUILD[name]()
    panel.set_state(CHANGE[name])
    state = panel.get_state()
    json.dumps(state)  # plain data
    for key, value in CHANGE[name].items():
        assert (
            state[key] == pytest.approx(value) if isinstance(value, float) else state[key] == value
        )

    fresh = BUILD[name]()
    assert fresh.get_state() != state
    fresh.set_state(state)
    assert fresh.get_state() == state

    path = panel.save(tmp_path / "setting.json")
    again = BUILD[name]()
    again.load(path)
    assert again.get_state() == state


# Panels built from names and numbers only (the MNIST trainer on its default digits and
# GAN): what a text can rebuild.
TEXT_BUILD = dict(BUILD, MNISTTrainer=lambda: gk.widgets.MNISTTrainer(metric_every=0, grid=2))


@pytest.mark.parametrize("name", list(BUILD))
def test_a_setting_travels_as_one_line_of_text(name):
    panel = TEXT_BUILD[name]()
    panel.set_state(CHANGE[name])
    text = panel.to_text()
    assert text.startswith("gankit:") and "\n" not in text and len(text) < 600, text
    again = gk.widgets.from_text(text)
    assert type(again) is type(panel)
    assert again.get_state() == panel.get_state()
    # the arguments travel too: the rebuilt panel is built like the first one
    assert again._built_with[1] == json.loads(json.dumps(panel._built_with[1]))


def test_texts_that_cannot_be_made_or_read_say_why():
    with pytest.raises(ValueError, match=r"built with a GAN \(argument 1\).*save\(path\)"):
        _tiny_mnist_trainer().to_text()
    good = BUILD["MinimaxSurface"]().to_text()
    for bad, says in [
        ("hello", "starting 'gankit:'"),
        (good[:-12], "cut short"),
        (None, "starting 'gankit:'"),
    ]:
        with pytest.raises(ValueError, match=says):
            gk.widgets.from_text(bad)


def test_bad_settings_are_refused_before_anything_changes(tmp_path):
    panel = BUILD["GameTrajectories"]()
    before = panel.get_state()
    with pytest.raises(ValueError, match="unknown setting.*'lr'"):
        panel.set_state({"learning_rate": 0.3, "lr": 0.1})
    with pytest.raises(ValueError, match="loss must be one of"):
        panel.set_state({"learning_rate": 0.3, "loss": "lsgan"})
    assert panel.get_state() == before
    other = BUILD["OptimizerRace"]().save(tmp_path / "race.json")
    with pytest.raises(ValueError, match="OptimizerRace"):
        panel.load(other)
    (tmp_path / "junk.json").write_text("not json")
    with pytest.raises(ValueError, match="not JSON"):
        panel.load(tmp_path / "junk.json")


def test_the_setting_drives_the_result():
    # A setting restored in a fresh panel reproduces what the first one computed.
    a = BUILD["GameTrajectories"]()
    a.set_state({"learning_rate": 0.35, "reg": "R1", "reg_weight": 0.7})
    b = BUILD["GameTrajectories"]()
    b.set_state(a.get_state())
    assert b.radii == a.radii and b.verdicts == a.verdicts


def test_a_setting_whose_options_depend_on_another_control_loads():
    # sga offers the "lam" axis, the default scheme does not: order must not matter
    source = gk.widgets.StabilityMap("bilinear", "sga", resolution=6)
    source.set_state({"axis": "lam", "value": 1.5})
    fresh = gk.widgets.StabilityMap("bilinear", resolution=6)
    fresh.set_state(source.get_state())
    assert fresh.get_state() == source.get_state()


@pytest.mark.parametrize(
    "bad, says",
    [
        ({"learning_rate": 5.0}, "learning_rate must be a number in [0.01, 1.0]; got 5.0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a number in [0.01, 1.0]; got nan"),
        ({"learning_rate": "0.3"}, "learning_rate must be a number in [0.01, 1.0]; got '0.3'"),
        ({"steps": 12.5}, "steps must be a whole number in [1, 100]; got 12.5"),
        ({"start": [float("nan"), 0.0]}, "start must be two finite numbers"),
        ({"start": [1.0]}, "start must be two finite numbers"),
    ],
)
def test_values_a_control_cannot_take_exactly_are_refused_and_rolled_back(bad, says):
    panel = BUILD["GameTrajectories"]()
    before = panel.get_state()
    with pytest.raises(ValueError, match=re.escape(says)):
        panel.set_state({"loss": "wgan", **bad})
    assert panel.get_state() == before  # the loss set first was put back too


def test_the_toy_labs_drawn_points_do_not_change_its_dataset():
    lab = BUILD["Toy2DLab"]()
    lab.set_state({"dataset": "moons", "drawn": [[0.0, 1.0], [1.0, 0.0]]})
    assert lab.controls["dataset"].value == "moons" and len(lab.drawn) == 2
    lab.set_state({"drawn": []})
    assert len(lab.drawn) == 0
