"""One panel shape: every panel's controls, setting round trip, save/load, errors."""

from __future__ import annotations  # noqa: I001  (gankit before keras: it picks JAX)

import json

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
