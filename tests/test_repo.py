"""The repository keeps its promises: README's commands are the ones CI runs."""

import re
from pathlib import Path

from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    head = text.split("\n## ", 1)[0]  # the commands come before the first section
    return [line.strip() for line in head.splitlines() if line.startswith("python3 -m venv")]


def test_readme_opens_with_the_two_commands():
    lab, tests = _readme_commands()
    assert lab.endswith("jupyter lab lessons/")
    assert "pytest --nbval" in tests


def test_ci_runs_exactly_the_readme_test_command_in_fast_mode():
    ci = (ROOT / ".ci" / "run").read_text()
    _, tests = _readme_commands()
    assert tests in ci.splitlines()
    assert "export GANKIT_FAST=1" in ci
    assert "rm -rf .venv" in ci.split(tests)[0]


def test_every_lesson_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for lesson in sorted((ROOT / "lessons").glob("*.ipynb")):
        assert f"lessons/{lesson.name}" in readme, f"{lesson.name} missing from README"


def test_the_lab_install_can_rerun_the_lessons():
    """`pytest --nbval lessons/`, which lessons tell a student to run, works after the
    README's first command: the lab extra brings every plugin the pytest options need."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lab = {Requirement(r).name for r in config["project"]["optional-dependencies"]["lab"]}
    addopts = config["tool"]["pytest"]["ini_options"]["addopts"]
    needs = {"pytest", "nbval", "ipykernel"}  # --nbval, and a kernel to run the cells
    if re.search(r"(^| )(-n|--dist)\b", addopts):
        needs.add("pytest-xdist")
    assert needs <= lab, f"the lab extra lacks {sorted(needs - lab)} for pytest --nbval lessons/"
    assert "jupyterlab" in lab


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_stored_lessons_show_pictures_of_their_panels_not_dead_widgets():
    """A lesson opened before it runs (JupyterLab, GitHub, nbviewer) shows a picture where
    each panel and figure will be: no stored output is a widget view whose model died with
    the kernel that made it, and no notebook carries saved widget state that nothing uses.
    (scripts/store_pictures.py takes the pictures in the browser.)"""
    import base64
    import json
    import struct

    with_pictures = []
    for lesson in sorted((ROOT / "lessons").glob("*.ipynb")):
        nb = json.loads(lesson.read_text())
        assert "widgets" not in nb["metadata"], f"{lesson.name}: saved widget state"
        pictures = 0
        for index, cell in enumerate(nb["cells"]):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                assert WIDGET_VIEW not in data, f"{lesson.name} cell {index}: a dead widget view"
                if not output.get("metadata", {}).get("gankit", {}).get("picture"):
                    continue
                png = base64.b64decode("".join(data["image/png"]))
                assert png[:8] == b"\x89PNG\r\n\x1a\n", f"{lesson.name} cell {index}: not a PNG"
                width, height = struct.unpack(">II", png[16:24])
                assert width >= 200 and height >= 100, (
                    f"{lesson.name} cell {index}: {width}x{height}"
                )
                assert data.get("text/plain"), f"{lesson.name} cell {index}: no text for nbval"
                pictures += 1
        if pictures:
            with_pictures.append(lesson.name[:2])
    assert with_pictures == ["01", "02", "03", "04", "05", "06", "07", "08", "09"]
